// Parser isolation end to end (issue 7 item 5): the real binary, with the fault-injection hook
// (SMSSAUDIT_FAULT_CRASH_ARTIFACT) crashing one artifact's parser. The scan must end normally,
// report that artifact as lost, keep every other artifact's results, and never call the host
// clean. Isolated and in-process scans must give byte-identical reports.
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = boost::filesystem;
using Json = nlohmann::json;
using smssaudit::testing::corpus_path;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::run_cli;

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return q + "'";
}

struct PipeClose {
  void operator()(FILE* f) const noexcept { (void)pclose(f); }
};

/// How the binary ended: a normal exit with a code, or a signal.
struct Ended {
  bool exited = false;
  int code = -1;
  int signal = 0;
  std::string err;  ///< stderr
  Json report;      ///< the JSON report written with -o
};

/// Runs the real binary with the fault hook set to `crash` ("" = unset) and the report in a file.
Ended run_binary(const std::vector<std::string>& args, const std::string& crash) {
  const fs::path dir = fs::path(SMSSAUDIT_FIXTURE_OUT) / "scratch" / "isolate_cli";
  fs::create_directories(dir);
  // One file per test process: CTest runs the test cases of this file in parallel processes.
  const fs::path out = dir / ("report-" + std::to_string(::getpid()) + ".json");
  fs::remove(out);
  std::string command =
      crash.empty() ? "" : "SMSSAUDIT_FAULT_CRASH_ARTIFACT=" + quoted(crash) + " ";
  command += quoted(smssaudit::testing::smssaudit_bin());
  for (const auto& a : args) {
    command += " " + quoted(a);
  }
  command += " --format json -o " + quoted(out.string()) + " 2>&1";
  Ended e;
  FILE* raw = popen(command.c_str(), "r");
  REQUIRE(raw != nullptr);
  std::unique_ptr<FILE, PipeClose> pipe(raw);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) {
    e.err.append(buf.data(), n);
  }
  const int status = pclose(pipe.release());
  e.exited = WIFEXITED(status);
  e.code = e.exited ? WEXITSTATUS(status) : -1;
  // popen runs `sh -c`: a signal that killed the binary shows as exit code 128 + signal.
  e.signal = e.exited && e.code > 128 ? e.code - 128 : 0;
  if (fs::exists(out)) {
    std::ifstream in(out.string());
    e.report = Json::parse(in);
  }
  return e;
}

std::vector<std::string> demo_args() {
  return {"scan",
          fixture_dir("demo_compromised") + "/SYSTEM",
          evtx_fixture_dir("demo_compromised"),
          "--software",
          fixture_dir("software_win10") + "/SOFTWARE"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

const Json* input_named(const Json& report, const std::string& suffix) {
  for (const auto& in : report["inputs"]) {
    const auto path = in["path"].get<std::string>();
    if (path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return &in;
    }
  }
  return nullptr;
}

bool has_diagnostic(const Json& input, const std::string& code, const std::string& text) {
  for (const auto& d : input["diagnostics"]) {
    if (d["code"] == code && d["message"].get<std::string>().find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool has_finding(const Json& host, const std::string& prefix) {
  for (const auto& f : host["findings"]) {
    if (f["rule_id"].get<std::string>().rfind(prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

bool has_gap(const Json& host, const std::string& code) {
  for (const auto& g : host["coverage"]["gaps"]) {
    if (g["code"] == code) {
      return true;
    }
  }
  return false;
}

std::string image_dir() {
  return std::string(SMSSAUDIT_FIXTURE_OUT) + "/images";
}

}  // namespace

TEST_CASE("scan --isolate: a crash parsing Security.evtx loses that log only", "[cli][isolate]") {
  // Control: the same scan without the crash sees the Security log and what only it proves.
  const Ended whole = run_binary(with(demo_args(), {"--isolate"}), "");
  REQUIRE(whole.exited);
  REQUIRE(whole.code == 0);
  REQUIRE(has_finding(whole.report["hosts"][0], "LIN-022"));

  const Ended e = run_binary(with(demo_args(), {"--isolate"}), "demo_compromised/Security.evtx");
  INFO(e.err);
  REQUIRE(e.exited);  // not killed by a signal
  CHECK(e.signal == 0);
  CHECK(e.code == 0);
  REQUIRE(e.report.is_object());
  const Json* security = input_named(e.report, "/Security.evtx");
  REQUIRE(security != nullptr);
  CHECK((*security)["status"] == "unreadable");
  CHECK(has_diagnostic(*security, "isolate.parser_crashed", "killed by SIGSEGV"));
  CHECK((*security)["sha256"].is_string());  // hashed by the scan itself: its bytes are pinned
  CHECK(e.err.find("parser process crashed: killed by SIGSEGV") != std::string::npos);
  // The other logs were read.
  for (const char* other : {"/System.evtx", "LocalSessionManager%4Operational.evtx"}) {
    const Json* in = input_named(e.report, other);
    if (in != nullptr) {
      CHECK((*in)["status"] == "ok");
    }
  }
  const Json& host = e.report["hosts"][0];
  CHECK(has_finding(host, "SMSS-001"));  // the SYSTEM hive's findings are all there
  CHECK(has_finding(host, "SMSS-010"));
  CHECK_FALSE(has_finding(host, "LIN-022"));  // this one needed the lost log
  CHECK(has_gap(host, "isolate.parser_crashed"));
  CHECK(host["verdict"]["level"] != "clean");
  bool reason = false;
  for (const auto& r : host["verdict"]["reasons"]) {
    reason = reason ||
             r.get<std::string>().find("Security.evtx (event_log) was lost") != std::string::npos;
  }
  CHECK(reason);
}

TEST_CASE("scan --isolate: a crash parsing the SYSTEM hive keeps the event-log results",
          "[cli][isolate]") {
  const Ended e = run_binary(with(demo_args(), {"--isolate"}), "hives/demo_compromised/SYSTEM");
  INFO(e.err);
  REQUIRE(e.exited);
  CHECK(e.code == 0);  // the event logs are usable evidence: not exit 3
  REQUIRE(e.report.is_object());
  const Json* system = input_named(e.report, "hives/demo_compromised/SYSTEM");
  REQUIRE(system != nullptr);
  CHECK((*system)["status"] == "unreadable");
  CHECK(has_diagnostic(*system, "isolate.parser_crashed", "killed by SIGSEGV"));
  const Json& host = e.report["hosts"][0];
  CHECK(host["registry"].is_null());  // no SYSTEM hive audited
  CHECK_FALSE(has_finding(host, "SMSS-"));
  CHECK(has_finding(host, "LIN-"));  // lineage findings from the logs
  CHECK(host["lineage"]["boots"].size() >= 1);
  const Json* security = input_named(e.report, "/Security.evtx");
  REQUIRE(security != nullptr);
  CHECK((*security)["status"] == "ok");
  CHECK(has_gap(host, "isolate.parser_crashed"));
  CHECK(has_gap(host, "registry.no_system_hive"));
  CHECK(host["verdict"]["level"] != "clean");
}

TEST_CASE("scan: loose files are parsed in-process by default, so the hook does not fire",
          "[cli][isolate]") {
  const Ended e = run_binary(demo_args(), "demo_compromised/Security.evtx");
  REQUIRE(e.exited);
  CHECK(e.code == 0);
  const Json* security = input_named(e.report, "/Security.evtx");
  REQUIRE(security != nullptr);
  CHECK((*security)["status"] == "ok");
  CHECK(has_finding(e.report["hosts"][0], "LIN-022"));
}

TEST_CASE("scan --isolate gives the same report as an in-process scan", "[cli][isolate]") {
  const std::vector<std::vector<std::string>> scans = {
      demo_args(),
      {"scan", corpus_path("evtx/hosts")},
      {"scan", corpus_path("hives/win10-dirty-withlogs/SYSTEM")},  // replayed in memory
      {"scan", corpus_path("evtx/hosts/velocidex-onehost"), "--evtx-engine", "libevtx"},
  };
  for (const auto& args : scans) {
    INFO(args[1]);
    const auto plain = run_cli(with(args, {"--format", "json", "--no-isolate"}));
    const auto isolated = run_cli(with(args, {"--format", "json", "--isolate"}));
    REQUIRE(plain.exit_code == isolated.exit_code);
    REQUIRE(plain.out.size() > 1000);
    CHECK(plain.out == isolated.out);
  }
}

TEST_CASE("scan --isolate reports every corrupt corpus file exactly as an in-process scan does",
          "[cli][isolate][corpus]") {
  // Reader errors and damage diagnostics cross the wire too: same exit code, same report.
  std::size_t files = 0;
  for (const char* dir : {"evtx/corrupt", "hives/corrupt"}) {
    for (const auto& entry : fs::directory_iterator(corpus_path(dir))) {
      if (!fs::is_regular_file(entry.path())) {
        continue;
      }
      ++files;
      const std::string file = entry.path().string();
      INFO(file);
      const auto plain = run_cli({"scan", file, "--format", "json", "--no-isolate"});
      const auto isolated = run_cli({"scan", file, "--format", "json", "--isolate"});
      CHECK(plain.exit_code == isolated.exit_code);
      CHECK(plain.out == isolated.out);
    }
  }
  CHECK(files >= 15);  // the corpus holds 19 corrupt files today
}

TEST_CASE("scan --isolate --progress shows each isolated log's start and end", "[cli][isolate]") {
  const std::string log = evtx_fixture_dir("demo_compromised") + "/Security.evtx";
  const std::vector<const char*> argv{
      "smssaudit", "scan", log.c_str(), "--format", "json", "--progress", "--isolate"};
  std::ostringstream out;
  std::ostringstream err;
  const int rc = smssaudit::app::run_cli(
      static_cast<int>(argv.size()), argv.data(), out, err, smssaudit::app::TerminalInfo{});
  REQUIRE(rc == 0);
  const auto report = Json::parse(out.str());
  const auto records =
      report["hosts"][0]["coverage"]["event_logs"]["sources"][0]["records"].get<std::uint64_t>();
  CHECK(err.str().find("Security.evtx") != std::string::npos);
  CHECK(err.str().find("100%") != std::string::npos);
  CHECK(err.str().find(std::to_string(records) + " records") != std::string::npos);
}

TEST_CASE("scan of a disk image isolates its parsers by default", "[cli][isolate][image]") {
  if (!fs::exists(image_dir() + "/demo/mbr.raw")) {
    WARN("disk-image fixtures not built: skipped");
    return;
  }
  const std::string image = image_dir() + "/demo/mbr.raw";
  // Same report either way (the child reads the logs through the scan's own image handle).
  const auto isolated = run_cli({"scan", image, "--format", "json"});
  const auto plain = run_cli({"scan", image, "--format", "json", "--no-isolate"});
  REQUIRE(isolated.exit_code == plain.exit_code);
  CHECK(isolated.out == plain.out);
  CHECK(Json::parse(isolated.out)["hosts"][0]["findings"].size() >= 5);

  // The default (no flag) isolates: the hook fires and only that log is lost.
  const Ended e = run_binary({"scan", image}, "Logs/Security.evtx");
  INFO(e.err);
  REQUIRE(e.exited);
  CHECK(e.code == 0);
  const Json* security = input_named(e.report, "/Security.evtx");
  REQUIRE(security != nullptr);
  CHECK((*security)["status"] == "unreadable");
  CHECK(has_diagnostic(*security, "isolate.parser_crashed", "killed by SIGSEGV"));
  const Json& host = e.report["hosts"][0];
  CHECK(has_finding(host, "SMSS-001"));
  CHECK(host["verdict"]["level"] != "clean");
  // The SYSTEM hive inside the image is isolated too.
  const Ended sys = run_binary({"scan", image}, "config/SYSTEM");
  REQUIRE(sys.exited);
  const Json* hive = input_named(sys.report, "config/SYSTEM");
  REQUIRE(hive != nullptr);
  CHECK((*hive)["status"] == "unreadable");
  CHECK(has_finding(sys.report["hosts"][0], "LIN-"));
  // --no-isolate: the hook is never read.
  const Ended off = run_binary({"scan", image, "--no-isolate"}, "Logs/Security.evtx");
  REQUIRE(off.exited);
  const Json* kept = input_named(off.report, "/Security.evtx");
  REQUIRE(kept != nullptr);
  CHECK((*kept)["status"] == "ok");
}
