// Stable names of the event-log fact enums and the channel lookup (facts/events.hpp).
#include "smssaudit/facts/events.hpp"

#include "support/catch.hpp"

#include <set>
#include <string>

using namespace smssaudit::facts;

TEST_CASE("events facts: Log channels have stable short names", "[facts][events]") {
  CHECK(std::string(to_string(LogChannel::kSecurity)) == "Security");
  CHECK(std::string(to_string(LogChannel::kSysmon)) == "Sysmon");
  CHECK(std::string(to_string(LogChannel::kSystem)) == "System");
  CHECK(std::string(to_string(LogChannel::kLocalSessionManager)) == "LocalSessionManager");
  CHECK(std::string(to_string(LogChannel::kOther)) == "Other");
}

TEST_CASE("events facts: Channel names map to log channels case-insensitively", "[facts][events]") {
  CHECK(channel_from_name("Security") == LogChannel::kSecurity);
  CHECK(channel_from_name("security") == LogChannel::kSecurity);
  CHECK(channel_from_name("Microsoft-Windows-Sysmon/Operational") == LogChannel::kSysmon);
  CHECK(channel_from_name("microsoft-windows-sysmon/operational") == LogChannel::kSysmon);
  CHECK(channel_from_name("System") == LogChannel::kSystem);
  CHECK(channel_from_name("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational") ==
        LogChannel::kLocalSessionManager);
  // Near misses are other logs, not the ones we know.
  CHECK(channel_from_name("Microsoft-Windows-Sysmon") == LogChannel::kOther);
  CHECK(channel_from_name("Application") == LogChannel::kOther);
  CHECK(channel_from_name("") == LogChannel::kOther);
  CHECK(channel_from_name("Security ") == LogChannel::kOther);
}

TEST_CASE("events facts: Event kinds have distinct stable names", "[facts][events]") {
  CHECK(std::string(to_string(EventKind::kProcessStart)) == "process_start");
  CHECK(std::string(to_string(EventKind::kProcessExit)) == "process_exit");
  CHECK(std::string(to_string(EventKind::kBootStart)) == "boot_start");
  CHECK(std::string(to_string(EventKind::kShutdown)) == "shutdown");
  CHECK(std::string(to_string(EventKind::kUnexpectedShutdown)) == "unexpected_shutdown");
  CHECK(std::string(to_string(EventKind::kLogon)) == "logon");
  CHECK(std::string(to_string(EventKind::kSession)) == "session");
  CHECK(std::string(to_string(EventKind::kLogCleared)) == "log_cleared");
  CHECK(std::string(to_string(EventKind::kClockChange)) == "clock_change");
  std::set<std::string> names;
  for (int k = 0; k <= static_cast<int>(EventKind::kClockChange); ++k) {
    names.insert(to_string(static_cast<EventKind>(k)));
  }
  CHECK(names.size() == 9);
}
