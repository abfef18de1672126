// Stable names for the event-log fact enums (they appear in reports: never rename one).
#include "smssaudit/facts/events.hpp"

#include "smssaudit/core/text.hpp"

namespace smssaudit::facts {

const char* to_string(LogChannel c) noexcept {
  switch (c) {
    case LogChannel::kSecurity:
      return "Security";
    case LogChannel::kSysmon:
      return "Sysmon";
    case LogChannel::kSystem:
      return "System";
    case LogChannel::kLocalSessionManager:
      return "LocalSessionManager";
    case LogChannel::kOther:
      return "Other";
  }
  // Unreachable for valid enumerators; a cast-in integer must still not crash a report.
  return "Other";
}

// The channel is what the records say (System/Channel), so exported or renamed files still land
// in the right log. Names are compared case-insensitively because wevtutil exports and older
// builds differ in case ("security").
LogChannel channel_from_name(std::string_view name) noexcept {
  if (text::iequals(name, "Security")) {
    return LogChannel::kSecurity;
  }
  if (text::iequals(name, "Microsoft-Windows-Sysmon/Operational")) {
    return LogChannel::kSysmon;
  }
  if (text::iequals(name, "System")) {
    return LogChannel::kSystem;
  }
  if (text::iequals(name, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational")) {
    return LogChannel::kLocalSessionManager;
  }
  return LogChannel::kOther;
}

const char* to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::kProcessStart:
      return "process_start";
    case EventKind::kProcessExit:
      return "process_exit";
    case EventKind::kBootStart:
      return "boot_start";
    case EventKind::kShutdown:
      return "shutdown";
    case EventKind::kUnexpectedShutdown:
      return "unexpected_shutdown";
    case EventKind::kLogon:
      return "logon";
    case EventKind::kSession:
      return "session";
    case EventKind::kLogCleared:
      return "log_cleared";
    case EventKind::kClockChange:
      return "clock_change";
  }
  return "unknown";
}

}  // namespace smssaudit::facts
