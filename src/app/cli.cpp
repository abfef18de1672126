// Command-line front end. Parses arguments, loads the rule catalogue, runs the pipeline, renders
// the report and maps outcomes to exit codes (design.md 4). Setup errors are FatalError, thrown
// here and caught once in run_cli.
#include "smssaudit/app/cli.hpp"

#include "app/hive_recover.hpp"
#include "smssaudit/app/pipeline.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/catalog.hpp"
#include "smssaudit/rules/engine.hpp"

#include <CLI/CLI.hpp>
#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#ifndef SMSSAUDIT_VERSION
#define SMSSAUDIT_VERSION "0.0.0"
#endif

namespace smssaudit::app {
namespace {

namespace fs = boost::filesystem;

struct ScanArgs {
  std::vector<std::string> evidence;
  std::string software;
  std::string format;
  std::string output;
  std::string timeline;  ///< --timeline FILE: Timesketch JSONL of every dated fact
  bool force = false;
  std::string rules_dir;
  std::string baseline;
  std::string fail_on = "none";
  std::string color = "auto";
  bool quiet = false;
  bool verbose = false;
  std::string evtx_engine = "native";
};

/// Built-in catalogue plus an optional --rules overlay; any loader error stops the run (exit 2),
/// listing every problem at once.
rules::Catalog load_catalog_or_throw(const std::string& rules_dir) {
  std::vector<rules::SourceFile> overlay;
  if (!rules_dir.empty()) {
    overlay = rules::read_sources(rules_dir);
  }
  rules::CatalogLoad load = rules::load_catalog(rules::builtin_sources(), overlay);
  if (!load.ok()) {
    std::string msg = "rule catalogue has " + std::to_string(load.errors.size()) + " error(s):";
    for (const auto& e : load.errors) {
      msg += "\n  " + e;
    }
    throw FatalError(kExitUsage, msg);
  }
  return std::move(load.catalog);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FatalError(kExitUsage, "cannot read " + path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool same_file(const std::string& a, const std::string& b) {
  boost::system::error_code ec;
  return !b.empty() && fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

/// Output problems are found before any analysis starts: an existing file without --force, a
/// folder that does not exist, or a path that is one of the evidence files.
void check_output_path(const ScanArgs& a, const std::string& output, const char* what) {
  if (output.empty()) {
    return;
  }
  boost::system::error_code ec;
  const bool over_evidence =
      same_file(output, a.software) ||
      std::any_of(a.evidence.begin(), a.evidence.end(), [&output](const std::string& e) {
        return same_file(output, e);
      });
  if (over_evidence) {
    throw FatalError(kExitUsage,
                     std::string("refusing to write the ") + what + " over evidence: " + output);
  }
  if (fs::exists(output, ec) && !a.force) {
    throw FatalError(kExitUsage, output + " exists; use --force to overwrite");
  }
  fs::path parent = fs::absolute(output).parent_path();
  if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK) != 0) {
    throw FatalError(kExitUsage,
                     "cannot write " + output + ": folder " + parent.string() +
                         " does not exist or is not writable");
  }
}

/// The report (-o) and the timeline (--timeline) follow the same rules, and are never one file.
void check_output(const ScanArgs& a) {
  check_output_path(a, a.output, "report");
  check_output_path(a, a.timeline, "timeline");
  if (!a.timeline.empty() && !a.output.empty() &&
      fs::absolute(a.timeline).lexically_normal() == fs::absolute(a.output).lexically_normal()) {
    throw FatalError(kExitUsage, "--timeline and -o name the same file: " + a.output);
  }
}

void print_diagnostics(const report::Report& rep, const ScanArgs& a, std::ostream& err) {
  auto show = [&](const Diagnostic& d) {
    bool wanted = d.level == DiagLevel::kError || (!a.quiet && d.level == DiagLevel::kWarning) ||
                  (a.verbose && d.level == DiagLevel::kInfo);
    if (wanted) {
      err << "smssaudit: " << to_string(d.level) << ": " << d.source
          << (d.location.empty() ? "" : " [" + d.location + "]") << ": " << d.message << '\n';
    }
  };
  for (const auto& in : rep.inputs) {
    for (const auto& d : in.diagnostics) {
      show(d);
    }
  }
  for (const auto& d : rep.diagnostics) {
    show(d);
  }
}

/// --baseline FILE, loaded strictly; errors stop the run before any analysis (exit 2).
std::optional<facts::Baseline> load_site_baseline_or_throw(const std::string& path) {
  if (path.empty()) {
    return std::nullopt;
  }
  rules::BaselineLoad bl = rules::load_site_baseline({path, read_text_file(path)});
  if (!bl.errors.empty()) {
    throw FatalError(kExitUsage, "baseline " + path + ":\n  " + text::join(bl.errors, "\n  "));
  }
  return std::move(bl.baseline);
}

/// Text is for people at a terminal; pipes and files get the JSON contract unless asked.
std::string render(const report::Report& rep, const ScanArgs& a) {
  bool to_terminal = a.output.empty() && ::isatty(STDOUT_FILENO) == 1;
  std::string format = a.format.empty() ? (to_terminal ? "text" : "json") : a.format;
  bool color = a.color == "always" ||
               (a.color == "auto" && to_terminal && std::getenv("NO_COLOR") == nullptr);
  std::ostringstream rendered;
  if (format == "json") {
    report::write_json(rep, rendered);
  } else if (format == "jsonl") {
    report::write_jsonl(rep, rendered);
  } else if (format == "csv") {
    report::write_csv(rep, rendered);
  } else if (format == "html") {
    report::write_html(rep, rendered);
  } else {
    report::write_text(rep, rendered, report::TextOptions{color, a.verbose});
  }
  return rendered.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  if (!file) {
    throw FatalError(kExitUsage, "cannot write " + path);
  }
}

void emit(const std::string& rendered, const ScanArgs& a, std::ostream& out) {
  if (a.output.empty()) {
    out << rendered;
    return;
  }
  write_file(a.output, rendered);
}

/// --timeline FILE is written in addition to the report, whatever --format says.
void emit_timeline(const report::Report& rep, const ScanArgs& a) {
  if (a.timeline.empty()) {
    return;
  }
  std::ostringstream timeline;
  report::write_timeline(rep, timeline);
  write_file(a.timeline, timeline.str());
}

bool any_finding_at_or_above(const report::Report& rep, rules::Level level) {
  for (const auto& host : rep.hosts) {
    for (const auto& f : host.findings) {
      if (f.severity >= level) {
        return true;
      }
    }
  }
  return false;
}

int run_scan_command(const ScanArgs& a, std::ostream& out, std::ostream& err) {
  // Every setup problem (bad level, output path, rules, baseline) is reported before analysis.
  rules::Level fail_level = rules::Level::kInfo;
  bool fail_enabled = a.fail_on != "none";
  if (fail_enabled && !rules::parse_level(a.fail_on, fail_level)) {
    throw FatalError(kExitUsage, "--fail-on takes none|info|low|medium|high|critical");
  }
  check_output(a);
  rules::Catalog catalog = load_catalog_or_throw(a.rules_dir);
  std::optional<facts::Baseline> site = load_site_baseline_or_throw(a.baseline);

  ScanRequest req;
  req.evidence = a.evidence;
  req.evtx_engine = a.evtx_engine;
  req.software_hive = a.software;
  req.catalog = &catalog;
  req.site_baseline = site ? &*site : nullptr;
  req.tool_version = SMSSAUDIT_VERSION;
  ScanOutcome outcome = run_scan(req);
  print_diagnostics(outcome.report, a, err);
  emit(render(outcome.report, a), a, out);
  emit_timeline(outcome.report, a);

  if (!outcome.usable) {
    err << "smssaudit: no usable evidence: " << text::join(a.evidence, ", ")
        << " held no readable SYSTEM hive and no readable event log\n";
    return kExitNoEvidence;
  }
  return fail_enabled && any_finding_at_or_above(outcome.report, fail_level) ? kExitFindings
                                                                             : kExitOk;
}

// ---- rules list | show | validate ---------------------------------------------------------------

int rules_list(const std::string& rules_dir, std::ostream& out) {
  rules::Catalog catalog = load_catalog_or_throw(rules_dir);
  out << fmt::format(
      "{:<10} {:<9} {:>5}  {:<27} {}\n", "ID", "SEVERITY", "SCORE", "FACT KIND", "TITLE");
  for (const auto& r : catalog.rules) {
    out << fmt::format("{:<10} {:<9} {:>5}  {:<27} {}\n",
                       r.id,
                       rules::to_string(r.severity),
                       r.score,
                       r.applies_to,
                       r.title);
  }
  out << catalog.rules.size() << " rules, " << catalog.baselines.size()
      << " baselines, ruleset sha256 " << catalog.sha256 << '\n';
  return kExitOk;
}

int rules_show(const std::string& rules_dir, const std::string& id, std::ostream& out) {
  rules::Catalog catalog = load_catalog_or_throw(rules_dir);
  const rules::Rule* r = catalog.find_rule(id);
  if (r == nullptr) {
    throw FatalError(kExitUsage, "no rule with id " + id + " (see `smssaudit rules list`)");
  }
  out << "id:          " << r->id << '\n'
      << "title:       " << r->title << '\n'
      << "severity:    " << rules::to_string(r->severity) << '\n'
      << "score:       " << r->score << '\n'
      << "attack:      " << text::join(r->attack, ", ") << '\n'
      << "applies_to:  " << r->applies_to << '\n'
      << "message:     " << r->message << '\n'
      << "source:      " << r->source << ':' << r->line << '\n'
      << "examples:    " << r->match_examples.size() << " match, " << r->no_match_examples.size()
      << " no_match\n";
  if (!r->description.empty()) {
    out << "description: " << text::trim(r->description) << '\n';
  }
  for (const auto& ref : r->references) {
    out << "reference:   " << ref << '\n';
  }
  return kExitOk;
}

int rules_validate(const std::string& dir, std::ostream& out, std::ostream& err) {
  std::vector<rules::SourceFile> overlay = rules::read_sources(dir);
  rules::CatalogLoad load = rules::load_catalog(rules::builtin_sources(), overlay);
  std::vector<std::string> problems = load.errors;
  if (load.ok()) {
    for (auto& p : rules::check_examples(load.catalog)) {
      problems.push_back(std::move(p));
    }
  }
  for (const auto& p : problems) {
    err << p << '\n';
  }
  if (!problems.empty()) {
    err << "smssaudit: " << dir << ": " << problems.size() << " problem(s)\n";
    return kExitUsage;
  }
  out << dir << ": " << overlay.size() << " file(s) valid; catalogue now holds "
      << load.catalog.rules.size() << " rules, every example passes\n";
  return kExitOk;
}

// ---- hive recover ------------------------------------------------------------------------------

/// `hive recover HIVE -o OUT [--force]` (issue 5): writes the hive with its logs replayed.
CLI::App* add_hive_recover_command(CLI::App& app, HiveRecoverArgs& args) {
  CLI::App* hive_cmd = app.add_subcommand("hive", "Work on a registry hive file");
  hive_cmd->require_subcommand(1);
  CLI::App* recover_cmd = hive_cmd->add_subcommand(
      "recover",
      "Replay a dirty hive's transaction logs (.LOG/.LOG1/.LOG2 beside it) and write the "
      "recovered hive; exit 3 when HIVE is not a hive or nothing could be recovered");
  recover_cmd->add_option("HIVE", args.hive, "hive file (read-only; never modified)")->required();
  recover_cmd
      ->add_option("-o,--output", args.output, "recovered hive to write (never the evidence)")
      ->required();
  recover_cmd->add_flag("--force", args.force, "overwrite an existing --output file");
  return recover_cmd;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "smssaudit: offline forensic audit of the Windows Session Manager (smss.exe)\n"
      "Exit codes: 0 done, 1 finding at/above --fail-on, 2 usage or rule error, "
      "3 no usable evidence."};
  app.set_version_flag("--version", std::string("smssaudit ") + SMSSAUDIT_VERSION);
  app.require_subcommand(1);

  ScanArgs scan;
  CLI::App* scan_cmd = app.add_subcommand(
      "scan",
      "Audit the Session Manager configuration (SYSTEM hive, every control set) and rebuild the "
      "smss lineage boot by boot from event logs (Security, Sysmon, System, "
      "LocalSessionManager)");
  scan_cmd
      ->add_option("EVIDENCE",
                   scan.evidence,
                   "files or folders (read-only; never modified): a SYSTEM hive, EVTX logs, or "
                   "folders holding them; recognised by content, not by name")
      ->required();
  scan_cmd->add_option(
      "--software", scan.software, "SOFTWARE hive of the same installation (OS build, SystemRoot)");
  scan_cmd
      ->add_option(
          "-f,--format",
          scan.format,
          "text | json | jsonl (one finding per line, Timesketch fields) | csv "
          "(findings, RFC 4180) | html (one self-contained page) (default: text on a terminal, "
          "json otherwise)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv", "html"}));
  scan_cmd->add_option("-o,--output", scan.output, "write the report to FILE instead of stdout");
  scan_cmd->add_option("--timeline",
                       scan.timeline,
                       "also write every dated fact (boots, smss-family processes, sessions, key "
                       "last-written times, log clears, clock changes, findings) to FILE as "
                       "Timesketch JSONL, sorted by time");
  scan_cmd->add_flag("--force", scan.force, "overwrite an existing --output or --timeline file");
  scan_cmd->add_option("--rules",
                       scan.rules_dir,
                       "folder of YAML rules/baselines that add to or override the built-in ones");
  scan_cmd->add_option(
      "--baseline",
      scan.baseline,
      "site allowlist (YAML baseline), e.g. an AV boot-time scanner in BootExecute");
  scan_cmd
      ->add_option("--fail-on",
                   scan.fail_on,
                   "exit 1 when a finding is at or above LEVEL: none|info|low|medium|high|critical")
      ->default_val("none");
  scan_cmd->add_option("--color", scan.color, "auto | always | never (NO_COLOR is respected)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_val("auto");
  scan_cmd
      ->add_option("--evtx-engine",
                   scan.evtx_engine,
                   "native (chunk-parallel, reads template values without rendering XML) | "
                   "libevtx (the reference; renders XML for relevant records only)")
      ->check(CLI::IsMember({"native", "libevtx"}))
      ->default_val("native");
  scan_cmd->add_flag("-q,--quiet", scan.quiet, "print only errors on stderr");
  scan_cmd->add_flag("-v,--verbose",
                     scan.verbose,
                     "print info diagnostics; text report lists info findings and every value");

  CLI::App* rules_cmd = app.add_subcommand("rules", "Inspect and validate the rule catalogue");
  rules_cmd->require_subcommand(1);
  std::string rules_dir;
  rules_cmd->add_option("--rules", rules_dir, "extra rules folder to load over the built-in ones");
  CLI::App* list_cmd = rules_cmd->add_subcommand("list", "List every rule");
  std::string show_id;
  CLI::App* show_cmd = rules_cmd->add_subcommand("show", "Show one rule");
  show_cmd->add_option("ID", show_id, "rule id, e.g. SMSS-001")->required();
  std::string validate_dir;
  CLI::App* validate_cmd = rules_cmd->add_subcommand(
      "validate", "Load DIR strictly over the built-in catalogue and run every rule's examples");
  validate_cmd->add_option("DIR", validate_dir, "folder of YAML files")->required();

  HiveRecoverArgs recover;
  CLI::App* recover_cmd = add_hive_recover_command(app, recover);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help / --version
      app.exit(e, out, err);
      return kExitOk;
    }
    app.exit(e, out, err);
    return kExitUsage;
  }

  try {
    if (scan_cmd->parsed()) {
      return run_scan_command(scan, out, err);
    }
    if (list_cmd->parsed()) {
      return rules_list(rules_dir, out);
    }
    if (show_cmd->parsed()) {
      return rules_show(rules_dir, show_id, out);
    }
    if (validate_cmd->parsed()) {
      return rules_validate(validate_dir, out, err);
    }
    if (recover_cmd->parsed()) {
      return run_hive_recover(recover, out, err);
    }
  } catch (const FatalError& e) {
    err << "smssaudit: " << e.message() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    err << "smssaudit: internal error: " << e.what() << '\n';
    return kExitUsage;
  }
  return kExitUsage;
}

int run_cli(int argc, char** argv) {
  return run_cli(argc, argv, std::cout, std::cerr);
}

}  // namespace smssaudit::app
