// Transaction-log replay facts: what replaying SYSTEM.LOG/.LOG1/.LOG2 onto a dirty hive did, as
// plain data (no libregf type), so the analysis and the reporters can consume it.
// Formats and rules: ../shared/docs/registry.md 4.3 (old "DIRT" logs) and 4.4 (new "HvLE" logs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace smssaudit::facts {

/// Transaction-log format (REGF base block +28 of the log: 1/2 = old, 6 = new).
enum class LogFormat {
  kNone,  ///< nothing replayed / not a log
  kOld,   ///< "DIRT" dirty vector + 512-byte pages (up to Windows 8.0, single .LOG)
  kNew,   ///< "HvLE" log entries with Marvin32 hashes (Windows 8.1 and later)
};

/// "none", "old (DIRT)", "new (HvLE)".
const char* to_string(LogFormat format) noexcept;

/// One transaction-log file as the replay saw it.
struct ReplayLog {
  std::string path;  ///< as given by the caller
  std::string name;  ///< file name only, e.g. "SYSTEM.LOG1"
  std::uint64_t size = 0;
  LogFormat format = LogFormat::kNone;
  bool usable = false;  ///< base block and structure valid for this hive
  bool used = false;    ///< at least one entry (or dirty run) from it was applied
  std::uint32_t base_primary_sequence = 0;  ///< log base block +4
  std::uint32_t first_sequence = 0;         ///< first valid HvLE entry (new format)
  std::uint32_t last_sequence = 0;          ///< last valid HvLE entry of the chain it holds
  std::uint32_t valid_entries = 0;          ///< entries that passed signature/size/hash checks
  std::string reason;                       ///< why it is unusable or unused; empty when used
};

/// One log entry (new format) or one run of contiguous dirty pages (old format).
struct ReplayEntry {
  std::string log;             ///< log file name
  std::uint64_t offset = 0;    ///< byte offset of the entry (or of the run's first page) in the log
  std::uint32_t sequence = 0;  ///< HvLE +12; old format: the log base block's sequence number
  std::uint32_t page_count = 0;      ///< HvLE +20 (pages of any size); old format: 512-byte pages
  std::uint32_t hive_bins_size = 0;  ///< HvLE +16; old format: the log base block's +40
  std::uint64_t target_offset = 0;   ///< old format: hive-bins offset of the run (relative)
  bool applied = false;
  std::string reason;  ///< why it was skipped; empty when applied
};

/// Everything the replay decided, in the order the analyst needs it.
struct ReplayReport {
  bool dirty = false;        ///< REGF "dirty": bad checksum or primary != secondary sequence
  std::string dirty_reason;  ///< e.g. "primary sequence 1622 != secondary 1621"
  bool primary_base_block_valid = false;
  std::vector<std::string> base_block_problems;  ///< validate_base_block() on the primary

  LogFormat format = LogFormat::kNone;  ///< format of the logs actually applied
  std::vector<ReplayLog> logs;          ///< every log offered, in the order they were offered
  std::vector<ReplayEntry> entries;     ///< every entry examined, in examination order

  bool performed = false;            ///< at least one entry / dirty run was applied
  bool recovered = false;            ///< dirty hive brought to a consistent replayed state
  bool base_block_restored = false;  ///< primary base block rebuilt from a log
  std::string base_block_source;     ///< log name the base block came from

  /// New format: the first applied entry's sequence number is above the hive's secondary
  /// sequence number (the entries in between are in no log: a partial reconcile, see the REGF
  /// companion note "Missing log entries for a dirty primary file").
  bool sequence_gap = false;
  std::string sequence_gap_note;

  std::uint32_t entries_applied = 0;
  std::uint32_t entries_skipped = 0;
  std::uint32_t bins_healed = 0;  ///< invalid hive bins replaced by dummy bins (REGF note 10)

  std::uint32_t primary_sequence_before = 0;
  std::uint32_t secondary_sequence_before = 0;
  std::uint32_t primary_sequence_after = 0;
  std::uint32_t secondary_sequence_after = 0;
  std::uint32_t hive_bins_size_before = 0;
  std::uint32_t hive_bins_size_after = 0;

  std::string summary;  ///< one sentence for reports and the CLI
};

}  // namespace smssaudit::facts
