// `--format text`: the report for an examiner at a terminal. Deterministic (no clock, no locale),
// no wrapping, colour only on request. Every string that came from evidence goes through
// text::printable so a hostile value cannot emit its own escape sequences to the terminal.
#include "report/report_format.hpp"
#include "report/text_lineage.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/facts/surface.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::report {

namespace {

// Display caps: long values (KnownDLLs lists, Environment Path) would push the line far past any
// terminal; the JSON report keeps them whole.
constexpr std::size_t kMaxValueChars = 160;
// Column of the host summary values ("  Control sets " is the widest label).
constexpr std::size_t kLabelWidth = 13;
// Severity column of a finding ("CRITICAL" plus one space); continuation lines start after it.
constexpr std::size_t kSeverityWidth = 9;
constexpr std::string_view kFindingIndent = "           ";  // 2 + kSeverityWidth

// Values smss.exe executes or loads from the Session Manager key (registry.md 1.1). BootExecute is
// always listed, absent or not, because its absence is itself notable; the rest only when present.
constexpr std::array<std::string_view, 7> kExecValues = {"BootExecute",
                                                         "BootExecuteNoPnpSync",
                                                         "SetupExecute",
                                                         "SetupExecuteNoPnpSync",
                                                         "Execute",
                                                         "S0InitialCommand",
                                                         "PlatformExecute"};

enum class Color { kNone, kRed, kBoldRed, kYellow, kCyan, kGreen, kMagenta, kBold };

std::string_view ansi(Color c) {
  switch (c) {
    case Color::kRed:
      return "\x1b[31m";
    case Color::kBoldRed:
      return "\x1b[1;31m";
    case Color::kYellow:
      return "\x1b[33m";
    case Color::kCyan:
      return "\x1b[36m";
    case Color::kGreen:
      return "\x1b[32m";
    case Color::kMagenta:
      return "\x1b[35m";
    case Color::kBold:
      return "\x1b[1m";
    case Color::kNone:
      break;
  }
  return "";
}

constexpr std::string_view kReset = "\x1b[0m";

// Terminal columns of UTF-8 text, counted as code points (the reporter's own output is ASCII plus
// "…"; evidence strings have been through text::printable).
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

std::string safe(std::string_view s) {
  return text::printable(s);
}

std::string safe_value(std::string_view s) {
  return detail::truncate_display(text::printable(s), kMaxValueChars);
}

std::string plural(std::uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", detail::group_thousands(n), n == 1 ? one : many);
}

Color severity_color(rules::Level level) {
  switch (level) {
    case rules::Level::kCritical:
      return Color::kBoldRed;
    case rules::Level::kHigh:
      return Color::kRed;
    case rules::Level::kMedium:
      return Color::kYellow;
    case rules::Level::kLow:
      return Color::kCyan;
    case rules::Level::kInfo:
      break;
  }
  return Color::kNone;
}

Color verdict_color(std::string_view level) {
  if (level == "malicious") {
    return Color::kBoldRed;
  }
  if (level == "suspicious") {
    return Color::kYellow;
  }
  if (level == "inconclusive") {
    return Color::kMagenta;
  }
  if (level == "clean") {
    return Color::kGreen;
  }
  return Color::kNone;
}

Color status_color(std::string_view status) {
  if (status == "ok") {
    return Color::kNone;
  }
  return status == "partial" ? Color::kYellow : Color::kRed;
}

std::string describe_key_size(const facts::RegKey* key,
                              std::string_view one,
                              std::string_view many) {
  if (key == nullptr || key->status == facts::KeyStatus::kAbsent) {
    return "absent";
  }
  if (key->status == facts::KeyStatus::kUnreadable) {
    return "unreadable";
  }
  return plural(key->values.size(), one, many);
}

class TextWriter {
 public:
  TextWriter(std::ostream& out, const TextOptions& options) : out_(out), options_(options) {}

  // Order follows the questions an examiner asks: what was read, is it trustworthy, what is the
  // verdict, why, and only then the raw surface it was judged on.
  void write(const Report& report) {
    report_has_system_input_ =
        std::any_of(report.inputs.begin(), report.inputs.end(), [](const InputEntry& in) {
          return in.evidence.kind == evidence::kKindSystemHive;
        });
    write_header(report);
    write_inputs(report);
    write_run_diagnostics(report.diagnostics);
    // An empty report must still say why it is empty, or it reads as "nothing suspicious".
    if (report.hosts.empty()) {
      blank();
      line("No hosts: nothing usable was found in the inputs.");
    }
    for (const HostReport& host : report.hosts) {
      blank();
      write_host(host);
    }
  }

 private:
  // One output line; trailing spaces (left by column padding before an empty cell) are dropped.
  void line(std::string_view s) {
    const std::size_t end = s.find_last_not_of(' ');
    out_ << (end == std::string_view::npos ? std::string_view{} : s.substr(0, end + 1)) << '\n';
  }

  void blank() { out_ << '\n'; }

  std::string paint(std::string_view s, Color c) const {
    if (!options_.color || c == Color::kNone || s.empty()) {
      return std::string(s);
    }
    return fmt::format("{}{}{}", ansi(c), s, kReset);
  }

  // Pads by visible width and colours only the text, so escapes never shift the columns.
  std::string cell(std::string_view s, std::size_t width, Color c = Color::kNone) const {
    const std::size_t w = display_width(s);
    return paint(s, c) + std::string(w < width ? width - w : 0, ' ');
  }

  void labelled(std::string_view label, std::string_view value) {
    line(fmt::format("  {}{}", cell(label, kLabelWidth), value));
  }

  void write_header(const Report& report) {
    std::string head = safe(report.tool_name);
    if (!report.tool_version.empty()) {
      head += " " + safe(report.tool_version);
    }
    head += "  ruleset " + plural(report.ruleset_count, "rule", "rules");
    if (!report.ruleset_sha256.empty()) {
      head += fmt::format(" (sha256 {})", detail::abbreviate_hash(report.ruleset_sha256, 4, 4));
    }
    line(paint(head, Color::kBold));
  }

  // Debug chatter would bury the warnings an examiner must read; verbose brings it back.
  bool visible(const Diagnostic& d) const {
    return d.level != DiagLevel::kDebug || options_.verbose;
  }

  void write_diagnostic(const Diagnostic& d, bool with_source) {
    if (!visible(d)) {
      return;
    }
    // "!" marks what can change how far the results can be trusted; the word "error" keeps that
    // distinction readable when colour is off (pipes, case notes).
    const bool alarming = d.level == DiagLevel::kWarning || d.level == DiagLevel::kError;
    const Color c = d.level == DiagLevel::kError ? Color::kRed
                    : alarming                   ? Color::kYellow
                                                 : Color::kNone;
    std::string s = fmt::format("  {} ", paint(alarming ? "!" : "-", c));
    if (d.level == DiagLevel::kError) {
      s += paint("error ", c);
    }
    s += fmt::format("{}: {}", safe(d.code), safe(d.message));
    // Under an input the source is that input; run-level diagnostics must name theirs.
    std::string where;
    if (with_source && !d.source.empty()) {
      where = safe(d.source);
    }
    if (!d.location.empty()) {
      where += (where.empty() ? "" : " :: ") + safe(d.location);
    }
    if (!where.empty()) {
      s += fmt::format("  [{}]", where);
    }
    line(s);
  }

  void write_inputs(const Report& report) {
    blank();
    line(paint("Inputs", Color::kBold));
    if (report.inputs.empty()) {
      line("  none");
      return;
    }
    // Columns are sized to this report's inputs, not fixed, so short paths do not waste the line
    // and long ones are never cut (an examiner copies them into other tools).
    std::size_t kind_w = 0;
    std::size_t path_w = 0;
    std::size_t size_w = 0;
    for (const InputEntry& in : report.inputs) {
      kind_w = std::max(kind_w, display_width(safe(in.evidence.kind)));
      path_w = std::max(path_w, display_width(safe(in.evidence.path)));
      size_w = std::max(size_w, detail::group_thousands(in.evidence.size).size());
    }
    for (const InputEntry& in : report.inputs) {
      const evidence::Evidence& e = in.evidence;
      const std::string size = detail::group_thousands(e.size);
      // The full hash is in the JSON report; 8 + 8 characters are enough to match it by eye.
      const std::string hash =
          e.sha256.empty() ? "no sha256" : "sha256 " + detail::abbreviate_hash(e.sha256, 8, 8);
      // Sizes are right-aligned so their magnitudes line up.
      line(fmt::format("  {}{}{}{} bytes  {}  {}",
                       cell(safe(e.kind), kind_w + 2),
                       cell(safe(e.path), path_w + 2),
                       std::string(size_w - size.size(), ' '),
                       size,
                       hash,
                       paint(safe(e.status), status_color(e.status))));
      for (const Diagnostic& d : in.diagnostics) {
        write_diagnostic(d, false);
      }
    }
  }

  void write_run_diagnostics(const std::vector<Diagnostic>& diagnostics) {
    const bool any_shown = std::any_of(
        diagnostics.begin(), diagnostics.end(), [this](const Diagnostic& d) { return visible(d); });
    if (!any_shown) {
      return;  // no heading over an empty section
    }
    blank();
    line(paint("Diagnostics", Color::kBold));
    for (const Diagnostic& d : diagnostics) {
      write_diagnostic(d, true);
    }
  }

  void write_host(const HostReport& host) {
    // The summary block comes first and stays short: hive state and Select decide how much the
    // findings below can be trusted.
    line(fmt::format("{} {}", paint("Host", Color::kBold), paint(safe(host.name), Color::kBold)));
    if (!host.evidence_root.empty()) {
      line("  Evidence root: " + safe(host.evidence_root));
    }
    write_os(host.os);
    write_hive(host.system, report_has_system_input_);
    if (host.system) {
      write_select(host.system->select);
      write_control_set_list(*host.system);
    }
    write_verdict(host.verdict);
    blank();
    write_findings(host.findings);
    blank();
    write_coverage(host.coverage);
    write_artifacts(host.artifacts);
    blank();
    line(paint("  smss lineage (event logs)", Color::kBold));
    for (const std::string& l : detail::lineage_text(host.lineage)) {
      line(l);
    }
    // Every control set, not just the current one: LastKnownGood or a spare set can be booted
    // later, and a persistence entry planted there is just as real.
    if (host.system) {
      for (const facts::ControlSet& cs : host.system->control_sets) {
        blank();
        write_session_manager(cs);
      }
    }
  }

  void write_os(const OsInfo& os) {
    // The family chose the baseline the rules compared against; how it was chosen is shown so a
    // wrong guess (no SOFTWARE hive, odd build) is visible next to the verdict it influenced.
    std::string s = os.family.empty() ? "unknown" : safe(os.family);
    std::vector<std::string> basis;
    if (!os.baseline.empty()) {
      basis.push_back("baseline " + safe(os.baseline));
    }
    if (!os.family_basis.empty()) {
      basis.push_back("from " + safe(os.family_basis));
    }
    if (!basis.empty()) {
      s += " (" + text::join(basis, "; ") + ")";
    }
    if (!os.software) {
      s += " | no SOFTWARE hive";
    } else {
      const facts::SoftwareHive& sw = *os.software;
      std::vector<std::string> parts;
      if (sw.product_name) {
        parts.push_back(safe(*sw.product_name));
      }
      // CurrentBuildNumber is authoritative on Win10+; CurrentBuild is all older hives have.
      const std::optional<std::string>& build =
          sw.current_build_number ? sw.current_build_number : sw.current_build;
      if (build) {
        parts.push_back(safe(*build) + (sw.ubr ? fmt::format(".{}", *sw.ubr) : ""));
      }
      if (sw.display_version) {
        parts.push_back("(" + safe(*sw.display_version) + ")");
      }
      s += " | " + (parts.empty() ? std::string("SOFTWARE hive without CurrentVersion")
                                  : text::join(parts, " "));
    }
    labelled("OS", s);
  }

  void write_hive(const std::optional<facts::SystemHive>& system, bool system_given) {
    if (!system) {
      labelled("Hive",
               system_given ? paint("unusable", Color::kRed) + " (see the SYSTEM hive input)"
                            : std::string("none given (registry not audited)"));
      return;
    }
    // The sequence pair is printed even when clean: it is the fact behind "clean" and examiners
    // compare it with the logs' own pairs.
    const facts::BaseBlock& b = system->base;
    std::vector<std::string> parts;
    parts.push_back(fmt::format("sequence {}/{}", b.primary_sequence, b.secondary_sequence));
    if (!b.checksum_ok()) {
      parts.push_back(fmt::format("checksum stored {} computed {}",
                                  detail::hex32(b.stored_checksum),
                                  detail::hex32(b.computed_checksum)));
    }
    std::string s;
    if (b.dirty()) {
      std::vector<std::string> logs;
      for (const facts::HiveLogFile& log : system->logs) {
        logs.push_back(safe(log.path));
      }
      parts.push_back("logs: " + (logs.empty() ? std::string("none") : text::join(logs, ", ")));
      // Say which state was audited: the replayed one, or the on-disk file that may lack the last
      // writes Windows made.
      const bool replayed = system->replay && system->replay->performed;
      std::string tail = replayed ? "audited after log replay: " + safe(system->replay->summary)
                                  : std::string("audited state may be stale");
      s = fmt::format(
          "{} ({}) — {}", paint("DIRTY", Color::kYellow), text::join(parts, ", "), tail);
    } else {
      s = fmt::format("clean ({})", text::join(parts, ", "));
    }
    // Structural damage is stated after the dirty/clean word because either can occur with it.
    if (!b.signature_ok) {
      s += "  " + paint("bad regf signature", Color::kRed);
    }
    if (b.truncated()) {
      s += "  " + paint("truncated", Color::kRed);
    }
    labelled("Hive", s);
  }

  void write_select(const facts::SelectInfo& sel) {
    if (!sel.key_present) {
      labelled("Select", "absent (current control set unknown)");
      return;
    }
    // Select names the sets by number; "-" keeps a missing or non-DWORD value from looking like 0.
    const auto num = [](const std::optional<std::uint32_t>& v) {
      return v ? std::to_string(*v) : std::string("-");
    };
    labelled("Select",
             fmt::format("Current={} Default={} LastKnownGood={} Failed={}",
                         num(sel.current),
                         num(sel.default_set),
                         num(sel.last_known_good),
                         num(sel.failed)));
  }

  void write_control_set_list(const facts::SystemHive& hive) {
    std::vector<std::string> names;
    for (const facts::ControlSet& cs : hive.control_sets) {
      const bool current = hive.select.current && *hive.select.current == cs.number;
      names.push_back(safe(cs.name) + (current ? " (current)" : ""));
    }
    labelled("Control sets", names.empty() ? std::string("none") : text::join(names, ", "));
  }

  void write_verdict(const rules::Verdict& v) {
    const std::string level = v.level.empty() ? "NONE" : upper(v.level);
    // Reasons sit under the verdict so the score is never read without its justification.
    labelled("Verdict",
             fmt::format("{}  score {}/100", paint(level, verdict_color(v.level)), v.score));
    const std::string indent(2 + kLabelWidth, ' ');
    for (const std::string& reason : v.reasons) {
      line(fmt::format("{}- {}", indent, safe(reason)));
    }
  }

  void write_findings(const std::vector<rules::Finding>& findings) {
    // Grouped by severity, highest first; within a group the engine's order is kept.
    static constexpr std::array<rules::Level, 5> kOrder = {rules::Level::kCritical,
                                                           rules::Level::kHigh,
                                                           rules::Level::kMedium,
                                                           rules::Level::kLow,
                                                           rules::Level::kInfo};
    // Info findings are inventory rather than alarms; hiding them keeps the list about what needs
    // attention, and the note below says how many were held back.
    std::vector<const rules::Finding*> listed;
    std::size_t hidden = 0;
    for (const rules::Level level : kOrder) {
      for (const rules::Finding& f : findings) {
        if (f.severity != level) {
          continue;
        }
        if (level == rules::Level::kInfo && !options_.verbose) {
          ++hidden;
        } else {
          listed.push_back(&f);
        }
      }
    }
    const std::string hidden_note = fmt::format("  ({} not shown; verbose output lists them)",
                                                plural(hidden, "info finding", "info findings"));
    if (listed.empty()) {
      line(hidden == 0 ? "  No findings." : "  No findings above info.");
      if (hidden != 0) {
        line(hidden_note);
      }
      return;
    }
    line(paint(fmt::format("  Findings ({})", detail::group_thousands(listed.size())),
               Color::kBold));
    // One id column width per host keeps the titles aligned however long the rule ids are.
    std::size_t id_w = 0;
    for (const rules::Finding* f : listed) {
      id_w = std::max(id_w, display_width(safe(f->rule_id)));
    }
    for (const rules::Finding* f : listed) {
      write_finding(*f, id_w + 2);
    }
    if (hidden != 0) {
      line(hidden_note);
    }
  }

  void write_finding(const rules::Finding& f, std::size_t id_width) {
    std::string head = fmt::format(
        "  {}{}{}",
        cell(upper(rules::to_string(f.severity)), kSeverityWidth, severity_color(f.severity)),
        cell(safe(f.rule_id), id_width),
        safe(f.title));
    if (!f.attack.empty()) {
      head += fmt::format("  [{}]", safe(text::join(f.attack, ", ")));
    }
    head += fmt::format("  score {}  confidence {}", f.score, safe(f.confidence));
    line(head);
    line(fmt::format("{}{}", kFindingIndent, safe(f.message)));
    // Each finding cites where it came from and what was stored there, so it can be checked in
    // regedit or a hive viewer without the JSON report.
    for (const facts::EvidenceRef& e : f.evidence) {
      if (e.event_id != 0) {
        write_event_evidence(e);
        continue;
      }
      std::string at = "at " + safe(e.key_path.empty() ? e.artifact : e.key_path);
      if (!e.value_name.empty()) {
        at += " :: " + safe(e.value_name);
      }
      if (!e.value_type.empty()) {
        at += " (" + safe(e.value_type) + ")";
      }
      if (const auto when = detail::iso_time(e.last_written)) {
        at += "  last written " + *when;
      }
      line(fmt::format("{}{}", kFindingIndent, at));
      if (!e.data.empty()) {
        line(fmt::format("{}= {}", kFindingIndent, safe_value(e.data)));
      }
    }
  }

  // An event record is cited so it can be found in Event Viewer or evtxexport output.
  void write_event_evidence(const facts::EvidenceRef& e) {
    line(fmt::format("{}at {} record {} (event {}{}){}{}",
                     kFindingIndent,
                     safe(e.artifact),
                     e.record_id,
                     e.event_id,
                     e.channel.empty() ? "" : ", " + safe(e.channel),
                     detail::iso_time(e.event_time) ? "  " + *detail::iso_time(e.event_time) : "",
                     e.recovered ? "  [recovered from slack]" : ""));
  }

  void write_coverage(const std::vector<facts::CoverageGap>& gaps) {
    // Said explicitly even when there are none: gaps are what turn "clean" into "inconclusive".
    if (gaps.empty()) {
      line("  Coverage gaps: none");
      return;
    }
    line(paint("  Coverage gaps", Color::kBold));
    for (const facts::CoverageGap& gap : gaps) {
      line(fmt::format("  - {}: {}", safe(gap.code), safe(gap.message)));
    }
  }

  // One line: what the installation was expected to have and what was missing, so an absent
  // Security log is seen next to the verdict it weakened.
  void write_artifacts(const std::vector<ExpectedArtifact>& artifacts) {
    if (artifacts.empty()) {
      return;
    }
    std::vector<std::string> found;
    std::vector<std::string> missing;
    for (const ExpectedArtifact& a : artifacts) {
      (a.found ? found : missing).push_back(safe(a.artifact));
    }
    line("  Artifacts found: " + (found.empty() ? std::string("none") : text::join(found, ", ")));
    if (!missing.empty()) {
      line("  Artifacts missing: " + text::join(missing, ", "));
    }
  }

  // A value the reader could not decode shows its error instead of data, never a blank that would
  // read as an empty value.
  static std::string value_text(const facts::RegValue& v) {
    if (!v.error.empty()) {
      return "(error: " + safe(v.error) + ")";
    }
    const std::string data = safe_value(v.display());
    return data.empty() ? std::string("(empty)") : data;
  }

  void write_session_manager(const facts::ControlSet& cs) {
    line(paint(fmt::format("  Session Manager ({})", safe(cs.name)), Color::kBold));
    const facts::RegKey* sm = cs.key(facts::kSessionManager);
    if (sm == nullptr || sm->status != facts::KeyStatus::kPresent) {
      write_missing_key(sm);
    } else {
      write_rows(session_manager_rows(cs, *sm));
      write_list_sizes(cs);
    }
    if (options_.verbose) {
      write_captured_keys(cs);
    }
  }

  // Says why a key has no data, with the reader's error when there is one.
  void write_missing_key(const facts::RegKey* key) {
    const bool unreadable = key != nullptr && key->status == facts::KeyStatus::kUnreadable;
    line(fmt::format("    {}{}",
                     unreadable ? paint("key unreadable", Color::kRed) : std::string("key absent"),
                     key != nullptr && !key->error.empty() ? ": " + safe(key->error) : ""));
  }

  using Rows = std::vector<std::pair<std::string, std::string>>;

  // The executed and loaded values of one Session Manager key, as (label, value text) rows.
  static Rows session_manager_rows(const facts::ControlSet& cs, const facts::RegKey& sm) {
    Rows rows;
    for (const std::string_view name : kExecValues) {
      const facts::RegValue* v = sm.find(name);
      if (v != nullptr) {
        rows.emplace_back(safe(v->name), value_text(*v));
      } else if (name == kExecValues.front()) {
        rows.emplace_back(std::string(name), "absent");
      }
    }
    // SubSystems\Windows is csrss's command line; its ServerDll entries are a known hijack
    // point, so it is always shown in full up to the display cap.
    const facts::RegKey* subsystems = cs.key(facts::kSubSystems);
    const facts::RegValue* windows = subsystems != nullptr ? subsystems->find("Windows") : nullptr;
    rows.emplace_back("SubSystems\\Windows", windows != nullptr ? value_text(*windows) : "absent");
    return rows;
  }

  // One label column as wide as the longest label, so the values line up.
  void write_rows(const Rows& rows) {
    std::size_t w = 0;
    for (const auto& row : rows) {
      w = std::max(w, display_width(row.first));
    }
    for (const auto& [label, value] : rows) {
      line(fmt::format("    {}{}", cell(label, w + 1), value));
    }
  }

  // Lists are summarised by size: their entries are in verbose output and in the JSON report,
  // and a changed count is what an examiner scans for across control sets.
  void write_list_sizes(const facts::ControlSet& cs) {
    const std::size_t renames = detail::pending_renames(cs).size();
    line(fmt::format(
        "    KnownDLLs  {}   AppCertDlls  {}   PendingFileRenameOperations  {}",
        describe_key_size(cs.key(facts::kKnownDlls), "entry", "entries"),
        describe_key_size(cs.key(facts::kAppCertDlls), "entry", "entries"),
        renames == 0 ? std::string("none") : plural(renames, "operation", "operations")));
  }

  // Verbose: every key and value the reader captured, so an examiner can check a finding against
  // the raw data without a second tool.
  void write_captured_keys(const facts::ControlSet& cs) {
    for (const facts::RegKey& key : cs.keys) {
      write_captured_key(key);
    }
    write_pending_renames(cs);
  }

  // One captured key: a head line (status, time, error), its values, then its subkey names.
  void write_captured_key(const facts::RegKey& key) {
    std::string head = fmt::format("    [{}]  {}", safe(key.path), facts::to_string(key.status));
    if (const auto when = detail::iso_time(key.last_written)) {
      head += "  last written " + *when;
    }
    if (!key.error.empty()) {
      head += "  error: " + safe(key.error);
    }
    line(head);
    write_captured_values(key.values);
    if (!key.subkeys.empty()) {
      std::vector<std::string> names;
      for (const std::string& sub : key.subkeys) {
        names.push_back(safe(sub));
      }
      line("      subkeys: " + text::join(names, ", "));
    }
  }

  // Values in name, type and data columns. The widths are per key: one key's widths do not fit
  // another's names.
  void write_captured_values(const std::vector<facts::RegValue>& values) {
    std::size_t name_w = 0;
    std::size_t type_w = 0;
    for (const facts::RegValue& v : values) {
      name_w = std::max(name_w, display_width(value_name(v)));
      type_w = std::max(type_w, facts::reg_type_name(v.type).size());
    }
    for (const facts::RegValue& v : values) {
      std::string s = fmt::format("      {}{}{}",
                                  cell(value_name(v), name_w + 2),
                                  cell(facts::reg_type_name(v.type), type_w + 2),
                                  value_text(v));
      if (v.binary_as_text) {
        s += "  [binary as text]";
      }
      if (v.truncated) {
        s += "  [truncated]";
      }
      line(s);
    }
  }

  // The rename queue is also shown decoded: as a raw MULTI_SZ the source/target pairing and the
  // "!" replace flag are easy to misread.
  void write_pending_renames(const facts::ControlSet& cs) {
    for (const facts::PendingRename& op : detail::pending_renames(cs)) {
      std::string s = fmt::format("    {}[{}] {} {}",
                                  safe(op.value_name),
                                  op.index,
                                  op.is_delete ? "delete" : "rename",
                                  safe(op.source));
      if (!op.is_delete) {
        s += " -> " + safe(op.target) + (op.replace_existing ? " (replace existing)" : "");
      }
      line(s);
    }
  }

  static std::string value_name(const facts::RegValue& v) {
    return v.name.empty() ? std::string("(default)") : safe(v.name);
  }

  bool report_has_system_input_ = false;  // "Hive: none given" vs "unusable"
  std::ostream& out_;
  const TextOptions& options_;
};

}  // namespace

void write_text(const Report& report, std::ostream& out, const TextOptions& options) {
  TextWriter(out, options).write(report);
}

}  // namespace smssaudit::report
