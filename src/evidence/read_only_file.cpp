// ReadOnlyFile: open, regular-file check and EINTR-safe reads for evidence files.
#include "evidence/read_only_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace smssaudit::evidence {
namespace {

// O_NOATIME keeps the access time of the evidence unchanged, but the kernel allows it only to
// the file's owner (or CAP_FOWNER): EPERM means "retry without it", not "unreadable".
int open_read_only(const std::string& path) noexcept {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOATIME | O_CLOEXEC);
  if (fd < 0 && errno == EPERM) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  return fd;
}

}  // namespace

void ReadOnlyFile::will_need(std::uint64_t offset, std::uint64_t size) const noexcept {
  if (fd_ >= 0 && size > 0) {
    // The result is deliberately ignored: without readahead the reads are only slower.
    (void)::posix_fadvise(
        fd_, static_cast<off_t>(offset), static_cast<off_t>(size), POSIX_FADV_WILLNEED);
  }
}

Result<ReadOnlyFile> ReadOnlyFile::open(const std::string& path) {
  const int fd = open_read_only(path);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo, path, std::strerror(err));
  }
  // Owned from here on, so every return below closes it.
  ReadOnlyFile file(fd, path);

  struct stat st {};

  if (::fstat(fd, &st) != 0) {
    return fail(ErrorCode::kIo, path, std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorCode::kIo, path, "not a regular file");
  }
  file.size_ = static_cast<std::uint64_t>(st.st_size);
  return file;
}

// Moving transfers the descriptor; the moved-from object closes nothing.
ReadOnlyFile::ReadOnlyFile(ReadOnlyFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), size_(other.size_) {}

ReadOnlyFile& ReadOnlyFile::operator=(ReadOnlyFile&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    size_ = other.size_;
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  close();
}

Result<std::size_t> ReadOnlyFile::read_up_to(std::span<std::uint8_t> buf) const {
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd_, buf.data() + got, buf.size() - got);
    // Retry reads interrupted by a signal; any other failure is an I/O error.
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(ErrorCode::kIo, path_, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

Result<std::size_t> ReadOnlyFile::read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const {
  std::size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n =
        ::pread(fd_, buf.data() + got, buf.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(ErrorCode::kIo, path_, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

void ReadOnlyFile::close() noexcept {
  if (fd_ >= 0) {
    // Ignored on purpose: nothing was written through a read-only descriptor, so a failing close
    // cannot lose data, and Linux releases the descriptor even when close reports an error.
    static_cast<void>(::close(fd_));
    fd_ = -1;
  }
}

}  // namespace smssaudit::evidence
