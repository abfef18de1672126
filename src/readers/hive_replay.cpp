// Transaction-log replay (registry.md 4.3 / 4.4; REGF "Format of transaction log files").
// Byte-level and in memory: the primary's bytes are copied into an image, log pages are written
// into the image, the base block is rewritten at the end. Every offset and size read from a log
// is bounds-checked against the log and against ReplayOptions::max_image_bytes before use.
#include "smssaudit/readers/hive_replay.hpp"

#include "evidence/read_only_file.hpp"
#include "readers/marvin32.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/base_block_validation.hpp"
#include "smssaudit/readers/hive_reader.hpp"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>

namespace smssaudit::readers {
namespace {

using facts::LogFormat;
using facts::ReplayEntry;
using facts::ReplayLog;
using facts::ReplayReport;

constexpr std::size_t kBaseBlockSize = 4096;  // primary file: base block, then hive bins at 4096
constexpr std::size_t kSector = 512;          // log entries and old-format pages are 512-aligned
constexpr std::size_t kHbinHeaderSize = 32;   // REGF hive bin header
constexpr std::size_t kHbinAlign = 4096;      // hive bin sizes and offsets are 4096-multiples
constexpr std::size_t kHvleHeaderSize = 40;   // HvLE +0..+39, then the page references
constexpr std::size_t kPageRefSize = 8;       // {u32 offset, u32 size}
constexpr std::size_t kOldPageSize = 512;     // old format: one bit per 512-byte page
constexpr std::size_t kHash2Span = 32;        // Hash-2 covers HvLE +0..+31 (so it covers Hash-1)

// Base-block field offsets (registry.md 4.2).
constexpr std::size_t kOffPrimarySeq = 4;
constexpr std::size_t kOffSecondarySeq = 8;
constexpr std::size_t kOffFileType = 28;
constexpr std::size_t kOffBinsSize = 40;
constexpr std::size_t kOffName = 48;    // 64-byte UTF-16LE file name
constexpr std::size_t kOffGuids = 112;  // RmId, LogId (Win10 additions)
constexpr std::size_t kGuidsEnd = 144;  // Flags follow at +144
constexpr std::size_t kOffFlags = 144;
constexpr std::size_t kOffChecksum = 508;

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t off) noexcept {
  return static_cast<std::uint64_t>(le32(b, off)) |
         (static_cast<std::uint64_t>(le32(b, off + 4)) << 32);
}

void put32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) noexcept {
  for (std::size_t i = 0; i < 4; ++i) {
    b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

bool has_signature(std::span<const std::uint8_t> b, std::size_t off, const char (&sig)[5]) {
  return b.size() >= off + 4 && std::memcmp(b.data() + off, sig, 4) == 0;
}

std::string file_name(const std::string& path) {
  return boost::filesystem::path(path).filename().string();
}

// ---------------------------------------------------------------------------------------------
// New format (HvLE) scanning: validates every entry from +512 up to the first invalid one.

/// One HvLE entry that passed every check of REGF new-format notes 1-3 and 8.
struct HvleEntry {
  std::size_t offset = 0;  ///< in the log
  std::uint32_t size = 0;
  std::uint32_t flags = 0;
  std::uint32_t sequence = 0;
  std::uint32_t bins_size = 0;
  std::uint32_t page_count = 0;
};

struct NewLogScan {
  std::vector<HvleEntry> entries;
  std::optional<ReplayEntry> invalid;  ///< the entry that stopped the scan, when one did
};

// Page references (HvLE +40) must describe pages inside the entry's hive bins and their data must
// fit inside the entry; returns the reason when they do not.
std::optional<std::string> check_page_refs(std::span<const std::uint8_t> e,
                                           std::uint32_t count,
                                           std::uint32_t bins) {
  std::uint64_t data_total = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t off = le32(e, kHvleHeaderSize + kPageRefSize * i);
    const std::uint64_t size = le32(e, kHvleHeaderSize + kPageRefSize * i + 4);
    if (size == 0 || off + size > bins) {
      return fmt::format(
          "page reference {} (offset 0x{:x}, size 0x{:x}) lies outside the entry's hive bins "
          "(0x{:x})",
          i,
          off,
          size,
          bins);
    }
    data_total += size;
  }
  const std::uint64_t header = kHvleHeaderSize + kPageRefSize * std::uint64_t{count};
  if (header + data_total > e.size()) {
    return fmt::format("page data ({} bytes) runs past the entry's end", data_total);
  }
  return std::nullopt;
}

// REGF new-format notes 1-3, 8: signature, size (512-multiple, inside the file), bins size
// (4096-multiple), Hash-2 over +0..+31, Hash-1 over +40..size, page references in bounds.
std::optional<std::string> check_hvle(std::span<const std::uint8_t> log,
                                      std::size_t off,
                                      std::uint64_t max_image) {
  const std::uint32_t size = le32(log, off + 4);
  if (size < kSector || size % kSector != 0) {
    return fmt::format("entry size 0x{:x} is not a non-zero multiple of 512", size);
  }
  if (size > log.size() - off) {
    return fmt::format(
        "entry size 0x{:x} runs past the end of the log ({} bytes)", size, log.size());
  }
  const auto e = log.subspan(off, size);
  const std::uint32_t bins = le32(e, 16);
  if (bins == 0 || bins % kHbinAlign != 0) {
    return fmt::format("hive-bins size 0x{:x} is not a multiple of 4096", bins);
  }
  if (kBaseBlockSize + std::uint64_t{bins} > max_image) {
    return fmt::format(
        "hive-bins size 0x{:x} exceeds the image cap of {} bytes (the largest "
        "bins size the base blocks declare plus the logs' sizes)",
        bins,
        max_image);
  }
  if (marvin32(e.first(kHash2Span), kRegistryLogMarvinSeed) != le64(e, 32)) {
    return std::string("Hash-2 (Marvin32 of +0..+31) does not match");
  }
  if (marvin32(e.subspan(kHvleHeaderSize), kRegistryLogMarvinSeed) != le64(e, 24)) {
    return std::string("Hash-1 (Marvin32 of +40..end) does not match");
  }
  const std::uint32_t count = le32(e, 20);
  if (count > (size - kHvleHeaderSize) / kPageRefSize) {
    return fmt::format("dirty page count {} does not fit in the entry", count);
  }
  return check_page_refs(e, count, bins);
}

NewLogScan scan_new_log(std::span<const std::uint8_t> log,
                        const std::string& name,
                        std::uint64_t max_image) {
  NewLogScan scan;
  std::size_t off = kSector;  // entries start at the second sector
  while (off + kHvleHeaderSize <= log.size()) {
    if (!has_signature(log, off, "HvLE")) {
      // Zeros (or remnants) after the last entry are normal: the chain simply ends here.
      break;
    }
    if (auto why = check_hvle(log, off, max_image)) {
      scan.invalid = ReplayEntry{name,
                                 off,
                                 le32(log, off + 12),
                                 le32(log, off + 20),
                                 le32(log, off + 16),
                                 0,
                                 false,
                                 "invalid entry, recovery stops here: " + *why};
      break;
    }
    HvleEntry e;
    e.offset = off;
    e.size = le32(log, off + 4);
    e.flags = le32(log, off + 8);
    e.sequence = le32(log, off + 12);
    e.bins_size = le32(log, off + 16);
    e.page_count = le32(log, off + 20);
    scan.entries.push_back(e);
    off += e.size;
  }
  return scan;
}

// ---------------------------------------------------------------------------------------------
// Old format (DIRT) scanning: the dirty vector and where the pages are.

struct OldLogScan {
  std::uint32_t bins_size = 0;
  std::size_t pages_offset = 0;      ///< first dirty page in the log
  std::vector<std::uint32_t> dirty;  ///< bit indexes set, ascending (page i -> 4096 + 512 i)
};

std::size_t align_up(std::size_t v, std::size_t a) noexcept {
  return (v + a - 1) / a * a;
}

// REGF old format: the dirty vector starts at the second sector (sector = clustering factor *
// 512), "DIRT" then one bit per 512-byte page of hive bins, LSB first; the pages start at the
// next sector boundary after the bitmap. Not a fixed 1024: that only holds while the bitmap fits
// in 508 bytes, i.e. bins <= 2,080,768 bytes (registry.md 4.3 trap).
Result<OldLogScan> scan_old_log(std::span<const std::uint8_t> log,
                                const facts::BaseBlock& base,
                                std::uint64_t max_image) {
  OldLogScan scan;
  scan.bins_size = base.hive_bins_size;
  if (kBaseBlockSize + std::uint64_t{scan.bins_size} > max_image) {
    return fail(
        ErrorCode::kHiveStructure,
        "",
        fmt::format(
            "hive-bins size 0x{:x} exceeds the image cap of {} bytes", scan.bins_size, max_image));
  }
  const std::size_t sector = kSector * base.clustering_factor;
  if (!has_signature(log, sector, "DIRT")) {
    return fail(
        ErrorCode::kHiveStructure, "", fmt::format("no 'DIRT' dirty vector at offset {}", sector));
  }
  const std::size_t bits = scan.bins_size / kOldPageSize;
  const std::size_t bitmap_bytes = (bits + 7) / 8;
  const std::size_t bitmap_off = sector + 4;
  if (bitmap_off + bitmap_bytes > log.size()) {
    return fail(ErrorCode::kHiveTruncated,
                "",
                fmt::format("dirty vector ({} bytes) runs past the end of the log", bitmap_bytes));
  }
  for (std::size_t i = 0; i < bits; ++i) {
    // `bt` order: LSB first. The byte is widened to unsigned before the shift: with UBSan's shift
    // check GCC no longer sees that the promoted int is non-negative (-Wsign-conversion).
    const unsigned byte = log[bitmap_off + i / 8];
    if (((byte >> (i % 8)) & 1U) != 0) {
      scan.dirty.push_back(static_cast<std::uint32_t>(i));
    }
  }
  scan.pages_offset = align_up(bitmap_off + bitmap_bytes, sector);
  const std::uint64_t needed = scan.pages_offset + kOldPageSize * std::uint64_t{scan.dirty.size()};
  if (needed > log.size()) {
    return fail(ErrorCode::kHiveTruncated,
                "",
                fmt::format("the dirty vector marks {} pages but the log ends {} bytes short",
                            scan.dirty.size(),
                            needed - log.size()));
  }
  return scan;
}

// ---------------------------------------------------------------------------------------------
// Per-log state shared by both formats.

struct LogState {
  ReplayLog info;
  std::span<const std::uint8_t> bytes;
  facts::BaseBlock base;
  NewLogScan new_scan;
  OldLogScan old_scan;
  int name_rank = 0;       ///< LOG1 before LOG2 before LOG (old-format preference)
  std::string unreadable;  ///< LogInput::unreadable
};

/// Everything the replay works on; passed by reference through the steps.
struct Replay {
  const std::string& hive_path;
  const ReplayOptions& options;
  DiagnosticSink& sink;
  std::span<const std::uint8_t> primary;
  facts::BaseBlock primary_base;
  std::vector<std::uint8_t> image;
  std::vector<LogState> logs;
  ReplayReport report;
  std::vector<bool> written_blocks;  ///< 4 KiB blocks of hive bins written by the replay
};

int name_rank(const std::string& name) {
  if (text::iends_with(name, ".LOG1")) {
    return 0;
  }
  if (text::iends_with(name, ".LOG2")) {
    return 1;
  }
  return 2;
}

// A log is a copy of *this* hive's in-memory base block: its file name (+48) and, on Windows 10,
// RmId/LogId GUIDs (+112) must be those of the primary (checked only when the primary's base
// block is valid, since a bad one is restored from the log instead).
std::optional<std::string> foreign_log(std::span<const std::uint8_t> primary,
                                       std::span<const std::uint8_t> log) {
  if (!std::equal(
          primary.begin() + kOffName, primary.begin() + kOffGuids, log.begin() + kOffName)) {
    return std::string(
        "its base block names another hive file (+48 differs): a log of another "
        "hive");
  }
  const auto zero = [](std::span<const std::uint8_t> b) {
    return std::all_of(
        b.begin() + kOffGuids, b.begin() + kGuidsEnd, [](std::uint8_t c) { return c == 0; });
  };
  if (!zero(primary) && !zero(log) &&
      !std::equal(
          primary.begin() + kOffGuids, primary.begin() + kGuidsEnd, log.begin() + kOffGuids)) {
    return std::string("its RmId/LogId (+112) differ from the hive's: a log of another hive");
  }
  return std::nullopt;
}

void unusable(LogState& log, std::string reason) {
  log.info.usable = false;
  log.info.reason = std::move(reason);
}

// Reads the log's base block and structure; marks the log usable or says why not.
void examine_log(Replay& r, LogState& log) {
  if (!log.unreadable.empty()) {
    unusable(log, "unreadable: " + log.unreadable);
    return;
  }
  if (log.bytes.empty()) {
    unusable(log, "empty file");
    return;
  }
  auto base = parse_base_block(log.bytes.first(std::min(log.bytes.size(), kBaseBlockSize)),
                               log.bytes.size());
  if (!base) {
    unusable(log, "not a transaction log: " + base.error().detail);
    return;
  }
  log.base = *base;
  log.info.base_primary_sequence = base->primary_sequence;
  const std::uint32_t type = base->file_type;
  if (type != 1 && type != 2 && type != 6) {
    unusable(log, fmt::format("file type (+28) {} is not a transaction log (1, 2 or 6)", type));
    return;
  }
  log.info.format = type == 6 ? LogFormat::kNew : LogFormat::kOld;
  const auto problems =
      validate_base_block(*base, type == 6 ? BaseBlockRole::kNewLog : BaseBlockRole::kOldLog);
  for (const auto& p : problems) {
    if (p.fatal) {
      unusable(log, "invalid log base block: " + p.message);
      return;
    }
  }
  if (r.report.primary_base_block_valid) {
    if (auto why = foreign_log(r.primary, log.bytes)) {
      unusable(log, *why);
      return;
    }
  }
  log.info.usable = true;
  if (log.info.format == LogFormat::kNew) {
    log.new_scan = scan_new_log(log.bytes, log.info.name, r.options.max_image_bytes);
    log.info.valid_entries = static_cast<std::uint32_t>(log.new_scan.entries.size());
    if (!log.new_scan.entries.empty()) {
      log.info.first_sequence = log.new_scan.entries.front().sequence;
    }
    return;
  }
  auto scan = scan_old_log(log.bytes, log.base, r.options.max_image_bytes);
  if (!scan) {
    unusable(log, "invalid dirty vector: " + scan.error().detail);
    return;
  }
  log.old_scan = std::move(scan).value();
}

// ---------------------------------------------------------------------------------------------
// Writing into the image.

// Grows the image so that it holds 4096 + bins bytes (never shrinks: a primary may be padded).
bool grow_image(Replay& r, std::uint32_t bins) {
  const std::uint64_t want = kBaseBlockSize + std::uint64_t{bins};
  if (want > r.options.max_image_bytes) {
    return false;
  }
  if (r.image.size() < want) {
    r.image.resize(want, 0);
  }
  if (r.written_blocks.size() < bins / kHbinAlign) {
    r.written_blocks.resize(bins / kHbinAlign, false);
  }
  return true;
}

void write_bins(Replay& r, std::size_t rel_off, std::span<const std::uint8_t> data) {
  std::copy(data.begin(),
            data.end(),
            r.image.begin() + static_cast<std::ptrdiff_t>(kBaseBlockSize + rel_off));
  const std::size_t last =
      std::min(r.written_blocks.size(), (rel_off + data.size() + kHbinAlign - 1) / kHbinAlign);
  for (std::size_t blk = rel_off / kHbinAlign; blk < last; ++blk) {
    r.written_blocks[blk] = true;
  }
}

void restore_base_block(Replay& r, const LogState& log) {
  // The log holds the first clustering-factor * 512 bytes of the base block (REGF old-format
  // log base block; note 4: the file type is set back to 0). Bytes 512-4095 carry nothing.
  const std::size_t n =
      std::min({log.bytes.size(), kSector * log.base.clustering_factor, kBaseBlockSize});
  std::copy_n(log.bytes.begin(), n, r.image.begin());
  put32(r.image, kOffFileType, 0);
  r.report.base_block_restored = true;
  r.report.base_block_source = log.info.name;
  r.sink.add(DiagLevel::kWarning,
             "replay.base_block_restored",
             r.hive_path,
             "",
             "the primary base block is invalid; it was restored from " + log.info.name);
}

// Both sequence numbers, the bins size, the file type and the checksum (EZREG does the same;
// REGF new-format note 11 for the flag bit).
void finish_base_block(Replay& r,
                       std::uint32_t sequence,
                       std::uint32_t bins,
                       std::optional<std::uint32_t> flags) {
  put32(r.image, kOffPrimarySeq, sequence);
  put32(r.image, kOffSecondarySeq, sequence);
  put32(r.image, kOffFileType, 0);
  put32(r.image, kOffBinsSize, bins);
  if (flags) {
    const std::uint32_t old = le32(r.image, kOffFlags);
    put32(r.image, kOffFlags, (old & ~1U) | (*flags & 1U));
  }
  put32(r.image, kOffChecksum, base_block_checksum(std::span(r.image).first(kSector)));
}

// ---------------------------------------------------------------------------------------------
// New format replay.

void apply_hvle(Replay& r, const LogState& log, const HvleEntry& e) {
  const auto entry = log.bytes.subspan(e.offset, e.size);
  std::size_t data = kHvleHeaderSize + kPageRefSize * e.page_count;
  for (std::size_t i = 0; i < e.page_count; ++i) {
    const std::uint32_t off = le32(entry, kHvleHeaderSize + kPageRefSize * i);
    const std::uint32_t size = le32(entry, kHvleHeaderSize + kPageRefSize * i + 4);
    write_bins(r, off, entry.subspan(data, size));  // REGF note: page goes to 4096 + offset
    data += size;
  }
}

ReplayEntry entry_record(const LogState& log, const HvleEntry& e) {
  return ReplayEntry{log.info.name, e.offset, e.sequence, e.page_count, e.bins_size, 0, false, ""};
}

void skip_entries(Replay& r, const LogState& log, std::size_t from, const std::string& why) {
  for (std::size_t i = from; i < log.new_scan.entries.size(); ++i) {
    ReplayEntry rec = entry_record(log, log.new_scan.entries[i]);
    rec.reason = why;
    r.report.entries.push_back(std::move(rec));
  }
  if (log.new_scan.invalid) {
    r.report.entries.push_back(*log.new_scan.invalid);
    r.sink.add(DiagLevel::kWarning,
               "replay.entry_invalid",
               log.info.path,
               fmt::format("entry at 0x{:x}", log.new_scan.invalid->offset),
               log.new_scan.invalid->reason);
  }
}

/// Applies `log`'s entries while they continue `expected`; returns the next expected sequence.
std::uint32_t apply_chain(
    Replay& r, LogState& log, std::uint32_t expected, std::uint32_t& bins, std::uint32_t& flags) {
  const auto& entries = log.new_scan.entries;
  std::size_t i = 0;
  for (; i < entries.size() && entries[i].sequence == expected; ++i) {
    const HvleEntry& e = entries[i];
    if (!grow_image(r, e.bins_size)) {
      break;  // unreachable after check_hvle's cap test, kept as a guard
    }
    apply_hvle(r, log, e);
    r.report.entries.push_back(entry_record(log, e));
    r.report.entries.back().applied = true;
    log.info.used = true;
    log.info.last_sequence = e.sequence;
    bins = e.bins_size;
    flags = e.flags;
    ++expected;
  }
  if (i < entries.size()) {
    skip_entries(r,
                 log,
                 i,
                 fmt::format("sequence {} does not continue the chain (expected {}): a stale "
                             "(already applied) entry; recovery stops here (REGF note 7)",
                             entries[i].sequence,
                             expected));
  } else {
    skip_entries(r, log, entries.size(), "");
  }
  return expected;
}

// REGF new-format notes 5 and 7: the first entry equals the log's base-block primary sequence
// and, with a valid primary base block, is not below the hive's secondary sequence.
void check_new_log_start(const Replay& r, LogState& log) {
  if (!log.info.usable || log.info.format != LogFormat::kNew) {
    return;
  }
  if (log.new_scan.entries.empty()) {
    unusable(log,
             log.new_scan.invalid ? "its first entry is invalid: " + log.new_scan.invalid->reason
                                  : std::string("it holds no log entry"));
    return;
  }
  const std::uint32_t first = log.new_scan.entries.front().sequence;
  if (first != log.base.primary_sequence) {
    unusable(log,
             fmt::format("its first entry has sequence {} but its base block says {} (REGF "
                         "note 7: recovery stops)",
                         first,
                         log.base.primary_sequence));
    return;
  }
  if (r.report.primary_base_block_valid && first < r.primary_base.secondary_sequence) {
    unusable(log,
             fmt::format("its entries start at sequence {}, below the hive's secondary sequence "
                         "{}: already reconciled into the primary",
                         first,
                         r.primary_base.secondary_sequence));
  }
}

LogState* find_log(Replay& r, const std::function<bool(const LogState&)>& pred) {
  LogState* best = nullptr;
  for (auto& log : r.logs) {
    if (log.info.usable && log.info.format == LogFormat::kNew && !log.info.used && pred(log) &&
        (best == nullptr || log.info.first_sequence < best->info.first_sequence)) {
      best = &log;
    }
  }
  return best;
}

// Entries of new-format logs that took no part in the chain are listed with the log's reason.
void record_unused_new_logs(Replay& r) {
  for (auto& log : r.logs) {
    if (log.info.format == LogFormat::kNew && !log.info.used) {
      skip_entries(r, log, 0, "not applied: " + log.info.reason);
    }
  }
}

// The start of the chain is above the hive's secondary sequence (registry.md 4.4 edge case; the
// real win10-dirty-withlogs SYSTEM: hive 1622/1621, LOG1 2107-2110, LOG2 2111-2130).
//
// Decision: apply, as Windows does, and flag it. Refusing was considered ("applying later pages
// onto an older base may mix states"), but the REGF text says otherwise:
//  - new-format note 7 (current revision) expects the first entry to equal the log's base-block
//    primary sequence and to be "not less than" the hive's secondary one, not equal to it;
//  - the companion note "Missing log entries for a dirty primary file" shows where the gap comes
//    from: when the kernel rotates the logs twice before a full reconcile, a *partial* reconcile
//    writes the unreconciled data into the primary without touching its base block, so the
//    primary already holds the state of the missing entries, and the note's experiment (Windows
//    10 RS4) shows that applying all remaining entries of both logs, earliest log first, gives a
//    consistent hive, while stopping after part of them does not.
// The chain must still be unbroken from its first entry (N + 1 throughout, across both logs); the
// report carries `sequence_gap` so the analysis can lower confidence, and
// SequenceGapPolicy::kRefuse keeps the on-disk state for those who prefer it. Verified on the
// corpus hive: the replayed image walks completely through libregf with no corrupted key.
bool accept_sequence_gap(Replay& r, const LogState& start) {
  const std::uint32_t secondary = r.primary_base.secondary_sequence;
  if (!r.report.primary_base_block_valid || start.info.first_sequence <= secondary) {
    return true;
  }
  r.report.sequence_gap = true;
  r.report.sequence_gap_note = fmt::format(
      "the logs start at sequence {} but the hive's secondary sequence is {}: entries {}-{} are "
      "in no log. REGF (note 7 and the companion note \"Missing log entries for a dirty primary "
      "file\") explains this as a partial reconcile that wrote those entries into the primary "
      "without updating its base block; Windows applies the remaining entries",
      start.info.first_sequence,
      secondary,
      secondary,
      start.info.first_sequence - 1);
  if (r.options.sequence_gap == SequenceGapPolicy::kRefuse) {
    r.report.sequence_gap_note +=
        "; refused by policy: logs do not continue the hive's sequence numbers, on-disk state kept";
  }
  r.sink.add(
      DiagLevel::kWarning, "replay.sequence_gap", r.hive_path, "", r.report.sequence_gap_note);
  return r.options.sequence_gap == SequenceGapPolicy::kApplyAsWindows;
}

// Where the chain starts: with a valid primary base block, the log holding the earliest entries;
// with an invalid one, the log holding the latest entries (REGF "Multiple transaction log
// files", new format).
LogState* chain_start(Replay& r) {
  if (r.report.primary_base_block_valid) {
    return find_log(r, [](const LogState&) { return true; });
  }
  LogState* start = nullptr;
  for (auto& log : r.logs) {
    const bool candidate = log.info.usable && log.info.format == LogFormat::kNew;
    if (candidate && (start == nullptr || log.new_scan.entries.back().sequence >
                                              start->new_scan.entries.back().sequence)) {
      start = &log;
    }
  }
  return start;
}

// Says why a usable new-format log took no part in the applied chain.
void explain_unused_new_logs(Replay& r, std::uint32_t expected) {
  for (auto& log : r.logs) {
    if (!log.info.usable || log.info.format != LogFormat::kNew || log.info.used) {
      continue;
    }
    log.info.reason = r.report.primary_base_block_valid
                          ? fmt::format(
                                "its first entry (sequence {}) does not continue the "
                                "chain (expected {})",
                                log.info.first_sequence,
                                expected)
                          : std::string(
                                "the primary base block is invalid: only the log with "
                                "the latest entries is used (REGF \"Multiple transaction "
                                "log files\")");
  }
}

// Replays a chain over the usable new-format logs: the one with the earliest entries first, then
// the one continuing at N + 1 (REGF "Multiple transaction log files", new format). With an
// invalid primary base block only the log with the latest entries is used, and the base block
// comes from it.
void replay_new(Replay& r) {
  for (auto& log : r.logs) {
    check_new_log_start(r, log);
  }
  LogState* start = chain_start(r);
  if (start != nullptr && !accept_sequence_gap(r, *start)) {
    for (auto& log : r.logs) {
      if (log.info.usable && log.info.format == LogFormat::kNew) {
        unusable(log, "logs do not continue the hive's sequence numbers (refused by policy)");
      }
    }
    start = nullptr;
  }
  if (start == nullptr) {
    record_unused_new_logs(r);
    return;
  }
  r.report.format = LogFormat::kNew;
  if (!r.report.primary_base_block_valid) {
    restore_base_block(r, *start);
  }
  std::uint32_t bins = r.report.hive_bins_size_before;
  std::uint32_t flags = 0;
  std::uint32_t expected = start->info.first_sequence;
  for (LogState* log = start; log != nullptr;) {
    expected = apply_chain(r, *log, expected, bins, flags);
    if (!r.report.primary_base_block_valid) {
      break;  // only the newest log when the primary base block was bad
    }
    const std::uint32_t want = expected;
    log = find_log(r, [want](const LogState& l) { return l.info.first_sequence == want; });
  }
  r.report.performed = true;
  r.report.recovered = true;
  finish_base_block(r, expected - 1, bins, flags);
  explain_unused_new_logs(r, expected);
  record_unused_new_logs(r);
}

// ---------------------------------------------------------------------------------------------
// Old format replay.

struct HbinCheck {
  bool valid = false;
  std::size_t span = kHbinAlign;  ///< bin size when valid, else one 4 KiB step
  std::string problem;
};

HbinCheck check_hbin(std::span<const std::uint8_t> hdr, std::size_t pos, std::size_t bins) {
  HbinCheck c;
  if (!has_signature(hdr, 0, "hbin")) {
    c.problem = "no 'hbin' signature";
    return c;
  }
  const std::size_t off = le32(hdr, 4);
  const std::size_t size = le32(hdr, 8);
  if (off != pos) {
    c.problem = fmt::format("its offset field is 0x{:x}", off);
  } else if (size < kHbinAlign || size % kHbinAlign != 0 || size > bins - pos) {
    c.problem = fmt::format("its size 0x{:x} is invalid", size);
  } else {
    c.valid = true;
    c.span = size;
  }
  return c;
}

/// Finds where old-format recovery must stop: the first dirty hive bin that is invalid once its
/// dirty pages are applied (REGF old-format "Dirty pages"). Returns bins size when none is.
std::size_t old_stop_offset(const Replay& r, const LogState& log, std::string& why) {
  const auto& dirty = log.old_scan.dirty;
  const std::size_t bins = log.old_scan.bins_size;
  std::size_t idx = 0;
  for (std::size_t pos = 0; pos < bins;) {
    while (idx < dirty.size() && std::size_t{dirty[idx]} * kOldPageSize < pos) {
      ++idx;
    }
    // A bin header (32 bytes at a 4096-multiple) lies inside one 512-byte page.
    const bool header_dirty = idx < dirty.size() && std::size_t{dirty[idx]} * kOldPageSize == pos;
    const auto hdr =
        header_dirty
            ? log.bytes.subspan(log.old_scan.pages_offset + kOldPageSize * idx, kHbinHeaderSize)
            : std::span(r.image).subspan(kBaseBlockSize + pos, kHbinHeaderSize);
    const HbinCheck c = check_hbin(hdr, pos, bins);
    const bool bin_dirty =
        idx < dirty.size() && std::size_t{dirty[idx]} * kOldPageSize < pos + c.span;
    if (bin_dirty && !c.valid) {
      why = fmt::format(
          "dirty hive bin at 0x{:x} is invalid ({}): recovery stops there", pos, c.problem);
      return pos;
    }
    pos += c.span;
  }
  return bins;
}

// Runs of contiguous dirty pages become report entries, split where recovery stopped.
void record_old_runs(Replay& r, const LogState& log, std::size_t stop, const std::string& why) {
  const auto& dirty = log.old_scan.dirty;
  for (std::size_t i = 0; i < dirty.size();) {
    std::size_t j = i + 1;
    const bool applied = std::size_t{dirty[i]} * kOldPageSize < stop;
    while (j < dirty.size() && dirty[j] == dirty[j - 1] + 1 &&
           (std::size_t{dirty[j]} * kOldPageSize < stop) == applied) {
      ++j;
    }
    ReplayEntry e{log.info.name,
                  log.old_scan.pages_offset + kOldPageSize * i,
                  log.base.primary_sequence,
                  static_cast<std::uint32_t>(j - i),
                  log.old_scan.bins_size,
                  std::uint64_t{dirty[i]} * kOldPageSize,
                  applied,
                  applied ? std::string() : why};
    r.report.entries.push_back(std::move(e));
    i = j;
  }
}

// REGF old-format log base block note 3: the log applies when its last-written timestamp equals
// the primary's. With a bad primary base block the first hbin's timestamp stands in; it is a
// backup that Windows refreshes rarely (OldDirtyHive: hbin 0x01d294f6ccf6f3f0 < base block
// 0x01d29627f1c8a860), so there the log must be at least as new, as yarp accepts it.
std::optional<std::string> old_log_not_applicable(const Replay& r, const LogState& log) {
  if (r.report.primary_base_block_valid) {
    if (log.base.last_written != r.primary_base.last_written) {
      return fmt::format(
          "its last-written timestamp 0x{:016x} differs from the hive's "
          "0x{:016x} (REGF: not applicable to this hive)",
          log.base.last_written,
          r.primary_base.last_written);
    }
    return std::nullopt;
  }
  if (r.primary.size() >= kBaseBlockSize + kHbinHeaderSize &&
      has_signature(r.primary, kBaseBlockSize, "hbin")) {
    const std::uint64_t hbin_time = le64(r.primary, kBaseBlockSize + 20);
    if (log.base.last_written < hbin_time) {
      return fmt::format(
          "its last-written timestamp 0x{:016x} is older than the first hive "
          "bin's 0x{:016x}",
          log.base.last_written,
          hbin_time);
    }
  }
  return std::nullopt;
}

void replay_old(Replay& r) {
  std::vector<LogState*> order;
  for (auto& log : r.logs) {
    if (!log.info.usable || log.info.format != LogFormat::kOld) {
      continue;
    }
    if (auto why = old_log_not_applicable(r, log)) {
      unusable(log, *why);
      continue;
    }
    order.push_back(&log);
  }
  if (order.empty()) {
    return;
  }
  // LOG1 first, then LOG2, then a single .LOG (REGF "Multiple transaction log files", old).
  LogState& log = **std::min_element(
      order.begin(), order.end(), [](auto* a, auto* b) { return a->name_rank < b->name_rank; });
  for (auto* other : order) {
    if (other != &log) {
      other->info.reason = "not needed: " + log.info.name + " was applied (LOG1 is preferred)";
    }
  }
  r.report.format = LogFormat::kOld;
  if (!r.report.primary_base_block_valid) {
    restore_base_block(r, log);
  }
  if (!grow_image(r, log.old_scan.bins_size)) {
    unusable(log, "its hive-bins size exceeds the image cap");
    return;
  }
  std::string why;
  const std::size_t stop = old_stop_offset(r, log, why);
  for (std::size_t k = 0; k < log.old_scan.dirty.size(); ++k) {
    const std::size_t rel = std::size_t{log.old_scan.dirty[k]} * kOldPageSize;
    if (rel >= stop) {
      break;
    }
    // REGF old-format note 2: page for bit i goes to file offset 4096 + 512 * i.
    write_bins(
        r, rel, log.bytes.subspan(log.old_scan.pages_offset + kOldPageSize * k, kOldPageSize));
  }
  record_old_runs(r, log, stop, why);
  if (!why.empty()) {
    r.sink.add(DiagLevel::kWarning, "replay.old_log_stopped", log.info.path, "", why);
  }
  const bool applied_any =
      !log.old_scan.dirty.empty() && std::size_t{log.old_scan.dirty.front()} * kOldPageSize < stop;
  log.info.used = applied_any || log.old_scan.dirty.empty();
  if (!log.info.used) {
    log.info.reason = why;
    return;
  }
  r.report.performed = true;
  r.report.recovered = stop == log.old_scan.bins_size;
  finish_base_block(r, log.base.primary_sequence, log.old_scan.bins_size, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// After a new-format replay: REGF note 10, an invalid hive bin touched by the replay is replaced
// by a dummy bin (a header and one free cell) so that readers do not stop there.

bool header_valid_at(std::span<const std::uint8_t> bins_data, std::size_t pos) {
  return check_hbin(bins_data.subspan(pos, kHbinHeaderSize), pos, bins_data.size()).valid;
}

void write_dummy_bin(Replay& r, std::size_t pos, std::size_t size) {
  std::vector<std::uint8_t> bin(size, 0);
  std::memcpy(bin.data(), "hbin", 4);
  put32(bin, 4, static_cast<std::uint32_t>(pos));
  put32(bin, 8, static_cast<std::uint32_t>(size));
  put32(bin, kHbinHeaderSize, static_cast<std::uint32_t>(size - kHbinHeaderSize));  // free cell
  std::copy(
      bin.begin(), bin.end(), r.image.begin() + static_cast<std::ptrdiff_t>(kBaseBlockSize + pos));
}

void heal_bins(Replay& r) {
  const std::size_t bins = r.report.hive_bins_size_after;
  if (r.image.size() < kBaseBlockSize + bins) {
    return;
  }
  const auto data = std::span<const std::uint8_t>(r.image).subspan(kBaseBlockSize, bins);
  for (std::size_t pos = 0; pos < bins;) {
    const HbinCheck c = check_hbin(data.subspan(pos, kHbinHeaderSize), pos, bins);
    if (c.valid) {
      pos += c.span;
      continue;
    }
    std::size_t next = pos + kHbinAlign;
    while (next < bins && !header_valid_at(data, next)) {
      next += kHbinAlign;
    }
    bool touched = false;
    for (std::size_t blk = pos / kHbinAlign; blk < next / kHbinAlign; ++blk) {
      touched = touched || (blk < r.written_blocks.size() && r.written_blocks[blk]);
    }
    if (touched) {
      write_dummy_bin(r, pos, next - pos);
      ++r.report.bins_healed;
      r.sink.add(DiagLevel::kWarning,
                 "replay.bin_healed",
                 r.hive_path,
                 fmt::format("hive bins 0x{:x}-0x{:x}", pos, next),
                 "invalid hive bin after replay (" + c.problem +
                     ") replaced by an empty dummy bin (REGF new-format note 10)");
    }
    pos = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

std::string dirty_reason(const facts::BaseBlock& b) {
  std::string why;
  if (!b.sequences_match()) {
    why = fmt::format(
        "primary sequence {} != secondary {}", b.primary_sequence, b.secondary_sequence);
  }
  if (!b.checksum_ok()) {
    why += std::string(why.empty() ? "" : ", ") +
           fmt::format("base block checksum mismatch (stored 0x{:08x}, computed 0x{:08x})",
                       b.stored_checksum,
                       b.computed_checksum);
  }
  return why;
}

// One sentence for reports and the CLI.
std::string summary_sentence(const Replay& r) {
  const ReplayReport& rep = r.report;
  if (!rep.dirty) {
    return "hive is clean: no replay needed";
  }
  if (!rep.performed) {
    return r.logs.empty() ? "hive is dirty and no transaction log was found: audited as stored"
                          : "hive is dirty and no log could be applied: audited as stored";
  }
  return fmt::format(
      "replayed {} {} log entr{} ({} skipped); sequence {}/{} -> {}/{}{}{}{}",
      rep.entries_applied,
      facts::to_string(rep.format),
      rep.entries_applied == 1 ? "y" : "ies",
      rep.entries_skipped,
      rep.primary_sequence_before,
      rep.secondary_sequence_before,
      rep.primary_sequence_after,
      rep.secondary_sequence_after,
      rep.recovered ? "" : "; recovery stopped early (see the skipped entries)",
      rep.base_block_restored ? "; base block restored from " + rep.base_block_source : "",
      rep.sequence_gap ? "; sequence gap before the first entry (partial reconcile)" : "");
}

void summarize(Replay& r) {
  ReplayReport& rep = r.report;
  for (const auto& e : rep.entries) {
    (e.applied ? rep.entries_applied : rep.entries_skipped) += 1;
  }
  for (auto& log : r.logs) {
    if (!log.info.used && log.info.reason.empty()) {
      log.info.reason = rep.performed ? "not needed by the replayed chain" : "not applied";
    }
    if (!log.info.used && rep.dirty && (!log.bytes.empty() || !log.unreadable.empty())) {
      r.sink.add(DiagLevel::kWarning, "replay.log_skipped", log.info.path, "", log.info.reason);
    }
    rep.logs.push_back(log.info);
  }
  rep.primary_sequence_after = le32(r.image, kOffPrimarySeq);
  rep.secondary_sequence_after = le32(r.image, kOffSecondarySeq);
  rep.hive_bins_size_after = le32(r.image, kOffBinsSize);
  rep.summary = summary_sentence(r);
  if (!rep.dirty) {
    r.sink.add(DiagLevel::kDebug, "replay.clean", r.hive_path, "", rep.summary);
  } else if (rep.performed) {
    r.sink.add(DiagLevel::kInfo, "replay.applied", r.hive_path, "", rep.summary);
  } else {
    r.sink.add(DiagLevel::kWarning, "replay.not_recovered", r.hive_path, "", rep.summary);
  }
}

/// How far the replayed image may grow (issue 7 item 4). A hive grows by whole bins, and a new bin
/// reaches the disk only through the logs: its pages stay dirty until the primary is written
/// again. So the bins can exceed the largest size the primary (file or base block +40) or a log
/// base block (+40) declares by at most the logs' own bytes. Never above
/// ReplayOptions::max_image_bytes; an entry asking for more is refused ("replay.entry_invalid").
std::uint64_t growth_cap(std::span<const std::uint8_t> primary,
                         const facts::BaseBlock& primary_base,
                         std::span<const LogInput> logs,
                         std::uint64_t max_image) {
  std::uint64_t bins = std::max<std::uint64_t>(
      primary_base.hive_bins_size,
      primary.size() > kBaseBlockSize ? primary.size() - kBaseBlockSize : 0);
  std::uint64_t log_bytes = 0;
  for (const LogInput& in : logs) {
    log_bytes += in.bytes.size();
    if (in.bytes.size() >= kSector && has_signature(in.bytes, 0, "regf")) {
      bins = std::max<std::uint64_t>(bins, le32(in.bytes, kOffBinsSize));
    }
  }
  const std::uint64_t want = kBaseBlockSize + bins + log_bytes;
  const std::uint64_t aligned = (want + kHbinAlign - 1) / kHbinAlign * kHbinAlign;
  return std::min(aligned, max_image);
}

}  // namespace

Result<ReplayOutcome> replay_hive(std::span<const std::uint8_t> primary,
                                  const std::string& hive_path,
                                  std::span<const LogInput> logs,
                                  DiagnosticSink& sink,
                                  const ReplayOptions& options) {
  auto parsed =
      parse_base_block(primary.first(std::min(primary.size(), kBaseBlockSize)), primary.size());
  if (!parsed) {
    Error e = std::move(parsed).error();
    e.context = hive_path;
    return fail(std::move(e));
  }
  ReplayOptions bounded = options;
  bounded.max_image_bytes = growth_cap(primary, *parsed, logs, options.max_image_bytes);
  Replay r{hive_path, bounded, sink, primary, *parsed, {}, {}, {}, {}};
  r.image.assign(primary.begin(), primary.end());
  if (r.image.size() < kBaseBlockSize) {
    r.image.resize(kBaseBlockSize, 0);
  }
  ReplayReport& rep = r.report;
  const auto problems = validate_base_block(r.primary_base, BaseBlockRole::kPrimary);
  for (const auto& p : problems) {
    rep.base_block_problems.push_back(p.message);
  }
  rep.primary_base_block_valid = base_block_usable(problems);
  rep.dirty = r.primary_base.dirty();
  rep.dirty_reason = dirty_reason(r.primary_base);
  rep.primary_sequence_before = r.primary_base.primary_sequence;
  rep.secondary_sequence_before = r.primary_base.secondary_sequence;
  rep.hive_bins_size_before = r.primary_base.hive_bins_size;

  for (const auto& in : logs) {
    LogState s;
    s.info.path = in.path;
    s.info.name = file_name(in.path);
    s.info.size = in.bytes.size();
    s.bytes = in.bytes;
    s.unreadable = in.unreadable;
    s.name_rank = name_rank(s.info.name);
    r.logs.push_back(std::move(s));
  }
  if (!rep.dirty) {
    for (auto& log : r.logs) {
      log.info.reason =
          "hive is not dirty: log entries are ignored (REGF \"Dirty state of a hive\")";
    }
  } else {
    for (auto& log : r.logs) {
      examine_log(r, log);
    }
    replay_new(r);
    if (!rep.performed) {
      replay_old(r);
    }
    if (rep.performed && rep.format == LogFormat::kNew) {
      rep.hive_bins_size_after = le32(r.image, kOffBinsSize);
      heal_bins(r);
    }
  }
  summarize(r);
  return ReplayOutcome{std::move(r.image), std::move(r.report)};
}

namespace {

// Whole-file read through the evidence layer's read-only descriptor, capped at `cap` bytes.
Result<std::vector<std::uint8_t>> read_capped(const std::string& path, std::uint64_t cap) {
  auto file = evidence::ReadOnlyFile::open(path);
  if (!file) {
    return fail(std::move(file).error());
  }
  if (file->size() > cap) {
    return fail(ErrorCode::kIo,
                path,
                fmt::format("{} bytes, above the {}-byte read cap", file->size(), cap));
  }
  std::vector<std::uint8_t> bytes(file->size());
  auto got = file->read_up_to(bytes);
  if (!got) {
    return fail(std::move(got).error());
  }
  bytes.resize(*got);
  return bytes;
}

}  // namespace

Result<ReplayOutcome> replay_hive_files(const std::string& hive_path,
                                        const std::vector<facts::HiveLogFile>& logs,
                                        DiagnosticSink& sink,
                                        const ReplayOptions& options) {
  // The primary is the evidence itself: its size is what it is (the cap applies to growth).
  auto primary = read_capped(hive_path, std::max(options.max_image_bytes, options.max_log_bytes));
  if (!primary) {
    return fail(std::move(primary).error());
  }
  // `buffers` owns the log bytes for the whole replay; reserved up front so the spans in
  // `inputs` never see a reallocation.
  std::vector<std::vector<std::uint8_t>> buffers;
  std::vector<LogInput> inputs;
  buffers.reserve(logs.size());
  inputs.reserve(logs.size());
  for (const auto& log : logs) {
    auto bytes = read_capped(log.path, options.max_log_bytes);
    std::string unreadable;
    if (!bytes) {
      unreadable = bytes.error().detail;  // reported through the replay's "replay.log_skipped"
      buffers.emplace_back();
    } else {
      buffers.push_back(std::move(bytes).value());
    }
    inputs.push_back(LogInput{log.path, buffers.back(), std::move(unreadable)});
  }
  return replay_hive(*primary, hive_path, inputs, sink, options);
}

}  // namespace smssaudit::readers
