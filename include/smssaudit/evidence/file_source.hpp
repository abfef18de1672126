// A ByteSource over a regular file on disk, opened read-only (O_RDONLY, O_NOATIME when allowed).
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/result.hpp"

#include <memory>
#include <string>

namespace smssaudit::evidence {

/// Opens `path` for positional reads. Only regular files are accepted (a FIFO or device could
/// block forever). Errors: kNotFound, kIo — both naming the path.
Result<std::unique_ptr<ByteSource>> open_file_source(const std::string& path);

}  // namespace smssaudit::evidence
