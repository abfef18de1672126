// EVTX chunk-header and record-chain consistency, shared by both engines (issue 7 item 4): libevtx
// and the native scanner both stop a chunk's live walk at the first bad record and carve the rest,
// so damage there used to surface only as an info-level "recovered" note. Private to the readers
// layer; evtx_reader.cpp reports the counts (evtx.chunk_header, evtx.record_chain,
// evtx.header_record_id).
#pragma once

#include "smssaudit/readers/evtx_reader.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace smssaudit::readers {

/// What one chunk's header and live record chain say about its structure.
struct ChunkCheck {
  /// The first chunk-header field that contradicts the chunk (formats.md 2): free-space offset
  /// (+48) outside the chunk, last record offset (+44) outside [512, free), first > last record
  /// number (+8/+16) or identifier (+24/+32) or a range no chunk can hold, a string-table (+128)
  /// or template-table (+384) entry outside [512, free).
  std::optional<std::string> header_problem;
  /// Where the live walk (records from 512 while the offset is at most the last record offset,
  /// formats.md 7.4) stops before the last record, or ends away from the free-space offset.
  std::optional<std::string> chain_problem;
  /// The chunk's last record identifier (+32) when its identifier range is consistent.
  std::optional<std::uint64_t> last_record_id;
};

/// Checks a whole 65,536-byte chunk that starts with "ElfChnk\0". Reads only inside `chunk`.
ChunkCheck check_chunk(std::span<const std::uint8_t> chunk);

/// Adds chunk `index`'s result to the layout's counters (first problem of each kind is kept).
void note_chunk_check(const ChunkCheck& check, std::uint32_t index, EvtxLayout& layout);

}  // namespace smssaudit::readers
