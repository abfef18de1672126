// The terminal report: summary lines, findings by severity, colour only on request, determinism.
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::report::Report;
using smssaudit::report::TextOptions;
namespace t = smssaudit::report::testing;

std::string render(const Report& report, bool color = false, bool verbose = false) {
  std::ostringstream out;
  TextOptions options;
  options.color = color;
  options.verbose = verbose;
  smssaudit::report::write_text(report, out, options);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const std::string& l : lines_of(text)) {
    if (l == line) {
      return true;
    }
  }
  return false;
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("The text report opens with tool, rule set and inputs", "[report]") {
  const std::string text = render(t::sample_report());
  CHECK(text.rfind("smssaudit 0.1.0  ruleset 42 rules (sha256 3f2a…9c1e)\n", 0) == 0);
  CHECK(has_line(text,
                 "  system_hive  /cases/x/SYSTEM  11,771,904 bytes  sha256 e178813e…867450c3  ok"));
  CHECK(has_line(text, "  ! hive.dirty: primary sequence 205 != secondary 204  [base block]"));
  CHECK(has_line(text, "  - rules.loaded: 42 rules loaded  [builtin]"));
}

TEST_CASE("The text report summarises the host: OS, hive state, Select, control sets, verdict",
          "[report]") {
  const std::string text = render(t::sample_report());
  CHECK(has_line(text, "Host WKS-TEST"));
  CHECK(has_line(text,
                 "  OS           win10 (baseline win10; from software:CurrentBuild=19041) | "
                 "Windows 10 Pro 19041.1052"));
  CHECK(has_line(text,
                 "  Hive         DIRTY (sequence 205/204, logs: /cases/x/SYSTEM.LOG1, "
                 "/cases/x/SYSTEM.LOG2) — audited state may be stale"));
  CHECK(has_line(text, "  Select       Current=1 Default=1 LastKnownGood=- Failed=0"));
  CHECK(has_line(text, "  Control sets ControlSet001 (current), ControlSet002"));
  CHECK(has_line(text, "  Verdict      SUSPICIOUS  score 55/100"));
  CHECK(has_line(text, "               - SMSS-001: BootExecute in ControlSet001 runs 'evil.exe'"));
  CHECK(has_line(text, "               - coverage gap: hive.dirty_no_logs"));
}

TEST_CASE("A clean hive and a missing SYSTEM hive read plainly in the text report", "[report]") {
  Report report = t::sample_report();
  report.hosts[0].system->base.secondary_sequence = 205;
  CHECK(has_line(render(report), "  Hive         clean (sequence 205/205)"));
  report.hosts[0].system.reset();
  const std::string text = render(report);
  // The sample's inputs list a SYSTEM hive: it was given but could not be used.
  CHECK(has_line(text, "  Hive         unusable (see the SYSTEM hive input)"));
  CHECK(text.find("Session Manager (") == std::string::npos);
  // No SYSTEM hive among the inputs at all (an event-log-only scan).
  report.inputs.clear();
  CHECK(has_line(render(report), "  Hive         none given (registry not audited)"));
}

TEST_CASE("The text report draws the smss tree of each boot", "[report]") {
  Report report = t::sample_report();
  CHECK(render(report).find("not analysed: no event log was given") != std::string::npos);
  report.hosts[0].lineage = t::sample_lineage();
  const std::string text = render(report);
  CHECK(text.find("  1 boot(s)") != std::string::npos);
  CHECK(text.find("    master smss pid 280 (0x118)") != std::string::npos);
  // The session child is drawn under its master, with its session and lifetime, and its csrss
  // under it.
  CHECK(text.find("        session smss pid 376 (0x178)") != std::string::npos);
  CHECK(text.find("session 1  lived 0.400 s") != std::string::npos);
  CHECK(text.find("            csrss.exe pid 384 (0x180)  +0.000 s") != std::string::npos);
}

TEST_CASE("Text findings show severity, rule, message and evidence", "[report]") {
  const std::string text = render(t::sample_report());
  CHECK(has_line(text, "  Findings (2)"));
  CHECK(has_line(text,
                 "  HIGH     SMSS-001  BootExecute runs something other than autochk  [T1547.001]  "
                 "score 40  confidence high"));
  CHECK(has_line(text, "           BootExecute in ControlSet001 runs 'evil.exe'"));
  CHECK(has_line(text,
                 "           at ControlSet001\\Control\\Session Manager :: BootExecute "
                 "(REG_MULTI_SZ)  last written 2020-06-09T18:12:25.4809506Z"));
  CHECK(has_line(text, "           = autocheck autochk * | evil.exe"));
  CHECK(has_line(text,
                 "  MEDIUM   SMSS-010  Pending rename replaces a System32 file  score 15  "
                 "confidence medium"));
  // Evidence without a timestamp or data prints neither.
  CHECK(has_line(text,
                 "           at ControlSet001\\Control\\Session Manager :: "
                 "PendingFileRenameOperations (REG_MULTI_SZ)"));
}

TEST_CASE("Text findings are grouped by severity and info findings need verbose", "[report]") {
  Report report = t::sample_report();
  auto& findings = report.hosts[0].findings;
  std::swap(findings[0], findings[1]);  // medium first: the reporter still prints high first
  const std::string text = render(report);
  const std::size_t high = text.find("  HIGH     SMSS-001");
  const std::size_t medium = text.find("  MEDIUM   SMSS-010");
  REQUIRE(high != std::string::npos);
  REQUIRE(medium != std::string::npos);
  CHECK(high < medium);
  CHECK(text.find("SMSS-900") == std::string::npos);
  CHECK(has_line(text, "  (1 info finding not shown; verbose output lists them)"));

  const std::string verbose = render(report, false, true);
  CHECK(has_line(verbose, "  Findings (3)"));
  CHECK(verbose.find("  INFO     SMSS-900  Control set inventory") != std::string::npos);
  CHECK(verbose.find("not shown") == std::string::npos);
}

TEST_CASE("A host without findings says so", "[report]") {
  Report report = t::sample_report();
  report.hosts[0].findings.clear();
  CHECK(has_line(render(report), "  No findings."));
  report.hosts[0].findings.push_back(
      t::sample_finding("SMSS-900", smssaudit::rules::Level::kInfo, 0));
  const std::string text = render(report);
  CHECK(has_line(text, "  No findings above info."));
  CHECK(has_line(text, "  (1 info finding not shown; verbose output lists them)"));
}

TEST_CASE("The text report lists coverage gaps and Session Manager highlights per control set",
          "[report]") {
  const std::string text = render(t::sample_report());
  CHECK(has_line(text, "  Coverage gaps"));
  CHECK(has_line(text,
                 "  - hive.dirty_no_logs: SYSTEM is dirty and no transaction logs were replayed"));
  CHECK(has_line(text, "  Session Manager (ControlSet001)"));
  CHECK(has_line(text, "  Session Manager (ControlSet002)"));
  CHECK(has_line(text, "    BootExecute        autocheck autochk * | evil.exe"));
  CHECK(has_line(text, "    SetupExecute       setup.exe"));
  CHECK(has_line(text,
                 "    KnownDLLs  2 entries   AppCertDlls  absent   PendingFileRenameOperations  "
                 "2 operations"));
  // Verbose-only detail stays out of the default view.
  CHECK(text.find("ProtectionMode") == std::string::npos);
}

TEST_CASE("Very long values are cut to 160 characters in the text report", "[report]") {
  const std::string text = render(t::sample_report());
  bool found = false;
  for (const std::string& line : lines_of(text)) {
    if (line.rfind("    SubSystems\\Windows ", 0) == 0) {
      found = true;
      const std::string value = line.substr(std::string("    SubSystems\\Windows ").size());
      CHECK(value.rfind("%SystemRoot%\\system32\\csrss.exe", 0) == 0);
      CHECK(code_points(value) == 161);  // 160 characters and the ellipsis
      CHECK(value.substr(value.size() - 3) == "…");
    }
  }
  CHECK(found);
}

TEST_CASE("Verbose text lists every captured key, value and rename operation", "[report]") {
  const std::string text = render(t::sample_report(), false, true);
  CHECK(has_line(text,
                 "    [Control\\Session Manager]  present  last written "
                 "2020-06-09T18:12:25.4809506Z"));
  CHECK(text.find("      ProtectionMode               REG_DWORD     1\n") != std::string::npos);
  CHECK(text.find("      GlobalFlag                   REG_BINARY    de ad be ef  [truncated]\n") !=
        std::string::npos);
  CHECK(text.find(
            "      ObjectDirectories            REG_SZ        (error: data cell unreadable)\n") !=
        std::string::npos);
  CHECK(has_line(text, "    [Control\\Session Manager\\AppCertDlls]  absent"));
  CHECK(has_line(text,
                 "    [Control\\Session Manager\\Kernel]  unreadable  error: key cell corrupt"));
  CHECK(has_line(text, "      subkeys: AppCertDlls, KnownDLLs, SubSystems"));
  CHECK(has_line(text,
                 "    PendingFileRenameOperations[0] rename \\??\\C:\\tmp\\a.dll -> "
                 "\\??\\C:\\Windows\\System32\\b.dll (replace existing)"));
  CHECK(has_line(text, "    PendingFileRenameOperations[1] delete \\??\\C:\\tmp\\c.tmp"));
}

TEST_CASE("Text without colour contains no ANSI escapes, even from hostile evidence", "[report]") {
  for (const bool verbose : {false, true}) {
    const std::string text = render(t::sample_report(), false, verbose);
    CHECK(text.find('\x1b') == std::string::npos);
  }
  // The hostile SubSystems\Debug value is shown escaped.
  CHECK(render(t::sample_report(), false, true).find("\\x1b[2Jcleared") != std::string::npos);
}

TEST_CASE("Text with colour paints severities and never passes evidence escapes through",
          "[report]") {
  const std::string text = render(t::sample_report(), true, true);
  CHECK(text.find("\x1b[31mHIGH\x1b[0m     SMSS-001") != std::string::npos);
  CHECK(text.find("\x1b[33mMEDIUM\x1b[0m   SMSS-010") != std::string::npos);
  CHECK(text.find("\x1b[33mSUSPICIOUS\x1b[0m  score 55/100") != std::string::npos);
  CHECK(text.find("\x1b[2J") == std::string::npos);
}

TEST_CASE("Text lines never end in spaces", "[report]") {
  for (const bool color : {false, true}) {
    for (const bool verbose : {false, true}) {
      for (const std::string& line : lines_of(render(t::sample_report(), color, verbose))) {
        INFO(line);
        CHECK((line.empty() || line.back() != ' '));
      }
    }
  }
}

TEST_CASE("The same report renders byte-identical text twice", "[report]") {
  const Report report = t::sample_report();
  CHECK(render(report) == render(report));
  CHECK(render(report, true, true) == render(report, true, true));
}

TEST_CASE("A text report with no hosts explains that nothing was usable", "[report]") {
  Report report;
  report.tool_version = "0.1.0";
  const std::string text = render(report);
  CHECK(has_line(text, "No hosts: nothing usable was found in the inputs."));
  CHECK(has_line(text, "  none"));
}

TEST_CASE("Debug diagnostics appear in the text report only when verbose", "[report]") {
  Report report = t::sample_report();
  report.diagnostics = {{smssaudit::DiagLevel::kDebug, "hive.walk", "", "", "walked 12 keys"}};
  const std::string text = render(report);
  CHECK(text.find("hive.walk") == std::string::npos);
  CHECK(text.find("Diagnostics") == std::string::npos);
  CHECK(has_line(render(report, false, true), "  - hive.walk: walked 12 keys"));
}
