// `--format csv`: one row per finding, RFC 4180, for Timeline Explorer and spreadsheets. The row's
// artifact, location and time come from the evidence that placed the finding in time (the same
// choice as --format jsonl), else from its first evidence.
#include "report/report_format.hpp"
#include "report/timesketch.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/rule.hpp"

#include <array>
#include <string>
#include <string_view>

namespace smssaudit::report {

namespace {

constexpr std::array<std::string_view, 11> kHeader = {"host",
                                                      "rule_id",
                                                      "severity",
                                                      "score",
                                                      "confidence",
                                                      "title",
                                                      "message",
                                                      "attack",
                                                      "artifact",
                                                      "location",
                                                      "time"};

/// RFC 4180 section 2: a field holding a comma, a quote, CR or LF is quoted and its quotes doubled.
/// The data is never altered otherwise: a CSV reader gets back exactly the stored text.
std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(value);
  }
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

template <std::size_t N>
void write_row(const std::array<std::string, N>& fields, std::ostream& out) {
  for (std::size_t i = 0; i < N; ++i) {
    if (i != 0) {
      out << ',';
    }
    out << csv_field(fields[i]);
  }
  out << "\r\n";
}

/// "ControlSet001\Control\Session Manager\BootExecute" for a registry value, the key alone when the
/// evidence names no value, "Security/5" (channel/record id) for an event record.
std::string location(const facts::EvidenceRef& e) {
  if (e.event_id != 0) {
    return e.channel + "/" + std::to_string(e.record_id);
  }
  if (e.value_name.empty()) {
    return e.key_path;
  }
  return e.key_path + "\\" + e.value_name;
}

}  // namespace

void write_csv(const Report& report, std::ostream& out) {
  std::array<std::string, kHeader.size()> header;
  for (std::size_t i = 0; i < kHeader.size(); ++i) {
    header.at(i) = std::string(kHeader.at(i));
  }
  write_row(header, out);
  for (const HostReport& host : report.hosts) {
    for (const rules::Finding& f : host.findings) {
      const detail::FindingTime t = detail::finding_time(f);
      const facts::EvidenceRef* primary =
          t.source != nullptr ? t.source : (f.evidence.empty() ? nullptr : &f.evidence.front());
      const std::array<std::string, kHeader.size()> row = {
          host.name,
          f.rule_id,
          rules::to_string(f.severity),
          std::to_string(f.score),
          f.confidence,
          f.title,
          f.message,
          text::join(f.attack, ";"),
          primary != nullptr ? primary->artifact : std::string(),
          primary != nullptr ? location(*primary) : std::string(),
          detail::iso_time(t.filetime).value_or("")};
      write_row(row, out);
    }
  }
}

}  // namespace smssaudit::report
