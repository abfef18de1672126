// Lineage facts: the historic smss process tree rebuilt from event logs, boot by boot (issue 3,
// design.md 3.2). Produced by analysis/lineage, rendered by the reporters, judged through the
// lineage.* Facts the analysis also emits.
#pragma once

#include "smssaudit/facts/events.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace smssaudit::facts {

/// One process creation, keyed by (boot, PID, start time) or Sysmon ProcessGuid, never PID alone.
/// The 4688 and Sysmon 1 views of one process are merged into one instance.
struct ProcessInstance {
  std::uint64_t pid = 0;
  std::optional<std::uint64_t> parent_pid;
  std::uint64_t start = 0;           ///< FILETIME UTC
  std::optional<std::uint64_t> end;  ///< exit time, when an exit event was seen
  // Text, not std::string: shared with the events they come from, so a boot's process table and
  // the kept lineage cost a reference per value, not a copy (issue 8: a 1 GB log's largest boot
  // held 14 MB of copied strings).
  Text image;
  Text command_line;
  Text parent_image;
  Text user_sid;
  Text user_name;
  Text process_guid;
  Text parent_guid;
  std::optional<std::uint32_t> session_id;
  std::optional<std::uint64_t> logon_id;
  /// Index into Boot::processes of the parent instance alive at this process's start (the
  /// latest creation of parent_pid in the same boot with no exit before the start), if seen.
  std::optional<std::size_t> parent;
  std::vector<EventRef> evidence;  ///< creation events (4688 and/or Sysmon 1), then exit
};

enum class SmssRole { kMaster, kSessionChild, kOther };

/// "master", "session_child", "other".
const char* to_string(SmssRole r) noexcept;

/// How a session child was tied to the session it created.
struct SessionLink {
  std::optional<std::uint32_t> session_id;
  /// "sysmon:TerminalSessionId", "security:winlogon>4624>LSM21", "lsm:21" ...; "" = not linked.
  std::string basis;
  std::optional<std::uint64_t> logon_id;  ///< 4624 TargetLogonId of the session's logon
  std::optional<int> logon_type;
  std::string user;     ///< LSM 21 User, or the 4624 target account
  std::string address;  ///< LSM 21 Address
};

struct SmssInstance {
  std::size_t process = 0;  ///< index into Boot::processes
  SmssRole role = SmssRole::kOther;
  std::vector<std::size_t> children;  ///< indices into Boot::processes, in start order
  std::optional<std::int64_t> lifetime_ms;
  SessionLink session;  ///< session children only
};

struct Boot {
  std::size_t index = 0;    ///< 1-based, chronological
  std::uint64_t start = 0;  ///< FILETIME UTC
  /// "system:12" (Kernel-General StartTime), "system:6005", "security:4608", "master-smss",
  /// "sysmon:boot-chain", "first-event".
  std::string start_basis;
  std::optional<std::uint64_t> end;
  std::string end_basis;        ///< "system:13", "system:6006", "security:1100", "next-boot", ""
  bool unexpected_end = false;  ///< System 6008 in the next boot reports an unexpected shutdown
  /// smss instances, the processes they spawned, and csrss/wininit/winlogon, in start order.
  std::vector<ProcessInstance> processes;
  std::vector<SmssInstance> smss;  ///< every smss.exe instance, in start order
};

/// What one channel contributed.
struct LogSourceCoverage {
  std::string channel;  ///< to_string(LogChannel)
  std::vector<std::string> files;
  std::uint64_t records = 0;
  std::uint64_t recovered = 0;
  std::uint64_t first = 0;  ///< FILETIME span of the records
  std::uint64_t last = 0;
  std::map<std::uint16_t, std::uint64_t> event_counts;  ///< relevant event id -> count
};

struct LogClear {
  EventRef ref;
  std::string channel;  ///< the log that was cleared
  std::string user;
};

struct ClockChange {
  EventRef ref;
  std::uint64_t previous_time = 0;
  std::uint64_t new_time = 0;
  std::string process;  ///< ProcessName
  std::string user_sid;
};

struct LineageCoverage {
  std::vector<LogSourceCoverage> sources;  ///< sorted by channel
  bool security_process_starts = false;    ///< any 4688
  bool sysmon_process_starts = false;      ///< any Sysmon 1
  bool exits_collected = false;            ///< any 4689 or Sysmon 5
  std::vector<LogClear> clears;
  std::vector<ClockChange> clock_changes;
  /// Stretches with no record in any process-creation source between boots, and similar notes.
  std::vector<std::string> notes;
};

struct Lineage {
  bool analyzed = false;  ///< false when no event log was given
  std::vector<Boot> boots;
  LineageCoverage coverage;
};

}  // namespace smssaudit::facts
