// Every corrupt file of the shared corpus, scanned by the real CLI under a watchdog: no crash, an
// exit code the README documents, a diagnostic naming the file, and results from what is readable.
#include "robustness/robustness_support.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace smssaudit::testing;
using namespace smssaudit::testing::robust;
using nlohmann::json;

struct CliScan {
  int status = -1;     ///< the shell's status word of `timeout 60 smssaudit scan ...`
  int exit_code = -1;  ///< smssaudit's exit code, or 124 (timeout) / 128+N (signal N)
  std::string out;
  std::string err;
};

/// Runs the CLI binary (not in-process: a crash must not take the suite down) with a watchdog of
/// 60 s (times SMSSAUDIT_TEST_TIME_SCALE), far above the fraction of a second these files take.
CliScan scan_cli(const std::vector<std::string>& args, const TempDir& tmp) {
  std::string cmd = "timeout -s KILL " + std::to_string(scaled_seconds(60)) + " " +
                    quote(smssaudit_bin()) + " scan";
  for (const auto& a : args) {
    cmd += " " + quote(a);
  }
  const auto out = tmp.path() / "out.json";
  const auto err = tmp.path() / "err.txt";
  cmd += " --format json -v --color never >" + quote(out.string()) + " 2>" + quote(err.string());
  CliScan r;
  r.status = shell(cmd);
  r.exit_code = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  const auto o = read_bytes(out);
  const auto e = read_bytes(err);
  r.out.assign(o.begin(), o.end());
  r.err.assign(e.begin(), e.end());
  return r;
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The report's entry for `path`, or null.
json input_entry(const json& report, const std::string& path) {
  for (const auto& in : report.value("inputs", json::array())) {
    if (in.value("path", "") == path) {
      return in;
    }
  }
  return nullptr;
}

/// Records read from `path` according to the report's event-log coverage.
std::uint64_t records_read(const json& report, const std::string& path) {
  std::uint64_t n = 0;
  for (const auto& host : report.value("hosts", json::array())) {
    const auto& sources = host["coverage"]["event_logs"]["sources"];
    if (!sources.is_array()) {
      continue;
    }
    for (const auto& s : sources) {
      const auto files = s.value("files", json::array());
      if (std::find(files.begin(), files.end(), path) != files.end()) {
        n += s.value("records", std::uint64_t{0}) + s.value("recovered", std::uint64_t{0});
      }
    }
  }
  return n;
}

bool exit_code_allowed(int code) {
  return code == 0 || code == 1 || code == 3;
}

}  // namespace

TEST_CASE("Robustness: every corrupt EVTX file of the corpus is scanned without a crash",
          "[robustness][cli][evtx]") {
  const auto dir = fs::path(corpus_path("evtx/corrupt"));
  if (!fs::is_directory(dir)) {
    WARN("corpus missing: " << dir);
    return;
  }
  const auto files = files_under(dir);
  REQUIRE(files.size() >= 5);
  for (const auto& f : files) {
    const TempDir tmp;
    const auto r = scan_cli({f.string()}, tmp);
    INFO(f.string() << "\nexit " << r.exit_code << " status " << r.status << "\nstderr:\n"
                    << r.err.substr(0, 2000));
    REQUIRE(WIFEXITED(r.status));
    CHECK(exit_code_allowed(r.exit_code));
    const bool evtx = read_bytes(f).size() >= 8 && read_bytes(f)[0] == 'E';
    if (!evtx) {
      // Legacy .evt: an error naming it, exit 3 (no usable evidence).
      CHECK(r.exit_code == 3);
      CHECK(r.err.find(f.filename().string()) != std::string::npos);
      continue;
    }
    const auto report = json::parse(r.out, nullptr, false);
    REQUIRE_FALSE(report.is_discarded());
    const auto entry = input_entry(report, f.string());
    REQUIRE_FALSE(entry.is_null());
    // Results from the readable parts: every EVTX file here has readable records.
    CHECK(records_read(report, f.string()) > 0);
    // Damage is named: a diagnostic on the input, or stderr naming the file. The one intact file
    // (danderspritz-pre, the log before tampering) reads clean and says nothing.
    const bool named =
        !entry["diagnostics"].empty() || r.err.find(f.filename().string()) != std::string::npos;
    if (f.filename() != "danderspritz-pre-Security.evtx") {
      CHECK(named);
    }
  }
}

TEST_CASE("Robustness: every corrupt hive of the corpus is scanned without a crash",
          "[robustness][cli][hive]") {
  const auto dir = fs::path(corpus_path("hives/corrupt"));
  if (!fs::is_directory(dir)) {
    WARN("corpus missing: " << dir);
    return;
  }
  auto targets = files_under(dir);
  REQUIRE(targets.size() >= 8);
  // The hive folders too: a primary with its (bad) logs beside it.
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) {
      targets.push_back(e.path());
    }
  }
  for (const auto& f : targets) {
    if (fs::is_regular_file(f) && fs::file_size(f) == 0) {
      continue;  // an empty LOG2 placeholder: nothing to scan on its own
    }
    const TempDir tmp;
    const auto r = scan_cli({f.string()}, tmp);
    INFO(f.string() << "\nexit " << r.exit_code << " status " << r.status << "\nstderr:\n"
                    << r.err.substr(0, 2000));
    REQUIRE(WIFEXITED(r.status));
    CHECK(exit_code_allowed(r.exit_code));
    // Every one of them is damaged, a log, not a SYSTEM hive or not a hive: stderr says so and
    // names it (the folder or the file).
    CHECK(r.err.find(f.filename().string()) != std::string::npos);
    if (r.exit_code != 3) {
      const auto report = json::parse(r.out, nullptr, false);
      REQUIRE_FALSE(report.is_discarded());
      CHECK(report["inputs"].is_array());
    }
  }
}

TEST_CASE("Robustness: a readable part of a damaged hive is still audited",
          "[robustness][cli][hive]") {
  // System_Delta: values libregf cannot read, but ControlSet001 is there and is audited.
  const auto f = fs::path(corpus_path("hives/corrupt/System_Delta"));
  if (!fs::exists(f)) {
    WARN("corpus missing: " << f);
    return;
  }
  const TempDir tmp;
  const auto r = scan_cli({f.string()}, tmp);
  INFO(r.err.substr(0, 2000));
  REQUIRE(WIFEXITED(r.status));
  REQUIRE(r.exit_code == 0);
  const auto report = json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(report.is_discarded());
  CHECK(r.out.find("ControlSet001") != std::string::npos);
  CHECK(r.err.find("System_Delta") != std::string::npos);
}
