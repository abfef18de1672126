#include "readers/image/proto/protocol.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace smssaudit::readers::image::proto {
namespace {

bool send_all(int fd, const std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) {
      continue;
    }
    if (k <= 0) {
      return false;
    }
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

/// Reads exactly `n` bytes; kOk, kClosed (EOF first), kTimeout or kFailed.
FrameStatus recv_all(int fd, std::uint8_t* p, std::size_t n, int timeout_ms, std::string& why) {
  while (n > 0) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      why = "no answer within " + std::to_string(timeout_ms / 1000) + " s";
      return FrameStatus::kTimeout;
    }
    if (ready < 0) {
      why = std::string("poll: ") + std::strerror(errno);
      return FrameStatus::kFailed;
    }
    const ssize_t k = ::recv(fd, p, n, 0);
    if (k < 0 && errno == EINTR) {
      continue;
    }
    if (k == 0) {
      why = "connection closed";
      return FrameStatus::kClosed;
    }
    if (k < 0) {
      why = std::string("recv: ") + std::strerror(errno);
      return errno == ECONNRESET ? FrameStatus::kClosed : FrameStatus::kFailed;
    }
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return FrameStatus::kOk;
}

}  // namespace

bool write_frame(int fd, std::span<const std::uint8_t> payload) {
  if (payload.size() > kMaxFrame) {
    return false;
  }
  std::array<std::uint8_t, 4> head{};
  const auto n = static_cast<std::uint32_t>(payload.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    head[i] = static_cast<std::uint8_t>(n >> (8 * i));
  }
  return send_all(fd, head.data(), head.size()) && send_all(fd, payload.data(), payload.size());
}

Frame read_frame(int fd, int timeout_ms) {
  Frame f;
  std::array<std::uint8_t, 4> head{};
  f.status = recv_all(fd, head.data(), head.size(), timeout_ms, f.detail);
  if (f.status != FrameStatus::kOk) {
    return f;
  }
  std::uint32_t n = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    n |= static_cast<std::uint32_t>(head[i]) << (8 * i);
  }
  if (n > kMaxFrame) {
    f.status = FrameStatus::kFailed;
    f.detail = "frame of " + std::to_string(n) + " bytes exceeds the protocol's limit";
    return f;
  }
  f.payload.resize(n);
  f.status = recv_all(fd, f.payload.data(), n, timeout_ms, f.detail);
  return f;
}

void put(codec::ByteWriter& w, const ImageFileRef& r) {
  w.str(r.image_path);
  w.u64(r.partition_offset);
  w.str(r.ntfs_path);
  w.u64(r.size);
  w.u64(r.mft_entry);
  w.u16(r.mft_sequence);
  w.boolean(r.is_directory);
}

ImageFileRef get_ref(codec::ByteReader& r) {
  ImageFileRef f;
  f.image_path = r.str();
  f.partition_offset = r.u64();
  f.ntfs_path = r.str();
  f.size = r.u64();
  f.mft_entry = r.u64();
  f.mft_sequence = r.u16();
  f.is_directory = r.boolean();
  return f;
}

void put(codec::ByteWriter& w, const Installation& i) {
  w.str(i.image_path);
  w.u64(i.offset);
  w.u64(i.size);
  w.u32(i.partition_number);
  w.str(i.description);
  w.str(i.volume_label);
  w.str(i.volume_serial);
  put(w, i.system_hive);
}

Installation get_installation(codec::ByteReader& r) {
  Installation i;
  i.image_path = r.str();
  i.offset = r.u64();
  i.size = r.u64();
  i.partition_number = r.u32();
  i.description = r.str();
  i.volume_label = r.str();
  i.volume_serial = r.str();
  i.system_hive = get_ref(r);
  return i;
}

void put(codec::ByteWriter& w, const Error& e) {
  codec::put_error(w, e);
}

Error get_error(codec::ByteReader& r) {
  return codec::get_error(r);
}

void put(codec::ByteWriter& w, const std::vector<Diagnostic>& diags) {
  w.count(diags.size());
  for (const auto& d : diags) {
    codec::put_diagnostic(w, d);
  }
}

std::vector<Diagnostic> get_diagnostics(codec::ByteReader& r) {
  std::vector<Diagnostic> out;
  const auto n = r.count(kMinDiagnosticBytes);
  out.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    out.push_back(codec::get_diagnostic(r));
  }
  return out;
}

}  // namespace smssaudit::readers::image::proto
