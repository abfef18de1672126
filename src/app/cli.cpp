// Command-line front end. Parses arguments, loads the rule catalogue, runs the pipeline (or the
// batch of child scans), renders the report and maps outcomes to exit codes (design.md 4). Setup
// errors are FatalError, thrown here and caught once in run_cli.
#include "smssaudit/app/cli.hpp"

#include "app/batch.hpp"
#include "app/batch_paths.hpp"
#include "app/hive_recover.hpp"
#include "app/progress.hpp"
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
#include <sys/ioctl.h>
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
  bool progress = false;  ///< --progress: the status line even when stderr is not a terminal
  std::string evtx_engine = "native";
  bool isolate = false;          ///< --isolate: every artifact's parser in a child process
  bool no_isolate = false;       ///< --no-isolate: none, not even for disk images
  unsigned isolate_timeout = 0;  ///< --isolate-timeout SECONDS; 0 = no limit
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

/// Output problems are found before any analysis starts: the path is one of the evidence files,
/// a folder, an existing file without --force, or cannot be created (missing or read-only folder).
void check_output_path(const ScanArgs& a, const std::string& output, const char* what) {
  if (output.empty()) {
    return;
  }
  const bool over_evidence =
      same_file(output, a.software) ||
      std::any_of(a.evidence.begin(), a.evidence.end(), [&output](const std::string& e) {
        return same_file(output, e);
      });
  if (over_evidence) {
    throw FatalError(kExitUsage,
                     std::string("refusing to write the ") + what + " over evidence: " + output);
  }
  require_writable_file(output, a.force, what);
}

/// The report (-o) and the timeline (--timeline) follow the same rules, and are never one file.
void check_output(const ScanArgs& a) {
  if (!a.timeline.empty() && !a.output.empty() &&
      fs::absolute(a.timeline).lexically_normal() == fs::absolute(a.output).lexically_normal()) {
    throw FatalError(kExitUsage, "--timeline and -o name the same file: " + a.output);
  }
  check_output_path(a, a.output, "report");
  check_output_path(a, a.timeline, "timeline");
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

/// Colour only for people: `always` forces it; `auto` needs a terminal, no NO_COLOR and a TERM
/// that is not "dumb"; `never` never.
bool use_color(const std::string& mode, bool to_terminal, const TerminalInfo& terminal) {
  if (mode == "always") {
    return true;
  }
  return mode == "auto" && to_terminal && !terminal.no_color && !terminal.dumb;
}

/// Text is for people at a terminal; pipes and files get the JSON contract unless asked.
/// Written straight to its destination: a 1 GB log's report is tens of MB, not worth a copy.
void render(const report::Report& rep,
            const ScanArgs& a,
            const TerminalInfo& terminal,
            std::ostream& rendered) {
  bool to_terminal = a.output.empty() && terminal.stdout_is_terminal;
  std::string format = a.format.empty() ? (to_terminal ? "text" : "json") : a.format;
  bool color = use_color(a.color, to_terminal, terminal);
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
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  if (!file) {
    throw FatalError(kExitUsage, "cannot write " + path);
  }
}

void emit(const report::Report& rep,
          const ScanArgs& a,
          const TerminalInfo& terminal,
          std::ostream& out) {
  if (a.output.empty()) {
    render(rep, a, terminal, out);
    return;
  }
  std::ofstream file(a.output, std::ios::binary | std::ios::trunc);
  render(rep, a, terminal, file);
  file.flush();
  if (!file) {
    throw FatalError(kExitUsage, "cannot write " + a.output);
  }
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

/// The status line of a scan: on a terminal unless -q, or anywhere with --progress.
std::optional<StatusLine::Options> progress_options(bool quiet,
                                                    bool forced,
                                                    const TerminalInfo& terminal) {
  if (quiet || (!terminal.stderr_is_terminal && !forced)) {
    return std::nullopt;
  }
  StatusLine::Options o;
  o.terminal = terminal.stderr_is_terminal;
  o.width = terminal.stderr_width == 0 ? 80 : terminal.stderr_width;
  // Redrawn 4 times a second on a terminal; a line every 5 s in a log.
  o.interval = std::chrono::milliseconds(terminal.stderr_is_terminal ? 250 : 5000);
  return o;
}

int run_scan_command(const ScanArgs& a,
                     const TerminalInfo& terminal,
                     std::ostream& out,
                     std::ostream& err) {
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
  req.isolation = a.isolate      ? Isolation::kAlways
                  : a.no_isolate ? Isolation::kNever
                                 : Isolation::kAuto;
  req.isolate_timeout = std::chrono::seconds(a.isolate_timeout);
  req.software_hive = a.software;
  req.catalog = &catalog;
  req.site_baseline = site ? &*site : nullptr;
  req.tool_version = SMSSAUDIT_VERSION;
  std::optional<StatusLine> line;
  std::optional<ScanProgressMeter> meter;
  if (auto options = progress_options(a.quiet, a.progress, terminal)) {
    line.emplace(err, std::move(*options));
    meter.emplace(*line);
    req.progress = [&meter](const ScanProgress& p) {
      (*meter)(p);
    };
  }
  ScanOutcome outcome = run_scan(req);
  if (line) {
    line->clear();  // the status line never stays behind the diagnostics
  }
  print_diagnostics(outcome.report, a, err);
  emit(outcome.report, a, terminal, out);
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

// ---- command line ------------------------------------------------------------------------------

constexpr const char* kExitCodesHelp =
    "Exit codes: 0 analysis done; 1 a finding at or above --fail-on LEVEL; 2 usage, rule or "
    "output error (reported before any evidence is read); 3 no usable evidence; 4 (batch only) a "
    "host's scan crashed, was killed, timed out or failed.";

constexpr const char* kFailOnHelp =
    "exit 1 when any finding has severity LEVEL or higher (severities, lowest first: "
    "info < low < medium < high < critical); none never fails on findings. Exit 3 (no usable "
    "evidence) takes precedence over 1";

/// Everything the command line can set.
struct CliArgs {
  ScanArgs scan;
  BatchArgs batch;
  std::string rules_dir;
  std::string show_id;
  std::string validate_dir;
  HiveRecoverArgs recover;
};

/// The commands, to tell which one was parsed.
struct CliCommands {
  CLI::App* scan = nullptr;
  CLI::App* batch = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* validate = nullptr;
  CLI::App* recover = nullptr;
};

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
      ->add_option("-o,--output",
                   args.output,
                   "recovered hive to write (required; never the evidence or one of its logs)")
      ->required()
      ->type_name("FILE");
  recover_cmd->add_flag("--force", args.force, "overwrite an existing --output file");
  recover_cmd->footer(
      "Exit codes: 0 written; 2 usage or output error; 3 not a hive or nothing "
      "could be recovered.");
  return recover_cmd;
}

/// Options shared by scan and batch that decide the analysis itself.
void add_analysis_options(CLI::App* cmd,
                          std::string& rules_dir,
                          std::string& baseline,
                          std::string& fail_on,
                          std::string& evtx_engine) {
  cmd->add_option("--rules",
                  rules_dir,
                  "folder of YAML rules/baselines that add to or override (same id) the built-in "
                  "ones; loaded strictly, any error is exit 2 (default: built-in rules only)")
      ->type_name("DIR");
  cmd->add_option("--baseline",
                  baseline,
                  "site allowlist (YAML baseline), e.g. an AV boot-time scanner in BootExecute; "
                  "extends the OS baseline, never removes from it (default: none)")
      ->type_name("FILE");
  cmd->add_option("--fail-on", fail_on, kFailOnHelp)
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"none", "info", "low", "medium", "high", "critical"}))
      ->default_val("none");
  cmd->add_option("--evtx-engine",
                  evtx_engine,
                  "native (chunk-parallel, reads template values without rendering XML) | "
                  "libevtx (the reference; renders XML for relevant records only)")
      ->check(CLI::IsMember({"native", "libevtx"}))
      ->default_val("native");
}

CLI::App* add_scan_command(CLI::App& app, ScanArgs& scan) {
  CLI::App* scan_cmd = app.add_subcommand(
      "scan",
      "Audit the Session Manager configuration (SYSTEM hive, every control set) and rebuild the "
      "smss lineage boot by boot from event logs (Security, Sysmon, System, "
      "LocalSessionManager)");
  scan_cmd
      ->add_option("EVIDENCE",
                   scan.evidence,
                   "files or folders (read-only; never modified), all of one Windows "
                   "installation: a SYSTEM hive, EVTX logs, or folders holding them; recognised "
                   "by content, not by name")
      ->required();
  scan_cmd
      ->add_option("--software",
                   scan.software,
                   "SOFTWARE hive of the same installation (OS build, SystemRoot) (default: "
                   "one found among EVIDENCE by content)")
      ->type_name("FILE");
  scan_cmd
      ->add_option(
          "-f,--format",
          scan.format,
          "text | json | jsonl (one finding per line, Timesketch fields) | csv "
          "(findings, RFC 4180) | html (one self-contained page) (default: text when stdout is "
          "a terminal, json otherwise)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv", "html"}));
  scan_cmd
      ->add_option("-o,--output",
                   scan.output,
                   "write the report to FILE instead of stdout; refused before analysis if "
                   "it exists (without --force), is a folder, is evidence or cannot be "
                   "created (default: stdout)")
      ->type_name("FILE");
  scan_cmd
      ->add_option("--timeline",
                   scan.timeline,
                   "also write every dated fact (boots, smss-family processes, sessions, key "
                   "last-written times, log clears, clock changes, findings) to FILE as "
                   "Timesketch JSONL, sorted by time; same checks as -o (default: none)")
      ->type_name("FILE");
  scan_cmd->add_flag("--force", scan.force, "overwrite an existing --output or --timeline file");
  add_analysis_options(scan_cmd, scan.rules_dir, scan.baseline, scan.fail_on, scan.evtx_engine);
  scan_cmd
      ->add_option("--color",
                   scan.color,
                   "colour in text output: auto (only when stdout is a terminal, NO_COLOR is "
                   "unset or empty and TERM is not dumb) | always | never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_val("auto");
  CLI::Option* quiet = scan_cmd->add_flag("-q,--quiet",
                                          scan.quiet,
                                          "print only errors on stderr (no progress, no "
                                          "warnings)");
  scan_cmd->add_flag("-v,--verbose",
                     scan.verbose,
                     "print info diagnostics; text report lists info findings and every value");
  scan_cmd
      ->add_flag("--progress",
                 scan.progress,
                 "show the progress line (artifact, records, MB/s) on stderr even when stderr is "
                 "not a terminal (default: only on a terminal; never on stdout)")
      ->excludes(quiet);
  CLI::Option* isolate = scan_cmd->add_flag(
      "--isolate",
      scan.isolate,
      "parse every artifact (libregf, libevtx, native EVTX scanner) in a child process of its own: "
      "a parser crash loses that artifact only (reported as isolate.parser_crashed, a coverage "
      "gap), never the scan (default: only artifacts read from disk images)");
  scan_cmd
      ->add_flag("--no-isolate",
                 scan.no_isolate,
                 "parse every artifact in this process, disk images included (slightly faster; a "
                 "parser crash ends the scan)")
      ->excludes(isolate);
  scan_cmd
      ->add_option("--isolate-timeout",
                   scan.isolate_timeout,
                   "seconds an isolated parser may run before it is killed and its artifact "
                   "reported lost; 0 = no limit")
      ->default_val(0)
      ->type_name("SECONDS");
  scan_cmd->footer(std::string(kExitCodesHelp));
  return scan_cmd;
}

CLI::App* add_batch_command(CLI::App& app, BatchArgs& batch) {
  CLI::App* cmd = app.add_subcommand(
      "batch",
      "Scan every host under DIR, each in its own child process: every immediate subfolder is a "
      "host (KAPE, Velociraptor or flat triage folder), every disk image file directly under DIR "
      "(E01, VMDK, VHD/VHDX, QCOW2, raw with MBR/GPT/NTFS; split .001/.E01 sets once) is a host. "
      "Writes OUTDIR/<host>.json, OUTDIR/logs/<host>.log, OUTDIR/summary.csv and "
      "OUTDIR/summary.json (sorted by host path)");
  cmd->add_option("DIR", batch.dir, "folder of host folders and/or disk images (read-only)")
      ->required();
  cmd->add_option("-o,--output",
                  batch.outdir,
                  "OUTDIR for the reports and summaries (required); created if missing; must not "
                  "be inside DIR; refused when not empty unless --force")
      ->required()
      ->type_name("OUTDIR");
  cmd->add_option("-j,--jobs", batch.jobs, "hosts scanned at once; 0 = one per CPU")
      ->default_val(1)
      ->type_name("N");
  cmd->add_option("--timeout",
                  batch.timeout,
                  "seconds one host's scan may take before it is killed (SIGTERM, then SIGKILL "
                  "after 5 s) and recorded as timed_out; 0 = no limit")
      ->default_val(7200)
      ->type_name("SECONDS");
  cmd->add_flag("--force",
                batch.force,
                "write into a non-empty OUTDIR (files of the same name are overwritten; nothing "
                "is deleted)");
  cmd->add_flag("--timeline",
                batch.timeline,
                "also write OUTDIR/<host>.timeline.jsonl (scan --timeline) for every host");
  add_analysis_options(cmd, batch.rules_dir, batch.baseline, batch.fail_on, batch.evtx_engine);
  cmd->add_option("--scanner",
                  batch.scanner,
                  "program run as `PROGRAM scan ...` for each host (default: this smssaudit, "
                  "/proc/self/exe); for testing another build")
      ->default_val("/proc/self/exe")
      ->type_name("PROGRAM");
  CLI::Option* quiet = cmd->add_flag(
      "-q,--quiet", batch.quiet, "print only failed hosts and errors on stderr (no progress)");
  cmd->add_flag("-v,--verbose", batch.verbose, "pass -v to each scan (info diagnostics in logs)");
  cmd->add_flag("--progress",
                batch.progress,
                "show the batch status line (hosts done, running) on stderr even when stderr is "
                "not a terminal (default: only on a terminal)")
      ->excludes(quiet);
  cmd->footer(
      "Exit code: the worst host: 4 a host's scan crashed, was killed by a signal, timed out or "
      "failed (exit 2); 3 a host had no usable evidence, or DIR holds no host; 1 a finding at or "
      "above --fail-on LEVEL in some host; 0 otherwise. 2: usage or output error, before any host "
      "is started (OUTDIR not empty without --force, OUTDIR inside DIR, bad rules).");
  return cmd;
}

CliCommands configure(CLI::App& app, CliArgs& a) {
  app.set_version_flag("--version", std::string("smssaudit ") + SMSSAUDIT_VERSION);
  app.set_help_flag("-h,--help", "print this help (every command has its own: COMMAND --help)");
  app.require_subcommand(1);
  app.footer(std::string(kExitCodesHelp));
  CliCommands c;
  c.scan = add_scan_command(app, a.scan);
  c.batch = add_batch_command(app, a.batch);

  CLI::App* rules_cmd = app.add_subcommand("rules", "Inspect and validate the rule catalogue");
  rules_cmd->require_subcommand(1);
  rules_cmd
      ->add_option("--rules",
                   a.rules_dir,
                   "extra rules folder to load over the built-in ones (default: built-in "
                   "rules only)")
      ->type_name("DIR");
  c.list = rules_cmd->add_subcommand(
      "list", "List every rule: id, severity, score, fact kind and title; then the ruleset hash");
  c.show = rules_cmd->add_subcommand("show", "Show one rule with its description and references");
  c.show->add_option("ID", a.show_id, "rule id, e.g. SMSS-001 (see `rules list`)")->required();
  c.validate = rules_cmd->add_subcommand(
      "validate",
      "Load DIR strictly over the built-in catalogue and run every rule's examples; exit 2 "
      "listing every problem");
  c.validate->add_option("DIR", a.validate_dir, "folder of YAML rule/baseline files")->required();

  c.recover = add_hive_recover_command(app, a.recover);
  return c;
}

std::string app_description() {
  return "smssaudit: offline forensic audit of the Windows Session Manager (smss.exe)";
}

/// Walks `app` and its subcommands depth-first.
void collect_help(const CLI::App& app,
                  const std::string& prefix,
                  std::vector<OptionHelp>& options,
                  std::vector<std::string>& commands) {
  for (const CLI::Option* opt : app.get_options()) {
    options.push_back(OptionHelp{prefix, opt->get_name(false, true), opt->get_description()});
  }
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string name = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
    commands.push_back(name);
    collect_help(*sub, name, options, commands);
  }
}

int dispatch(const CliArgs& a,
             const CliCommands& c,
             const TerminalInfo& terminal,
             std::ostream& out,
             std::ostream& err) {
  if (c.scan->parsed()) {
    return run_scan_command(a.scan, terminal, out, err);
  }
  if (c.batch->parsed()) {
    // Rules and baseline are loaded once here: a broken rule stops the batch (exit 2) before any
    // host starts, instead of failing every host.
    (void)load_catalog_or_throw(a.batch.rules_dir);
    (void)load_site_baseline_or_throw(a.batch.baseline);
    return run_batch(a.batch, terminal, SMSSAUDIT_VERSION, err);
  }
  if (c.list->parsed()) {
    return rules_list(a.rules_dir, out);
  }
  if (c.show->parsed()) {
    return rules_show(a.rules_dir, a.show_id, out);
  }
  if (c.validate->parsed()) {
    return rules_validate(a.validate_dir, out, err);
  }
  if (c.recover->parsed()) {
    return run_hive_recover(a.recover, out, err);
  }
  return kExitUsage;
}

}  // namespace

TerminalInfo TerminalInfo::detect() {
  TerminalInfo t;
  t.stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1;
  t.stderr_is_terminal = ::isatty(STDERR_FILENO) == 1;
  // NOLINTBEGIN(concurrency-mt-unsafe): read once at start-up, before any thread exists
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  // NOLINTEND(concurrency-mt-unsafe)
  t.no_color = no_color != nullptr && *no_color != '\0';  // no-color.org: set and not empty
  t.dumb = term != nullptr && std::string_view(term) == "dumb";
  if (t.stderr_is_terminal) {
    winsize ws{};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl(2) is variadic
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      t.stderr_width = ws.ws_col;
    }
  }
  return t;
}

int run_cli(int argc,
            const char* const* argv,
            std::ostream& out,
            std::ostream& err,
            const TerminalInfo& terminal) {
  CLI::App app{app_description()};
  CliArgs args;
  const CliCommands commands = configure(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e, out, err);
    return e.get_exit_code() == 0 ? kExitOk : kExitUsage;  // --help / --version are not errors
  }

  try {
    return dispatch(args, commands, terminal, out, err);
  } catch (const FatalError& e) {
    err << "smssaudit: " << e.message() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    err << "smssaudit: internal error: " << e.what() << '\n';
    return kExitUsage;
  }
}

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return run_cli(argc, argv, out, err, TerminalInfo::detect());
}

int run_cli(int argc, char** argv) {
  return run_cli(argc, argv, std::cout, std::cerr);
}

std::vector<OptionHelp> option_help() {
  CLI::App app{app_description()};
  CliArgs args;
  configure(app, args);
  std::vector<OptionHelp> options;
  std::vector<std::string> commands;
  collect_help(app, "", options, commands);
  return options;
}

std::vector<std::string> command_names() {
  CLI::App app{app_description()};
  CliArgs args;
  configure(app, args);
  std::vector<OptionHelp> options;
  std::vector<std::string> commands;
  collect_help(app, "", options, commands);
  return commands;
}

}  // namespace smssaudit::app
