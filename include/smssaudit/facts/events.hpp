// Event-log facts: what the EVTX readers extract, normalised across Security, Sysmon, System and
// LocalSessionManager (issue 3). No libevtx or XML type appears here; the lineage analysis and the
// reporters work only with these.
//
// Normalisation rules (events.md):
//  - fields are taken by EventData Name, never by position;
//  - PIDs and logon ids are numbers (4688 writes zero-padded hex, Sysmon decimal);
//  - an empty or "-" value is absent, not "";
//  - times are FILETIME (100 ns since 1601-01-01 UTC), 0 = unknown.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::facts {

/// The log an event belongs to, decided by the channel recorded in the records (not the file name).
enum class LogChannel { kSecurity, kSysmon, kSystem, kLocalSessionManager, kOther };

/// Short stable name: "Security", "Sysmon", "System", "LocalSessionManager", "Other".
const char* to_string(LogChannel c) noexcept;

/// Channel from the recorded name, case-insensitive: "Security",
/// "Microsoft-Windows-Sysmon/Operational", "System",
/// "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"; anything else is kOther.
LogChannel channel_from_name(std::string_view name) noexcept;

enum class EventKind {
  kProcessStart,        ///< Security 4688, Sysmon 1
  kProcessExit,         ///< Security 4689, Sysmon 5
  kBootStart,           ///< System 12 (Kernel-General StartTime), 6005, 6009; Security 4608
  kShutdown,            ///< System 13 (Kernel-General StopTime), 6006; Security 1100
  kUnexpectedShutdown,  ///< System 6008: the previous shutdown was unexpected
  kLogon,               ///< Security 4624
  kSession,             ///< LocalSessionManager 21, 22, 23, 24, 25, 39, 40
  kLogCleared,          ///< Security 1102, System 104
  kClockChange,         ///< Security 4616
};

/// "process_start", "process_exit", "boot_start", "shutdown", "unexpected_shutdown", "logon",
/// "session", "log_cleared", "clock_change".
const char* to_string(EventKind k) noexcept;

/// Where one event came from: file, record and its System header. Findings cite these.
struct EventRef {
  std::string artifact;         ///< EVTX file path as given
  std::string channel_name;     ///< System/Channel as recorded
  std::uint64_t record_id = 0;  ///< System/EventRecordID (the record header id when absent)
  std::uint64_t written = 0;    ///< System/TimeCreated/@SystemTime (FILETIME UTC)
  std::uint16_t event_id = 0;
  std::uint8_t version = 0;  ///< System/Version
  bool recovered = false;    ///< carved from chunk slack by libevtx, not a live record

  friend bool operator==(const EventRef&, const EventRef&) = default;
};

/// One normalised event. Which optional fields are set depends on `kind` (see each comment).
struct Event {
  EventKind kind = EventKind::kProcessStart;
  LogChannel channel = LogChannel::kOther;
  EventRef ref;
  /// The event's own time (FILETIME UTC): Sysmon UtcTime when present, Kernel-General 12
  /// StartTime / 13 StopTime; otherwise TimeCreated (= ref.written).
  std::uint64_t time = 0;

  // -- process start / exit --------------------------------------------------------------------
  std::optional<std::uint64_t> pid;         ///< 4688 NewProcessId, 4689/Sysmon ProcessId
  std::optional<std::uint64_t> parent_pid;  ///< 4688 ProcessId (creator), Sysmon ParentProcessId
  std::string image;                        ///< 4688 NewProcessName, 4689 ProcessName, Image
  std::string command_line;                 ///< absent when auditing did not record it
  std::string parent_image;         ///< 4688 v2 ParentProcessName, Sysmon ParentImage ("?" dropped)
  std::string parent_command_line;  ///< Sysmon ParentCommandLine
  std::string process_guid;         ///< Sysmon ProcessGuid, upper-case "{...}"
  std::string parent_guid;          ///< Sysmon ParentProcessGuid (all-zero GUID dropped)
  /// Account the process runs as. 4688: TargetUserSid when set (v2, not S-1-0-0), else
  /// SubjectUserSid. Sysmon: the well-known SID for User when it names one (SYSTEM -> S-1-5-18,
  /// LOCAL SERVICE -> S-1-5-19, NETWORK SERVICE -> S-1-5-20), else absent. 4624: TargetUserSid.
  std::string user_sid;
  std::string user_name;  ///< "DOMAIN\name" as recorded (Sysmon User; 4688 Subject/Target names)
  /// 4688 SubjectLogonId (TargetLogonId when set), Sysmon LogonId, 4624 TargetLogonId.
  std::optional<std::uint64_t> logon_id;
  /// Sysmon TerminalSessionId; LSM SessionID (39: TargetSession, 40: Session).
  std::optional<std::uint32_t> session_id;
  std::string integrity;                     ///< Sysmon IntegrityLevel / 4688 v2 MandatoryLabel
  std::optional<std::uint64_t> exit_status;  ///< 4689 Status

  // -- logon (4624) ----------------------------------------------------------------------------
  std::optional<int> logon_type;  ///< LogonType; `pid` = ProcessId, `image` = ProcessName

  // -- session (LSM) ---------------------------------------------------------------------------
  std::string address;                          ///< LSM Address ("LOCAL" for the console)
  std::optional<std::uint32_t> source_session;  ///< LSM 39 Source
  std::string reason;                           ///< LSM 40 Reason

  // -- clock change (4616) ---------------------------------------------------------------------
  std::uint64_t previous_time = 0;  ///< PreviousTime
  std::uint64_t new_time = 0;       ///< NewTime

  // -- log cleared (1102, 104) -----------------------------------------------------------------
  std::string cleared_channel;  ///< "Security" for 1102; System 104's Channel field
};

/// One EVTX file as read: identity, span and the relevant events, in record order.
struct EventLogFile {
  std::string path;
  std::string channel_name;  ///< most common System/Channel among its records, "" when none
  LogChannel channel = LogChannel::kOther;
  bool header_dirty = false;     ///< file header flag 0x1 (the header counters are stale)
  std::uint64_t records = 0;     ///< live records read
  std::uint64_t recovered = 0;   ///< records recovered from slack and read
  std::uint64_t unreadable = 0;  ///< records libevtx or the XML parser rejected
  std::uint64_t first_time = 0;  ///< earliest TimeCreated over all readable records
  std::uint64_t last_time = 0;   ///< latest TimeCreated
  std::uint64_t first_record_id = 0;
  std::uint64_t last_record_id = 0;
  std::map<std::uint16_t, std::uint64_t> relevant_counts;  ///< event id -> normalised events
  std::vector<Event> events;  ///< relevant events only, in record order
};

}  // namespace smssaudit::facts
