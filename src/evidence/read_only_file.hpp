// A regular file opened strictly read-only: the one way evidence files are opened for raw reads.
// Private to the layers (evidence hashing here, the REGF base-block parser in readers), which is
// why it lives under src/ and not include/.
#pragma once

#include "smssaudit/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace smssaudit::evidence {

/// Owns one descriptor opened O_RDONLY | O_CLOEXEC (plus O_NOATIME when the kernel permits it, so
/// reading evidence keeps its access time). Move-only: exactly one owner closes the descriptor.
class ReadOnlyFile {
 public:
  /// Opens `path` and accepts only a regular file: a FIFO or device given as evidence could block
  /// or never end. Errors: kNotFound when the file does not exist, kIo otherwise.
  static Result<ReadOnlyFile> open(const std::string& path);

  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ~ReadOnlyFile();

  /// st_size when the file was opened.
  std::uint64_t size() const noexcept { return size_; }

  /// Reads until `buf` is full or the file ends (reads interrupted by a signal are retried). The
  /// count is short only at end of file, 0 once it is reached; a failure is kIo naming the path.
  Result<std::size_t> read_up_to(std::span<std::uint8_t> buf) const;

  /// Positional read (pread): does not move the file offset, so several threads may call it at
  /// once. Short only at end of file; a failure is kIo naming the path.
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const;

  /// Asks the kernel to read [offset, offset + size) into the page cache in the background
  /// (posix_fadvise POSIX_FADV_WILLNEED). A hint: failure is ignored; the file is not changed.
  void will_need(std::uint64_t offset, std::uint64_t size) const noexcept;

  const std::string& path() const noexcept { return path_; }

 private:
  ReadOnlyFile(int fd, std::string path) noexcept : fd_(fd), path_(std::move(path)) {}

  void close() noexcept;

  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
};

}  // namespace smssaudit::evidence
