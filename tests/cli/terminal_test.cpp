// Terminal behaviour: the progress line on stderr (redrawn with '\r', throttled, cleared), colour
// only for a terminal (NO_COLOR, TERM=dumb, --color), -q/--progress, and --help for every command.
#include "app/progress.hpp"
#include "smssaudit/app/cli.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace {

using smssaudit::app::format_bytes;
using smssaudit::app::format_scan_progress;
using smssaudit::app::ScanProgress;
using smssaudit::app::ScanProgressMeter;
using smssaudit::app::StatusLine;
using smssaudit::app::TerminalInfo;
using smssaudit::testing::CliRun;
using smssaudit::testing::fixture_dir;
using namespace std::chrono_literals;

/// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{};

  smssaudit::app::ProgressClock fn() {
    return [this] {
      return now;
    };
  }
};

CliRun run_with(const std::vector<std::string>& args, const TerminalInfo& terminal) {
  std::vector<const char*> argv{"smssaudit"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  CliRun r;
  r.exit_code =
      smssaudit::app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err, terminal);
  r.out = out.str();
  r.err = err.str();
  return r;
}

TerminalInfo tty() {
  TerminalInfo t;
  t.stdout_is_terminal = true;
  t.stderr_is_terminal = true;
  t.stderr_width = 100;
  return t;
}

std::string system_hive() {
  return fixture_dir("bootexecute_extra") + "/SYSTEM";
}

}  // namespace

TEST_CASE("On a terminal the status line is redrawn in place, throttled, and erased",
          "[terminal][progress]") {
  FakeClock clock;
  std::ostringstream err;
  {
    StatusLine line(err, StatusLine::Options{true, 250ms, 40, clock.fn()});
    line.update("reading Security.evtx 10%");
    line.update("reading Security.evtx 11%");  // within 250 ms: throttled
    clock.now += 300ms;
    line.update("reading 2");  // shorter: the rest of the old text is blanked
    CHECK(err.str() ==
          "\rreading Security.evtx 10%\rreading 2" + std::string(16, ' ') + "\rreading 2");
    err.str("");
    line.message("smssaudit: host done");  // a permanent line never mixes with the status
    CHECK(err.str() == "\r" + std::string(9, ' ') + "\rsmssaudit: host done\nreading 2");
    err.str("");
    clock.now += 300ms;
    line.update(std::string(60, 'x'));  // cut to width - 1: a wrapped line cannot be redrawn
    CHECK(err.str().find(std::string(39, 'x')) != std::string::npos);
    CHECK(err.str().find(std::string(40, 'x')) == std::string::npos);
    err.str("");
  }  // the destructor erases what is shown
  CHECK(err.str() == "\r" + std::string(39, ' ') + "\r");
  CHECK(err.str().find('\n') == std::string::npos);
}

TEST_CASE("Off a terminal a forced status line is plain lines, throttled", "[terminal][progress]") {
  FakeClock clock;
  std::ostringstream err;
  {
    StatusLine line(err, StatusLine::Options{false, 5000ms, 80, clock.fn()});
    line.update("one");
    clock.now += 1s;
    line.update("two");  // throttled
    line.update("three", true);
    line.clear();
  }
  CHECK(err.str() == "one\nthree\n");
  CHECK(err.str().find('\r') == std::string::npos);
}

TEST_CASE("Scan progress shows artifact, percentage, records and MB/s", "[terminal][progress]") {
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1500) == "1.5 kB");
  CHECK(format_bytes(120'300'000) == "120.3 MB");
  CHECK(format_bytes(2'300'000'000) == "2.3 GB");
  ScanProgress p;
  p.artifact = "/evidence/C/Windows/System32/winevt/Logs/Security.evtx";
  p.bytes_done = 120'300'000;
  p.bytes_total = 267'000'000;
  p.records = 183220;
  const std::string s = format_scan_progress(p, 2.0);
  CHECK(s == "Security.evtx   45%  120.3 MB/267.0 MB  183,220 records  60.1 MB/s");
  p.finished = true;
  CHECK(format_scan_progress(p, 2.0).find("done in 2.0 s") != std::string::npos);
  ScanProgress hive;
  hive.artifact = "SYSTEM";
  CHECK(format_scan_progress(hive, 0.0) == "SYSTEM");

  // The meter times each artifact from its first report; off a terminal every artifact gets its
  // closing line even when throttled.
  FakeClock clock;
  std::ostringstream err;
  StatusLine line(err, StatusLine::Options{false, 5000ms, 120, clock.fn()});
  ScanProgressMeter meter(line, clock.fn());
  ScanProgress a;
  a.artifact = "Security.evtx";
  a.bytes_total = 10'000'000;
  meter(a);
  clock.now += 2s;
  a.bytes_done = 10'000'000;
  a.records = 5;
  a.finished = true;
  meter(a);
  const std::string text = err.str();
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(text.find("smssaudit: Security.evtx  100%  10.0 MB/10.0 MB  5 records  5.0 MB/s  done in "
                  "2.0 s\n") != std::string::npos);
}

TEST_CASE("Colour only on a terminal, never with NO_COLOR or TERM=dumb unless --color always",
          "[terminal][cli]") {
  auto on_tty = run_with({"scan", system_hive()}, tty());
  REQUIRE(on_tty.exit_code == 0);
  CHECK(on_tty.out.find("SUSPICIOUS") != std::string::npos);  // text is the terminal default
  CHECK(on_tty.out.find("\x1b[") != std::string::npos);

  TerminalInfo no_color = tty();
  no_color.no_color = true;
  auto plain = run_with({"scan", system_hive()}, no_color);
  CHECK(plain.out.find("SUSPICIOUS") != std::string::npos);
  CHECK(plain.out.find("\x1b[") == std::string::npos);
  CHECK(run_with({"scan", system_hive(), "--color", "always"}, no_color).out.find("\x1b[") !=
        std::string::npos);

  TerminalInfo dumb = tty();
  dumb.dumb = true;
  CHECK(run_with({"scan", system_hive()}, dumb).out.find("\x1b[") == std::string::npos);
  CHECK(run_with({"scan", system_hive(), "--color", "never"}, tty()).out.find("\x1b[") ==
        std::string::npos);

  // Not a terminal: JSON by default, and no escape sequences anywhere.
  auto piped = run_with({"scan", system_hive()}, TerminalInfo{});
  REQUIRE(piped.exit_code == 0);
  CHECK(nlohmann::json::parse(piped.out)["schema"] == "smssaudit.report/1");
  CHECK(piped.err.find("\x1b[") == std::string::npos);
}

TEST_CASE("Progress and -q: stdout stays the report, -q and --progress exclude each other",
          "[terminal][cli]") {
  auto forced = run_with({"scan", system_hive(), "--format", "json", "--progress"}, TerminalInfo{});
  REQUIRE(forced.exit_code == 0);
  CHECK(nlohmann::json::parse(forced.out)["schema"] == "smssaudit.report/1");
  CHECK(forced.err.find('\r') == std::string::npos);  // not a terminal: never redrawn

  auto on_tty = run_with({"scan", system_hive(), "--format", "json"}, tty());
  REQUIRE(on_tty.exit_code == 0);
  CHECK(nlohmann::json::parse(on_tty.out)["schema"] == "smssaudit.report/1");

  CHECK(run_with({"scan", system_hive(), "-q", "--progress"}, TerminalInfo{}).exit_code == 2);

  // -q keeps stderr to errors only; a missing input is still an error.
  auto quiet = run_with({"scan", system_hive(), "--format", "json", "-q"}, tty());
  CHECK(quiet.err.empty());
  auto missing = run_with({"scan", "/nonexistent/SYSTEM", "--format", "json", "-q"}, tty());
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("/nonexistent/SYSTEM") != std::string::npos);
}

TEST_CASE("Every option of every command has a description", "[terminal][help]") {
  const auto options = smssaudit::app::option_help();
  REQUIRE(options.size() > 30);
  for (const auto& o : options) {
    INFO(o.command << " " << o.name);
    CHECK_FALSE(o.description.empty());
  }
  const auto commands = smssaudit::app::command_names();
  for (const char* expected : {"scan",
                               "batch",
                               "rules",
                               "rules list",
                               "rules show",
                               "rules validate",
                               "hive",
                               "hive recover"}) {
    CHECK(std::find(commands.begin(), commands.end(), expected) != commands.end());
  }
}

TEST_CASE("The help of every command lists each of its options", "[terminal][help]") {
  const auto options = smssaudit::app::option_help();
  for (const auto& command : smssaudit::app::command_names()) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string w; words >> w;) {
      args.push_back(w);
    }
    args.emplace_back("--help");
    auto r = smssaudit::testing::run_cli(args);
    INFO(command);
    CHECK(r.exit_code == 0);
    for (const auto& o : options) {
      if (o.command != command) {
        continue;
      }
      // "-q,--quiet" -> "--quiet"; positionals by name.
      std::string name = o.name.substr(o.name.find_last_of(',') + 1);
      INFO(o.name);
      CHECK(r.out.find(name) != std::string::npos);
      CHECK(r.out.find(o.description.substr(0, 40)) != std::string::npos);
    }
  }
  auto scan = smssaudit::testing::run_cli({"scan", "--help"});
  CHECK(scan.out.find("info < low < medium < high < critical") != std::string::npos);
  CHECK(scan.out.find("exit 1 when any finding has severity LEVEL or higher") != std::string::npos);
  CHECK(scan.out.find("Exit codes: 0") != std::string::npos);
  CHECK(scan.out.find("none") != std::string::npos);
  auto batch = smssaudit::testing::run_cli({"batch", "--help"});
  CHECK(batch.out.find("--timeout") != std::string::npos);
  CHECK(batch.out.find("7200") != std::string::npos);  // defaults are shown
  CHECK(batch.out.find("4 a host's scan crashed") != std::string::npos);
}

TEST_CASE("A real scan reports each event log's progress on stderr, ending at its record count",
          "[terminal][cli][progress]") {
  const std::string log =
      smssaudit::testing::evtx_fixture_dir("demo_compromised") + "/Security.evtx";
  auto run = run_with({"scan", log, "--format", "json", "--progress"}, TerminalInfo{});
  REQUIRE(run.exit_code == 0);
  CHECK(nlohmann::json::parse(run.out)["schema"] == "smssaudit.report/1");
  // The pipeline feeds the reader's progress to the status line: the artifact, 100% and the
  // number of records the report counts for that log.
  const auto report = nlohmann::json::parse(run.out);
  const auto records =
      report["hosts"][0]["coverage"]["event_logs"]["sources"][0]["records"].get<std::uint64_t>();
  CHECK(run.err.find("Security.evtx") != std::string::npos);
  CHECK(run.err.find("100%") != std::string::npos);
  CHECK(run.err.find(std::to_string(records) + " records") != std::string::npos);
}
