// write_html (issue 6 item 2): escaping of hostile evidence, the verdict banner per level, findings
// with registry and event evidence, one lineage tree and timeline per boot, nothing fetched from
// the network, and byte-stable output.
#include "smssaudit/report/report.hpp"
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace smssaudit;
using report::testing::sample_report;

std::string html_of(const report::Report& r) {
  std::ostringstream out;
  report::write_html(r, out);
  return out.str();
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

// The part of the page from the element carrying `marker` to the end of that element's tag name
// `tag` (e.g. the <tbody> of one finding).
std::string element_with(const std::string& html,
                         const std::string& marker,
                         const std::string& tag) {
  const std::size_t at = html.find(marker);
  REQUIRE(at != std::string::npos);
  const std::size_t start = html.rfind("<" + tag, at);
  const std::size_t end = html.find("</" + tag + ">", at);
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  return html.substr(start, end - start);
}

constexpr std::uint64_t kBoot = 132590592005000000ULL;  // 2021-03-01T08:00:00.5000000Z
constexpr std::uint64_t kMs = 10'000ULL;

facts::EventRef record(std::uint64_t id, std::uint16_t event_id, std::uint64_t time) {
  facts::EventRef r;
  r.artifact = "logs/Security.evtx";
  r.channel_name = "Security";
  r.record_id = id;
  r.event_id = event_id;
  r.written = time;
  return r;
}

// The demo boot: System -> master smss 280 -> autochk 320, bootsvc 336 (the implant), session
// children 376 (session 0: csrss 384, wininit 460) and 452 (session 1: csrss 468, winlogon 548).
facts::Lineage demo_lineage(const std::string& command_line = "") {
  facts::Lineage lin;
  lin.analyzed = true;
  facts::Boot boot;
  boot.index = 1;
  boot.start = kBoot;
  boot.start_basis = "system:12";
  boot.end = kBoot + 3600'000 * kMs;
  boot.end_basis = "security:1100";
  const auto add = [&boot](std::uint64_t pid,
                           std::optional<std::size_t> parent,
                           std::uint64_t parent_pid,
                           const std::string& image,
                           std::uint64_t start_ms,
                           std::optional<std::uint64_t> end_ms,
                           std::uint64_t rec) {
    facts::ProcessInstance p;
    p.pid = pid;
    p.parent = parent;
    p.parent_pid = parent_pid;
    p.image = "C:\\Windows\\System32\\" + image;
    p.start = kBoot + start_ms * kMs;
    p.user_sid = "S-1-5-18";
    p.evidence.push_back(record(rec, 4688, p.start));
    if (end_ms) {
      p.end = kBoot + *end_ms * kMs;
      p.evidence.push_back(record(rec + 100, 4689, *p.end));
    }
    boot.processes.push_back(std::move(p));
  };
  add(280, std::nullopt, 4, "smss.exe", 4512, std::nullopt, 2);
  add(320, 0, 280, "autochk.exe", 4604, 5370, 3);
  add(336, 0, 280, "bootsvc.exe", 5381, 5462, 5);
  add(376, 0, 280, "smss.exe", 5503, 6112, 9);
  add(384, 3, 376, "csrss.exe", 5515, std::nullopt, 10);
  add(452, 0, 280, "smss.exe", 5902, 6790, 11);
  add(460, 3, 376, "wininit.exe", 5951, std::nullopt, 12);
  add(468, 5, 452, "csrss.exe", 5963, std::nullopt, 13);
  add(548, 5, 452, "winlogon.exe", 6027, std::nullopt, 14);
  if (!command_line.empty()) {
    boot.processes[2].command_line = command_line;
    boot.processes[2].image = "C:\\Windows\\System32\\" + command_line;
  }
  facts::SmssInstance master;
  master.process = 0;
  master.role = facts::SmssRole::kMaster;
  master.children = {1, 2, 3, 5};
  facts::SmssInstance s0;
  s0.process = 3;
  s0.role = facts::SmssRole::kSessionChild;
  s0.children = {4, 6};
  s0.lifetime_ms = 609;
  s0.session.session_id = 0;
  s0.session.basis = "security:wininit";
  facts::SmssInstance s1 = s0;
  s1.process = 5;
  s1.children = {7, 8};
  s1.lifetime_ms = 888;
  s1.session.session_id = 1;
  s1.session.basis = "security:winlogon>4624>LSM21";
  boot.smss = {master, s0, s1};
  lin.boots.push_back(boot);
  lin.coverage.security_process_starts = true;
  lin.coverage.exits_collected = true;
  return lin;
}

// LIN-022 as the lineage facts cite it: the flagged process's records first, then its parent's.
rules::Finding lin022() {
  rules::Finding f;
  f.rule_id = "LIN-022";
  f.title = "Non-default boot program confirmed executed";
  f.severity = rules::Level::kHigh;
  f.score = 60;
  f.attack = {"T1547.001"};
  f.message = "boot 1: 'C:\\Windows\\System32\\bootsvc.exe' was started by the master smss";
  f.fact_kind = "lineage.smss_spawn";
  f.fields["pid"] = std::int64_t{336};
  for (const auto& [rec, id, ms] :
       std::vector<std::tuple<std::uint64_t, std::uint16_t, std::uint64_t>>{
           {5, 4688, 5381}, {105, 4689, 5462}, {2, 4688, 4512}}) {
    facts::EvidenceRef e;
    e.artifact = "logs/Security.evtx";
    e.sha256 = std::string(64, 'a');
    e.channel = "Security";
    e.event_id = id;
    e.record_id = rec;
    e.event_time = kBoot + ms * kMs;
    f.evidence.push_back(e);
  }
  return f;
}

report::Report demo_report() {
  report::Report r = sample_report();
  r.hosts[0].lineage = demo_lineage();
  r.hosts[0].findings.insert(r.hosts[0].findings.begin(), lin022());
  r.hosts[0].verdict.level = "malicious";
  r.hosts[0].verdict.score = 100;
  return r;
}

}  // namespace

TEST_CASE("html: the page is one document with its stylesheet inline", "[report][html]") {
  const std::string html = html_of(demo_report());
  CHECK(html.rfind("<!DOCTYPE html>\n", 0) == 0);
  CHECK(html.ends_with("</html>\n"));
  CHECK(count(html, "<style>") == 1);
  CHECK(html.find("<meta charset=\"utf-8\">") != std::string::npos);
  CHECK(html.find("Content-Security-Policy") != std::string::npos);
  // Elements the page opens are closed (a cheap structural check; Chromium renders the demo in
  // tests/cli/html_render_test.cpp).
  for (const std::string tag : {"svg", "details", "table", "tbody", "section", "main", "g"}) {
    INFO(tag);
    CHECK(count(html, "<" + tag + " ") + count(html, "<" + tag + ">") ==
          count(html, "</" + tag + ">"));
  }
  CHECK(html.find("id=\"tool-version\">0.1.0<") != std::string::npos);
  // The ruleset hash in full: the header is what ties the page to the rules that judged it.
  CHECK(html.find("3f2a" + std::string(56, '0') + "9c1e") != std::string::npos);
  CHECK(html.find("WKS-TEST") != std::string::npos);
  CHECK(html.find("Windows 10 Pro") != std::string::npos);
}

TEST_CASE("html: every string from evidence is escaped", "[report][html]") {
  // What an attacker controls: command lines, image names, registry data, value names.
  const std::string hostile =
      "<script>alert(1)</script>\"onmouseover=\"x()' &amp; Ünïcødé ✓ \x1b[2J \xff end";
  const std::string very_long(20000, 'A');
  report::Report r = demo_report();
  report::HostReport& host = r.hosts[0];
  host.lineage = demo_lineage(hostile);
  host.name = "HOST<b>";
  rules::Finding f = lin022();
  f.rule_id = "X\"><img src=x>";
  f.message = hostile;
  f.title = hostile;
  f.attack = {hostile};
  f.fields["command_line"] = hostile;
  facts::EvidenceRef reg;
  reg.artifact = "/cases/<x>/SYSTEM";
  reg.key_path = "ControlSet001\\Control\\Session Manager";
  reg.value_name = hostile;
  reg.value_type = "REG_SZ";
  reg.data = hostile + very_long;
  f.evidence.push_back(reg);
  host.findings.push_back(f);
  host.verdict.reasons.push_back(hostile);
  host.coverage.push_back({"gap<i>", hostile});
  r.inputs[0].evidence.path = "/cases/" + hostile;
  r.inputs[0].diagnostics.push_back({DiagLevel::kWarning, "x", "src", "loc", hostile});
  const std::string html = html_of(r);

  // No markup from the input survives: no script, no img, no handler attribute.
  CHECK(lower(html).find("<script") == std::string::npos);
  CHECK(lower(html).find("<img") == std::string::npos);
  CHECK(html.find("\"onmouseover=") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("<i>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=&quot;x()&#39; &amp;amp; "
                  "Ünïcødé ✓ \\x1b[2J \\xff end") != std::string::npos);
  CHECK(html.find("data-rule=\"X&quot;&gt;&lt;img src=x&gt;\"") != std::string::npos);
  // Control characters and invalid UTF-8 are shown as \xNN, never emitted raw.
  CHECK(html.find('\x1b') == std::string::npos);
  CHECK(html.find('\xff') == std::string::npos);
  // The evidence table keeps the whole value; only figures and summaries cut long strings.
  CHECK(html.find(very_long) != std::string::npos);
  // The hostile image name reached the SVG too, escaped and cut to fit its box.
  const std::string tree = element_with(html, "class=\"lineage-tree\"", "svg");
  CHECK(tree.find("&lt;script&gt;") != std::string::npos);
  CHECK(lower(tree).find("<script") == std::string::npos);
}

TEST_CASE("html: the verdict banner shows the level, its colour class, the score and the reasons",
          "[report][html]") {
  for (const std::string level : {"malicious", "suspicious", "inconclusive", "clean"}) {
    INFO(level);
    report::Report r = demo_report();
    r.hosts[0].verdict.level = level;
    r.hosts[0].verdict.score = 42;
    const std::string html = html_of(r);
    const std::string banner = element_with(html, "id=\"verdict\"", "div");
    CHECK(banner.find("class=\"verdict level-" + level + "\"") != std::string::npos);
    CHECK(banner.find("data-level=\"" + level + "\"") != std::string::npos);
    CHECK(banner.find("data-score=\"42\"") != std::string::npos);
    std::string shown = level;
    std::transform(shown.begin(), shown.end(), shown.begin(), [](char c) {
      return static_cast<char>(c - 'a' + 'A');
    });
    CHECK(banner.find(">" + shown + "<") != std::string::npos);
    CHECK(banner.find("score 42/100") != std::string::npos);
    CHECK(banner.find("SMSS-001: BootExecute in ControlSet001 runs &#39;evil.exe&#39;") !=
          std::string::npos);
  }
  // A level outside the known set gets the neutral colour, never its own text as a class.
  report::Report r = demo_report();
  r.hosts[0].verdict.level = "odd\" class=\"x";
  const std::string html = html_of(r);
  CHECK(html.find("class=\"verdict level-unknown\"") != std::string::npos);
  CHECK(html.find("data-level=\"odd&quot; class=&quot;x\"") != std::string::npos);
}

TEST_CASE("html: coverage gaps are listed prominently, and their absence is stated",
          "[report][html]") {
  const std::string html = html_of(demo_report());
  const std::string gaps = element_with(html, "id=\"coverage-gaps\"", "div");
  CHECK(gaps.find("data-count=\"1\"") != std::string::npos);
  CHECK(gaps.find("data-code=\"hive.dirty_no_logs\"") != std::string::npos);
  CHECK(gaps.find("SYSTEM is dirty and no transaction logs were replayed") != std::string::npos);
  // The gaps come right after the verdict, before the findings.
  CHECK(html.find("id=\"coverage-gaps\"") < html.find("id=\"findings-1\""));

  report::Report none = demo_report();
  none.hosts[0].coverage.clear();
  const std::string clean = html_of(none);
  CHECK(clean.find("class=\"gaps none\" id=\"coverage-gaps\" data-count=\"0\"") !=
        std::string::npos);
}

TEST_CASE("html: a finding with registry evidence shows hive, key, value, data and last-written",
          "[report][html]") {
  const std::string html = html_of(demo_report());
  const std::string f = element_with(html, "data-rule=\"SMSS-001\"", "tbody");
  CHECK(f.find("class=\"finding sev-high\"") != std::string::npos);
  CHECK(f.find("data-severity=\"high\"") != std::string::npos);
  CHECK(f.find("BootExecute runs something other than autochk") != std::string::npos);
  CHECK(f.find("BootExecute in ControlSet001 runs &#39;evil.exe&#39;") != std::string::npos);
  CHECK(f.find("<span class=\"attack\">T1547.001</span>") != std::string::npos);
  CHECK(f.find("<td>40</td><td>high</td>") != std::string::npos);
  const std::string ev = element_with(f, "class=\"evidence registry\"", "tr");
  CHECK(ev.find("/cases/x/SYSTEM") != std::string::npos);
  CHECK(ev.find("ControlSet001\\Control\\Session Manager") != std::string::npos);
  CHECK(ev.find(" :: <strong>BootExecute</strong>") != std::string::npos);
  CHECK(ev.find(">REG_MULTI_SZ<") != std::string::npos);
  CHECK(ev.find("autocheck autochk * | evil.exe") != std::string::npos);
  CHECK(ev.find("2020-06-09T18:12:25.4809506Z") != std::string::npos);
  CHECK(ev.find(report::testing::kSampleSha) != std::string::npos);  // full hash in the title
  // High findings open their evidence; lower ones keep it folded.
  CHECK(f.find("<details class=\"evidence\" open>") != std::string::npos);
  const std::string medium = element_with(html, "data-rule=\"SMSS-010\"", "tbody");
  CHECK(medium.find("<details class=\"evidence\">") != std::string::npos);
  // The fact's fields are listed; absent ones are not.
  CHECK(f.find("<summary>Fact fields (5)</summary>") != std::string::npos);
  CHECK(f.find(">control_set</th><td class=\"mono wrap\">ControlSet001<") != std::string::npos);
  CHECK(f.find(">missing<") == std::string::npos);
}

TEST_CASE("html: a finding with event evidence shows file, channel, event id, record id and time",
          "[report][html]") {
  const std::string html = html_of(demo_report());
  const std::string f = element_with(html, "data-rule=\"LIN-022\"", "tbody");
  const std::string ev = element_with(f, "class=\"evidence event\"", "tr");
  CHECK(ev.find("logs/Security.evtx") != std::string::npos);
  CHECK(ev.find("<td>Security</td><td class=\"mono\">4688</td><td class=\"mono\">5</td>"
                "<td class=\"mono nowrap\">2021-03-01T08:00:05.8810000Z</td>") !=
        std::string::npos);
  CHECK(count(f, "class=\"evidence event\"") == 3);
  CHECK(f.find("class=\"registry-evidence\"") == std::string::npos);
}

TEST_CASE("html: findings are grouped by severity, highest first", "[report][html]") {
  const std::string html = html_of(demo_report());
  const std::size_t high = html.find("<th colspan=\"6\">HIGH (2)</th>");
  const std::size_t medium = html.find("<th colspan=\"6\">MEDIUM (1)</th>");
  const std::size_t info = html.find("<th colspan=\"6\">INFO (1)</th>");
  REQUIRE(high != std::string::npos);
  REQUIRE(medium != std::string::npos);
  REQUIRE(info != std::string::npos);
  CHECK(high < html.find("data-rule=\"LIN-022\""));
  CHECK(html.find("data-rule=\"SMSS-001\"") < medium);
  CHECK(medium < html.find("data-rule=\"SMSS-010\""));
  CHECK(info < html.find("data-rule=\"SMSS-900\""));
}

TEST_CASE("html: each boot gets a lineage tree and a timeline, one node per process",
          "[report][html]") {
  report::Report r = demo_report();
  facts::Boot second = r.hosts[0].lineage.boots.front();
  second.index = 2;
  r.hosts[0].lineage.boots.push_back(second);
  const std::string html = html_of(r);
  CHECK(count(html, "<svg class=\"lineage-tree\"") == 2);
  CHECK(count(html, "<svg class=\"lineage-timeline\"") == 2);
  CHECK(html.find("<svg class=\"lineage-tree\" data-boot=\"2\"") != std::string::npos);

  const std::string tree = element_with(html, "<svg class=\"lineage-tree\" data-boot=\"1\"", "svg");
  // 9 processes plus System, the recorded parent of the master.
  CHECK(count(tree, "<g class=\"node ") == 10);
  CHECK(tree.find("data-pid=\"4\" data-role=\"system\"") != std::string::npos);
  CHECK(tree.find("<g class=\"node master cited\" data-pid=\"280\" data-role=\"master\"") !=
        std::string::npos);
  CHECK(tree.find("data-pid=\"376\" data-role=\"session_child\"") != std::string::npos);
  CHECK(tree.find("data-session=\"0\"") != std::string::npos);
  CHECK(tree.find("data-session=\"1\"") != std::string::npos);
  for (const std::string pid : {"320", "336", "384", "452", "460", "468", "548"}) {
    CHECK(tree.find("data-pid=\"" + pid + "\"") != std::string::npos);
  }
  // The process LIN-022 is about is the anomalous one; its parent is only cited as context.
  CHECK(tree.find("<g class=\"node proc anomalous sev-high\" data-pid=\"336\"") !=
        std::string::npos);
  CHECK(tree.find("data-rules=\"LIN-022\"") != std::string::npos);
  CHECK(count(tree, "anomalous") == 1);
  CHECK(tree.find("lived 0.609 s") != std::string::npos);
  CHECK(tree.find("2021-03-01T08:00:05.0120000Z") != std::string::npos);
  // System -> master, master -> 4 children, each session child -> 2: one edge per process.
  CHECK(count(tree, "<path ") == 9);

  const std::string timeline =
      element_with(html, "<svg class=\"lineage-timeline\" data-boot=\"1\"", "svg");
  CHECK(count(timeline, "<g class=\"row ") == 9);
  CHECK(timeline.find("data-pid=\"376\" data-session=\"0\"") != std::string::npos);
  CHECK(timeline.find("session 0 · lived 0.609 s") != std::string::npos);
  CHECK(timeline.find("session 1 · lived 0.888 s") != std::string::npos);
  CHECK(timeline.find("0 = 2021-03-01T08:00:00.5000000Z") != std::string::npos);
  // The master lives until shutdown: its bar is open-ended, not stretched over an hour.
  CHECK(element_with(timeline, "data-pid=\"280\"", "g").find("bar open") != std::string::npos);
}

TEST_CASE("html: a process whose parent was not logged hangs under a stand-in, not under System",
          "[report][html]") {
  report::Report r = demo_report();
  r.hosts[0].lineage.boots[0].processes[0].parent_pid = 1234;
  r.hosts[0].lineage.boots[0].processes[0].parent_image = "C:\\Users\\x\\evil.exe";
  const std::string tree = element_with(html_of(r), "class=\"lineage-tree\"", "svg");
  CHECK(tree.find("data-pid=\"1234\" data-role=\"parent-not-seen\"") != std::string::npos);
  CHECK(tree.find(">evil.exe<") != std::string::npos);
  CHECK(tree.find("data-role=\"system\"") == std::string::npos);
}

TEST_CASE("html: without event logs the lineage section says it was not analysed",
          "[report][html]") {
  report::Report r = sample_report();  // lineage.analyzed is false
  const std::string html = html_of(r);
  CHECK(html.find("<svg") == std::string::npos);
  CHECK(html.find("Not analysed: no event log was given") != std::string::npos);

  report::Report empty;
  const std::string none = html_of(empty);
  CHECK(none.find("id=\"verdict\" data-level=\"none\"") != std::string::npos);
}

TEST_CASE("html: the page fetches nothing", "[report][html]") {
  const std::string html = lower(html_of(demo_report()));
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<iframe") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);
}

TEST_CASE("html: the same report gives the same bytes", "[report][html]") {
  const report::Report r = demo_report();
  const std::string first = html_of(r);
  CHECK(first == html_of(r));
  CHECK(first == html_of(demo_report()));
}

TEST_CASE("html: the inputs table lists path, kind, size, full SHA-256, status and diagnostics",
          "[report][html]") {
  const std::string html = html_of(demo_report());
  const std::string row = element_with(html, "<tr class=\"input\"", "tr");
  CHECK(row.find("data-kind=\"system_hive\" data-status=\"ok\"") != std::string::npos);
  CHECK(row.find("/cases/x/SYSTEM") != std::string::npos);
  CHECK(row.find("11,771,904") != std::string::npos);
  CHECK(row.find(report::testing::kSampleSha) != std::string::npos);
  CHECK(row.find("<span class=\"badge ok\">ok</span>") != std::string::npos);
  CHECK(row.find("hive.dirty") != std::string::npos);
  CHECK(row.find("primary sequence 205 != secondary 204") != std::string::npos);
}

TEST_CASE("html: the configuration of every control set marks the values findings cite",
          "[report][html]") {
  const std::string html = html_of(demo_report());
  CHECK(count(html, "class=\"card control-set\"") == 2);
  const std::size_t at = html.find("data-control-set=\"ControlSet001\"");
  REQUIRE(at != std::string::npos);
  const std::string cs1 = html.substr(at, html.find("</table>", at) - at);
  CHECK(cs1.find("<tr class=\"cited\"><th>BootExecute</th>") != std::string::npos);
  CHECK(cs1.find("SMSS-001") != std::string::npos);
  // The rename queue is shown decoded.
  CHECK(html.find("rename <code>\\??\\C:\\tmp\\a.dll</code> → <code>\\??\\C:\\Windows\\System32\\"
                  "b.dll</code> (replace existing)") != std::string::npos);
}
