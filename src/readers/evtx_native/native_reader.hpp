// Native EVTX scanner, file level: reads a ByteSource in 64 KiB chunks (positional reads), N worker
// threads take chunks, and the calling thread merges the per-chunk results in chunk order as they
// arrive, so that the output is the same for any number of workers and the same as the libevtx
// engine's (evtx_reader.cpp).
//
// Which records are "live" and which are "recovered" follows libevtx 20181227 exactly (formats.md
// 2-3, 7.8): live records are read from offset 512 while the offset is at most the chunk's last
// record offset and each header is valid; from where that walk stops, the rest of the chunk is
// searched in 4-byte steps for record signatures (a chunk without the ElfChnk signature is searched
// from offset 0); live records of chunks past the header's chunk count in a clean file count as
// recovered too. A record is unreadable exactly when libevtx cannot read its binary XML: a broken
// template, a substitution without its value, a fixed-size value of the wrong size, or a nested
// fragment that is unreadable (binxml.cpp). Live records come first, then recovered ones, each in
// chunk order; the merge replays the libevtx engine's bookkeeping (channel per provider,
// de-duplication by record id) in that order.
#pragma once

#include "readers/evtx_native/source_sha256.hpp"
#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/readers/evtx_reader.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace smssaudit::readers::evtx_native {

/// What a native read produced, with what evtx_reader.cpp needs for the same diagnostics as the
/// libevtx engine.
struct NativeRead {
  facts::EventLogFile file;
  EvtxLayout layout;
  EvtxReadStats stats;
  /// The first relevant record whose EventRecordID differs from its header id: {header, XML}.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> renumbered_example;
};

/// Why the native scanner handed the file to libevtx: the chunk (or "file header") and the reason.
struct NativeFallback {
  std::string where;
  std::string why;
};

/// EvtxReadOptions::progress: bytes of the source merged so far, records merged so far.
using NativeProgress = std::function<void(std::uint64_t, std::uint64_t)>;

/// Reads `source` natively with `workers` threads (0 = hardware concurrency) besides the calling
/// thread, which merges. `progress` (may be empty) is called from the calling thread every few MiB
/// and once at the end. The caller has already checked that the source starts with ElfFile.
///
/// `hash` (may be null) is fed, in file order, the bytes the scanner read and merged: the file
/// header and every whole chunk up to the end or up to the chunk that made it fall back. The caller
/// hashes the rest from hash->size() (hash_rest), so the file is read once for both.
std::variant<NativeRead, NativeFallback> read_native(const ByteSource& source,
                                                     unsigned workers,
                                                     const NativeProgress& progress,
                                                     Sha256Stream* hash = nullptr);

/// CRC-32 (IEEE, zlib's crc32), chainable like zlib's: crc32(crc32(0, a), b) is the CRC of a
/// followed by b. Both EVTX engines' checksum checks use it.
std::uint32_t crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace smssaudit::readers::evtx_native
