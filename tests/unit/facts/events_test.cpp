// Stable names of the event-log fact enums and the channel lookup (facts/events.hpp).
#include "smssaudit/facts/events.hpp"

#include "support/catch.hpp"

#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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

TEST_CASE("Text copies share one value, moves leave the source empty, and it is one pointer wide",
          "[facts]") {
  static_assert(sizeof(Text) == sizeof(void*));
  Text a("C:\\Windows\\System32\\smss.exe");
  Text b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  CHECK(b.same_storage(a));
  Text c = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move,hicpp-invalid-access-moved)
  CHECK(c.same_storage(a));
  c = c;  // self-assignment keeps the value
  CHECK(c == "C:\\Windows\\System32\\smss.exe");
  c = Text("other");
  CHECK(c == "other");
  CHECK(a == "C:\\Windows\\System32\\smss.exe");  // a's value outlives the copies that left it
  a.clear();
  CHECK(a.empty());
  CHECK(a.str().empty());
  // Concatenation with every operand type gives a std::string.
  const Text user("S-1-5-18");
  const std::string sid = "S-1-5-18";
  CHECK("user " + user == "user S-1-5-18");
  CHECK(user + " (SYSTEM)" == "S-1-5-18 (SYSTEM)");
  CHECK(user + user == "S-1-5-18S-1-5-18");
  CHECK(sid + user == "S-1-5-18S-1-5-18");
  CHECK(user + sid == "S-1-5-18S-1-5-18");
}

TEST_CASE("Text may be copied and dropped on several threads at once", "[facts]") {
  // The count is atomic: events are made on reader threads and copied on others. Run under the
  // sanitizer suite, a lost count shows as a leak or a use after free.
  const Text shared("C:\\Windows\\System32\\csrss.exe");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&shared] {
      std::vector<Text> copies;
      for (int i = 0; i < 10000; ++i) {
        copies.push_back(shared);
        if (copies.size() > 16) {
          copies.erase(copies.begin());
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(shared == "C:\\Windows\\System32\\csrss.exe");
}
