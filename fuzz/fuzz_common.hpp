// Helpers shared by the libFuzzer targets: split one input into several byte ranges, and hand
// bytes to file-based readers through an anonymous in-memory file (memfd).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace smssaudit::fuzz {

/// Reads a little-endian u32 length prefix, then that many bytes (capped at what is left).
/// Lets one fuzz input carry a primary hive and its logs: [u32 n][n bytes][u32 m][m bytes]...
inline std::span<const std::uint8_t> take_prefixed(std::span<const std::uint8_t>& rest) {
  if (rest.size() < 4) {
    auto all = rest;
    rest = {};
    return all;
  }
  // Little-endian u32, the byte order of every on-disk field these inputs imitate.
  std::size_t n = std::size_t{rest[0]} | (std::size_t{rest[1]} << 8U) |
                  (std::size_t{rest[2]} << 16U) | (std::size_t{rest[3]} << 24U);
  rest = rest.subspan(4);
  n = n < rest.size() ? n : rest.size();
  auto part = rest.first(n);
  rest = rest.subspan(n);
  return part;
}

/// An anonymous file holding `bytes`, reachable by path as /proc/self/fd/N. Closed on
/// destruction; nothing touches the disk.
class MemFile {
 public:
  explicit MemFile(std::span<const std::uint8_t> bytes) : fd_(memfd_create("fuzz", 0)) {
    if (fd_ < 0) {
      return;
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) {
        break;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  MemFile(MemFile&&) = delete;
  MemFile& operator=(MemFile&&) = delete;

  ~MemFile() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  bool ok() const noexcept { return fd_ >= 0; }

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace smssaudit::fuzz
