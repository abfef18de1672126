// `batch` (see batch.hpp): discovery, one child `scan` per host, and the summary files.
#include "app/batch.hpp"

#include "app/batch_discovery.hpp"
#include "app/batch_paths.hpp"
#include "app/batch_runner.hpp"
#include "app/progress.hpp"
#include "smssaudit/core/error.hpp"
#include "smssaudit/rules/rule.hpp"

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace smssaudit::app {
namespace {

namespace fs = boost::filesystem;
using Json = nlohmann::ordered_json;

/// What one host's report says, read back from OUTDIR/<host>.json.
struct ReportDigest {
  std::vector<std::string> computers;
  std::string verdict;
  int score = 0;
  std::size_t findings = 0;
  std::optional<Json> top;  ///< {rule_id, title, severity, score}
};

/// One summary row.
struct HostRow {
  BatchHost host;
  std::string stem;  ///< report file stem under OUTDIR
  std::string status = "pending";
  std::optional<int> exit_code;
  std::string signal;
  bool timed_out = false;
  std::optional<ReportDigest> digest;
  bool report_written = false;
  std::string error;
  double seconds = 0;
};

int verdict_rank(const std::string& level) {
  if (level == "malicious") {
    return 3;
  }
  if (level == "suspicious") {
    return 2;
  }
  if (level == "inconclusive") {
    return 1;
  }
  return level == "clean" ? 0 : -1;
}

int severity_rank(const std::string& level) {
  rules::Level l = rules::Level::kInfo;
  return rules::parse_level(level, l) ? static_cast<int>(l) : -1;
}

/// The verdict, score and top finding of a report. A report of several installations (a disk
/// image with more than one Windows) is summarised by its worst host.
std::optional<ReportDigest> digest_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  const Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("hosts") || !j["hosts"].is_array()) {
    return std::nullopt;
  }
  ReportDigest d;
  for (const auto& host : j["hosts"]) {
    d.computers.push_back(host.value("name", ""));
    const Json verdict = host.value("verdict", Json::object());
    const std::string level = verdict.value("level", "");
    if (d.verdict.empty() || verdict_rank(level) > verdict_rank(d.verdict)) {
      d.verdict = level;
    }
    d.score = std::max(d.score, verdict.value("score", 0));
    for (const auto& f : host.value("findings", Json::array())) {
      ++d.findings;
      // Top finding: highest severity, then highest score, then lowest rule id.
      const auto key = [](const Json& x) {
        return std::make_tuple(
            severity_rank(x.value("severity", "")), x.value("score", 0), std::string());
      };
      const bool better =
          !d.top || key(f) > key(*d.top) ||
          (key(f) == key(*d.top) && f.value("rule_id", "") < d.top->value("rule_id", ""));
      if (better) {
        d.top = Json{{"rule_id", f.value("rule_id", "")},
                     {"title", f.value("title", "")},
                     {"severity", f.value("severity", "")},
                     {"score", f.value("score", 0)}};
      }
    }
  }
  return d;
}

/// The line of a child's stderr log that explains a failure: its last "smssaudit: " line (the
/// CLI's error format), else its last non-empty line. Cut to 300 characters.
std::string error_from_log(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line;
  std::string last;
  std::string last_tool;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    last = line;
    if (line.rfind("smssaudit: error", 0) == 0 || line.rfind("smssaudit: no usable", 0) == 0 ||
        (line.rfind("smssaudit: ", 0) == 0 && line.find("warning") == std::string::npos &&
         line.find("info") == std::string::npos)) {
      last_tool = line;
    }
  }
  std::string out = last_tool.empty() ? last : last_tool;
  if (out.size() > 300) {
    out = out.substr(0, 297) + "...";
  }
  return out;
}

/// The evidence file of a host without the image extension: "host1.E01" -> "host1".
std::string report_stem_of(const BatchHost& h) {
  if (h.kind == HostKind::kFolder) {
    return h.name;
  }
  const std::string stem = fs::path(h.name).stem().string();
  return stem.empty() ? h.name : stem;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (const char c : s) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

Json row_json(const HostRow& r) {
  Json j;
  j["host"] = r.host.name;
  j["computers"] = r.digest ? Json(r.digest->computers) : Json::array();
  j["evidence"] = r.host.path;
  j["kind"] = to_string(r.host.kind);
  j["parts"] = r.host.parts;
  j["status"] = r.status;
  j["exit_code"] = r.exit_code ? Json(*r.exit_code) : Json(nullptr);
  j["signal"] = r.signal.empty() ? Json(nullptr) : Json(r.signal);
  j["timed_out"] = r.timed_out;
  const bool judged = r.digest && !r.digest->computers.empty();  // a report with a host in it
  j["verdict"] = judged ? Json(r.digest->verdict) : Json(nullptr);
  j["score"] = judged ? Json(r.digest->score) : Json(nullptr);
  j["findings"] = r.digest ? Json(r.digest->findings) : Json(nullptr);
  j["top_finding"] = r.digest && r.digest->top ? *r.digest->top : Json(nullptr);
  j["report"] = r.report_written ? Json(r.stem + ".json") : Json(nullptr);
  j["log"] = "logs/" + r.stem + ".log";
  j["error"] = r.error.empty() ? Json(nullptr) : Json(r.error);
  return j;
}

std::string join_computers(const HostRow& r) {
  std::string out;
  if (r.digest) {
    for (const auto& c : r.digest->computers) {
      out += (out.empty() ? "" : ";") + c;
    }
  }
  return out;
}

/// One summary.csv line (RFC 4180, CRLF), in the header's column order.
std::string csv_row(const HostRow& r) {
  const Json top = r.digest && r.digest->top ? *r.digest->top : Json::object();
  const bool judged = r.digest && !r.digest->computers.empty();
  const std::vector<std::string> fields{r.host.name,
                                        join_computers(r),
                                        r.host.path,
                                        to_string(r.host.kind),
                                        r.status,
                                        r.exit_code ? std::to_string(*r.exit_code) : "",
                                        r.signal,
                                        judged ? r.digest->verdict : "",
                                        judged ? std::to_string(r.digest->score) : "",
                                        r.digest ? std::to_string(r.digest->findings) : "",
                                        top.value("rule_id", ""),
                                        top.value("title", ""),
                                        top.value("severity", ""),
                                        r.report_written ? r.stem + ".json" : "",
                                        "logs/" + r.stem + ".log",
                                        r.error};
  std::string out = csv_field(fields.front());
  for (std::size_t i = 1; i < fields.size(); ++i) {
    out += "," + csv_field(fields[i]);
  }
  return out + "\r\n";
}

std::string summary_csv(const std::vector<HostRow>& rows) {
  std::string out =
      "host,computers,evidence,kind,status,exit_code,signal,verdict,score,findings,top_rule_id,"
      "top_title,top_severity,report,log,error\r\n";
  for (const auto& r : rows) {
    out += csv_row(r);
  }
  return out;
}

/// Writes `content` to `path` through a temporary file and a rename, so a reader (or a batch
/// killed half-way) never sees a half-written summary.
void write_atomically(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream file(tmp.string(), std::ios::binary | std::ios::trunc);
    file << content;
    if (!file) {
      throw FatalError(kExitUsage, "cannot write " + tmp.string());
    }
  }
  boost::system::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    throw FatalError(kExitUsage, "cannot write " + path.string() + ": " + ec.message());
  }
}

/// Worst outcome first: a host that did not finish, then one without usable evidence, then
/// findings at or above --fail-on.
int batch_exit_code(const std::vector<HostRow>& rows) {
  if (rows.empty()) {
    return kExitNoEvidence;
  }
  int code = kExitOk;
  for (const auto& r : rows) {
    if (r.status == "failed" || r.status == "crashed" || r.status == "timed_out") {
      return kExitHostFailed;
    }
    if (r.status == "no_evidence") {
      code = kExitNoEvidence;
    } else if (r.status == "findings" && code == kExitOk) {
      code = kExitFindings;
    }
  }
  return code;
}

struct SummaryContext {
  const BatchArgs& args;
  const std::string& tool_version;
  const HostDiscovery& discovery;
};

std::string summary_json(const SummaryContext& ctx, const std::vector<HostRow>& rows, bool done) {
  Json j;
  j["schema"] = "smssaudit.batch/1";
  j["tool"] = Json{{"name", "smssaudit"}, {"version", ctx.tool_version}};
  j["evidence_dir"] = ctx.args.dir;
  j["output_dir"] = ctx.args.outdir;
  j["options"] =
      Json{{"jobs", ctx.args.jobs},
           {"timeout_s", ctx.args.timeout},
           {"fail_on", ctx.args.fail_on},
           {"evtx_engine", ctx.args.evtx_engine},
           {"rules", ctx.args.rules_dir.empty() ? Json(nullptr) : Json(ctx.args.rules_dir)},
           {"baseline", ctx.args.baseline.empty() ? Json(nullptr) : Json(ctx.args.baseline)}};
  j["complete"] = done;
  j["exit_code"] = done ? Json(batch_exit_code(rows)) : Json(nullptr);
  Json counts = Json::object();
  counts["hosts"] = rows.size();
  for (const char* s : {"ok", "findings", "no_evidence", "failed", "crashed", "timed_out"}) {
    counts[s] =
        std::count_if(rows.begin(), rows.end(), [s](const HostRow& r) { return r.status == s; });
  }
  j["counts"] = counts;
  Json hosts = Json::array();
  for (const auto& r : rows) {
    hosts.push_back(row_json(r));
  }
  j["hosts"] = hosts;
  Json ignored = Json::array();
  for (const auto& i : ctx.discovery.ignored) {
    ignored.push_back(Json{{"path", i.path}, {"reason", i.reason}});
  }
  j["ignored"] = ignored;
  return j.dump(2) + "\n";
}

void write_summaries(const SummaryContext& ctx, const std::vector<HostRow>& rows, bool done) {
  write_atomically(fs::path(ctx.args.outdir) / "summary.json", summary_json(ctx, rows, done));
  write_atomically(fs::path(ctx.args.outdir) / "summary.csv", summary_csv(rows));
}

/// Child argv: `smssaudit scan PATH --format json -o OUTDIR/<stem>.json --force ...` with the
/// pass-through options. --force: the batch already decided OUTDIR may be written.
std::vector<std::string> scan_argv(const BatchArgs& a, const HostRow& row) {
  const fs::path out = fs::absolute(a.outdir);
  std::vector<std::string> argv{"smssaudit",
                                "scan",
                                fs::absolute(row.host.path).string(),
                                "--format",
                                "json",
                                "-o",
                                (out / (row.stem + ".json")).string(),
                                "--force",
                                "--color",
                                "never",
                                "--evtx-engine",
                                a.evtx_engine,
                                "--fail-on",
                                a.fail_on};
  if (a.timeline) {
    argv.insert(argv.end(), {"--timeline", (out / (row.stem + ".timeline.jsonl")).string()});
  }
  if (!a.rules_dir.empty()) {
    argv.insert(argv.end(), {"--rules", fs::absolute(a.rules_dir).string()});
  }
  if (!a.baseline.empty()) {
    argv.insert(argv.end(), {"--baseline", fs::absolute(a.baseline).string()});
  }
  if (a.verbose) {
    argv.emplace_back("-v");
  }
  return argv;
}

/// Status of a finished child from its exit status and its report.
void record_result(const BatchArgs& a, const JobResult& res, HostRow& row) {
  const fs::path report = fs::path(a.outdir) / (row.stem + ".json");
  const std::string log = (fs::path(a.outdir) / "logs" / (row.stem + ".log")).string();
  row.seconds = res.seconds;
  row.timed_out = res.timed_out;
  if (!res.status) {
    row.status = "failed";
    row.error = res.spawn_error;
    return;
  }
  boost::system::error_code ec;
  row.report_written = fs::is_regular_file(report, ec);
  if (!res.status->exited) {
    row.signal = signal_name(res.status->signal);
    row.status = res.timed_out ? "timed_out" : "crashed";
    row.error = res.timed_out
                    ? fmt::format("timed out after {} s; killed by {}", a.timeout, row.signal)
                    : "killed by " + row.signal;
    row.report_written = false;  // whatever is there may be half-written
    return;
  }
  row.exit_code = res.status->code;
  const int code = res.status->code;
  if (code == kExitOk || code == kExitFindings || code == kExitNoEvidence) {
    row.digest = row.report_written ? digest_report(report.string()) : std::nullopt;
    if (!row.digest) {
      row.status = "failed";
      row.error =
          "exit code " + std::to_string(code) + " but no readable report at " + report.string();
      return;
    }
    row.status = code == kExitOk ? "ok" : code == kExitFindings ? "findings" : "no_evidence";
    if (code == kExitNoEvidence) {
      row.error = error_from_log(log);
    }
    return;
  }
  row.status = res.timed_out ? "timed_out" : "failed";
  row.error = "exit code " + std::to_string(code) + ": " + error_from_log(log);
}

std::string describe_row(const HostRow& r) {
  if (r.status == "no_evidence" && (!r.digest || r.digest->computers.empty())) {
    return "no usable evidence";
  }
  if (r.digest && (r.status == "ok" || r.status == "findings" || r.status == "no_evidence")) {
    std::string s = fmt::format("{} (score {})", r.digest->verdict, r.digest->score);
    if (r.digest->top) {
      s += fmt::format(", top {} ({})",
                       r.digest->top->value("rule_id", ""),
                       r.digest->top->value("severity", ""));
    }
    if (r.status == "no_evidence") {
      s += ", no usable evidence";
    }
    return s;
  }
  return r.status + ": " + r.error;
}

/// The setup checks that must pass before any host starts (exit 2).
void check_batch_setup(const BatchArgs& a) {
  boost::system::error_code ec;
  if (!fs::is_directory(a.dir, ec)) {
    throw FatalError(kExitUsage, "batch: " + a.dir + " is not a folder");
  }
  if (a.fail_on != "none") {
    rules::Level level = rules::Level::kInfo;
    if (!rules::parse_level(a.fail_on, level)) {
      throw FatalError(kExitUsage, "--fail-on takes none|info|low|medium|high|critical");
    }
  }
  // Evidence is never written to: OUTDIR may be neither DIR nor inside it.
  const fs::path in = fs::weakly_canonical(fs::absolute(a.dir), ec);
  const fs::path out = fs::weakly_canonical(fs::absolute(a.outdir), ec);
  const std::string& in_s = in.string();
  const std::string& out_s = out.string();
  if (out_s == in_s || out_s.rfind(in_s + "/", 0) == 0) {
    throw FatalError(kExitUsage,
                     "batch: the output folder " + a.outdir + " is inside the evidence folder " +
                         a.dir + "; choose a folder outside it");
  }
  if (::access(a.scanner.c_str(), X_OK) != 0) {
    throw FatalError(kExitUsage, "batch: scanner " + a.scanner + " is not executable");
  }
  require_output_dir(a.outdir, a.force);
  fs::create_directories(fs::path(a.outdir) / "logs", ec);
  if (ec) {
    throw FatalError(kExitUsage, "cannot create " + a.outdir + "/logs: " + ec.message());
  }
}

/// One row per host, with its report name: sanitised, unique (case-insensitively), never
/// "summary".
std::vector<HostRow> name_rows(const HostDiscovery& discovery) {
  std::vector<HostRow> rows;
  std::set<std::string> taken{"summary"};
  for (const auto& h : discovery.hosts) {
    HostRow row;
    row.host = h;
    row.stem = unique_stem(sanitise_file_stem(report_stem_of(h)), taken);
    rows.push_back(std::move(row));
  }
  return rows;
}

/// Follows the children: records each result as it comes (rewriting the summaries), prints one
/// line per finished host and keeps the status line up to date.
class BatchMonitor {
 public:
  BatchMonitor(const BatchArgs& args,
               const TerminalInfo& terminal,
               const SummaryContext& ctx,
               std::vector<HostRow>& rows,
               std::ostream& err)
      : args_(args),
        ctx_(ctx),
        rows_(rows),
        terminal_(terminal.stderr_is_terminal),
        show_progress_(!args.quiet && (terminal.stderr_is_terminal || args.progress)),
        line_(err, line_options(terminal)) {}

  void on_event(std::size_t index, const JobResult* result) {
    if (result == nullptr) {
      running_.insert(index);
    } else {
      running_.erase(index);
      ++finished_;
      HostRow& row = rows_[index];
      record_result(args_, *result, row);
      write_summaries(ctx_, rows_, false);
      const bool problem =
          row.status == "failed" || row.status == "crashed" || row.status == "timed_out";
      if (problem || !args_.quiet) {  // failures are errors: shown even with -q
        line_.message(fmt::format("smssaudit: [{}/{}] {}: {}",
                                  finished_,
                                  rows_.size(),
                                  row.host.name,
                                  describe_row(row)));
      }
    }
    if (show_progress_) {
      // A new child redraws at once on a terminal; a log gets the throttled lines only.
      line_.update(status_text(), result == nullptr && terminal_);
    }
  }

  void clear() { line_.clear(); }

 private:
  static StatusLine::Options line_options(const TerminalInfo& terminal) {
    StatusLine::Options o;
    o.terminal = terminal.stderr_is_terminal;
    o.width = terminal.stderr_width == 0 ? 80 : terminal.stderr_width;
    o.interval = std::chrono::milliseconds(terminal.stderr_is_terminal ? 250 : 5000);
    return o;
  }

  std::string status_text() const {
    std::string names;
    for (const std::size_t i : running_) {
      names += (names.empty() ? "" : ", ") + rows_[i].host.name;
    }
    const auto secs = static_cast<long>(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    return fmt::format("smssaudit: batch {}/{} done, {} running{}{}  {:02}:{:02}",
                       finished_,
                       rows_.size(),
                       running_.size(),
                       names.empty() ? "" : ": ",
                       names,
                       secs / 60,
                       secs % 60);
  }

  const BatchArgs& args_;
  const SummaryContext& ctx_;
  std::vector<HostRow>& rows_;
  bool terminal_;
  bool show_progress_;
  StatusLine line_;
  std::size_t finished_ = 0;
  std::set<std::size_t> running_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

int run_batch(const BatchArgs& args,
              const TerminalInfo& terminal,
              const std::string& tool_version,
              std::ostream& err) {
  check_batch_setup(args);
  const HostDiscovery discovery = discover_hosts(args.dir, args.outdir);
  std::vector<HostRow> rows = name_rows(discovery);
  const SummaryContext ctx{args, tool_version, discovery};
  write_summaries(ctx, rows, false);

  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) {
    jobs.push_back(
        Job{scan_argv(args, row), (fs::path(args.outdir) / "logs" / (row.stem + ".log")).string()});
  }

  BatchMonitor monitor(args, terminal, ctx, rows, err);
  RunnerOptions runner;
  runner.exe = args.scanner;
  runner.parallel = args.jobs == 0 ? std::max(1U, std::thread::hardware_concurrency()) : args.jobs;
  runner.timeout = std::chrono::seconds(args.timeout);
  runner.on_event = [&monitor](std::size_t index, const JobResult* result) {
    monitor.on_event(index, result);
  };
  run_jobs(jobs, runner);
  monitor.clear();

  write_summaries(ctx, rows, true);
  const int code = batch_exit_code(rows);
  if (!args.quiet) {
    err << fmt::format("smssaudit: batch: {} host(s), {} ignored entr{}; summary in {}; exit {}\n",
                       rows.size(),
                       discovery.ignored.size(),
                       discovery.ignored.size() == 1 ? "y" : "ies",
                       (fs::path(args.outdir) / "summary.csv").string(),
                       code);
  }
  return code;
}

}  // namespace smssaudit::app
