// `--format html`: one self-contained page for a reader who will not read JSON (issue 6). Inline
// CSS and inline SVG only: no script, no font, image or link is fetched, and a
// Content-Security-Policy forbids the page from loading anything. Every string that came from
// evidence goes through html_escape. Like every reporter it renders the Report and decides
// nothing: the only cross-referencing done here is matching a finding's cited records and values
// to the processes and registry values they name, so they can be highlighted.
#include "report/html_escape.hpp"
#include "report/html_lineage.hpp"
#include "report/html_style.hpp"
#include "report/report_format.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/surface.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::report {

namespace {

using detail::html_escape;

constexpr std::size_t kMaxCellChars = 400;    // registry data in the configuration tables
constexpr std::size_t kMaxClockChanges = 20;  // the JSON report lists them all

// Values smss.exe executes or loads from the Session Manager key (registry.md 1.1); BootExecute is
// always listed because its absence is notable, the others when present.
constexpr std::array<std::string_view, 7> kExecValues = {"BootExecute",
                                                         "BootExecuteNoPnpSync",
                                                         "SetupExecute",
                                                         "SetupExecuteNoPnpSync",
                                                         "Execute",
                                                         "S0InitialCommand",
                                                         "PlatformExecute"};

constexpr std::array<rules::Level, 5> kSeverityOrder = {rules::Level::kCritical,
                                                        rules::Level::kHigh,
                                                        rules::Level::kMedium,
                                                        rules::Level::kLow,
                                                        rules::Level::kInfo};

std::string esc(std::string_view s) {
  return html_escape(s);
}

std::string when(std::uint64_t filetime) {
  return detail::iso_time(filetime).value_or("unknown");
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

// Verdict levels are a closed set; anything else (a custom verdict.yaml) gets a neutral colour
// and never reaches a class name unescaped.
std::string_view verdict_class(std::string_view level) {
  for (const std::string_view known : {"malicious", "suspicious", "inconclusive", "clean"}) {
    if (level == known) {
      return known;
    }
  }
  return "unknown";
}

std::string status_badge(std::string_view status) {
  const char* cls = status == "ok"         ? "ok"
                    : status == "partial"  ? "warn"
                    : status == "not_used" ? "dim"
                                           : "bad";
  return fmt::format("<span class=\"badge {}\">{}</span>", cls, esc(status));
}

std::string kv_row(std::string_view label, const std::string& html) {
  return fmt::format("<tr><th>{}</th><td class=\"wrap\">{}</td></tr>\n", esc(label), html);
}

// A registry value named by a finding's evidence: control set key path + value name -> rule ids.
using CitedValues = std::map<std::pair<std::string, std::string>, std::vector<std::string>>;

CitedValues cited_values(const std::vector<rules::Finding>& findings) {
  CitedValues out;
  for (const rules::Finding& f : findings) {
    for (const facts::EvidenceRef& e : f.evidence) {
      if (e.event_id != 0 || e.key_path.empty()) {
        continue;
      }
      auto& ids = out[{e.key_path, e.value_name}];
      if (std::find(ids.begin(), ids.end(), f.rule_id) == ids.end()) {
        ids.push_back(f.rule_id);
      }
    }
  }
  return out;
}

class HtmlWriter {
 public:
  explicit HtmlWriter(std::ostream& out) : out_(out) {}

  void write(const Report& report) {
    write_head(report);
    out_ << "<body>\n";
    write_banner(report);
    out_ << "<main>\n";
    if (report.hosts.empty()) {
      // An empty report must say why it is empty, or it reads as "nothing suspicious".
      out_ << "<div class=\"verdict level-unknown\" id=\"verdict\" data-level=\"none\">"
              "<span class=\"level\">NO HOST</span><ul><li>nothing usable was found in the "
              "inputs</li></ul></div>\n";
    }
    for (std::size_t i = 0; i < report.hosts.size(); ++i) {
      write_host(report.hosts[i], i + 1);
    }
    write_inputs(report);
    write_run_diagnostics(report.diagnostics);
    out_ << "<footer>Written by " << esc(report.tool_name) << ' ' << esc(report.tool_version)
         << " from the evidence listed above; times are UTC at the precision the artifacts "
            "store. This page loads nothing from the network.</footer>\n";
    out_ << "</main>\n</body>\n</html>\n";
  }

 private:
  void write_head(const Report& report) {
    std::string title = "smssaudit report";
    if (report.hosts.size() == 1) {
      title +=
          " — " + report.hosts.front().name + " — " + upper(report.hosts.front().verdict.level);
    }
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            // Nothing may be fetched: no scripts, no remote styles, fonts, images or frames.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; img-src data:\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\""
         << esc(report.tool_name + " " + report.tool_version) << "\">\n<title>" << esc(title)
         << "</title>\n<style>" << detail::html_stylesheet() << "</style>\n</head>\n";
  }

  void write_banner(const Report& report) {
    out_ << "<header class=\"report\" id=\"report-header\"><h1>smssaudit — Session Manager "
            "forensic report</h1>\n<div class=\"sub\">"
         << esc(report.tool_name) << " <span id=\"tool-version\">" << esc(report.tool_version)
         << "</span> · ruleset " << report.ruleset_count
         << " rules, sha256 <code id=\"ruleset-sha256\">" << esc(report.ruleset_sha256)
         << "</code> · " << report.inputs.size() << " input(s) · " << report.hosts.size()
         << " host(s)</div></header>\n";
  }

  // ---- host ------------------------------------------------------------------------------------

  // Order follows the examiner's questions: the verdict and why, what was missing, what was
  // found and on what evidence, what smss did, and only then the raw configuration.
  void write_host(const HostReport& host, std::size_t n) {
    out_ << fmt::format(
        "<section class=\"host\" id=\"host-{}\" data-host=\"{}\">\n", n, esc(host.name));
    out_ << "<h2>Host <span class=\"host-name\">" << esc(host.name) << "</span></h2>\n";
    write_verdict(host.verdict, n);
    write_gaps(host.coverage);
    write_host_facts(host);
    write_findings(host.findings, n);
    write_lineage(host, n);
    write_event_coverage(host);
    write_registry(host);
    out_ << "</section>\n";
  }

  void write_verdict(const rules::Verdict& v, std::size_t n) {
    const std::string id = n == 1 ? std::string("verdict") : fmt::format("verdict-{}", n);
    const std::string_view cls = verdict_class(v.level);
    out_ << fmt::format(
        "<div class=\"verdict level-{}\" id=\"{}\" data-level=\"{}\" data-score=\"{}\">"
        "<span class=\"level\">{}</span><span class=\"score\">score {}/100</span>\n",
        cls,
        id,
        esc(v.level),
        v.score,
        esc(v.level.empty() ? std::string("NONE") : upper(v.level)),
        v.score);
    // Reasons sit under the verdict so the score is never read without its justification.
    if (!v.reasons.empty()) {
      out_ << "<ul class=\"reasons\">";
      for (const std::string& r : v.reasons) {
        out_ << "<li>" << esc(r) << "</li>";
      }
      out_ << "</ul>";
    }
    out_ << "</div>\n";
  }

  // Gaps are what turn "clean" into "inconclusive": said explicitly even when there are none.
  void write_gaps(const std::vector<facts::CoverageGap>& gaps) {
    if (gaps.empty()) {
      out_ << "<div class=\"gaps none\" id=\"coverage-gaps\" data-count=\"0\"><strong>Coverage "
              "gaps:</strong> none — every expected source was read.</div>\n";
      return;
    }
    out_ << fmt::format(
        "<div class=\"gaps\" id=\"coverage-gaps\" data-count=\"{}\"><h3>Coverage gaps — why the "
        "verdict cannot be clean</h3><ul>",
        gaps.size());
    for (const facts::CoverageGap& g : gaps) {
      out_ << fmt::format("<li class=\"gap\" data-code=\"{}\"><code>{}</code>: {}</li>",
                          esc(g.code),
                          esc(g.code),
                          esc(g.message));
    }
    out_ << "</ul></div>\n";
  }

  void write_host_facts(const HostReport& host) {
    out_ << "<div class=\"card\"><table class=\"kv host-facts\">\n";
    out_ << kv_row("OS", os_html(host.os));
    if (!host.evidence_root.empty()) {
      out_ << kv_row("Evidence root", "<code>" + esc(host.evidence_root) + "</code>");
    }
    out_ << kv_row("SYSTEM hive", hive_html(host.system));
    if (host.system) {
      out_ << kv_row("Select", select_html(host.system->select));
      std::vector<std::string> sets;
      for (const facts::ControlSet& cs : host.system->control_sets) {
        const bool current =
            host.system->select.current && *host.system->select.current == cs.number;
        sets.push_back(esc(cs.name) + (current ? " <span class=\"badge ok\">current</span>" : ""));
      }
      out_ << kv_row("Control sets", sets.empty() ? std::string("none") : join(sets, ", "));
    }
    out_ << kv_row("Event logs",
                   host.lineage.analyzed
                       ? fmt::format("{} boot(s) rebuilt", host.lineage.boots.size())
                       : std::string("none given: smss lineage not analysed"));
    out_ << "</table></div>\n";
  }

  static std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const std::string& p : parts) {
      out += (out.empty() ? "" : std::string(sep)) + p;
    }
    return out;
  }

  static std::string os_html(const OsInfo& os) {
    std::string s = os.family.empty() ? std::string("unknown") : esc(os.family);
    std::vector<std::string> basis;
    if (!os.baseline.empty()) {
      basis.push_back("baseline " + esc(os.baseline));
    }
    if (!os.family_basis.empty()) {
      basis.push_back("from <code>" + esc(os.family_basis) + "</code>");
    }
    if (!basis.empty()) {
      s += " (" + join(basis, "; ") + ")";
    }
    if (!os.software) {
      return s + " · no SOFTWARE hive";
    }
    const facts::SoftwareHive& sw = *os.software;
    std::vector<std::string> parts;
    if (sw.product_name) {
      parts.push_back(esc(*sw.product_name));
    }
    const std::optional<std::string>& build =
        sw.current_build_number ? sw.current_build_number : sw.current_build;
    if (build) {
      parts.push_back("build " + esc(*build) + (sw.ubr ? fmt::format(".{}", *sw.ubr) : ""));
    }
    if (sw.display_version) {
      parts.push_back(esc(*sw.display_version));
    }
    if (sw.edition_id) {
      parts.push_back(esc(*sw.edition_id));
    }
    if (sw.install_date) {
      parts.push_back("installed " + detail::unix_seconds_to_iso(*sw.install_date));
    }
    if (sw.system_root) {
      parts.push_back("SystemRoot <code>" + esc(*sw.system_root) + "</code>");
    }
    return s + " · " +
           (parts.empty() ? std::string("SOFTWARE hive without CurrentVersion")
                          : join(parts, " · "));
  }

  static std::string hive_html(const std::optional<facts::SystemHive>& system) {
    if (!system) {
      return "none usable (registry not audited; see the inputs)";
    }
    const facts::BaseBlock& b = system->base;
    std::string s = "<code>" + esc(system->path) + "</code> · ";
    s += b.dirty() ? "<span class=\"badge warn\">DIRTY</span>"
                   : std::string("<span class=\"badge ok\">clean</span>");
    // The sequence pair is the fact behind clean/dirty; examiners compare it with the logs'.
    s += fmt::format(" sequence {}/{}", b.primary_sequence, b.secondary_sequence);
    if (!b.checksum_ok()) {
      s += fmt::format(" · checksum stored {} computed {}",
                       detail::hex32(b.stored_checksum),
                       detail::hex32(b.computed_checksum));
    }
    if (b.last_written != 0) {
      s += " · last written " + when(b.last_written);
    }
    if (!b.signature_ok) {
      s += " <span class=\"badge bad\">bad regf signature</span>";
    }
    if (b.truncated()) {
      s += " <span class=\"badge bad\">truncated</span>";
    }
    if (system->replay) {
      s += "<br>log replay: " + esc(system->replay->summary) +
           (system->replay->performed ? " (audited state: replayed)" : " (audited state: on-disk)");
    } else if (b.dirty()) {
      s += "<br>no transaction log could be replayed: the audited state is the on-disk file";
    }
    return s;
  }

  static std::string select_html(const facts::SelectInfo& sel) {
    if (!sel.key_present) {
      return "absent (current control set unknown)";
    }
    const auto num = [](const std::optional<std::uint32_t>& v) {
      return v ? std::to_string(*v) : std::string("-");
    };
    return fmt::format("Current={} Default={} LastKnownGood={} Failed={}",
                       num(sel.current),
                       num(sel.default_set),
                       num(sel.last_known_good),
                       num(sel.failed));
  }

  // ---- findings --------------------------------------------------------------------------------

  void write_findings(const std::vector<rules::Finding>& findings, std::size_t n) {
    out_ << fmt::format("<h3 id=\"findings-{}\">Findings ({})</h3>\n", n, findings.size());
    if (findings.empty()) {
      out_ << "<div class=\"card\">No findings.</div>\n";
      return;
    }
    out_ << "<table class=\"findings card\"><thead><tr><th>Severity</th><th>Rule</th>"
            "<th>Finding</th><th>ATT&amp;CK</th><th>Score</th><th>Confidence</th></tr></thead>\n";
    // Grouped by severity, highest first; within a group the engine's order is kept.
    std::size_t k = 0;
    for (const rules::Level level : kSeverityOrder) {
      const auto count = std::count_if(
          findings.begin(), findings.end(), [level](const auto& f) { return f.severity == level; });
      if (count == 0) {
        continue;
      }
      out_ << fmt::format(
          "<tbody class=\"group\"><tr class=\"group\"><th colspan=\"6\">{} "
          "({})</th></tr></tbody>\n",
          upper(rules::to_string(level)),
          count);
      for (const rules::Finding& f : findings) {
        if (f.severity == level) {
          write_finding(f, n, ++k);
        }
      }
    }
    out_ << "</table>\n";
  }

  void write_finding(const rules::Finding& f, std::size_t host, std::size_t k) {
    const char* sev = rules::to_string(f.severity);
    out_ << fmt::format(
        "<tbody class=\"finding sev-{}\" id=\"finding-{}-{}\" data-rule=\"{}\" "
        "data-severity=\"{}\">\n<tr class=\"head\"><td><span class=\"sev\">{}</span></td>"
        "<td class=\"rule\">{}</td><td><div class=\"title\">{}</div>"
        "<div class=\"message\">{}</div></td><td>",
        sev,
        host,
        k,
        esc(f.rule_id),
        sev,
        sev,
        esc(f.rule_id),
        esc(f.title),
        esc(f.message));
    for (const std::string& a : f.attack) {
      out_ << "<span class=\"attack\">" << esc(a) << "</span> ";
    }
    out_ << fmt::format("</td><td>{}</td><td>{}</td></tr>\n", f.score, esc(f.confidence));
    // Evidence of high and critical findings is open: it is what a reader checks first.
    const bool open = f.severity >= rules::Level::kHigh;
    out_ << fmt::format(
        "<tr class=\"more\"><td></td><td colspan=\"5\"><details class=\"evidence\"{}>"
        "<summary>Evidence ({})</summary>\n",
        open ? " open" : "",
        f.evidence.size());
    write_registry_evidence(f.evidence);
    write_event_evidence(f.evidence);
    write_fields(f);
    out_ << "</details></td></tr>\n</tbody>\n";
  }

  static std::string artifact_cell(const facts::EvidenceRef& e) {
    // The full hash is in the hover text and the inputs table; 12 characters match it by eye.
    return fmt::format(
        "<td class=\"mono wrap artifact\">{}<br><span class=\"muted\" title=\"sha256 {}\">"
        "sha256 {}</span></td>",
        esc(e.artifact),
        esc(e.sha256),
        esc(e.sha256.empty() ? std::string("unknown") : detail::abbreviate_hash(e.sha256, 12, 6)));
  }

  void write_registry_evidence(const std::vector<facts::EvidenceRef>& evidence) {
    if (std::none_of(
            evidence.begin(), evidence.end(), [](const auto& e) { return e.event_id == 0; })) {
      return;
    }
    out_ << "<table class=\"registry-evidence\"><tr><th>Key :: value</th><th>Type</th>"
            "<th>Data</th><th>Last written</th><th>Hive</th></tr>\n";
    for (const facts::EvidenceRef& e : evidence) {
      if (e.event_id != 0) {
        continue;
      }
      out_ << fmt::format(
                  "<tr class=\"evidence registry\"><td class=\"mono wrap\">{}{}</td>"
                  "<td class=\"mono nowrap\">{}</td><td class=\"mono wrap data\">{}</td>"
                  "<td class=\"mono nowrap\">{}</td>",
                  esc(e.key_path),
                  e.value_name.empty() ? std::string()
                                       : " :: <strong>" + esc(e.value_name) + "</strong>",
                  esc(e.value_type),
                  esc(e.data),
                  e.last_written != 0 ? when(e.last_written) : std::string("—"))
           << artifact_cell(e) << "</tr>\n";
    }
    out_ << "</table>\n";
  }

  void write_event_evidence(const std::vector<facts::EvidenceRef>& evidence) {
    if (std::none_of(
            evidence.begin(), evidence.end(), [](const auto& e) { return e.event_id != 0; })) {
      return;
    }
    out_ << "<table class=\"event-evidence\"><tr><th>Channel</th><th>Event</th><th>Record</th>"
            "<th>Time</th><th></th><th>Event log</th></tr>\n";
    for (const facts::EvidenceRef& e : evidence) {
      if (e.event_id == 0) {
        continue;
      }
      out_ << fmt::format(
                  "<tr class=\"evidence event\"><td>{}</td><td class=\"mono\">{}</td>"
                  "<td class=\"mono\">{}</td><td class=\"mono nowrap\">{}</td><td>{}</td>",
                  esc(e.channel),
                  e.event_id,
                  e.record_id,
                  e.event_time != 0 ? when(e.event_time) : std::string("—"),
                  e.recovered ? "<span class=\"badge warn\">recovered from slack</span>" : "")
           << artifact_cell(e) << "</tr>\n";
    }
    out_ << "</table>\n";
  }

  void write_fields(const rules::Finding& f) {
    // Folded: the machine view of the finding, for checking the rule against the fact.
    out_ << fmt::format(
        "<details class=\"fields\"><summary>Fact fields ({})</summary><table class=\"kv\">"
        "<tr><th>fact kind</th><td class=\"mono\">{}</td></tr>",
        f.fields.size(),
        esc(f.fact_kind));
    for (const auto& [name, value] : f.fields) {
      if (std::holds_alternative<std::monostate>(value)) {
        continue;  // the fact lacks the field
      }
      out_ << "<tr><th class=\"mono\">" << esc(name) << "</th><td class=\"mono wrap\">"
           << esc(facts::field_to_string(value)) << "</td></tr>";
    }
    out_ << "</table></details>\n";
  }

  // ---- lineage ---------------------------------------------------------------------------------

  void write_lineage(const HostReport& host, std::size_t n) {
    out_ << fmt::format("<h3 id=\"lineage-{}\">smss lineage (event logs)</h3>\n", n);
    if (!host.lineage.analyzed) {
      out_ << "<div class=\"card lineage-none\">Not analysed: no event log was given, so what "
              "smss did on this host is unknown.</div>\n";
      return;
    }
    if (host.lineage.boots.empty()) {
      out_ << "<div class=\"card lineage-none\">No boot could be rebuilt from the event logs "
              "given.</div>\n";
      return;
    }
    for (const facts::Boot& boot : host.lineage.boots) {
      write_boot(host, boot, n);
    }
  }

  void write_boot(const HostReport& host, const facts::Boot& boot, std::size_t n) {
    out_ << fmt::format("<div class=\"card boot\" id=\"boot-{}-{}\" data-boot=\"{}\">\n",
                        n,
                        boot.index,
                        boot.index);
    std::string head = fmt::format("Boot {} · {} <span class=\"muted\">({})</span> → ",
                                   boot.index,
                                   when(boot.start),
                                   esc(boot.start_basis));
    head += boot.end
                ? fmt::format(
                      "{} <span class=\"muted\">({})</span>", when(*boot.end), esc(boot.end_basis))
                : std::string("end not seen");
    if (boot.unexpected_end) {
      head += " <span class=\"badge bad\">unexpected shutdown</span>";
    }
    out_ << "<h4>" << head << "</h4>\n";
    if (boot.processes.empty()) {
      out_ << "<p class=\"muted\">No smss.exe creation recorded in this boot.</p></div>\n";
      return;
    }
    const auto marks = detail::mark_processes(boot, host.findings);
    out_ << "<div class=\"legend\"><span><i class=\"master\"></i>master smss</span>"
            "<span><i class=\"session-child\"></i>session smss (session id shown)</span>"
            "<span><i class=\"other-smss\"></i>other smss</span>"
            "<span><i class=\"anomalous\"></i>subject of a finding (rule ids on the box)</span>"
            "<span><i class=\"cited\"></i>cited by a finding as context</span>"
            "<span><i class=\"stand-in\"></i>recorded parent, creation not in the logs</span>"
            "Hover a box for the full image, command line and source records.</div>\n";
    out_ << "<div class=\"figure tree\">" << detail::lineage_tree_svg(boot, marks) << "</div>\n";
    out_ << "<div class=\"legend\">Lifetimes on a linear axis from the boot start; a faded bar "
            "runs past the window (no exit seen, or the exit time is given on the right).</div>\n";
    out_ << "<div class=\"figure timeline\">" << detail::lineage_timeline_svg(boot, marks)
         << "</div>\n";
    out_ << "</div>\n";
  }

  void write_event_coverage(const HostReport& host) {
    out_ << "<h3>Evidence coverage</h3>\n<div class=\"card\">";
    if (!host.artifacts.empty()) {
      out_ << "<table class=\"artifacts\"><tr><th>Expected artifact</th><th>Found</th>"
              "<th>Used</th></tr>\n";
      for (const ExpectedArtifact& a : host.artifacts) {
        std::vector<std::string> paths;
        for (const std::string& p : a.paths) {
          paths.push_back("<code>" + esc(p) + "</code>");
        }
        out_ << fmt::format(
            "<tr><td>{}</td><td>{}</td><td class=\"wrap\">{}</td></tr>\n",
            esc(a.artifact),
            a.found ? "<span class=\"badge ok\">yes</span>" : "<span class=\"badge dim\">no</span>",
            join(paths, "<br>"));
      }
      out_ << "</table>\n";
    }
    if (host.lineage.analyzed) {
      write_log_sources(host.lineage.coverage);
    }
    out_ << "</div>\n";
  }

  void write_log_sources(const facts::LineageCoverage& c) {
    out_ << "<table class=\"log-sources\"><tr><th>Channel</th><th>Records</th><th>First</th>"
            "<th>Last</th><th>Event counts</th></tr>\n";
    for (const facts::LogSourceCoverage& s : c.sources) {
      std::vector<std::string> counts;
      for (const auto& [id, count] : s.event_counts) {
        counts.push_back(fmt::format("{}×{}", id, count));
      }
      out_ << fmt::format(
          "<tr><td>{}</td><td>{}{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>"
          "<td class=\"mono wrap\">{}</td></tr>\n",
          esc(s.channel),
          detail::group_thousands(s.records),
          s.recovered != 0 ? fmt::format(" (+{} recovered)", s.recovered) : std::string(),
          when(s.first),
          when(s.last),
          join(counts, " "));
    }
    out_ << "</table>\n";
    out_ << fmt::format(
        "<p>Process starts: Security 4688 {} · Sysmon 1 {} · exits collected: {}</p>\n",
        c.security_process_starts ? "yes" : "no",
        c.sysmon_process_starts ? "yes" : "no",
        c.exits_collected ? "yes" : "no");
    for (const facts::LogClear& cl : c.clears) {
      out_ << fmt::format("<p class=\"diag warning\">Log cleared: {} at {} by {}</p>\n",
                          esc(cl.channel),
                          when(cl.ref.written),
                          esc(cl.user.empty() ? std::string("?") : cl.user));
    }
    const std::size_t shown = std::min(c.clock_changes.size(), kMaxClockChanges);
    for (std::size_t i = 0; i < shown; ++i) {
      const facts::ClockChange& ch = c.clock_changes[i];
      out_ << fmt::format("<p class=\"diag\">Clock changed: {} → {} by {}</p>\n",
                          when(ch.previous_time),
                          when(ch.new_time),
                          esc(ch.process.empty() ? std::string("?") : ch.process));
    }
    if (c.clock_changes.size() > shown) {
      out_ << fmt::format(
          "<p class=\"muted\">… {} more clock changes (listed in the JSON "
          "report)</p>\n",
          c.clock_changes.size() - shown);
    }
    for (const std::string& note : c.notes) {
      out_ << "<p class=\"diag\">Note: " << esc(note) << "</p>\n";
    }
  }

  // ---- registry --------------------------------------------------------------------------------

  void write_registry(const HostReport& host) {
    if (!host.system) {
      return;
    }
    const CitedValues cited = cited_values(host.findings);
    out_ << "<h3>Session Manager configuration</h3>\n";
    for (const facts::ControlSet& cs : host.system->control_sets) {
      const bool current = host.system->select.current && *host.system->select.current == cs.number;
      out_ << fmt::format("<div class=\"card control-set\" data-control-set=\"{}\"><h4>{}{}</h4>\n",
                          esc(cs.name),
                          esc(cs.name),
                          current ? " <span class=\"badge ok\">current</span>" : "");
      write_control_set(cs, cited);
      out_ << "</div>\n";
    }
  }

  // One value row; values a finding names are highlighted with the finding's rule ids.
  void value_row(const std::string& label,
                 const facts::RegValue* v,
                 const std::string& full_key,
                 const CitedValues& cited) {
    const auto it = v != nullptr ? cited.find({full_key, v->name}) : cited.end();
    const bool hit = it != cited.end();
    std::string data;
    if (v == nullptr) {
      data = "<span class=\"muted\">absent</span>";
    } else if (!v->error.empty()) {
      data = "<span class=\"badge bad\">unreadable</span> " + esc(v->error);
    } else {
      const std::string shown = v->display();
      data = shown.empty() ? std::string("<span class=\"muted\">(empty)</span>")
                           : "<code>" + detail::html_escape_cut(shown, kMaxCellChars) + "</code>";
      data += " <span class=\"muted\">" + esc(facts::reg_type_name(v->type)) + "</span>";
    }
    if (hit) {
      data += " <span class=\"badge bad\">" + esc(join(it->second, " ")) + "</span>";
    }
    out_ << fmt::format("<tr{}><th>{}</th><td class=\"wrap\">{}</td></tr>\n",
                        hit ? " class=\"cited\"" : "",
                        esc(label),
                        data);
  }

  void write_control_set(const facts::ControlSet& cs, const CitedValues& cited) {
    const facts::RegKey* sm = cs.key(facts::kSessionManager);
    if (sm == nullptr || sm->status != facts::KeyStatus::kPresent) {
      const bool unreadable = sm != nullptr && sm->status == facts::KeyStatus::kUnreadable;
      out_ << "<p>Session Manager key " << (unreadable ? "unreadable" : "absent")
           << (sm != nullptr && !sm->error.empty() ? ": " + esc(sm->error) : "") << "</p>\n";
      return;
    }
    out_ << "<table class=\"kv\">\n";
    out_ << kv_row("Key last written", sm->last_written != 0 ? when(sm->last_written) : "unknown");
    write_session_manager_values(cs, *sm, cited);
    write_subsystems(cs, cited);
    write_appcert(cs, cited);
    const facts::RegKey* known = cs.key(facts::kKnownDlls);
    out_ << kv_row("KnownDLLs",
                   known != nullptr && known->status == facts::KeyStatus::kPresent
                       ? fmt::format("{} entries", known->values.size())
                       : std::string("key absent or unreadable"));
    write_renames(cs);
    out_ << "</table>\n";
    write_captured_keys(cs, cited);
  }

  void write_session_manager_values(const facts::ControlSet& cs,
                                    const facts::RegKey& sm,
                                    const CitedValues& cited) {
    const std::string path = cs.name + "\\" + std::string(facts::kSessionManager);
    for (const std::string_view name : kExecValues) {
      const facts::RegValue* v = sm.find(name);
      if (v != nullptr || name == kExecValues.front()) {
        value_row(std::string(name), v, path, cited);
      }
    }
    for (const std::string_view name : {"ExcludeFromKnownDlls", "SafeDllSearchMode"}) {
      if (const facts::RegValue* v = sm.find(name)) {
        value_row(std::string(name), v, path, cited);
      }
    }
  }

  // SubSystems\Windows is csrss's command line; its ServerDll entries are a known hijack point.
  void write_subsystems(const facts::ControlSet& cs, const CitedValues& cited) {
    const facts::RegKey* sub = cs.key(facts::kSubSystems);
    const std::string path = cs.name + "\\" + std::string(facts::kSubSystems);
    for (const std::string_view name : {"Windows", "Required", "Optional"}) {
      const facts::RegValue* v = sub != nullptr ? sub->find(name) : nullptr;
      if (v != nullptr || name == "Windows") {
        value_row("SubSystems\\" + std::string(name), v, path, cited);
      }
    }
  }

  void write_appcert(const facts::ControlSet& cs, const CitedValues& cited) {
    const facts::RegKey* appcert = cs.key(facts::kAppCertDlls);
    if (appcert == nullptr || appcert->status != facts::KeyStatus::kPresent) {
      out_ << kv_row("AppCertDlls", "<span class=\"muted\">key absent</span>");
      return;
    }
    const std::string path = cs.name + "\\" + std::string(facts::kAppCertDlls);
    for (const facts::RegValue& v : appcert->values) {
      value_row("AppCertDlls\\" + v.name, &v, path, cited);
    }
  }

  // The rename queue decoded: as a raw MULTI_SZ the source/target pairing is easy to misread.
  void write_renames(const facts::ControlSet& cs) {
    const auto ops = detail::pending_renames(cs);
    if (ops.empty()) {
      out_ << kv_row("Pending renames", "none");
      return;
    }
    std::vector<std::string> lines;
    for (const facts::PendingRename& op : ops) {
      std::string l = fmt::format("<code>{}[{}]</code> {} <code>{}</code>",
                                  esc(op.value_name),
                                  op.index,
                                  op.is_delete ? "delete" : "rename",
                                  esc(op.source));
      if (!op.is_delete) {
        l += " → <code>" + esc(op.target) + "</code>" +
             (op.replace_existing ? " (replace existing)" : "");
      }
      lines.push_back(std::move(l));
    }
    out_ << kv_row("Pending renames", join(lines, "<br>"));
  }

  // Every captured key and value, so a finding can be checked against the raw data.
  void write_captured_keys(const facts::ControlSet& cs, const CitedValues& cited) {
    out_ << "<details class=\"captured\"><summary>All captured keys and values of " << esc(cs.name)
         << "</summary>\n<table class=\"captured-values\"><tr><th>Key</th>"
            "<th>Value</th><th>Type</th><th>Data</th></tr>\n";
    for (const facts::RegKey& key : cs.keys) {
      const std::string full = cs.name + "\\" + key.path;
      out_ << fmt::format(
          "<tr class=\"key\"><td colspan=\"4\"><strong class=\"mono\">{}</strong> · {}{}{}</td>"
          "</tr>\n",
          esc(key.path),
          facts::to_string(key.status),
          key.last_written != 0 ? " · last written " + when(key.last_written) : std::string(),
          key.error.empty() ? std::string() : " · " + esc(key.error));
      for (const facts::RegValue& v : key.values) {
        const auto it = cited.find({full, v.name});
        out_ << fmt::format(
            "<tr{}><td></td><td class=\"mono wrap\">{}</td><td class=\"mono\">{}</td>"
            "<td class=\"mono wrap\">{}</td></tr>\n",
            it != cited.end() ? " class=\"cited\"" : "",
            esc(v.name.empty() ? std::string("(default)") : v.name),
            esc(facts::reg_type_name(v.type)),
            v.error.empty() ? detail::html_escape_cut(v.display(), kMaxCellChars)
                            : "error: " + esc(v.error));
      }
    }
    out_ << "</table></details>\n";
  }

  // ---- inputs and diagnostics ------------------------------------------------------------------

  void write_diagnostic(const Diagnostic& d, bool with_source) {
    std::string where;
    if (with_source && !d.source.empty()) {
      where = esc(d.source);
    }
    if (!d.location.empty()) {
      where += (where.empty() ? "" : " :: ") + esc(d.location);
    }
    out_ << fmt::format(
        "<div class=\"diag {}\"><code>{}</code> {}{}</div>",
        to_string(d.level),
        esc(d.code),
        esc(d.message),
        where.empty() ? std::string() : " <span class=\"muted\">[" + where + "]</span>");
  }

  void write_inputs(const Report& report) {
    out_ << "<h2 id=\"inputs\">Inputs</h2>\n<table class=\"inputs card\"><thead><tr><th>Path</th>"
            "<th>Kind</th><th>Size</th><th>SHA-256</th><th>Status</th><th>Diagnostics</th>"
            "</tr></thead><tbody>\n";
    for (const InputEntry& in : report.inputs) {
      const evidence::Evidence& e = in.evidence;
      std::string path = "<code>" + esc(e.path) + "</code>";
      if (e.location) {
        path += fmt::format(
            "<br><span class=\"muted\">in image <code>{}</code> at offset {}: "
            "<code>{}</code> (MFT {})</span>",
            esc(e.location->image),
            e.location->partition_offset,
            esc(e.location->fs_path),
            e.location->mft_entry);
      }
      if (!e.host.empty()) {
        path += " <span class=\"muted\">host " + esc(e.host) + "</span>";
      }
      out_ << fmt::format(
          "<tr class=\"input\" data-kind=\"{}\" data-status=\"{}\"><td class=\"wrap\">{}</td>"
          "<td>{}</td><td class=\"mono\" style=\"text-align:right\">{}</td>"
          "<td class=\"mono wrap\">{}</td><td>{}</td><td>",
          esc(e.kind),
          esc(e.status),
          path,
          esc(e.kind),
          detail::group_thousands(e.size),
          e.sha256.empty() ? std::string("<span class=\"muted\">not hashed</span>") : esc(e.sha256),
          status_badge(e.status));
      for (const Diagnostic& d : in.diagnostics) {
        write_diagnostic(d, false);
      }
      out_ << "</td></tr>\n";
    }
    out_ << "</tbody></table>\n";
  }

  void write_run_diagnostics(const std::vector<Diagnostic>& diagnostics) {
    const bool any = std::any_of(diagnostics.begin(), diagnostics.end(), [](const auto& d) {
      return d.level != DiagLevel::kDebug;
    });
    if (!any) {
      return;
    }
    out_ << "<h2 id=\"diagnostics\">Diagnostics</h2>\n<div class=\"card\">";
    for (const Diagnostic& d : diagnostics) {
      if (d.level != DiagLevel::kDebug) {
        write_diagnostic(d, true);
      }
    }
    out_ << "</div>\n";
  }

  std::ostream& out_;
};

}  // namespace

void write_html(const Report& report, std::ostream& out) {
  HtmlWriter(out).write(report);
}

}  // namespace smssaudit::report
