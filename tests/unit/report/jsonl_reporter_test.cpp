// `--format jsonl`: one finding per line with the Timesketch keys (design.md 4, ecosystem.md 5).
#include "smssaudit/core/filetime.hpp"
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::report::Report;
using Json = nlohmann::ordered_json;
namespace t = smssaudit::report::testing;
namespace facts = smssaudit::facts;

std::vector<Json> lines(const Report& report) {
  std::ostringstream out;
  smssaudit::report::write_jsonl(report, out);
  std::vector<Json> parsed;
  std::istringstream in(out.str());
  std::string line;
  while (std::getline(in, line)) {
    parsed.push_back(Json::parse(line));
  }
  return parsed;
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) {
    keys.push_back(item.key());
  }
  return keys;
}

facts::EvidenceRef event_evidence(std::uint16_t id,
                                  std::uint64_t time,
                                  const std::string& channel) {
  facts::EvidenceRef e;
  e.artifact = "/cases/x/Security.evtx";
  e.sha256 = t::kSampleSha;
  e.channel = channel;
  e.event_id = id;
  e.record_id = 77;
  e.event_time = time;
  return e;
}

}  // namespace

TEST_CASE("JSONL writes one line per finding with the Timesketch keys first", "[report][jsonl]") {
  std::ostringstream out;
  smssaudit::report::write_jsonl(t::sample_report(), out);
  const std::string text = out.str();
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  const auto parsed = lines(t::sample_report());
  REQUIRE(parsed.size() == 3);
  const std::vector<std::string> expected = {"message",
                                             "datetime",
                                             "timestamp",
                                             "timestamp_desc",
                                             "time_source",
                                             "data_type",
                                             "host",
                                             "rule_id",
                                             "title",
                                             "severity",
                                             "score",
                                             "confidence",
                                             "attack",
                                             "fact_kind",
                                             "fields",
                                             "evidence"};
  for (const Json& line : parsed) {
    CHECK(keys_of(line) == expected);
    CHECK(line["host"] == "WKS-TEST");
    CHECK(line["data_type"] == "smssaudit:finding");
  }
  CHECK(parsed[0]["rule_id"] == "SMSS-001");
  CHECK(parsed[1]["rule_id"] == "SMSS-010");
  CHECK(parsed[2]["rule_id"] == "SMSS-900");
}

TEST_CASE("JSONL places a registry finding at its key's last-written time", "[report][jsonl]") {
  const auto parsed = lines(t::sample_report());
  const Json& high = parsed.at(0);
  CHECK(high["message"] == "BootExecute in ControlSet001 runs 'evil.exe'");
  CHECK(high["datetime"] == "2020-06-09T18:12:25.4809506Z");
  CHECK(high["timestamp"].get<std::int64_t>() == 1591726345480950);
  CHECK(high["timestamp_desc"] == "Key Last Written");
  CHECK(high["time_source"] == "key_last_written");
  CHECK(high["severity"] == "high");
  CHECK(high["score"] == 40);
  CHECK(high["attack"] == Json::array({"T1547.001"}));
  CHECK(high["fact_kind"] == "smss.boot_execute");
  // Absent fields are left out, typed ones keep their type.
  CHECK(high["fields"]["position"] == 2);
  CHECK(high["fields"]["is_default"] == false);
  CHECK_FALSE(high["fields"].contains("missing"));
  REQUIRE(high["evidence"].size() == 1);
  CHECK(high["evidence"][0]["type"] == "registry");
  CHECK(high["evidence"][0]["key_path"] == "ControlSet001\\Control\\Session Manager");
  CHECK(high["evidence"][0]["last_written"] == "2020-06-09T18:12:25.4809506Z");
}

TEST_CASE("JSONL gives an undated finding plaso's 'Not a time' at the epoch, never the clock",
          "[report][jsonl]") {
  const auto parsed = lines(t::sample_report());
  for (std::size_t i : {1U, 2U}) {  // evidence without last_written; no evidence at all
    const Json& line = parsed.at(i);
    CHECK(line["timestamp"] == 0);
    CHECK(line["datetime"] == "1970-01-01T00:00:00.0000000Z");
    CHECK(line["timestamp_desc"] == "Not a time");
    CHECK(line["time_source"] == "none");
  }
  CHECK(parsed[1]["confidence"] == "medium");
}

TEST_CASE("JSONL prefers event evidence over registry evidence and names the event",
          "[report][jsonl]") {
  Report r = t::sample_report();
  auto& f = r.hosts[0].findings[0];
  constexpr std::uint64_t kLater = t::kSampleTime + 10'000'000ULL;
  f.evidence.push_back(event_evidence(4688, kLater, "Security"));
  auto line = lines(r).at(0);
  CHECK(line["timestamp_desc"] == "Process Start");
  CHECK(line["time_source"] == "event");
  CHECK(line["timestamp"].get<std::int64_t>() == smssaudit::filetime_to_unix_micros(kLater));
  CHECK(line["evidence"][1]["type"] == "event");
  CHECK(line["evidence"][1]["record_id"] == 77);

  f.evidence.back() = event_evidence(5, kLater, "microsoft-windows-sysmon/operational");
  CHECK(lines(r).at(0)["timestamp_desc"] == "Process Exit");
  f.evidence.back() = event_evidence(4616, kLater, "Security");
  CHECK(lines(r).at(0)["timestamp_desc"] == "Event Logged");
  // An event without a time does not win over a dated key.
  f.evidence.back() = event_evidence(4688, 0, "Security");
  CHECK(lines(r).at(0)["timestamp_desc"] == "Key Last Written");
}

TEST_CASE("JSONL keeps hostile text intact and escaped on one line", "[report][jsonl]") {
  Report r = t::sample_report();
  r.hosts[0].findings[0].message = std::string("line1\nline2 \"q\" ") + t::kHostileText;
  std::ostringstream out;
  smssaudit::report::write_jsonl(r, out);
  const std::string text = out.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(lines(r).at(0)["message"] == std::string("line1\nline2 \"q\" ") + t::kHostileText);
}

TEST_CASE("JSONL of a report without findings is empty", "[report][jsonl]") {
  Report r = t::sample_report();
  r.hosts[0].findings.clear();
  std::ostringstream out;
  smssaudit::report::write_jsonl(r, out);
  CHECK(out.str().empty());
}
