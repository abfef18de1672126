// libntfs-3g wrappers for the fixture tool (see ntfs_place.hpp).
#include "devtools/image/ntfs_place.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <vector>

// ntfs-3g's headers are C without a config.h of their own: say what this platform has. They come
// last because support.h defines min() and max() macros (undefined again below).
#define HAVE_STDINT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_TIME_H 1
#define HAVE_ENDIAN_H 1
#define HAVE_BYTESWAP_H 1
extern "C" {
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>
}
#undef min
#undef max

namespace smssaudit::devtools::image {
namespace {

struct InodeClose {
  void operator()(ntfs_inode* ni) const noexcept { ntfs_inode_close(ni); }
};

using InodePtr = std::unique_ptr<ntfs_inode, InodeClose>;

struct AttrClose {
  void operator()(ntfs_attr* na) const noexcept { ntfs_attr_close(na); }
};

using AttrPtr = std::unique_ptr<ntfs_attr, AttrClose>;

/// A UTF-16 name from ntfs_mbstoucs (malloc'ed by ntfs-3g, freed with free()).
struct UcsFree {
  void operator()(ntfschar* p) const noexcept { std::free(p); }  // NOLINT: ntfs-3g mallocs it
};

using UcsPtr = std::unique_ptr<ntfschar, UcsFree>;

std::string errno_text() {
  return std::strerror(errno);  // NOLINT(concurrency-mt-unsafe): single-threaded tool
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::string cur;
  for (const char c : path) {
    if (c == '/' || c == '\\') {
      if (!cur.empty()) {
        parts.push_back(cur);
      }
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) {
    parts.push_back(cur);
  }
  return parts;
}

}  // namespace

class NtfsVolume::Impl {
 public:
  explicit Impl(ntfs_volume* vol) : vol_(vol) {}

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;

  ~Impl() {
    if (vol_ != nullptr) {
      ntfs_umount(vol_, FALSE);
    }
  }

  ntfs_volume* vol() const noexcept { return vol_; }

  int unmount() noexcept {
    const int rc = ntfs_umount(vol_, FALSE);
    vol_ = nullptr;
    return rc;
  }

 private:
  ntfs_volume* vol_;
};

NtfsVolume::NtfsVolume(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NtfsVolume::NtfsVolume(NtfsVolume&&) noexcept = default;
NtfsVolume& NtfsVolume::operator=(NtfsVolume&&) noexcept = default;
NtfsVolume::~NtfsVolume() = default;

Result<NtfsVolume> NtfsVolume::mount(const std::string& volume_path) {
  ntfs_log_set_handler(ntfs_log_handler_null);
  ntfs_volume* vol = ntfs_mount(volume_path.c_str(), NTFS_MNT_EXCLUSIVE);
  if (vol == nullptr) {
    return fail(ErrorCode::kIo, volume_path, "ntfs_mount failed: " + errno_text());
  }
  return NtfsVolume(std::make_unique<Impl>(vol));
}

namespace {

/// The child `name` of directory `dir`, created as `type` (S_IFDIR / S_IFREG) when `create`.
Result<InodePtr> child(ntfs_volume* vol,
                       ntfs_inode* dir,
                       const std::string& name,
                       mode_t type,
                       bool must_be_new,
                       const std::string& context) {
  errno = 0;
  InodePtr existing(ntfs_pathname_to_inode(vol, dir, name.c_str()));
  if (existing) {
    if (must_be_new) {
      return fail(ErrorCode::kIo, context, "already exists");
    }
    return existing;
  }
  if (errno != ENOENT) {
    return fail(ErrorCode::kIo, context, "cannot look up '" + name + "': " + errno_text());
  }
  ntfschar* raw = nullptr;
  const int len = ntfs_mbstoucs(name.c_str(), &raw);
  UcsPtr uname(raw);
  if (len <= 0 || len > 255) {
    return fail(ErrorCode::kIo, context, "bad name '" + name + "'");
  }
  InodePtr ni(ntfs_create(dir, const_cpu_to_le32(0), uname.get(), static_cast<u8>(len), type));
  if (!ni) {
    return fail(ErrorCode::kIo, context, "cannot create '" + name + "': " + errno_text());
  }
  return ni;
}

Result<InodePtr> open_dirs(ntfs_volume* vol,
                           const std::vector<std::string>& parts,
                           std::size_t count,
                           const std::string& context) {
  InodePtr cur(ntfs_inode_open(vol, FILE_root));
  if (!cur) {
    return fail(ErrorCode::kIo, context, "cannot open the root directory: " + errno_text());
  }
  for (std::size_t i = 0; i < count; ++i) {
    auto next = child(vol, cur.get(), parts[i], S_IFDIR, false, context);
    if (!next) {
      return fail(next.error());
    }
    cur = std::move(*next);
  }
  return cur;
}

}  // namespace

Status NtfsVolume::make_dirs(std::string_view ntfs_path) {
  const std::string context(ntfs_path);
  const auto parts = split_path(ntfs_path);
  auto dir = open_dirs(impl_->vol(), parts, parts.size(), context);
  if (!dir) {
    return fail(dir.error());
  }
  return ok();
}

Status NtfsVolume::put_file(std::string_view ntfs_path, const std::string& host_file) {
  const std::string context(ntfs_path);
  std::ifstream in(host_file, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::kIo, host_file, "cannot open");
  }
  const std::vector<char> data((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  const auto parts = split_path(ntfs_path);
  if (parts.empty()) {
    return fail(ErrorCode::kIo, context, "empty path");
  }
  auto dir = open_dirs(impl_->vol(), parts, parts.size() - 1, context);
  if (!dir) {
    return fail(dir.error());
  }
  auto file = child(impl_->vol(), dir->get(), parts.back(), S_IFREG, true, context);
  if (!file) {
    return fail(file.error());
  }
  AttrPtr na(ntfs_attr_open(file->get(), AT_DATA, AT_UNNAMED, 0));
  if (!na) {
    return fail(ErrorCode::kIo, context, "cannot open $DATA: " + errno_text());
  }
  const auto size = static_cast<s64>(data.size());
  s64 done = 0;
  while (done < size) {
    const s64 n = ntfs_attr_pwrite(
        na.get(), done, size - done, data.data() + static_cast<std::ptrdiff_t>(done));
    if (n <= 0) {
      return fail(ErrorCode::kIo, context, "write failed: " + errno_text());
    }
    done += n;
  }
  na.reset();
  // The new file's inode is closed through its open parent: a plain ntfs_inode_close() updates the
  // parent's index by opening the parent a second time, and when the parent is the root directory
  // (pagefile.sys) the two handles meet in libntfs-3g's inode cache, which keeps one and loses the
  // other (found by LeakSanitizer: an ntfs_inode and its MFT record per file put in the root).
  if (ntfs_inode_close_in_dir(file->release(), dir->get()) != 0) {
    return fail(ErrorCode::kIo, context, "cannot close: " + errno_text());
  }
  return ok();
}

Status NtfsVolume::close() {
  if (impl_ && impl_->vol() != nullptr && impl_->unmount() != 0) {
    return fail(ErrorCode::kIo, "ntfs volume", "ntfs_umount failed: " + errno_text());
  }
  return ok();
}

}  // namespace smssaudit::devtools::image
