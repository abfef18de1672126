// Case-insensitive path lookup and directory listing in an NTFS volume through TSK. Private to
// src/readers/image/; every function expects the caller to hold ImageState::mu.
#pragma once

#include "readers/image/tsk/image_state.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace smssaudit::readers::image::detail {

/// Resolves `path` ('/' or '\\' separated, ASCII case-insensitive, allocated names only) from the
/// root: value = found, nullopt = absent, error (kIo) = a directory on the way cannot be read.
Result<std::optional<ImageFileRef>> resolve_path(const ImageState& state,
                                                 TSK_FS_INFO* fs,
                                                 std::uint64_t offset,
                                                 std::string_view path);

/// The allocated entries of a directory (no ".", "..", or TSK's virtual $OrphanFiles).
Result<std::vector<ImageFileRef>> list_directory(const ImageState& state,
                                                 TSK_FS_INFO* fs,
                                                 std::uint64_t offset,
                                                 std::string_view dir_path);

}  // namespace smssaudit::readers::image::detail
