// ByteSource: read-only random access to the bytes of one artifact, wherever they live — a regular
// file on disk, or a file inside a disk image read through The Sleuth Kit. Readers that must work
// on both (the EVTX reader, hive readers via memory) take a ByteSource instead of a path, so no
// extracted copy of evidence is ever written to disk (design.md 2).
#pragma once

#include "smssaudit/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace smssaudit {

class ByteSource {
 public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  ByteSource(ByteSource&&) = delete;
  ByteSource& operator=(ByteSource&&) = delete;
  virtual ~ByteSource() = default;

  /// Total size in bytes, fixed when the source was opened.
  [[nodiscard]] virtual std::uint64_t size() const noexcept = 0;

  /// Reads up to buf.size() bytes starting at `offset`. The count is short only at the end of the
  /// source (0 at or past it). Errors name the source (kIo). Implementations must allow
  /// concurrent calls from several threads (the EVTX scanner reads chunks in parallel).
  [[nodiscard]] virtual Result<std::size_t> read_at(std::uint64_t offset,
                                                    std::span<std::uint8_t> buf) const = 0;

  /// A hint that [offset, offset + size) will be read soon: a file asks the kernel to start
  /// reading it ahead (posix_fadvise WILLNEED), so a sequential reader overlaps its parsing with
  /// the disk. Never changes what read_at returns; the default does nothing.
  virtual void will_need(std::uint64_t /*offset*/, std::uint64_t /*size*/) const noexcept {}

  /// How diagnostics and the report name this artifact: the file path for a file on disk; for a
  /// file inside an image, the image path, partition offset and NTFS path (see evidence.hpp).
  [[nodiscard]] virtual const std::string& name() const noexcept = 0;
};

}  // namespace smssaudit
