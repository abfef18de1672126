// The protocol between smssaudit and smssaudit-imaged, its disk-image service (service.hpp).
//
// Transport: one AF_UNIX stream socket, the service's end on its fd 3. Strictly request/response,
// one request at a time. A frame is a u32 little-endian payload length (at most kMaxFrame) and the
// payload, encoded with core/byte_codec.hpp:
//   request  = u8 Op, then the op's arguments
//   response = u8 status (0 ok, 1 error); ok: the op's results; error: Error (codec::put_error)
//   kOpen        segments (u32 n, n strings)  → format (string), size (u64)
//   kInstall     —                            → installations (u32 n, n Installation),
//                                               diagnostics (u32 n, n Diagnostic)
//   kList        Installation, dir (string)   → refs (u32 n, n ImageFileRef)
//   kFind        Installation, path (string)  → found (bool), [ImageFileRef]
//   kOpenFile    ImageFileRef                 → handle (u32), size (u64)
//   kRead        handle (u32), offset (u64), length (u32, at most kMaxRead) → bytes
//   kCloseFile   handle (u32)                 → —
// Both ends decode with the bounds-checked ByteReader: the client treats what a (possibly
// crashed or compromised) service sends as untrusted input.
#pragma once

#include "smssaudit/core/byte_codec.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/readers/image.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::readers::image::proto {

enum class Op : std::uint8_t {
  kOpen = 1,
  kInstall = 2,
  kList = 3,
  kFind = 4,
  kOpenFile = 5,
  kRead = 6,
  kCloseFile = 7,
};

constexpr std::uint32_t kMaxFrame = 64U << 20U;
constexpr std::uint32_t kMaxRead = 4U << 20U;
constexpr int kServiceFd = 3;

/// Outcome of waiting for a frame.
enum class FrameStatus { kOk, kClosed, kTimeout, kFailed };

struct Frame {
  FrameStatus status = FrameStatus::kFailed;
  std::vector<std::uint8_t> payload;
  std::string detail;  ///< why, when not kOk
};

/// Sends one frame (never raises SIGPIPE). False when the peer is gone or the send failed.
bool write_frame(int fd, std::span<const std::uint8_t> payload);

/// Receives one frame. `timeout_ms` < 0 waits for ever; otherwise it bounds the wait for each part
/// of the frame. kClosed: the peer closed the connection (exited or died) before a whole frame.
Frame read_frame(int fd, int timeout_ms);

void put(codec::ByteWriter& w, const ImageFileRef& r);
void put(codec::ByteWriter& w, const Installation& i);
void put(codec::ByteWriter& w, const Error& e);
void put(codec::ByteWriter& w, const std::vector<Diagnostic>& diags);

ImageFileRef get_ref(codec::ByteReader& r);
Installation get_installation(codec::ByteReader& r);
Error get_error(codec::ByteReader& r);
std::vector<Diagnostic> get_diagnostics(codec::ByteReader& r);

/// Smallest encoded sizes, for ByteReader::count().
constexpr std::size_t kMinRefBytes = 4 + 8 + 4 + 8 + 8 + 2 + 1;
constexpr std::size_t kMinInstallationBytes = 4 + 8 + 8 + 4 + 4 + 4 + 4 + kMinRefBytes;
constexpr std::size_t kMinDiagnosticBytes = 4 + 4 * 4;

}  // namespace smssaudit::readers::image::proto
