// Path lookup in an NTFS volume through TSK, one directory at a time so that every component
// matches case-insensitively and the result carries the case the volume stores.
#include "readers/image/tsk/path_lookup.hpp"

#include "smssaudit/core/text.hpp"

#include <algorithm>

namespace smssaudit::readers::image::detail {
namespace {

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : path) {
    if (c == '/' || c == '\\') {
      if (!cur.empty()) {
        out.push_back(std::move(cur));
      }
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) {
    out.push_back(std::move(cur));
  }
  return out;
}

bool is_dir_type(TSK_FS_NAME_TYPE_ENUM t) noexcept {
  return t == TSK_FS_NAME_TYPE_DIR;
}

bool listable(const TSK_FS_NAME& n) noexcept {
  if ((n.flags & TSK_FS_NAME_FLAG_ALLOC) == 0 || n.name == nullptr) {
    return false;
  }
  if (n.type == TSK_FS_NAME_TYPE_VIRT || n.type == TSK_FS_NAME_TYPE_VIRT_DIR) {
    return false;  // $OrphanFiles and other entries TSK makes up
  }
  const std::string_view name(n.name);
  return name != "." && name != "..";
}

ImageFileRef make_ref(const ImageState& state,
                      std::uint64_t offset,
                      std::string path,
                      const TSK_FS_NAME& n) {
  ImageFileRef ref;
  ref.image_path = state.path;
  ref.partition_offset = offset;
  ref.ntfs_path = std::move(path);
  ref.mft_entry = static_cast<std::uint64_t>(n.meta_addr);
  ref.mft_sequence = static_cast<std::uint16_t>(n.meta_seq);
  ref.is_directory = is_dir_type(n.type);
  return ref;
}

Error dir_error(const ImageState& state, std::uint64_t offset, const std::string& path) {
  return Error{ErrorCode::kIo,
               state.path + "@" + std::to_string(offset) + ":" + (path.empty() ? "/" : path),
               "directory cannot be read through TSK: " + tsk::take_error()};
}

/// Fills size (and directory-ness) from the file's metadata.
Status load_meta(TSK_FS_INFO* fs, ImageFileRef& ref) {
  tsk::clear_error();
  const tsk::File f(tsk_fs_file_open_meta(fs, nullptr, static_cast<TSK_INUM_T>(ref.mft_entry)));
  if (!f || f->meta == nullptr) {
    return fail(
        ErrorCode::kIo,
        ref.source_name(),
        "MFT entry " + std::to_string(ref.mft_entry) + " cannot be read: " + tsk::take_error());
  }
  ref.is_directory = TSK_FS_IS_DIR_META(f->meta->type);
  ref.size =
      ref.is_directory ? 0 : static_cast<std::uint64_t>(std::max<TSK_OFF_T>(f->meta->size, 0));
  return ok();
}

}  // namespace

Result<std::optional<ImageFileRef>> resolve_path(const ImageState& state,
                                                 TSK_FS_INFO* fs,
                                                 std::uint64_t offset,
                                                 std::string_view path) {
  ImageFileRef cur;
  cur.image_path = state.path;
  cur.partition_offset = offset;
  cur.ntfs_path = "/";
  cur.mft_entry = static_cast<std::uint64_t>(fs->root_inum);
  cur.is_directory = true;
  std::string real;
  for (const auto& want : components(path)) {
    if (!cur.is_directory) {
      return std::optional<ImageFileRef>();
    }
    tsk::clear_error();
    const tsk::Dir dir(tsk_fs_dir_open_meta(fs, static_cast<TSK_INUM_T>(cur.mft_entry)));
    if (!dir) {
      return fail(dir_error(state, offset, real));
    }
    const TSK_FS_NAME* hit = nullptr;
    const std::size_t n = tsk_fs_dir_getsize(dir.get());
    for (std::size_t i = 0; i < n && hit == nullptr; ++i) {
      const TSK_FS_NAME* name = tsk_fs_dir_get_name(dir.get(), i);
      if (name != nullptr && listable(*name) && text::iequals(name->name, want)) {
        hit = name;
      }
    }
    if (hit == nullptr) {
      return std::optional<ImageFileRef>();
    }
    real += "/";
    real += hit->name;
    cur = make_ref(state, offset, real, *hit);
  }
  if (auto st = load_meta(fs, cur); !st) {
    return fail(st.error());
  }
  return std::optional<ImageFileRef>(std::move(cur));
}

Result<std::vector<ImageFileRef>> list_directory(const ImageState& state,
                                                 TSK_FS_INFO* fs,
                                                 std::uint64_t offset,
                                                 std::string_view dir_path) {
  auto dir_ref = resolve_path(state, fs, offset, dir_path);
  if (!dir_ref) {
    return fail(dir_ref.error());
  }
  const std::string context =
      state.path + "@" + std::to_string(offset) + ":/" + std::string(dir_path);
  if (!*dir_ref) {
    return fail(ErrorCode::kNotFound, context, "no such directory");
  }
  const ImageFileRef& d = **dir_ref;
  if (!d.is_directory) {
    return fail(ErrorCode::kNotFound, d.source_name(), "not a directory");
  }
  tsk::clear_error();
  const tsk::Dir dir(tsk_fs_dir_open_meta(fs, static_cast<TSK_INUM_T>(d.mft_entry)));
  if (!dir) {
    return fail(dir_error(state, offset, d.ntfs_path));
  }
  const std::string prefix = d.ntfs_path == "/" ? "" : d.ntfs_path;
  std::vector<ImageFileRef> out;
  const std::size_t n = tsk_fs_dir_getsize(dir.get());
  for (std::size_t i = 0; i < n; ++i) {
    const TSK_FS_NAME* name = tsk_fs_dir_get_name(dir.get(), i);
    if (name == nullptr || !listable(*name)) {
      continue;
    }
    ImageFileRef ref = make_ref(state, offset, prefix + "/" + name->name, *name);
    if (auto st = load_meta(fs, ref); !st) {
      return fail(st.error());
    }
    out.push_back(std::move(ref));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.ntfs_path < b.ntfs_path;
  });
  return out;
}

}  // namespace smssaudit::readers::image::detail
