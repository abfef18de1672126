// Disk images through The Sleuth Kit (see include/smssaudit/readers/image.hpp).
//
// Every TSK call on one image runs under ImageState::mu: TSK's file-system structures are not
// thread-safe, and its error record is per thread, so each call clears it first and takes it
// right after a failure, in the same thread, under the same lock.
#include "readers/image/image_state.hpp"
#include "readers/image/path_lookup.hpp"
#include "readers/image/tsk_handles.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/image.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <mutex>
#include <utility>

namespace smssaudit::readers::image {

std::string tsk::take_error() {
  const char* msg = tsk_error_get();
  std::string out = msg != nullptr ? text::trim(msg) : std::string();
  tsk_error_reset();
  if (const auto nl = out.find('\n'); nl != std::string::npos) {
    out.resize(nl);
  }
  return out.empty() ? "unknown TSK error" : out;
}

std::string ImageFileRef::file_name() const {
  const auto slash = ntfs_path.find_last_of('/');
  return slash == std::string::npos ? ntfs_path : ntfs_path.substr(slash + 1);
}

std::string ImageFileRef::source_name() const {
  return image_path + "@" + std::to_string(partition_offset) + ":" + ntfs_path;
}

std::string Installation::label() const {
  return image_path + "@" + std::to_string(offset);
}

const char* to_string(ArtifactRole role) noexcept {
  switch (role) {
    case ArtifactRole::kSystemHive:
      return "system_hive";
    case ArtifactRole::kSystemLog:
      return "system_log";
    case ArtifactRole::kSoftwareHive:
      return "software_hive";
    case ArtifactRole::kRegBackHive:
      return "regback_hive";
    case ArtifactRole::kEventLog:
      return "event_log";
  }
  return "unknown";
}

namespace {

/// A file inside the image read through tsk_fs_file_read (the unnamed $DATA stream). Holds the
/// image state, so the image stays open as long as any source does.
class TskFileSource final : public ByteSource {
 public:
  TskFileSource(std::shared_ptr<detail::ImageState> state,
                tsk::File file,
                std::uint64_t size,
                std::string name)
      : state_(std::move(state)), file_(std::move(file)), size_(size), name_(std::move(name)) {}

  TskFileSource(const TskFileSource&) = delete;
  TskFileSource& operator=(const TskFileSource&) = delete;
  TskFileSource(TskFileSource&&) = delete;
  TskFileSource& operator=(TskFileSource&&) = delete;

  ~TskFileSource() override {
    const std::lock_guard<std::mutex> lock(state_->mu);
    file_.reset();
  }

  std::uint64_t size() const noexcept override { return size_; }

  const std::string& name() const noexcept override { return name_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const override {
    if (offset >= size_ || buf.empty()) {
      return std::size_t{0};
    }
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - offset));
    const std::lock_guard<std::mutex> lock(state_->mu);
    std::size_t done = 0;
    while (done < want) {
      tsk::clear_error();
      const ssize_t n = tsk_fs_file_read(file_.get(),
                                         static_cast<TSK_OFF_T>(offset + done),
                                         reinterpret_cast<char*>(buf.data() + done),
                                         want - done,
                                         TSK_FS_FILE_READ_FLAG_NONE);
      if (n < 0) {
        return fail(ErrorCode::kIo,
                    name_,
                    "cannot read " + std::to_string(want - done) + " bytes at offset " +
                        std::to_string(offset + done) + " through TSK: " + tsk::take_error());
      }
      if (n == 0) {
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

 private:
  std::shared_ptr<detail::ImageState> state_;  // first: outlives file_
  tsk::File file_;
  std::uint64_t size_;
  std::string name_;
};

}  // namespace

DiskImage::DiskImage(std::shared_ptr<detail::ImageState> state) : state_(std::move(state)) {}

const std::string& DiskImage::path() const noexcept {
  return state_->path;
}

const std::vector<std::string>& DiskImage::segments() const noexcept {
  return state_->segments;
}

std::string DiskImage::format() const {
  const char* name = tsk_img_type_toname(state_->img->itype);
  return name != nullptr ? name : "unknown";
}

std::uint64_t DiskImage::size() const noexcept {
  return static_cast<std::uint64_t>(state_->img->size);
}

Result<std::vector<ImageFileRef>> DiskImage::list(const Installation& inst,
                                                  std::string_view dir_path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, inst.offset);
  if (!fs) {
    return fail(fs.error());
  }
  return detail::list_directory(*state_, *fs, inst.offset, dir_path);
}

Result<std::optional<ImageFileRef>> DiskImage::find(const Installation& inst,
                                                    std::string_view path) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, inst.offset);
  if (!fs) {
    return fail(fs.error());
  }
  return detail::resolve_path(*state_, *fs, inst.offset, path);
}

Result<std::unique_ptr<ByteSource>> DiskImage::open(const Installation& inst,
                                                    std::string_view path) const {
  auto ref = find(inst, path);
  if (!ref) {
    return fail(ref.error());
  }
  if (!*ref) {
    return fail(
        ErrorCode::kNotFound, inst.label() + ":" + std::string(path), "no such file in the volume");
  }
  return open(**ref);
}

Result<std::unique_ptr<ByteSource>> DiskImage::open(const ImageFileRef& file) const {
  const std::string name = file.source_name();
  if (file.is_directory) {
    return fail(ErrorCode::kNotFound, name, "is a directory");
  }
  if (file.image_path != state_->path) {
    return fail(ErrorCode::kNotFound, name, "belongs to another image than " + state_->path);
  }
  const std::lock_guard<std::mutex> lock(state_->mu);
  auto fs = detail::volume_at(*state_, file.partition_offset);
  if (!fs) {
    return fail(fs.error());
  }
  tsk::clear_error();
  tsk::File f(tsk_fs_file_open_meta(*fs, nullptr, static_cast<TSK_INUM_T>(file.mft_entry)));
  if (!f || f->meta == nullptr) {
    return fail(
        ErrorCode::kIo,
        name,
        "cannot open MFT entry " + std::to_string(file.mft_entry) + ": " + tsk::take_error());
  }
  const auto size = static_cast<std::uint64_t>(std::max<TSK_OFF_T>(f->meta->size, 0));
  return std::unique_ptr<ByteSource>(
      std::make_unique<TskFileSource>(state_, std::move(f), size, name));
}

namespace {

/// Picks the entries of `listing` named `names` (case-insensitively), in the order of `names`.
void pick(const std::vector<ImageFileRef>& listing,
          std::initializer_list<std::pair<std::string_view, ArtifactRole>> names,
          std::vector<InstallationArtifact>& out) {
  for (const auto& [want, role] : names) {
    for (const auto& f : listing) {
      if (!f.is_directory && text::iequals(f.file_name(), want)) {
        out.push_back(InstallationArtifact{role, f});
        break;
      }
    }
  }
}

}  // namespace

std::vector<InstallationArtifact> DiskImage::artifacts(const Installation& inst,
                                                       DiagnosticSink& sink) const {
  std::vector<InstallationArtifact> out;
  const auto listing = [&](std::string_view dir) -> std::vector<ImageFileRef> {
    auto l = list(inst, dir);
    if (l) {
      return std::move(*l);
    }
    if (l.error().code != ErrorCode::kNotFound) {
      sink.add(DiagLevel::kWarning,
               "image.file_unreadable",
               inst.label() + ":/" + std::string(dir),
               "",
               "directory cannot be read: " + l.error().detail);
    }
    return {};
  };
  pick(listing("Windows/System32/config"),
       {{"SYSTEM", ArtifactRole::kSystemHive},
        {"SYSTEM.LOG1", ArtifactRole::kSystemLog},
        {"SYSTEM.LOG2", ArtifactRole::kSystemLog},
        {"SOFTWARE", ArtifactRole::kSoftwareHive}},
       out);
  pick(listing("Windows/System32/config/RegBack"),
       {{"SYSTEM", ArtifactRole::kRegBackHive}, {"SOFTWARE", ArtifactRole::kRegBackHive}},
       out);
  auto logs = listing("Windows/System32/winevt/Logs");
  std::sort(logs.begin(), logs.end(), [](const auto& a, const auto& b) {
    return text::to_lower(a.file_name()) < text::to_lower(b.file_name());
  });
  for (auto& f : logs) {
    if (!f.is_directory && text::iends_with(f.file_name(), ".evtx")) {
      out.push_back(InstallationArtifact{ArtifactRole::kEventLog, std::move(f)});
    }
  }
  return out;
}

std::vector<Installation> DiskImage::installations(DiagnosticSink& sink) const {
  const std::lock_guard<std::mutex> lock(state_->mu);
  return detail::find_installations(*state_, sink);
}

namespace {

/// The EWF signature "EVF\x09\x0d\x0a\xff\x00" at offset 0 of the first segment.
bool is_ewf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> head{};
  in.read(head.data(), head.size());
  static constexpr std::array<char, 8> kEvf = {
      'E', 'V', 'F', '\x09', '\x0d', '\x0a', '\xff', '\x00'};
  return in.gcount() == static_cast<std::streamsize>(head.size()) && head == kEvf;
}

}  // namespace

Result<DiskImage> open_disk_image(const std::vector<std::string>& segment_paths,
                                  DiagnosticSink& sink) {
  if (segment_paths.empty()) {
    return fail(ErrorCode::kNotFound, "", "no image segment given");
  }
  const std::vector<std::string> segments =
      segment_paths.size() == 1 ? find_segments(segment_paths.front()) : segment_paths;
  auto report = [&](Error e) -> Result<DiskImage> {
    sink.add(DiagLevel::kError, "image.open_failed", e.context, "", e.detail);
    return fail(std::move(e));
  };
  for (const auto& s : segments) {
    if (auto st = detail::check_regular_file(s); !st) {
      return report(Error{
          st.error().code,
          segments.front(),
          s == segments.front() ? st.error().detail : "segment " + s + ": " + st.error().detail});
    }
  }
  // EWF is refused before TSK opens it. libewf (pulled in by libtsk) carries its own copies of
  // libbfio, libcdata and libuna and exports them, as libregf and libevtx do; in one process the
  // dynamic linker binds every such symbol to a single copy, and with any link order one side
  // breaks: libewf crashed in libbfio_pool_free, or libevtx could no longer render XML (both
  // observed). Reading E01 needs the image parsed in a child process of its own (issue 7, item 5).
  if (is_ewf_file(segments.front())) {
    return report(Error{ErrorCode::kIo,
                        segments.front(),
                        "E01/EWF images cannot be read in this build (libewf's bundled libbfio "
                        "clashes with libregf/libevtx in one process); convert the image to raw "
                        "with ewfexport, or scan the volume through ewfmount"});
  }
  std::vector<const char*> names;
  names.reserve(segments.size());
  for (const auto& s : segments) {
    names.push_back(s.c_str());
  }
  auto state = std::make_shared<detail::ImageState>();
  state->path = segments.front();
  state->segments = segments;
  // TSK opens raw segments O_RDONLY and EWF/VMDK/VHD through libewf/libvmdk/libvhdi read-only.
  tsk::clear_error();
  state->img.reset(
      tsk_img_open_utf8(static_cast<int>(names.size()), names.data(), TSK_IMG_TYPE_DETECT, 0));
  if (!state->img) {
    return report(
        Error{ErrorCode::kIo,
              segments.front(),
              "not a disk image TSK can open (raw, E01, VMDK, VHD): " + tsk::take_error()});
  }
  if (state->img->size <= 0) {
    return report(Error{ErrorCode::kIo, segments.front(), "empty disk image"});
  }
  return DiskImage(std::move(state));
}

}  // namespace smssaudit::readers::image
