// Writes transaction-log files (SYSTEM.LOG/.LOG1/.LOG2) beside a generated hive (registry.md §4):
// empty new-format logs, and logs whose entries carry changes the primary file does not have.
#pragma once

#include "hive_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::devtools {

/// Log sector size: the base-block copy at the head of a log is clustering factor x 512 bytes, and
/// HvLE entries start at the next multiple of 512 (registry.md §4.4).
inline constexpr std::size_t kLogSectorSize = 512;
/// Base block +28 file type of a new-format (HvLE) log (registry.md §4.2).
inline constexpr std::uint32_t kLogFileTypeNew = 6;
/// Base block +28 file type of an old-format (DIRT) log written by XP and later (registry.md §4.2).
inline constexpr std::uint32_t kLogFileTypeOld = 1;
/// New format: dirty data is tracked in 4 KiB pages; page references are runs of whole pages.
inline constexpr std::size_t kNewLogPageSize = 4096;
/// Old format: one dirty-vector bit per 512-byte page of hive bins (registry.md §4.3).
inline constexpr std::size_t kOldLogPageSize = 512;
/// HvLE entry header: signature, size, flags, sequence, bins size, page count, Hash-1, Hash-2.
inline constexpr std::size_t kLogEntryHeaderSize = 40;

/// One log file to write: `suffix` is "LOG", "LOG1" or "LOG2" (file = <hive_file>.<suffix>).
struct LogSpec {
  std::string suffix;
};

/// A new-format log for `primary` (a complete hive image from write_hive): sector 0 is a copy of
/// the primary's first 512 bytes with file type 6, both sequence numbers set to the primary's
/// primary sequence number and the checksum recomputed. No HvLE entries, so the file is 512
/// bytes: enough for "logs present" checks, and replay finds nothing to apply.
std::vector<std::uint8_t> write_log(std::span<const std::uint8_t> primary, const LogSpec& log);

/// Which on-disk log format a TransactionLogSpec produces.
enum class LogFormat {
  kNew,  ///< "HvLE" entries with Marvin32 hashes (Windows 8.1 and later), one or two files
  kOld,  ///< "DIRT" dirty vector + 512-byte pages (up to Windows 8.0), one file
};

/// Fault injection for replay tests (fixtures/hives/README.md, `transaction_log.corrupt`).
enum class LogCorruption {
  kNone,
  /// New: the entry's Hash-1 is wrong; Hash-2 is recomputed over it, so only a replay that checks
  /// Hash-1 against the entry bytes notices. The page data itself is intact.
  kHash,
  /// New: the entry's size field points 512 bytes past the end of its log file (still a multiple
  /// of 512; Hash-2 recomputed). Old: the file is cut one page short of what the bitmap promises.
  kSize,
  /// New: the entry's sequence number skips one (N+2 instead of N+1); later entries continue from
  /// it and every hash is valid, so only the continuity rule stops the replay.
  kSequenceGap,
  /// New: "HvLE" becomes "HvLX" (Hash-2 recomputed). Old: "DIRT" becomes "DIRX".
  kSignature,
};

/// Changes that only the transaction logs hold (fixtures/hives/README.md, `transaction_log`).
/// The primary file is written from the fixture's HiveSpec as usual; each stage is a complete
/// target tree, i.e. the primary tree with the logged changes applied.
struct TransactionLogSpec {
  LogFormat format = LogFormat::kNew;
  /// Suffixes ("LOG", "LOG1", "LOG2") in entry order: the first file holds the earlier entries.
  /// New format: one or two files; old format: exactly one.
  std::vector<std::string> files;
  /// Number of HvLE entries (new format; the old format always writes one dirty vector).
  std::uint32_t entries = 1;
  /// Target trees. One stage: its dirty pages are spread over `entries` entries (only the whole
  /// chain gives a consistent hive). One stage per entry: entry k carries exactly the pages that
  /// differ between stage k-1 (stage 0 = the primary) and stage k, so a replay that stops after
  /// entry k leaves the consistent hive of stage k.
  std::vector<HiveSpec> stages;
  LogCorruption corrupt = LogCorruption::kNone;
  std::uint32_t corrupt_entry = 1;  ///< 1-based entry index the corruption applies to
};

/// One written log file: `suffix` as in TransactionLogSpec::files.
struct LogFile {
  std::string suffix;
  std::vector<std::uint8_t> bytes;
};

/// Writes the logs that turn `primary` (the primary file's tree, written by write_hive) into the
/// last stage of `log` (registry.md §4.3/§4.4; details in fixtures/hives/README.md). New format:
/// entry k has sequence number primary.secondary_sequence + k - 1; entries are split between two
/// files (the first file gets the first ceil(n/2)); each file's base block is the primary's with
/// file type 6 and both sequence numbers equal to its first entry's. Old format: one base block
/// (type 1, both sequence numbers = the primary's primary sequence number, hive-bins size of the
/// target) then "DIRT", a bitmap of bins/512 bits (LSB first) marking each 512-byte page of the
/// target that differs from the primary, and those pages from the next sector boundary. Throws
/// HiveWriteError when the spec cannot be honoured (an entry without a dirty page, too few dirty
/// pages for the entries asked for, a bad file list).
std::vector<LogFile> write_transaction_logs(const HiveSpec& primary, const TransactionLogSpec& log);

}  // namespace smssaudit::devtools
