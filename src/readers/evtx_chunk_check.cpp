// EVTX chunk-header and record-chain consistency (see evtx_chunk_check.hpp); offsets cite
// formats.md sections 2 and 3.
#include "readers/evtx_chunk_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace smssaudit::readers {
namespace {

constexpr std::uint32_t kChunkSize = 65536;
constexpr std::uint32_t kChunkHeaderSize = 512;  // records start here
constexpr std::uint32_t kMinRecordSize = 28;     // 24-byte header + 4-byte size copy
// A chunk holds at most this many records, so a wider number or identifier range is impossible.
constexpr std::uint64_t kMaxRecordsPerChunk = (kChunkSize - kChunkHeaderSize) / kMinRecordSize;
constexpr std::array<std::uint8_t, 4> kRecordSignature{0x2A, 0x2A, 0x00, 0x00};

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24U);
}

std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint64_t>(le32(b, off)) |
         (static_cast<std::uint64_t>(le32(b, off + 4)) << 32U);
}

/// first <= last and the range fits in one chunk.
bool range_ok(std::uint64_t first, std::uint64_t last) {
  return first <= last && last - first < kMaxRecordsPerChunk;
}

/// The first table entry (u32 chunk offsets) that is neither 0 (empty) nor inside the records.
std::optional<std::string> bad_table_entry(std::span<const std::uint8_t> c,
                                           std::size_t at,
                                           std::size_t entries,
                                           std::uint32_t free_offset,
                                           const char* what) {
  for (std::size_t i = 0; i < entries; ++i) {
    const std::uint32_t e = le32(c, at + 4 * i);
    if (e != 0 && (e < kChunkHeaderSize || e >= free_offset)) {
      return fmt::format("{} entry {} is offset {} (records occupy {}..{})",
                         what,
                         i,
                         e,
                         kChunkHeaderSize,
                         free_offset);
    }
  }
  return std::nullopt;
}

std::optional<std::string> header_problem(std::span<const std::uint8_t> c) {
  const std::uint32_t free_offset = le32(c, 48);
  if (free_offset < kChunkHeaderSize || free_offset > kChunkSize) {
    return fmt::format("free-space offset {} lies outside the chunk", free_offset);
  }
  const std::uint32_t last_offset = le32(c, 44);
  if (free_offset > kChunkHeaderSize &&
      (last_offset < kChunkHeaderSize || last_offset >= free_offset)) {
    return fmt::format(
        "last record offset {} lies outside the records (512..{})", last_offset, free_offset);
  }
  if (!range_ok(le64(c, 8), le64(c, 16))) {
    return fmt::format(
        "record numbers {}..{} are not a range one chunk can hold", le64(c, 8), le64(c, 16));
  }
  if (!range_ok(le64(c, 24), le64(c, 32))) {
    return fmt::format(
        "record identifiers {}..{} are not a range one chunk can hold", le64(c, 24), le64(c, 32));
  }
  // Common-string table: 64 entries at +128; template table: 32 entries at +384.
  if (auto bad = bad_table_entry(c, 128, 64, free_offset, "string table")) {
    return bad;
  }
  return bad_table_entry(c, 384, 32, free_offset, "template table");
}

/// The live walk as both engines do it (formats.md 7.4): signature, size >= 28, inside the chunk,
/// matching size copy, while the offset is at most the last record offset.
std::optional<std::string> chain_problem(std::span<const std::uint8_t> c) {
  const std::uint32_t free_offset = le32(c, 48);
  const std::uint32_t last_offset = le32(c, 44);
  if (free_offset <= kChunkHeaderSize || free_offset > kChunkSize || last_offset >= free_offset) {
    return std::nullopt;  // no records, or a header problem already says why none can be walked
  }
  std::uint32_t pos = kChunkHeaderSize;
  while (pos <= last_offset) {
    if (kChunkSize - pos < kMinRecordSize ||
        std::memcmp(c.data() + pos, kRecordSignature.data(), kRecordSignature.size()) != 0) {
      return fmt::format("no record signature at offset {} (last record at {})", pos, last_offset);
    }
    const std::uint32_t size = le32(c, pos + 4);
    if (size < kMinRecordSize || size > kChunkSize - pos || le32(c, pos + size - 4) != size) {
      return fmt::format(
          "record at offset {} declares size {} (last record at {})", pos, size, last_offset);
    }
    pos += size;
  }
  if (pos != free_offset) {
    return fmt::format(
        "the last record ends at offset {} but the free-space offset is {}", pos, free_offset);
  }
  return std::nullopt;
}

}  // namespace

ChunkCheck check_chunk(std::span<const std::uint8_t> chunk) {
  ChunkCheck out;
  if (chunk.size() != kChunkSize) {
    return out;
  }
  out.header_problem = header_problem(chunk);
  out.chain_problem = chain_problem(chunk);
  if (range_ok(le64(chunk, 24), le64(chunk, 32))) {
    out.last_record_id = le64(chunk, 32);
  }
  return out;
}

void note_chunk_check(const ChunkCheck& check, std::uint32_t index, EvtxLayout& layout) {
  if (check.header_problem) {
    if (layout.chunk_header_bad++ == 0) {
      layout.first_chunk_header_problem = fmt::format("chunk {}: {}", index, *check.header_problem);
    }
  }
  if (check.chain_problem) {
    if (layout.record_chain_broken++ == 0) {
      layout.first_record_chain_problem = fmt::format("chunk {}: {}", index, *check.chain_problem);
    }
  }
  if (check.last_record_id) {
    layout.max_chunk_record_id = std::max(layout.max_chunk_record_id, *check.last_record_id);
    layout.chunk_record_ids_seen = true;
  }
}

}  // namespace smssaudit::readers
