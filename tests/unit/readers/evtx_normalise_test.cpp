// The XML -> facts::Event step (src/readers/evtx_normalise.cpp) on hand-written XML shaped like
// libevtx's rendering (events.md 1-3): every event version and Sysmon layout the corpus shows.
#include "readers/evtx_normalise.hpp"

#include "smssaudit/core/filetime.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "support/catch.hpp"

#include <string>
#include <utility>
#include <vector>

using namespace smssaudit;
using namespace smssaudit::readers;
using facts::Event;
using facts::EventKind;
using facts::LogChannel;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kSecurityAuditing = "Microsoft-Windows-Security-Auditing";
constexpr const char* kSysmon = "Microsoft-Windows-Sysmon";
constexpr const char* kSysmonChannel = "Microsoft-Windows-Sysmon/Operational";
constexpr const char* kLsm = "Microsoft-Windows-TerminalServices-LocalSessionManager";
constexpr const char* kLsmChannel =
    "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";

/// <EventData> with one <Data Name=..> per field; an empty value renders as <Data Name=".."/>, as
/// libevtx writes it.
std::string event_data(const Fields& fields) {
  std::string s = "  <EventData>\n";
  for (const auto& [name, value] : fields) {
    s += "    <Data Name=\"";
    s += name;
    s += value.empty() ? "\"/>\n" : "\">" + value + "</Data>\n";
  }
  return s + "  </EventData>\n";
}

/// <UserData><element xmlns=...> children </element></UserData>
std::string user_data(const std::string& element, const Fields& fields) {
  std::string s = "  <UserData>\n    <";
  s += element;
  s += " xmlns=\"Event_NS\">\n";
  for (const auto& [name, value] : fields) {
    s += "      <";
    s += name;
    if (value.empty()) {
      s += "/>\n";
      continue;
    }
    s += ">";
    s += value;
    s += "</";
    s += name;
    s += ">\n";
  }
  return s + "    </" + element + ">\n  </UserData>\n";
}

struct System {
  std::string provider;
  std::string event_id;  // may carry a Qualifiers attribute: "<EventID Qualifiers=..>"
  int version = 0;
  std::string channel;
  std::string record_id = "1000";
  std::string time = "2019-02-13T18:04:57.462399000Z";
};

std::string event_xml(const System& sys, const std::string& body) {
  return "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
         "  <System>\n"
         "    <Provider Name=\"" +
         sys.provider + "\"/>\n    <EventID>" + sys.event_id + "</EventID>\n    <Version>" +
         std::to_string(sys.version) +
         "</Version>\n"
         "    <Level>0</Level>\n" +
         (sys.time.empty() ? "" : "    <TimeCreated SystemTime=\"" + sys.time + "\"/>\n") +
         (sys.record_id.empty() ? ""
                                : "    <EventRecordID>" + sys.record_id + "</EventRecordID>\n") +
         "    <Channel>" + sys.channel +
         "</Channel>\n"
         "    <Computer>PC01.example.corp</Computer>\n"
         "  </System>\n" +
         body + "</Event>\n";
}

facts::EventRef defaults() {
  facts::EventRef r;
  r.artifact = "C:/evidence/Security.evtx";
  r.record_id = 7;
  r.written = 42;
  return r;
}

Event require_event(const std::string& xml) {
  auto e = normalise_event_xml(xml, defaults());
  REQUIRE(e.has_value());
  return *e;
}

std::uint64_t ft(const char* iso7) {
  const auto t = iso8601_to_filetime(iso7);
  REQUIRE(t.has_value());
  return *t;
}

// --- 4688 field lists by version (events.md 1.1); v1 and v2 append fields ------------------------

Fields fields_4688_v0() {
  return {{"SubjectUserSid", "S-1-5-18"},
          {"SubjectUserName", "PC01$"},
          {"SubjectDomainName", "EXAMPLE"},
          {"SubjectLogonId", "0x00000000000003e7"},
          {"NewProcessId", "0x0000038c"},
          {"NewProcessName", "C:\\Windows\\System32\\smss.exe"},
          {"TokenElevationType", "%%1936"},
          {"ProcessId", "0x00000124"}};
}

Fields fields_4688_v1(const std::string& command_line) {
  Fields f = fields_4688_v0();
  f.emplace_back("CommandLine", command_line);
  return f;
}

Fields fields_4688_v2(const std::string& target_sid) {
  Fields f = fields_4688_v1("\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ");
  const bool other = target_sid != "S-1-0-0";
  f.emplace_back("TargetUserSid", target_sid);
  f.emplace_back("TargetUserName", other ? "user01" : "-");
  f.emplace_back("TargetDomainName", other ? "EXAMPLE" : "-");
  f.emplace_back("TargetLogonId", other ? "0x000000000014a321" : "0x0000000000000000");
  f.emplace_back("ParentProcessName", "C:\\Windows\\System32\\smss.exe");
  f.emplace_back("MandatoryLabel", "S-1-16-16384");
  return f;
}

// --- Sysmon 1 layouts (events.md 2.1): the same process in 1-A, 1-C and 1-D
// ------------------------

Fields sysmon1_common_head() {
  return {{"UtcTime", "2020-04-25 22:19:15.727"},
          {"ProcessGuid", "{747f3d96-b763-5ea4-0000-00106a480000}"},
          {"ProcessId", "388"},
          {"Image", "C:\\Windows\\System32\\smss.exe"}};
}

Fields sysmon1_common_tail() {
  return {{"CommandLine", "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 "},
          {"CurrentDirectory", "C:\\Windows\\"},
          {"User", "NT AUTHORITY\\SYSTEM"},
          {"LogonGuid", "{747F3D96-B75F-5EA4-0000-0020E7030000}"},
          {"LogonId", "0x00000000000003e7"},
          {"TerminalSessionId", "0"},
          {"IntegrityLevel", "System"},
          {"Hashes", "SHA1=0000"},
          {"ParentProcessGuid", "{747F3D96-B75F-5EA4-0000-0010622C0000}"},
          {"ParentProcessId", "300"},
          {"ParentImage", "C:\\Windows\\System32\\smss.exe"},
          {"ParentCommandLine", "\\SystemRoot\\System32\\smss.exe"}};
}

Fields sysmon1_layout_a() {  // 16 fields
  Fields f = sysmon1_common_head();
  for (auto& kv : sysmon1_common_tail()) {
    f.push_back(kv);
  }
  return f;
}

Fields sysmon1_layout_c() {  // 22 fields: RuleName first, PE metadata after Image
  Fields f{{"RuleName", ""}};
  for (auto& kv : sysmon1_common_head()) {
    f.push_back(kv);
  }
  f.emplace_back("FileVersion", "10.0.17763.1131 (WinBuild.160101.0800)");
  f.emplace_back("Description", "Windows Session Manager");
  f.emplace_back("Product", "Microsoft\xC2\xAE Windows\xC2\xAE Operating System");
  f.emplace_back("Company", "Microsoft Corporation");
  f.emplace_back("OriginalFileName", "smss.exe");
  for (auto& kv : sysmon1_common_tail()) {
    f.push_back(kv);
  }
  return f;
}

Fields sysmon1_layout_d() {  // 23 fields: + ParentUser at the end
  Fields f = sysmon1_layout_c();
  f.emplace_back("ParentUser", "NT AUTHORITY\\SYSTEM");
  return f;
}

System sysmon_system(const char* id) {
  return System{kSysmon, id, 5, kSysmonChannel, "27374", "2020-04-25T22:19:22.596352000Z"};
}

}  // namespace

TEST_CASE("Evtx normalise: Event times parse from SystemTime, Sysmon UtcTime and ISO strings",
          "[readers][evtx]") {
  CHECK(parse_event_time("1601-01-01T00:00:00Z") == std::optional<std::uint64_t>(0));
  CHECK(parse_event_time("1970-01-01T00:00:00Z") == kFiletimeUnixEpoch);
  // libevtx prints 9 fraction digits; FILETIME keeps 7.
  CHECK(parse_event_time("2019-02-13T18:04:57.462399000Z") == ft("2019-02-13T18:04:57.4623990Z"));
  CHECK(parse_event_time("2019-02-13T18:04:57.4623991Z") == ft("2019-02-13T18:04:57.4623991Z"));
  CHECK(parse_event_time("2019-02-16 10:02:21.934") == ft("2019-02-16T10:02:21.934Z"));
  CHECK(parse_event_time("2020-08-01T21:47:55Z") == ft("2020-08-01T21:47:55Z"));
  CHECK_FALSE(parse_event_time("").has_value());
  CHECK_FALSE(parse_event_time("-").has_value());
  CHECK_FALSE(parse_event_time("2019-13-01T00:00:00Z").has_value());
  CHECK_FALSE(parse_event_time("2019-02-13X18:04:57Z").has_value());
  CHECK_FALSE(parse_event_time("2019-02-13T18:04:57Zjunk").has_value());
  CHECK_FALSE(parse_event_time("1600-12-31T23:59:59Z").has_value());
}

TEST_CASE("Evtx normalise: The relevance table keys on provider and event id", "[readers][evtx]") {
  CHECK(is_relevant_event(kSecurityAuditing, 4688));
  CHECK(is_relevant_event("microsoft-windows-security-auditing", 4689));
  CHECK(is_relevant_event("Microsoft-Windows-Eventlog", 1102));
  CHECK(is_relevant_event("Microsoft-Windows-Eventlog", 104));
  CHECK(is_relevant_event(kSysmon, 1));
  CHECK(is_relevant_event(kSysmon, 5));
  CHECK(is_relevant_event("Microsoft-Windows-Kernel-General", 12));
  CHECK(is_relevant_event("EventLog", 6008));
  CHECK(is_relevant_event(kLsm, 39));
  CHECK_FALSE(is_relevant_event(kSecurityAuditing, 5156));
  CHECK_FALSE(is_relevant_event(kSysmon, 3));
  CHECK_FALSE(is_relevant_event("Microsoft-Windows-Hyper-V-Netvsc", 12));
  CHECK_FALSE(is_relevant_event("Microsoft-Windows-Kernel-General", 1));
  CHECK_FALSE(is_relevant_event("Service Control Manager", 7036));
  CHECK_FALSE(is_relevant_event(kLsm, 41));
  CHECK_FALSE(is_relevant_event("", 4688));
}

TEST_CASE("Evtx normalise: 4688 v0 parses hex PIDs and uses the subject", "[readers][evtx]") {
  const Event e = require_event(
      event_xml(System{kSecurityAuditing, "4688", 0, "Security"}, event_data(fields_4688_v0())));
  CHECK(e.kind == EventKind::kProcessStart);
  CHECK(e.channel == LogChannel::kSecurity);
  CHECK(e.pid == std::optional<std::uint64_t>(0x38c));
  CHECK(e.parent_pid == std::optional<std::uint64_t>(0x124));
  CHECK(e.image == "C:\\Windows\\System32\\smss.exe");
  CHECK(e.command_line.empty());
  CHECK(e.parent_image.empty());
  CHECK(e.user_sid == "S-1-5-18");
  CHECK(e.user_name == "EXAMPLE\\PC01$");
  CHECK(e.logon_id == std::optional<std::uint64_t>(0x3e7));
  CHECK(e.ref.version == 0);
  CHECK(e.ref.event_id == 4688);
}

TEST_CASE("Evtx normalise: 4688 v1 keeps an empty CommandLine absent and reads 16-digit PIDs",
          "[readers][evtx]") {
  Fields f = fields_4688_v1("");
  f[4].second = "0x00000000000021a4";  // x64 Win10 pads Pointer values to 16 digits
  const Event e =
      require_event(event_xml(System{kSecurityAuditing, "4688", 1, "Security"}, event_data(f)));
  CHECK(e.pid == std::optional<std::uint64_t>(0x21a4));
  CHECK(e.command_line.empty());
  CHECK(e.ref.version == 1);

  const Event with_cmd = require_event(event_xml(System{kSecurityAuditing, "4688", 1, "Security"},
                                                 event_data(fields_4688_v1("cmd.exe /c x"))));
  CHECK(with_cmd.command_line == "cmd.exe /c x");
}

TEST_CASE("Evtx normalise: 4688 v2 takes the Target SID unless it is S-1-0-0", "[readers][evtx]") {
  const Event same = require_event(event_xml(System{kSecurityAuditing, "4688", 2, "Security"},
                                             event_data(fields_4688_v2("S-1-0-0"))));
  CHECK(same.user_sid == "S-1-5-18");
  CHECK(same.user_name == "EXAMPLE\\PC01$");
  CHECK(same.logon_id == std::optional<std::uint64_t>(0x3e7));
  CHECK(same.parent_image == "C:\\Windows\\System32\\smss.exe");
  CHECK(same.integrity == "S-1-16-16384");
  CHECK(same.command_line == "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ");

  const std::string other_sid = "S-1-5-21-1587066498-1489273250-1035260531-1106";
  const Event other = require_event(event_xml(System{kSecurityAuditing, "4688", 2, "Security"},
                                              event_data(fields_4688_v2(other_sid))));
  CHECK(other.user_sid == other_sid);
  CHECK(other.user_name == "EXAMPLE\\user01");
  CHECK(other.logon_id == std::optional<std::uint64_t>(0x14a321));
  CHECK(other.pid == std::optional<std::uint64_t>(0x38c));
}

TEST_CASE("Evtx normalise: 4688 fields are found by name, not by position", "[readers][evtx]") {
  Fields shuffled = fields_4688_v0();
  std::swap(shuffled[4], shuffled[7]);  // NewProcessId <-> ProcessId
  const Event e = require_event(
      event_xml(System{kSecurityAuditing, "4688", 0, "Security"}, event_data(shuffled)));
  CHECK(e.pid == std::optional<std::uint64_t>(0x38c));
  CHECK(e.parent_pid == std::optional<std::uint64_t>(0x124));
}

TEST_CASE("Evtx normalise: Sysmon 1 layouts 1-A, 1-C and 1-D normalise to the same values",
          "[readers][evtx]") {
  const Event a = require_event(event_xml(sysmon_system("1"), event_data(sysmon1_layout_a())));
  const Event c = require_event(event_xml(sysmon_system("1"), event_data(sysmon1_layout_c())));
  const Event d = require_event(event_xml(sysmon_system("1"), event_data(sysmon1_layout_d())));
  CHECK(sysmon1_layout_a().size() == 16);
  CHECK(sysmon1_layout_c().size() == 22);
  CHECK(sysmon1_layout_d().size() == 23);
  for (const Event* e : {&a, &c, &d}) {
    CHECK(e->kind == EventKind::kProcessStart);
    CHECK(e->channel == LogChannel::kSysmon);
    CHECK(e->pid == std::optional<std::uint64_t>(388));
    CHECK(e->parent_pid == std::optional<std::uint64_t>(300));
    CHECK(e->image == "C:\\Windows\\System32\\smss.exe");
    CHECK(e->command_line == "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ");
    CHECK(e->parent_image == "C:\\Windows\\System32\\smss.exe");
    CHECK(e->parent_command_line == "\\SystemRoot\\System32\\smss.exe");
    CHECK(e->process_guid == "{747F3D96-B763-5EA4-0000-00106A480000}");
    CHECK(e->parent_guid == "{747F3D96-B75F-5EA4-0000-0010622C0000}");
    CHECK(e->user_name == "NT AUTHORITY\\SYSTEM");
    CHECK(e->user_sid == "S-1-5-18");
    CHECK(e->logon_id == std::optional<std::uint64_t>(0x3e7));
    CHECK(e->session_id == std::optional<std::uint32_t>(0));
    CHECK(e->integrity == "System");
    // UtcTime, not TimeCreated (which trails it by seconds at boot).
    CHECK(e->time == ft("2020-04-25T22:19:15.727Z"));
    CHECK(e->ref.written == ft("2020-04-25T22:19:22.596352Z"));
    CHECK(e->ref.record_id == 27374);
  }
}

TEST_CASE("Evtx normalise: Sysmon 1 drops the '?' parent and the all-zero parent GUID",
          "[readers][evtx]") {
  Fields f = sysmon1_layout_c();
  for (auto& [name, value] : f) {
    if (name == "ParentImage" || name == "ParentCommandLine") {
      value = "?";
    } else if (name == "ParentProcessGuid") {
      value = "{00000000-0000-0000-0000-000000000000}";
    } else if (name == "CommandLine") {
      value = "";
    }
  }
  const Event e = require_event(event_xml(sysmon_system("1"), event_data(f)));
  CHECK(e.parent_image.empty());
  CHECK(e.parent_command_line.empty());
  CHECK(e.parent_guid.empty());
  CHECK(e.command_line.empty());
  CHECK(e.parent_pid == std::optional<std::uint64_t>(300));
}

TEST_CASE("Evtx normalise: Sysmon User names map to well-known SIDs in several languages",
          "[readers][evtx]") {
  auto sid_for = [](const std::string& user) {
    Fields f = sysmon1_layout_a();
    for (auto& [name, value] : f) {
      if (name == "User") {
        value = user;
      }
    }
    return require_event(event_xml(sysmon_system("1"), event_data(f))).user_sid;
  };
  CHECK(sid_for("NT AUTHORITY\\SYSTEM") == "S-1-5-18");
  CHECK(sid_for("nt authority\\system") == "S-1-5-18");
  CHECK(sid_for("NT AUTHORITY\\LOCAL SERVICE") == "S-1-5-19");
  CHECK(sid_for("NT AUTHORITY\\NETWORK SERVICE") == "S-1-5-20");
  CHECK(sid_for("NT-AUTORIT\xC3\x84T\\SYSTEM") == "S-1-5-18");
  CHECK(sid_for("AUTORITE NT\\Syst\xC3\xA8me") == "S-1-5-18");
  CHECK(sid_for("PC01\\IEUser").empty());
  CHECK(sid_for("PC01\\SYSTEM").empty());  // a local account that happens to be called SYSTEM
  CHECK(sid_for("SYSTEM").empty());
}

TEST_CASE("Evtx normalise: Sysmon 5 old and new layouts", "[readers][evtx]") {
  const Fields old_layout{{"RuleName", ""},
                          {"UtcTime", "2019-02-16 10:04:04.211"},
                          {"ProcessGuid", "{365abb72-e014-5c67-0000-0010fca01500}"},
                          {"ProcessId", "3444"},
                          {"Image", "C:\\Windows\\System32\\smss.exe"}};
  Fields new_layout = old_layout;
  new_layout.emplace_back("User", "NT AUTHORITY\\SYSTEM");
  System sys = sysmon_system("5");
  sys.version = 3;
  const Event o = require_event(event_xml(sys, event_data(old_layout)));
  const Event n = require_event(event_xml(sys, event_data(new_layout)));
  for (const Event* e : {&o, &n}) {
    CHECK(e->kind == EventKind::kProcessExit);
    CHECK(e->pid == std::optional<std::uint64_t>(3444));
    CHECK(e->image == "C:\\Windows\\System32\\smss.exe");
    CHECK(e->process_guid == "{365ABB72-E014-5C67-0000-0010FCA01500}");
    CHECK(e->time == ft("2019-02-16T10:04:04.211Z"));
    CHECK_FALSE(e->parent_pid.has_value());
  }
  CHECK(o.user_sid.empty());
  CHECK(n.user_sid == "S-1-5-18");
}

TEST_CASE("Evtx normalise: 4689 process exit carries the hex PID and exit status",
          "[readers][evtx]") {
  const Event e =
      require_event(event_xml(System{kSecurityAuditing, "4689", 0, "Security"},
                              event_data({{"SubjectUserSid", "S-1-5-18"},
                                          {"SubjectUserName", "PC01$"},
                                          {"SubjectDomainName", "EXAMPLE"},
                                          {"SubjectLogonId", "0x3e7"},
                                          {"Status", "0x0"},
                                          {"ProcessId", "0x0000038c"},
                                          {"ProcessName", "C:\\Windows\\System32\\smss.exe"}})));
  CHECK(e.kind == EventKind::kProcessExit);
  CHECK(e.pid == std::optional<std::uint64_t>(0x38c));
  CHECK(e.exit_status == std::optional<std::uint64_t>(0));
  CHECK(e.image == "C:\\Windows\\System32\\smss.exe");
  CHECK(e.user_sid == "S-1-5-18");
  CHECK(e.logon_id == std::optional<std::uint64_t>(0x3e7));
}

TEST_CASE("Evtx normalise: 4624 logon: type, target account, requesting process",
          "[readers][evtx]") {
  const Event e = require_event(
      event_xml(System{kSecurityAuditing, "4624", 0, "Security"},
                event_data({{"SubjectUserSid", "S-1-5-18"},
                            {"SubjectLogonId", "0x00000000000003e7"},
                            {"TargetUserSid", "S-1-5-21-1-2-3-1108"},
                            {"TargetUserName", "admin01"},
                            {"TargetDomainName", "EXAMPLE"},
                            {"TargetLogonId", "0x000000000014a321"},
                            {"LogonType", "10"},
                            {"LogonGuid", "{00000000-0000-0000-0000-000000000000}"},
                            {"TransmittedServices", "-"},
                            {"ProcessId", "0x000004b8"},
                            {"ProcessName", "C:\\Windows\\System32\\winlogon.exe"}})));
  CHECK(e.kind == EventKind::kLogon);
  CHECK(e.logon_type == std::optional<int>(10));
  CHECK(e.logon_id == std::optional<std::uint64_t>(0x14a321));
  CHECK(e.user_sid == "S-1-5-21-1-2-3-1108");
  CHECK(e.user_name == "EXAMPLE\\admin01");
  CHECK(e.pid == std::optional<std::uint64_t>(0x4b8));
  CHECK(e.image == "C:\\Windows\\System32\\winlogon.exe");
}

TEST_CASE("Evtx normalise: 4624 with an absent process keeps the PID absent", "[readers][evtx]") {
  const Event e = require_event(
      event_xml(System{kSecurityAuditing, "4624", 2, "Security"},
                event_data({{"LogonType", "3"}, {"ProcessId", "-"}, {"ProcessName", "-"}})));
  CHECK_FALSE(e.pid.has_value());
  CHECK(e.image.empty());
}

TEST_CASE("Evtx normalise: 4616 clock change converts both ISO times", "[readers][evtx]") {
  const Event e =
      require_event(event_xml(System{kSecurityAuditing, "4616", 1, "Security"},
                              event_data({{"SubjectUserSid", "S-1-5-19"},
                                          {"SubjectUserName", "LOCAL SERVICE"},
                                          {"SubjectDomainName", "NT AUTHORITY"},
                                          {"SubjectLogonId", "0x00000000000003e5"},
                                          {"PreviousTime", "2020-08-01T21:48:55.059803500Z"},
                                          {"NewTime", "2020-08-01T18:48:55.271699300Z"},
                                          {"ProcessId", "0x0000053c"},
                                          {"ProcessName", "C:\\Windows\\System32\\svchost.exe"}})));
  CHECK(e.kind == EventKind::kClockChange);
  CHECK(e.previous_time == ft("2020-08-01T21:48:55.0598035Z"));
  CHECK(e.new_time == ft("2020-08-01T18:48:55.2716993Z"));
  CHECK(e.pid == std::optional<std::uint64_t>(0x53c));
  CHECK(e.user_sid == "S-1-5-19");
  CHECK(e.user_name == "NT AUTHORITY\\LOCAL SERVICE");
}

TEST_CASE("Evtx normalise: 1102 and 104 log-cleared events read UserData by element name",
          "[readers][evtx]") {
  const Event security =
      require_event(event_xml(System{"Microsoft-Windows-Eventlog", "1102", 0, "Security"},
                              user_data("LogFileCleared",
                                        {{"SubjectUserSid", "S-1-5-21-1-2-3-1108"},
                                         {"SubjectUserName", "admin01"},
                                         {"SubjectDomainName", "EXAMPLE"},
                                         {"SubjectLogonId", "0x00000000000af855"}})));
  CHECK(security.kind == EventKind::kLogCleared);
  CHECK(security.cleared_channel == "Security");
  CHECK(security.user_sid == "S-1-5-21-1-2-3-1108");
  CHECK(security.user_name == "EXAMPLE\\admin01");
  CHECK(security.logon_id == std::optional<std::uint64_t>(0xaf855));

  const Event system =
      require_event(event_xml(System{"Microsoft-Windows-Eventlog", "104", 0, "System"},
                              user_data("LogFileCleared",
                                        {{"SubjectUserName", "admin01"},
                                         {"SubjectDomainName", "EXAMPLE"},
                                         {"Channel", "Microsoft-Windows-Sysmon/Operational"},
                                         {"BackupPath", ""}})));
  CHECK(system.kind == EventKind::kLogCleared);
  CHECK(system.channel == LogChannel::kSystem);
  CHECK(system.cleared_channel == "Microsoft-Windows-Sysmon/Operational");
  CHECK(system.user_name == "EXAMPLE\\admin01");
}

TEST_CASE("Evtx normalise: 1100 and 4608 mark shutdown and boot", "[readers][evtx]") {
  const Event stop =
      require_event(event_xml(System{"Microsoft-Windows-Eventlog", "1100", 0, "Security"},
                              "  <UserData>\n    <ServiceShutdown xmlns=\"x\"/>\n  </UserData>\n"));
  CHECK(stop.kind == EventKind::kShutdown);
  const Event boot = require_event(
      event_xml(System{kSecurityAuditing, "4608", 0, "Security"}, "  <EventData/>\n"));
  CHECK(boot.kind == EventKind::kBootStart);
  CHECK(boot.time == boot.ref.written);
}

TEST_CASE(
    "Evtx normalise: Kernel-General 12/13 use StartTime/StopTime, other providers are ignored",
    "[readers][evtx]") {
  const System kg12{
      "Microsoft-Windows-Kernel-General", "12", 0, "System", "3", "2020-08-01T21:48:10.000000000Z"};
  const Event start =
      require_event(event_xml(kg12,
                              event_data({{"MajorVersion", "10"},
                                          {"BuildVersion", "17763"},
                                          {"StartTime", "2020-08-01T21:47:55.500000000Z"}})));
  CHECK(start.kind == EventKind::kBootStart);
  CHECK(start.time == ft("2020-08-01T21:47:55.5Z"));
  CHECK(start.ref.written == ft("2020-08-01T21:48:10Z"));

  System kg13 = kg12;
  kg13.event_id = "13";
  const Event stop =
      require_event(event_xml(kg13, event_data({{"StopTime", "2020-08-02T08:00:00.000000000Z"}})));
  CHECK(stop.kind == EventKind::kShutdown);
  CHECK(stop.time == ft("2020-08-02T08:00:00Z"));

  System netvsc = kg12;
  netvsc.provider = "Microsoft-Windows-Hyper-V-Netvsc";
  CHECK_FALSE(
      normalise_event_xml(event_xml(netvsc, event_data({{"MiniportNameLen", "33"}})), defaults())
          .has_value());
}

TEST_CASE("Evtx normalise: Classic EventLog 6005/6006/6008/6009 mask the Qualifiers",
          "[readers][evtx]") {
  auto classic = [](const char* id) {
    return require_event(
        event_xml(System{"EventLog", id, 0, "System"},
                  "  <EventData>\n    <Data>12:50:29 PM</Data>\n    <Binary>00</Binary>\n"
                  "  </EventData>\n"));
  };
  CHECK(classic("6005").kind == EventKind::kBootStart);
  CHECK(classic("6009").kind == EventKind::kBootStart);
  CHECK(classic("6006").kind == EventKind::kShutdown);
  CHECK(classic("6008").kind == EventKind::kUnexpectedShutdown);
  // An id with the qualifiers folded in (0x80001778) is still 6008 once masked.
  const Event folded = classic("2147489656");
  CHECK(folded.ref.event_id == 6008);
  CHECK(folded.kind == EventKind::kUnexpectedShutdown);
  CHECK(folded.channel == LogChannel::kSystem);
  CHECK(folded.time == folded.ref.written);
}

TEST_CASE("Evtx normalise: LocalSessionManager 21/24/39/40 read EventXML by element name",
          "[readers][evtx]") {
  const System lsm{kLsm, "21", 0, kLsmChannel};
  const Event logon = require_event(event_xml(
      lsm,
      user_data(
          "EventXML",
          {{"User", "DESKTOP-23PS6ES\\defaultuser0"}, {"SessionID", "1"}, {"Address", "LOCAL"}})));
  CHECK(logon.kind == EventKind::kSession);
  CHECK(logon.channel == LogChannel::kLocalSessionManager);
  CHECK(logon.session_id == std::optional<std::uint32_t>(1));
  CHECK(logon.user_name == "DESKTOP-23PS6ES\\defaultuser0");
  CHECK(logon.address == "LOCAL");

  System s24 = lsm;
  s24.event_id = "24";
  const Event disc = require_event(event_xml(
      s24, user_data("EventXML", {{"User", "PC\\u"}, {"SessionID", "2"}, {"Address", ""}})));
  CHECK(disc.session_id == std::optional<std::uint32_t>(2));
  CHECK(disc.address.empty());

  System s39 = lsm;
  s39.event_id = "39";
  const Event by_other = require_event(
      event_xml(s39, user_data("EventXML", {{"TargetSession", "3"}, {"Source", "5"}})));
  CHECK(by_other.session_id == std::optional<std::uint32_t>(3));
  CHECK(by_other.source_session == std::optional<std::uint32_t>(5));

  System s40 = lsm;
  s40.event_id = "40";
  const Event reason =
      require_event(event_xml(s40, user_data("EventXML", {{"Session", "1"}, {"Reason", "11"}})));
  CHECK(reason.session_id == std::optional<std::uint32_t>(1));
  CHECK(reason.reason == "11");
}

TEST_CASE("Evtx normalise: Irrelevant events give nullopt", "[readers][evtx]") {
  CHECK_FALSE(normalise_event_xml(event_xml(System{kSecurityAuditing, "5156", 0, "Security"},
                                            event_data({{"ProcessID", "820"}})),
                                  defaults())
                  .has_value());
  CHECK_FALSE(normalise_event_xml(
                  event_xml(System{kSysmon, "3", 5, kSysmonChannel}, event_data({})), defaults())
                  .has_value());
  CHECK_FALSE(normalise_event_xml(event_xml(System{kLsm, "41", 0, kLsmChannel}, ""), defaults())
                  .has_value());
  // The detailed form still reports what System says.
  const XmlNormalisation d = normalise_event_xml_detailed(
      event_xml(System{"Service Control Manager", "7036", 0, "System"}, ""), defaults());
  CHECK(d.well_formed);
  CHECK_FALSE(d.event.has_value());
  CHECK(d.provider == "Service Control Manager");
  CHECK(d.channel_name == "System");
  CHECK(d.time_created == ft("2019-02-13T18:04:57.462399Z"));
}

TEST_CASE("Evtx normalise: Ill-formed XML is reported, never thrown", "[readers][evtx]") {
  const std::string good =
      event_xml(System{kSecurityAuditing, "4688", 0, "Security"}, event_data(fields_4688_v0()));
  for (const std::string& bad : {good.substr(0, good.size() / 2),
                                 std::string("<Event><System><EventID>4688</EventID></Sys"),
                                 std::string("not xml at all"),
                                 std::string(),
                                 std::string("<Event>\x01</Event>")}) {
    const XmlNormalisation d = normalise_event_xml_detailed(bad, defaults());
    CHECK_FALSE(d.well_formed);
    CHECK_FALSE(d.problem.empty());
    CHECK_FALSE(d.event.has_value());
  }
  // A value holding unescaped XML with undeclared prefixes: how libevtx renders the LiveId
  // records of issue_39.evtx. pugixml alone would accept it.
  const Fields markup = fields_4688_v1(
      "<s:Envelope><wsa:To s:mustUnderstand=\"1\">*</wsa:To>"
      "</s:Envelope>");
  const XmlNormalisation unbound = normalise_event_xml_detailed(
      event_xml(System{kSecurityAuditing, "4688", 1, "Security"}, event_data(markup)), defaults());
  CHECK_FALSE(unbound.well_formed);
  CHECK(unbound.problem.find("unbound namespace prefix 's'") != std::string::npos);
  // Declared prefixes are fine.
  const Fields declared = fields_4688_v1("<s:Envelope xmlns:s=\"urn:x\">*</s:Envelope>");
  CHECK(normalise_event_xml_detailed(
            event_xml(System{kSecurityAuditing, "4688", 1, "Security"}, event_data(declared)),
            defaults())
            .well_formed);
}

TEST_CASE("Evtx normalise: EventRef prefers System values and falls back to the record header",
          "[readers][evtx]") {
  facts::EventRef d = defaults();
  d.recovered = true;
  const Event from_xml = *normalise_event_xml(
      event_xml(System{kSecurityAuditing, "4608", 0, "Security", "227693"}, ""), d);
  CHECK(from_xml.ref.artifact == "C:/evidence/Security.evtx");
  CHECK(from_xml.ref.record_id == 227693);
  CHECK(from_xml.ref.written == ft("2019-02-13T18:04:57.462399Z"));
  CHECK(from_xml.ref.channel_name == "Security");
  CHECK(from_xml.ref.event_id == 4608);
  CHECK(from_xml.ref.recovered);

  const Event from_header = *normalise_event_xml(
      event_xml(System{kSecurityAuditing, "4608", 0, "Security", "", ""}, ""), d);
  CHECK(from_header.ref.record_id == 7);
  CHECK(from_header.ref.written == 42);
  CHECK(from_header.time == 42);
}

TEST_CASE("Evtx normalise: is_used_field accepts its 39 field names and no near miss",
          "[readers][evtx]") {
  // The native scanner keeps only the EventData items this accepts; a name missing here would be
  // a field silently absent from every native event.
  for (const char* name : {"Address",
                           "Channel",
                           "CommandLine",
                           "Image",
                           "IntegrityLevel",
                           "LogonId",
                           "LogonType",
                           "MandatoryLabel",
                           "NewProcessId",
                           "NewProcessName",
                           "NewTime",
                           "ParentCommandLine",
                           "ParentImage",
                           "ParentProcessGuid",
                           "ParentProcessId",
                           "ParentProcessName",
                           "PreviousTime",
                           "ProcessGuid",
                           "ProcessId",
                           "ProcessName",
                           "Reason",
                           "Session",
                           "SessionID",
                           "Source",
                           "StartTime",
                           "Status",
                           "StopTime",
                           "SubjectDomainName",
                           "SubjectLogonId",
                           "SubjectUserName",
                           "SubjectUserSid",
                           "TargetDomainName",
                           "TargetLogonId",
                           "TargetSession",
                           "TargetUserName",
                           "TargetUserSid",
                           "TerminalSessionId",
                           "User",
                           "UtcTime"}) {
    INFO(name);
    CHECK(evtx::is_used_field(name));
  }
  // Same length as a used name, a case or one letter off, a prefix, empty, longer than any.
  for (const char* name : {"Usr",
                           "USER",
                           "Users",
                           "ProcessID",
                           "ProcessIs",
                           "Process",
                           "",
                           "TokenElevationType",
                           "SubjectDomainNames"}) {
    INFO(name);
    CHECK_FALSE(evtx::is_used_field(name));
  }
}
