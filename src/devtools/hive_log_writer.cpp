// Transaction-log writer: empty new-format logs, HvLE entry chains over one or two files, and old
// DIRT logs, each carrying the pages that turn the primary image into a target image.
#include "hive_log_writer.hpp"

#include "hive_writer.hpp"
#include "readers/marvin32.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smssaudit::devtools {

namespace {

// Base block fields (registry.md §4.2).
constexpr std::size_t kOffPrimarySeq = 4;
constexpr std::size_t kOffSecondarySeq = 8;
constexpr std::size_t kOffFileType = 28;
constexpr std::size_t kOffBinsSize = 40;
constexpr std::size_t kOffChecksum = 508;
// HvLE entry header fields (registry.md §4.4).
constexpr std::size_t kEntrySize = 4;
constexpr std::size_t kEntryFlags = 8;
constexpr std::size_t kEntrySequence = 12;
constexpr std::size_t kEntryBinsSize = 16;
constexpr std::size_t kEntryPageCount = 20;
constexpr std::size_t kEntryHash1 = 24;
constexpr std::size_t kEntryHash2 = 32;
constexpr std::size_t kHash2Covers = 32;  // Hash-2 is over bytes [0, 32), i.e. it covers Hash-1
constexpr std::size_t kPageRefSize = 8;
// A wrong Hash-1 for `corrupt: {what: hash}`: any non-zero XOR mask makes the stored value wrong.
constexpr std::uint64_t kHashFlip = 0x5A5A5A5A5A5A5A5AULL;

std::size_t align_up(std::size_t v, std::size_t a) {
  return (v + a - 1) / a * a;
}

std::uint32_t u32(std::size_t v) {
  if (v > 0xFFFFFFFFULL)
    throw HiveWriteError("transaction log larger than 4 GiB");
  return static_cast<std::uint32_t>(v);
}

void put_le32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
  for (unsigned k = 0; k < 4; ++k)
    b[off + k] = static_cast<std::uint8_t>(v >> (8U * k));
}

void put_le64(std::vector<std::uint8_t>& b, std::size_t off, std::uint64_t v) {
  put_le32(b, off, static_cast<std::uint32_t>(v));
  put_le32(b, off + 4, static_cast<std::uint32_t>(v >> 32U));
}

std::uint32_t get_le32(std::span<const std::uint8_t> b, std::size_t off) {
  return b[off] | (static_cast<std::uint32_t>(b[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24U);
}

std::uint64_t get_le64(std::span<const std::uint8_t> b, std::size_t off) {
  return get_le32(b, off) | (static_cast<std::uint64_t>(get_le32(b, off + 4)) << 32U);
}

// The hive-bins data of a complete image (everything after the 4096-byte base block).
std::span<const std::uint8_t> bins_of(const std::vector<std::uint8_t>& image) {
  return std::span(image).subspan(kBaseBlockSize);
}

// Sector 0 of a log: the primary's first 512 bytes with the log's file type and sequence number
// in both fields (a valid log has primary == secondary, registry.md §4.3), checksum recomputed.
std::vector<std::uint8_t> log_base_sector(std::span<const std::uint8_t> primary,
                                          std::uint32_t file_type,
                                          std::uint32_t sequence) {
  if (primary.size() < kBaseBlockSize)
    throw HiveWriteError("primary image shorter than its base block");
  std::vector<std::uint8_t> out(primary.begin(),
                                primary.begin() + static_cast<std::ptrdiff_t>(kLogSectorSize));
  put_le32(out, kOffPrimarySeq, sequence);
  put_le32(out, kOffSecondarySeq, sequence);
  put_le32(out, kOffFileType, file_type);
  return out;
}

void seal_base_sector(std::vector<std::uint8_t>& sector) {
  put_le32(sector, kOffChecksum, regf_checksum(sector));
}

// Indices of the `unit`-sized pages of `to` whose bytes differ from `from`; pages beyond the end
// of `from` (the hive grew) always differ.
std::vector<std::size_t> dirty_pages(std::span<const std::uint8_t> from,
                                     std::span<const std::uint8_t> to,
                                     std::size_t unit) {
  std::vector<std::size_t> pages;
  for (std::size_t off = 0; off < to.size(); off += unit) {
    const auto page = to.subspan(off, unit);
    if (off + unit > from.size() ||
        !std::equal(page.begin(), page.end(), from.subspan(off, unit).begin()))
      pages.push_back(off / unit);
  }
  return pages;
}

// A page reference of an HvLE entry: hive-bins offset and size of one run of dirty pages.
struct PageRun {
  std::uint32_t offset;
  std::uint32_t size;
};

// Consecutive dirty pages merge into one reference, as Windows writes them (NewDirtyHive1's
// entries reference runs such as {0, 20480}).
std::vector<PageRun> runs_of(std::span<const std::size_t> pages) {
  std::vector<PageRun> runs;
  for (const std::size_t page : pages) {
    const std::uint32_t offset = u32(page * kNewLogPageSize);
    if (!runs.empty() && runs.back().offset + runs.back().size == offset) {
      runs.back().size += static_cast<std::uint32_t>(kNewLogPageSize);
    } else {
      runs.push_back(PageRun{offset, static_cast<std::uint32_t>(kNewLogPageSize)});
    }
  }
  return runs;
}

// One HvLE entry before encoding: which target image its pages come from and which pages.
struct EntryPlan {
  std::size_t image = 0;  // index into the target images
  std::vector<PageRun> runs;
};

std::uint64_t marvin(std::span<const std::uint8_t> bytes) {
  return readers::marvin32(bytes, readers::kRegistryLogMarvinSeed);
}

void seal_hash2(std::vector<std::uint8_t>& entry) {
  put_le64(entry, kEntryHash2, marvin(std::span(entry).first(kHash2Covers)));
}

// HvLE entry (registry.md §4.4): header, page references, page data in reference order, zero
// padding to a multiple of 512; Hash-1 over [40, size), then Hash-2 over [0, 32).
std::vector<std::uint8_t> encode_entry(const EntryPlan& plan,
                                       std::span<const std::uint8_t> target_bins,
                                       std::uint32_t sequence) {
  std::size_t data_size = 0;
  for (const auto& run : plan.runs)
    data_size += run.size;
  const std::size_t refs_end = kLogEntryHeaderSize + kPageRefSize * plan.runs.size();
  std::vector<std::uint8_t> e(align_up(refs_end + data_size, kLogSectorSize), 0);
  e[0] = 'H';
  e[1] = 'v';
  e[2] = 'L';
  e[3] = 'E';
  put_le32(e, kEntrySize, u32(e.size()));
  put_le32(e, kEntryFlags, 0);  // bit 0 mirrors base block flag bit 0, which the writer keeps 0
  put_le32(e, kEntrySequence, sequence);
  put_le32(e, kEntryBinsSize, u32(target_bins.size()));
  put_le32(e, kEntryPageCount, u32(plan.runs.size()));
  std::size_t data_at = refs_end;
  for (std::size_t k = 0; k < plan.runs.size(); ++k) {
    const PageRun& run = plan.runs[k];
    put_le32(e, kLogEntryHeaderSize + kPageRefSize * k, run.offset);
    put_le32(e, kLogEntryHeaderSize + kPageRefSize * k + 4, run.size);
    const auto data = target_bins.subspan(run.offset, run.size);
    std::copy(data.begin(), data.end(), e.begin() + static_cast<std::ptrdiff_t>(data_at));
    data_at += run.size;
  }
  put_le64(e, kEntryHash1, marvin(std::span(e).subspan(kLogEntryHeaderSize)));
  seal_hash2(e);
  return e;
}

// Entry plans. One stage: the dirty pages primary -> target, spread evenly over `entries`
// entries in page order. One stage per entry: the pages each stage changes over the previous.
std::vector<EntryPlan> plan_entries(const std::vector<std::uint8_t>& primary,
                                    const std::vector<std::vector<std::uint8_t>>& targets,
                                    std::uint32_t entries) {
  std::vector<EntryPlan> plans;
  if (targets.size() == 1) {
    const auto pages = dirty_pages(bins_of(primary), bins_of(targets[0]), kNewLogPageSize);
    if (pages.size() < entries) {
      throw HiveWriteError(fmt::format(
          "the logged changes touch {} page(s), too few for {} entries", pages.size(), entries));
    }
    for (std::size_t k = 0; k < entries; ++k) {
      const std::size_t begin = pages.size() * k / entries;
      const std::size_t end = pages.size() * (k + 1) / entries;
      plans.push_back(EntryPlan{0, runs_of(std::span(pages).subspan(begin, end - begin))});
    }
    return plans;
  }
  for (std::size_t k = 0; k < targets.size(); ++k) {
    const auto& before = k == 0 ? primary : targets[k - 1];
    const auto pages = dirty_pages(bins_of(before), bins_of(targets[k]), kNewLogPageSize);
    if (pages.empty())
      throw HiveWriteError(fmt::format("log entry {} changes nothing", k + 1));
    plans.push_back(EntryPlan{k, runs_of(pages)});
  }
  return plans;
}

// Size and signature faults, applied once the entry's place in its file is known.
void corrupt_entry(std::vector<std::uint8_t>& entry, LogCorruption what, std::size_t to_file_end) {
  if (what == LogCorruption::kHash) {
    put_le64(entry, kEntryHash1, get_le64(entry, kEntryHash1) ^ kHashFlip);
  } else if (what == LogCorruption::kSize) {
    put_le32(entry, kEntrySize, u32(to_file_end + kLogSectorSize));
  } else if (what == LogCorruption::kSignature) {
    entry[3] = 'X';
  } else {
    return;  // kSequenceGap is built into the sequence numbers
  }
  seal_hash2(entry);
}

void check_files(const TransactionLogSpec& log, std::size_t max_files) {
  if (log.files.empty() || log.files.size() > max_files) {
    throw HiveWriteError(fmt::format("this log format takes 1..{} files", max_files));
  }
  for (std::size_t k = 0; k < log.files.size(); ++k) {
    const std::string& f = log.files[k];
    if (f != "LOG" && f != "LOG1" && f != "LOG2")
      throw HiveWriteError("log file must be LOG, LOG1 or LOG2, got '" + f + "'");
    if (std::find(log.files.begin(), log.files.begin() + static_cast<std::ptrdiff_t>(k), f) !=
        log.files.begin() + static_cast<std::ptrdiff_t>(k)) {
      throw HiveWriteError("log file '" + f + "' listed twice");
    }
  }
}

std::vector<LogFile> write_new_format(const HiveSpec& primary_spec,
                                      const std::vector<std::uint8_t>& primary,
                                      const std::vector<std::vector<std::uint8_t>>& targets,
                                      const TransactionLogSpec& log) {
  check_files(log, 2);
  if (log.entries < log.files.size()) {
    throw HiveWriteError("each log file needs at least one entry");
  }
  const std::vector<EntryPlan> plans = plan_entries(primary, targets, log.entries);
  const bool has_fault = log.corrupt != LogCorruption::kNone;
  if (has_fault && (log.corrupt_entry < 1 || log.corrupt_entry > plans.size())) {
    throw HiveWriteError(fmt::format("corrupt entry {} does not exist", log.corrupt_entry));
  }
  // Windows starts the chain at the primary's secondary sequence number (NewDirtyHive1: hive 3/2,
  // first entry 2); a sequence_gap skips one number before the corrupted entry.
  std::vector<std::vector<std::uint8_t>> entries;
  std::vector<std::uint32_t> sequences;
  std::uint32_t sequence = primary_spec.secondary_sequence;
  for (std::size_t k = 0; k < plans.size(); ++k) {
    if (log.corrupt == LogCorruption::kSequenceGap && k + 1 == log.corrupt_entry)
      ++sequence;
    entries.push_back(encode_entry(plans[k], bins_of(targets[plans[k].image]), sequence));
    sequences.push_back(sequence);
    ++sequence;
  }
  // The first file takes the first ceil(n/2) entries, so the replay must continue from the end
  // of one file into the other.
  const std::size_t split = log.files.size() == 1 ? entries.size() : (entries.size() + 1) / 2;
  std::vector<LogFile> out;
  for (std::size_t f = 0; f < log.files.size(); ++f) {
    const std::size_t first = f == 0 ? 0 : split;
    const std::size_t last = f == 0 ? split : entries.size();
    std::vector<std::uint8_t> bytes = log_base_sector(primary, kLogFileTypeNew, sequences[first]);
    seal_base_sector(bytes);
    std::size_t file_size = kLogSectorSize;
    for (std::size_t k = first; k < last; ++k)
      file_size += entries[k].size();
    for (std::size_t k = first; k < last; ++k) {
      if (has_fault && k + 1 == log.corrupt_entry)
        corrupt_entry(entries[k], log.corrupt, file_size - bytes.size());
      bytes.insert(bytes.end(), entries[k].begin(), entries[k].end());
    }
    out.push_back(LogFile{log.files[f], std::move(bytes)});
  }
  return out;
}

std::vector<LogFile> write_old_format(const HiveSpec& primary_spec,
                                      const std::vector<std::uint8_t>& primary,
                                      const std::vector<std::vector<std::uint8_t>>& targets,
                                      const TransactionLogSpec& log) {
  check_files(log, 1);
  if (log.entries != 1 || targets.size() != 1)
    throw HiveWriteError("an old-format log holds exactly one dirty vector (entries: 1)");
  if (log.corrupt != LogCorruption::kNone && log.corrupt != LogCorruption::kSignature &&
      log.corrupt != LogCorruption::kSize) {
    throw HiveWriteError("an old-format log can only be corrupted by 'signature' or 'size'");
  }
  const auto target = bins_of(targets[0]);
  const auto pages = dirty_pages(bins_of(primary), target, kOldLogPageSize);
  if (pages.empty())
    throw HiveWriteError("the logged changes change nothing");
  // Sector 0: the log applies to a dirty hive whose primary sequence number and last-written time
  // it shares (registry.md §4.3); its hive-bins size is the target's, which sizes the bitmap.
  std::vector<std::uint8_t> bytes =
      log_base_sector(primary, kLogFileTypeOld, primary_spec.primary_sequence);
  put_le32(bytes, kOffBinsSize, u32(target.size()));
  seal_base_sector(bytes);
  // Offset 512: "DIRT", one bit per 512-byte page (LSB first), pages from the next sector
  // boundary (not a fixed 1024: the bitmap of a hive over ~2 MB spills past the first sector).
  const std::size_t bitmap_bytes = target.size() / kOldLogPageSize / 8;
  const std::size_t pages_at = align_up(kLogSectorSize + 4 + bitmap_bytes, kLogSectorSize);
  bytes.resize(pages_at + pages.size() * kOldLogPageSize, 0);
  const char* signature = log.corrupt == LogCorruption::kSignature ? "DIRX" : "DIRT";
  std::copy(signature, signature + 4, bytes.begin() + static_cast<std::ptrdiff_t>(kLogSectorSize));
  for (std::size_t k = 0; k < pages.size(); ++k) {
    const std::size_t bit = pages[k];
    bytes[kLogSectorSize + 4 + bit / 8] |= static_cast<std::uint8_t>(1U << (bit % 8));
    const auto page = target.subspan(bit * kOldLogPageSize, kOldLogPageSize);
    std::copy(page.begin(),
              page.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(pages_at + k * kOldLogPageSize));
  }
  if (log.corrupt == LogCorruption::kSize)
    bytes.resize(bytes.size() - kOldLogPageSize);
  return {LogFile{log.files[0], std::move(bytes)}};
}

}  // namespace

std::vector<std::uint8_t> write_log(std::span<const std::uint8_t> primary, const LogSpec& log) {
  if (primary.size() < kBaseBlockSize) {
    throw HiveWriteError("log " + log.suffix + ": primary image shorter than its base block");
  }
  // Base block +4/+8: a valid log has primary == secondary; the first HvLE entry to replay must
  // carry this number, which is >= the primary file's secondary number (registry.md §4.4).
  std::vector<std::uint8_t> out =
      log_base_sector(primary, kLogFileTypeNew, get_le32(primary, kOffPrimarySeq));
  seal_base_sector(out);
  return out;
}

std::vector<LogFile> write_transaction_logs(const HiveSpec& primary,
                                            const TransactionLogSpec& log) {
  if (log.stages.empty())
    throw HiveWriteError("a transaction log needs at least one target stage");
  if (log.stages.size() != 1 && log.stages.size() != log.entries) {
    throw HiveWriteError("give one target stage, or one per entry");
  }
  // Both images come from the same writer; the target's layout may shift against the primary's,
  // which only means more dirty pages.
  const std::vector<std::uint8_t> primary_image = write_hive(primary);
  std::vector<std::vector<std::uint8_t>> targets;
  targets.reserve(log.stages.size());
  for (const auto& stage : log.stages)
    targets.push_back(write_hive(stage));
  return log.format == LogFormat::kNew ? write_new_format(primary, primary_image, targets, log)
                                       : write_old_format(primary, primary_image, targets, log);
}

}  // namespace smssaudit::devtools
