// `--format jsonl`: one finding per line with the Timesketch keys first (design.md 4,
// ecosystem.md 5), so `timesketch_importer` and Velociraptor's parse_jsonl() take the file as is.
#include "report/json_lineage.hpp"
#include "report/report_format.hpp"
#include "report/timesketch.hpp"
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/rule.hpp"

#include <string>
#include <type_traits>
#include <variant>

namespace smssaudit::report {

namespace detail {

namespace {

constexpr std::uint16_t kSecurityProcessStart = 4688;
constexpr std::uint16_t kSecurityProcessExit = 4689;
constexpr std::uint16_t kSysmonProcessStart = 1;
constexpr std::uint16_t kSysmonProcessExit = 5;

}  // namespace

std::string event_time_desc(const std::string& channel, std::uint16_t event_id) {
  const facts::LogChannel log = facts::channel_from_name(channel);
  const bool security = log == facts::LogChannel::kSecurity;
  const bool sysmon = log == facts::LogChannel::kSysmon;
  if ((security && event_id == kSecurityProcessStart) ||
      (sysmon && event_id == kSysmonProcessStart)) {
    return "Process Start";
  }
  if ((security && event_id == kSecurityProcessExit) ||
      (sysmon && event_id == kSysmonProcessExit)) {
    return "Process Exit";
  }
  return "Event Logged";
}

FindingTime finding_time(const rules::Finding& finding) {
  FindingTime t;
  for (const facts::EvidenceRef& e : finding.evidence) {
    if (e.event_id != 0 && e.event_time != 0) {
      t.filetime = e.event_time;
      t.source = &e;
      t.desc = event_time_desc(e.channel, e.event_id);
      t.basis = "event";
      return t;
    }
  }
  for (const facts::EvidenceRef& e : finding.evidence) {
    if (e.event_id == 0 && e.last_written != 0) {
      t.filetime = e.last_written;
      t.source = &e;
      t.desc = "Key Last Written";
      t.basis = "key_last_written";
      return t;
    }
  }
  return t;
}

Json timesketch_line(const std::string& message, std::uint64_t filetime, const std::string& desc) {
  const std::uint64_t at = filetime == 0 ? kFiletimeUnixEpoch : filetime;
  Json j = Json::object();
  j["message"] = message;
  j["datetime"] = filetime_to_iso8601(at);
  j["timestamp"] = filetime_to_unix_micros(at);
  j["timestamp_desc"] = desc;
  return j;
}

Json finding_line(const std::string& host, const rules::Finding& finding) {
  const FindingTime t = finding_time(finding);
  Json j = timesketch_line(finding.message, t.filetime, t.desc);
  j["time_source"] = t.basis;
  j["data_type"] = "smssaudit:finding";
  j["host"] = host;
  j["rule_id"] = finding.rule_id;
  j["title"] = finding.title;
  j["severity"] = rules::to_string(finding.severity);
  j["score"] = finding.score;
  j["confidence"] = finding.confidence;
  j["attack"] = finding.attack;
  j["fact_kind"] = finding.fact_kind;
  j["fields"] = fields_json(finding.fields);
  Json evidence = Json::array();
  for (const auto& e : finding.evidence) {
    evidence.push_back(evidence_json(e));
  }
  j["evidence"] = std::move(evidence);
  return j;
}

std::string dump_line(const Json& line) {
  // Paths and hive strings can hold any bytes; `replace` keeps a hostile name from aborting the
  // run.
  return line.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n';
}

}  // namespace detail

void write_jsonl(const Report& report, std::ostream& out) {
  for (const HostReport& host : report.hosts) {
    // The engine already sorted findings; the line order is the report's order.
    for (const rules::Finding& finding : host.findings) {
      out << detail::dump_line(detail::finding_line(host.name, finding));
    }
  }
}

}  // namespace smssaudit::report
