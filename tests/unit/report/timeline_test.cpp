// `--timeline FILE`: every dated fact as Timesketch JSONL, sorted by time then a stable key.
#include "smssaudit/core/filetime.hpp"
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::report::Report;
using Json = nlohmann::ordered_json;
namespace t = smssaudit::report::testing;
namespace facts = smssaudit::facts;

std::string render(const Report& report) {
  std::ostringstream out;
  smssaudit::report::write_timeline(report, out);
  return out.str();
}

std::vector<Json> lines(const Report& report) {
  std::vector<Json> parsed;
  std::istringstream in(render(report));
  std::string line;
  while (std::getline(in, line)) {
    parsed.push_back(Json::parse(line));
  }
  return parsed;
}

Report report_with_lineage() {
  Report r = t::sample_report();
  r.hosts[0].lineage = t::sample_lineage();
  facts::LogClear clear;
  clear.channel = "Security";
  clear.user = "CORP\\mallory";
  clear.ref = {"/cases/x/Security.evtx", "Security", 900, 132590000500000000ULL, 1102, 0, false};
  r.hosts[0].lineage.coverage.clears.push_back(clear);
  facts::ClockChange clock;
  clock.previous_time = 132590000600000000ULL;
  clock.new_time = 132500000000000000ULL;
  clock.process = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
  clock.ref = {"/cases/x/Security.evtx", "Security", 901, 132590000600000000ULL, 4616, 1, false};
  r.hosts[0].lineage.coverage.clock_changes.push_back(clock);
  return r;
}

std::vector<Json> of_type(const std::vector<Json>& all, const std::string& data_type) {
  std::vector<Json> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [&](const Json& j) {
    return j["data_type"] == data_type;
  });
  return out;
}

}  // namespace

TEST_CASE("The timeline's lines carry the Timesketch keys and are sorted by time",
          "[report][timeline]") {
  const auto all = lines(report_with_lineage());
  REQUIRE(all.size() > 10);
  std::int64_t previous = 0;
  for (const Json& j : all) {
    REQUIRE(j.contains("message"));
    REQUIRE(j.contains("datetime"));
    REQUIRE(j.contains("timestamp_desc"));
    CHECK(j["host"] == "WKS-TEST");
    const auto ts = j["timestamp"].get<std::int64_t>();
    CHECK(ts > 0);  // only dated facts
    CHECK(ts >= previous);
    previous = ts;
    const auto ft = smssaudit::iso8601_to_filetime(j["datetime"].get<std::string>());
    REQUIRE(ft.has_value());
    CHECK(smssaudit::filetime_to_unix_micros(*ft) == ts);
  }
}

TEST_CASE("The timeline has boots, smss-family starts and exits, and the session",
          "[report][timeline]") {
  const auto all = lines(report_with_lineage());
  const auto boots = of_type(all, "smssaudit:boot");
  REQUIRE(boots.size() == 1);  // the sample boot has no end
  CHECK(boots[0]["timestamp_desc"] == "Boot Start");
  CHECK(boots[0]["basis"] == "system:12");

  const auto procs = of_type(all, "smssaudit:process");
  // master start; child start; csrss start (same time as the child: report order breaks the
  // tie, parent first); child exit.
  REQUIRE(procs.size() == 4);
  CHECK(procs[0]["pid"] == 0x118);
  CHECK(procs[0]["role"] == "master");
  CHECK(procs[0]["timestamp_desc"] == "Process Start");
  CHECK(procs[1]["pid"] == 0x178);
  CHECK(procs[1]["role"] == "session_child");
  CHECK(procs[2]["pid"] == 0x180);
  CHECK(procs[2]["role"] == "smss_child");
  CHECK(procs[3]["pid"] == 0x178);
  CHECK(procs[3]["timestamp_desc"] == "Process Exit");
  CHECK(procs[3]["lifetime_ms"] == 400);
  CHECK(procs[3]["message"].get<std::string>().find("lived 400 ms") != std::string::npos);

  const auto sessions = of_type(all, "smssaudit:session");
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0]["session_id"] == 1);
  CHECK(sessions[0]["smss_pid"] == 0x178);
  CHECK(sessions[0]["session_basis"] == "sysmon:TerminalSessionId");
  CHECK(sessions[0]["timestamp"] == procs[1]["timestamp"]);
}

TEST_CASE(
    "The timeline has key last-written times per control set, clears, clock changes, findings",
    "[report][timeline]") {
  const auto all = lines(report_with_lineage());
  const auto keys = of_type(all, "smssaudit:registry:key");
  // Session Manager, KnownDLLs, SubSystems in each of two control sets (absent/unreadable: no
  // time).
  REQUIRE(keys.size() == 6);
  CHECK(keys[0]["timestamp_desc"] == "Key Last Written");
  CHECK(keys[0]["control_set"] == "ControlSet001");
  CHECK(keys[0]["current"] == true);
  CHECK(keys[0]["key_path"] == "ControlSet001\\Control\\Session Manager");
  CHECK(of_type(all, "smssaudit:registry:hive").size() == 1);
  CHECK(of_type(all, "smssaudit:os:install").size() == 1);

  const auto clears = of_type(all, "smssaudit:log_clear");
  REQUIRE(clears.size() == 1);
  CHECK(clears[0]["message"] == "Security log cleared by CORP\\mallory");
  CHECK(clears[0]["evidence"]["record_id"] == 900);
  const auto clocks = of_type(all, "smssaudit:clock_change");
  REQUIRE(clocks.size() == 1);
  CHECK(clocks[0]["timestamp_desc"] == "Clock Changed");
  CHECK(clocks[0]["process"].get<std::string>().find("powershell") != std::string::npos);

  // Only the dated finding (SMSS-001, key last written) is on the timeline.
  const auto findings = of_type(all, "smssaudit:finding");
  REQUIRE(findings.size() == 1);
  CHECK(findings[0]["rule_id"] == "SMSS-001");
  CHECK(findings[0]["timestamp_desc"] == "Key Last Written");
}

TEST_CASE("The timeline orders ties by report order, and its output is deterministic",
          "[report][timeline]") {
  const Report r = report_with_lineage();
  CHECK(render(r) == render(r));
  const auto all = lines(r);
  // Everything at kSampleTime keeps report order: hive, the keys of each control set, the finding.
  std::vector<std::string> at_sample;
  for (const Json& j : all) {
    if (j["datetime"] == "2020-06-09T18:12:25.4809506Z") {
      at_sample.push_back(j.value("key_path", j["data_type"].get<std::string>()));
    }
  }
  const std::vector<std::string> expected = {"smssaudit:registry:hive",
                                             "ControlSet001\\Control\\Session Manager",
                                             "ControlSet001\\Control\\Session Manager\\KnownDLLs",
                                             "ControlSet001\\Control\\Session Manager\\SubSystems",
                                             "ControlSet002\\Control\\Session Manager",
                                             "ControlSet002\\Control\\Session Manager\\KnownDLLs",
                                             "ControlSet002\\Control\\Session Manager\\SubSystems",
                                             "smssaudit:finding"};
  CHECK(at_sample == expected);
}

TEST_CASE("The timeline of a report without dated facts is empty", "[report][timeline]") {
  Report r = t::sample_report();
  r.hosts[0].system.reset();
  r.hosts[0].os.software.reset();
  r.hosts[0].findings.resize(1);
  r.hosts[0].findings[0].evidence.clear();
  CHECK(render(r).empty());
}
