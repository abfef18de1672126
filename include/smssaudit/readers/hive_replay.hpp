// Transaction-log replay for dirty hives: applies SYSTEM.LOG/.LOG1/.LOG2 (old "DIRT" and new
// "HvLE" formats) to a copy of the primary file, in memory, byte-level, without libregf
// (registry.md 4.3, 4.4; REGF "Format of transaction log files", "Dirty state of a hive",
// "Multiple transaction log files"). The evidence is never written: the result is a new image.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/facts/registry.hpp"
#include "smssaudit/facts/replay.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::readers {

/// What to do when the first log entry's sequence number is above the hive's secondary sequence
/// number (the entries in between are in no log).
enum class SequenceGapPolicy {
  /// Apply, as Windows does (REGF new-format note 7: the first entry must equal the log's base
  /// block primary sequence and be "not less than" the hive's secondary). The REGF companion note
  /// "Missing log entries for a dirty primary file" explains the gap: a partial reconcile wrote
  /// the older entries into the primary without updating its base block. The report flags it.
  kApplyAsWindows,
  /// Keep the on-disk state and report "logs do not continue the hive's sequence numbers".
  kRefuse,
};

/// Limits that keep hostile inputs from allocating unbounded memory.
struct ReplayOptions {
  SequenceGapPolicy sequence_gap = SequenceGapPolicy::kApplyAsWindows;
  /// The replayed image (base block + hive bins) never grows beyond this; an entry that asks for
  /// more stops the replay with a diagnostic.
  std::uint64_t max_image_bytes = std::uint64_t{2} << 30;  // 2 GiB
  /// replay_hive_files() reads at most this much of one log file (a log beyond it is skipped).
  std::uint64_t max_log_bytes = std::uint64_t{1} << 30;  // 1 GiB
};

/// One transaction-log file's bytes. `path` names it in the report (its file name is derived).
struct LogInput {
  std::string path;
  std::span<const std::uint8_t> bytes;
  std::string unreadable;  ///< non-empty when the file could not be read: the reason
};

/// The replayed image and what happened. When nothing was applied, `image` holds the primary's
/// bytes unchanged (at least 4096 bytes). The image owns its bytes; open it with
/// read_system_hive_image() while it lives.
struct ReplayOutcome {
  std::vector<std::uint8_t> image;
  facts::ReplayReport report;
};

/// Replays `logs` onto a copy of `primary`. Fails only when `primary` is not a hive at all (no
/// "regf" signature: kHiveSignature; fewer than 512 bytes: kHiveTruncated). Everything else (bad
/// logs, bad entries, sequence gaps, a bad primary base block without a usable log) is reported
/// in ReplayReport and as diagnostics (codes "replay.*", source = the file concerned).
Result<ReplayOutcome> replay_hive(std::span<const std::uint8_t> primary,
                                  const std::string& hive_path,
                                  std::span<const LogInput> logs,
                                  DiagnosticSink& sink,
                                  const ReplayOptions& options = {});

/// Reads `hive_path` and the given logs (e.g. from find_hive_logs()) read-only and replays them.
/// Fails when the hive cannot be read or is not a hive; an unreadable log is skipped with a
/// diagnostic and listed in the report.
Result<ReplayOutcome> replay_hive_files(const std::string& hive_path,
                                        const std::vector<facts::HiveLogFile>& logs,
                                        DiagnosticSink& sink,
                                        const ReplayOptions& options = {});

}  // namespace smssaudit::readers
