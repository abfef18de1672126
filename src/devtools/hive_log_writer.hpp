// Writes transaction-log files (SYSTEM.LOG1/.LOG2) beside a generated hive (registry.md §4).
#pragma once

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

/// One log file to write: `suffix` is "LOG", "LOG1" or "LOG2" (file = <hive_file>.<suffix>).
/// Room to grow: a later issue adds the HvLE entries (dirty pages) the log should carry.
struct LogSpec {
  std::string suffix;
};

/// A new-format log for `primary` (a complete hive image from write_hive): sector 0 is a copy of
/// the primary's first 512 bytes with file type 6, both sequence numbers set to the primary's
/// primary sequence number and the checksum recomputed. No HvLE entries yet, so the file is 512
/// bytes: enough for "logs present" checks, and replay finds nothing to apply.
std::vector<std::uint8_t> write_log(std::span<const std::uint8_t> primary, const LogSpec& log);

}  // namespace smssaudit::devtools
