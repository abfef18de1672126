// `--format csv`: findings, RFC 4180 (CRLF, quoting, doubled quotes) with a fixed header.
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::report::Report;
namespace t = smssaudit::report::testing;
namespace facts = smssaudit::facts;

using Row = std::vector<std::string>;

std::string render(const Report& report) {
  std::ostringstream out;
  smssaudit::report::write_csv(report, out);
  return out.str();
}

/// A strict RFC 4180 reader: records end in CRLF; a quoted field may hold anything, with "" for a
/// quote; an unquoted field may hold no quote, CR or LF. Throws on anything else.
std::vector<Row> parse_csv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      while (true) {
        if (i >= text.size()) {
          throw std::runtime_error("unterminated quoted field");
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '\r') {
        if (text[i] == '"' || text[i] == '\n') {
          throw std::runtime_error("quote or LF in an unquoted field");
        }
        field += text[i++];
      }
    }
    row.push_back(field);
    field.clear();
    if (i < text.size() && text[i] == ',') {
      ++i;
      continue;
    }
    if (text.compare(i, 2, "\r\n") != 0) {
      throw std::runtime_error("record does not end in CRLF at offset " + std::to_string(i));
    }
    i += 2;
    rows.push_back(row);
    row.clear();
  }
  return rows;
}

const Row kHeader = {"host",
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

}  // namespace

TEST_CASE("CSV starts with the fixed header and writes one row per finding", "[report][csv]") {
  const auto rows = parse_csv(render(t::sample_report()));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == kHeader);
  for (const Row& row : rows) {
    CHECK(row.size() == kHeader.size());
  }
  const Row expected = {"WKS-TEST",
                        "SMSS-001",
                        "high",
                        "40",
                        "high",
                        "BootExecute runs something other than autochk",
                        "BootExecute in ControlSet001 runs 'evil.exe'",
                        "T1547.001",
                        "/cases/x/SYSTEM",
                        "ControlSet001\\Control\\Session Manager\\BootExecute",
                        "2020-06-09T18:12:25.4809506Z"};
  CHECK(rows[1] == expected);
  // No time and no evidence: empty cells, not the current time.
  CHECK(rows[2][10].empty());
  CHECK(rows[2][9] == "ControlSet001\\Control\\Session Manager\\PendingFileRenameOperations");
  CHECK(rows[3][8].empty());
  CHECK(rows[3][9].empty());
}

TEST_CASE("CSV quotes commas, quotes, CR and LF and doubles quotes", "[report][csv]") {
  Report r = t::sample_report();
  auto& f = r.hosts[0].findings[0];
  f.title = "a, b";
  f.message = "say \"hi\"\r\nnext line";
  f.attack = {"T1547.001", "T1574"};
  const std::string text = render(r);
  CHECK(text.find("\"a, b\"") != std::string::npos);
  CHECK(text.find("\"say \"\"hi\"\"\r\nnext line\"") != std::string::npos);
  const auto rows = parse_csv(text);
  REQUIRE(rows.size() == 4);
  CHECK(rows[1][5] == "a, b");
  CHECK(rows[1][6] == "say \"hi\"\r\nnext line");
  CHECK(rows[1][7] == "T1547.001;T1574");
}

TEST_CASE("CSV locates event evidence by channel and record id", "[report][csv]") {
  Report r = t::sample_report();
  facts::EvidenceRef e;
  e.artifact = "/cases/x/Security.evtx";
  e.channel = "Security";
  e.event_id = 4688;
  e.record_id = 5;
  e.event_time = t::kSampleTime;
  r.hosts[0].findings[1].evidence.push_back(e);
  const auto rows = parse_csv(render(r));
  CHECK(rows[2][8] == "/cases/x/Security.evtx");
  CHECK(rows[2][9] == "Security/5");
  CHECK(rows[2][10] == "2020-06-09T18:12:25.4809506Z");
}

TEST_CASE("CSV of a report without hosts is the header alone", "[report][csv]") {
  Report r = t::sample_report();
  r.hosts.clear();
  CHECK(render(r) ==
        "host,rule_id,severity,score,confidence,title,message,attack,artifact,location,time\r\n");
}
