// The command line as pipelines see it: the JSON contract, exit codes, output-path safety and the
// rules subcommands, run in-process on generated fixtures.
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <unistd.h>

namespace {

namespace fs = boost::filesystem;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::run_cli;
using smssaudit::testing::source_path;

std::string fixture(const std::string& name) {
  return fixture_dir(name) + "/SYSTEM";
}

/// A fresh empty folder under the build tree for outputs.
fs::path scratch(const std::string& name) {
  fs::path p = fs::path(SMSSAUDIT_FIXTURE_OUT) / "scratch" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

}  // namespace

TEST_CASE("scan --format json emits the report contract", "[cli]") {
  auto r = run_cli({"scan",
                    fixture("bootexecute_extra"),
                    "--software",
                    fixture_dir("software_win10") + "/SOFTWARE",
                    "--format",
                    "json"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "smssaudit.report/1");
  CHECK(j["tool"]["name"] == "smssaudit");
  CHECK(j["ruleset"]["count"].get<int>() >= 30);
  CHECK(j["ruleset"]["sha256"].get<std::string>().size() == 64);
  // SYSTEM, SOFTWARE, then the SYSTEM.LOG1/LOG2 the fixture writer put beside the hive.
  REQUIRE(j["inputs"].size() == 4);
  CHECK(j["inputs"][0]["kind"] == "system_hive");
  CHECK(j["inputs"][2]["kind"] == "hive_log");
  CHECK(j["inputs"][3]["kind"] == "hive_log");
  CHECK(j["inputs"][0]["sha256"].get<std::string>().size() == 64);
  CHECK(j["inputs"][0]["size"].get<std::uint64_t>() > 4096);
  CHECK(j["inputs"][0]["status"] == "ok");
  CHECK(j["inputs"][1]["kind"] == "software_hive");
  REQUIRE(j["hosts"].size() == 1);
  const auto& host = j["hosts"][0];
  CHECK(host["name"] == "DEMO-WIN10");
  CHECK(host["os"]["family"] == "win10");
  CHECK(host["os"]["product_name"] == "Windows 10 Pro");
  CHECK(host["registry"]["dirty"] == false);
  CHECK(host["registry"]["select"]["current"] == 1);
  REQUIRE(host["registry"]["control_sets"].size() == 1);
  CHECK(host["registry"]["control_sets"][0]["name"] == "ControlSet001");
  CHECK(host["registry"]["control_sets"][0]["current"] == true);
  CHECK(host["registry"]["control_sets"][0]["session_manager"]["keys"].size() >= 10);
  CHECK(host["verdict"]["level"] == "suspicious");
  bool found = false;
  for (const auto& f : host["findings"]) {
    if (f["rule_id"] == "SMSS-001") {
      found = true;
      CHECK(f["severity"] == "high");
      CHECK(f["attack"][0] == "T1547.001");
      CHECK(f["message"].get<std::string>().find("nativepayload /s") != std::string::npos);
      CHECK(f["message"].get<std::string>().find("ControlSet001") != std::string::npos);
      REQUIRE(f["evidence"].size() >= 1);
      CHECK(f["evidence"][0]["key_path"] == "ControlSet001\\Control\\Session Manager");
      CHECK(f["evidence"][0]["value_name"] == "BootExecute");
      CHECK(f["evidence"][0]["sha256"] == j["inputs"][0]["sha256"]);
      CHECK(f["evidence"][0]["last_written"].get<std::string>().back() == 'Z');
    }
  }
  CHECK(found);
}

TEST_CASE("The same scan renders byte-identical JSON twice", "[cli]") {
  auto a = run_cli({"scan", fixture("controlset_divergence"), "--format", "json"});
  auto b = run_cli({"scan", fixture("controlset_divergence"), "--format", "json"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
}

TEST_CASE("Exit code is 1 when a finding reaches the --fail-on level", "[cli]") {
  CHECK(run_cli({"scan", fixture("bootexecute_extra"), "--format", "json", "--fail-on", "high"})
            .exit_code == 1);
  CHECK(run_cli({"scan", fixture("bootexecute_extra"), "--format", "json", "--fail-on", "critical"})
            .exit_code == 0);
  CHECK(run_cli({"scan", fixture("system_clean_win10"), "--format", "json", "--fail-on", "low"})
            .exit_code == 0);
  CHECK(run_cli({"scan", fixture("system_clean_win10"), "--fail-on", "bogus"}).exit_code == 2);
}

TEST_CASE("A missing or non-hive input gives exit code 3 and names the file", "[cli]") {
  auto missing = run_cli({"scan", "/nonexistent/SYSTEM", "--format", "json"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("/nonexistent/SYSTEM") != std::string::npos);
  auto j = nlohmann::json::parse(missing.out);
  CHECK(j["inputs"][0]["status"] == "missing");

  auto spec = source_path("fixtures/hives/bootexecute_extra.yaml");  // a text file, not a hive
  auto not_hive = run_cli({"scan", spec, "--format", "json"});
  CHECK(not_hive.exit_code == 3);
  CHECK(not_hive.err.find(spec) != std::string::npos);
  CHECK(not_hive.err.find("regf") != std::string::npos);
}

TEST_CASE("Usage errors give exit code 2", "[cli]") {
  CHECK(run_cli({}).exit_code == 2);
  CHECK(run_cli({"scan"}).exit_code == 2);
  CHECK(run_cli({"scan", fixture("system_clean_win10"), "--format", "xml"}).exit_code == 2);
  CHECK(run_cli({"frobnicate"}).exit_code == 2);
}

TEST_CASE("An existing output file is refused without --force, before any analysis", "[cli]") {
  auto dir = scratch("output");
  auto out = (dir / "report.json").string();
  std::ofstream(out) << "keep me";
  auto r = run_cli({"scan", fixture("system_clean_win10"), "-o", out});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--force") != std::string::npos);
  std::ifstream in(out);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "keep me");
  auto forced = run_cli({"scan", fixture("system_clean_win10"), "-o", out, "--force"});
  CHECK(forced.exit_code == 0);
  std::ifstream in2(out);
  auto j = nlohmann::json::parse(in2);
  CHECK(j["schema"] == "smssaudit.report/1");
  CHECK(
      run_cli({"scan", fixture("system_clean_win10"), "-o", "/nonexistent-dir/r.json"}).exit_code ==
      2);
}

TEST_CASE("The report is never written over the evidence", "[cli]") {
  auto dir = scratch("evidence");
  auto copy = (dir / "SYSTEM").string();
  fs::copy_file(fixture("system_clean_win10"), copy);
  auto r = run_cli({"scan", copy, "-o", copy, "--force"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("evidence") != std::string::npos);
  CHECK(fs::file_size(copy) == fs::file_size(fixture("system_clean_win10")));
}

TEST_CASE("Text output names the verdict and each finding with its evidence", "[cli]") {
  auto r = run_cli({"scan", fixture("bootexecute_extra"), "--format", "text", "--color", "never"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("SUSPICIOUS") != std::string::npos);
  CHECK(r.out.find("SMSS-001") != std::string::npos);
  CHECK(r.out.find("nativepayload /s") != std::string::npos);
  CHECK(r.out.find("\x1b[") == std::string::npos);
  auto colored =
      run_cli({"scan", fixture("bootexecute_extra"), "--format", "text", "--color", "always"});
  CHECK(colored.out.find("\x1b[") != std::string::npos);
}

TEST_CASE("A site baseline allows an entry and a rules folder overrides a built-in rule", "[cli]") {
  auto base = source_path("fixtures/baselines/site_av_boot_scanner.yaml");
  auto without = run_cli({"scan", fixture("bootexecute_site_allowed"), "--format", "json"});
  auto with = run_cli(
      {"scan", fixture("bootexecute_site_allowed"), "--format", "json", "--baseline", base});
  REQUIRE(without.exit_code == 0);
  REQUIRE(with.exit_code == 0);
  CHECK(without.out.find("\"SMSS-001\"") != std::string::npos);
  CHECK(with.out.find("\"SMSS-001\"") == std::string::npos);

  // Override SMSS-001's severity from a folder of rules.
  auto dir = scratch("rules-override");
  std::ifstream in(source_path("rules/smss/SMSS-001-bootexecute-not-allowed.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("severity: high");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 14, "severity: low");
  std::ofstream((dir / "SMSS-001.yaml").string()) << text;
  auto over =
      run_cli({"scan", fixture("bootexecute_extra"), "--format", "json", "--rules", dir.string()});
  REQUIRE(over.exit_code == 0);
  auto j = nlohmann::json::parse(over.out);
  bool seen = false;
  for (const auto& f : j["hosts"][0]["findings"]) {
    if (f["rule_id"] == "SMSS-001") {
      seen = true;
      CHECK(f["severity"] == "low");
    }
  }
  CHECK(seen);
}

TEST_CASE("rules list, show and validate", "[cli][rules]") {
  auto list = run_cli({"rules", "list"});
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("SMSS-001") != std::string::npos);
  CHECK(list.out.find("HIVE-001") != std::string::npos);
  auto show = run_cli({"rules", "show", "SMSS-007"});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("S0InitialCommand") != std::string::npos);
  CHECK(show.out.find("critical") != std::string::npos);
  CHECK(run_cli({"rules", "show", "NOPE-999"}).exit_code == 2);
  auto ok = run_cli({"rules", "validate", source_path("rules")});
  CHECK(ok.exit_code == 0);
  auto bad = run_cli({"rules", "validate", source_path("fixtures/rules/invalid")});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("fixtures/rules/invalid/") != std::string::npos);
}

TEST_CASE("A BootExecute payload held only in the transaction logs is found and raised",
          "[cli][replay]") {
  auto r = run_cli({"scan", fixture("log_hidden_bootexecute_new"), "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  const auto& host = j["hosts"][0];
  CHECK(host["registry"]["dirty"] == true);
  CHECK(host["registry"]["replay"]["performed"] == true);
  CHECK(host["registry"]["replay"]["audited_state"] == "replayed");
  CHECK(host["registry"]["replay"]["entries_applied"] == 2);
  bool payload = false;
  bool change = false;
  for (const auto& f : host["findings"]) {
    if (f["rule_id"] == "SMSS-001") {
      payload = true;
      CHECK(f["severity"] == "critical");  // high, raised: only the logs hold it
      CHECK(f["fields"]["changed_before_acquisition"] == true);
      CHECK(f["confidence"] == "high");
      CHECK(f["message"].get<std::string>().find("hiddenpayload") != std::string::npos);
    }
    if (f["rule_id"] == "HIVE-003") {
      change = true;
      CHECK(f["fields"]["on_disk"] == "REG_MULTI_SZ:autocheck autochk *");
    }
  }
  CHECK(payload);
  CHECK(change);
  CHECK(host["verdict"]["level"] == "malicious");
  // The same hive read without its logs shows only the stale state: the logs are what matter.
  auto dir = scratch("primary-only");
  fs::copy_file(fixture("log_hidden_bootexecute_new"), dir / "SYSTEM");
  auto stale = run_cli({"scan", (dir / "SYSTEM").string(), "--format", "json"});
  CHECK(stale.out.find("hiddenpayload") == std::string::npos);
  CHECK(nlohmann::json::parse(stale.out)["hosts"][0]["verdict"]["level"] == "inconclusive");
}

TEST_CASE("Unwritable outputs are refused with exit 2 before any evidence is read", "[cli]") {
  // The evidence does not exist: had the scan started, the exit code would be 3.
  const std::string evidence = "/nonexistent/SYSTEM";
  auto dir = scratch("unwritable");
  const std::string existing = (dir / "existing.jsonl").string();
  std::ofstream(existing) << "keep";
  const std::vector<std::vector<std::string>> cases{
      {"-o", "/nonexistent/dir/x.json"},
      {"-o", dir.string(), "--force"},             // a folder
      {"-o", "/proc/smssaudit-test-report.json"},  // cannot be created, even by root
      {"--timeline", "/nonexistent/dir/t.jsonl"},
      {"--timeline", dir.string(), "--force"},
      {"--timeline", existing},  // exists, no --force
      {"-o", (dir / "same.json").string(), "--timeline", (dir / "same.json").string()},
  };
  for (const auto& extra : cases) {
    std::vector<std::string> args{"scan", evidence, "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_cli(args);
    INFO(extra[0] << " " << extra[1]);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("no usable evidence") == std::string::npos);
    CHECK(r.err.find(extra[1]) != std::string::npos);  // the message names the path
  }
  std::ifstream kept(existing);
  std::string content((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  CHECK(content == "keep");

  // The write test leaves nothing behind: a good -o with a bad --timeline creates no report.
  const auto report = dir / "report.json";
  CHECK(run_cli({"scan", evidence, "-o", report.string(), "--timeline", "/nonexistent/d/t.jsonl"})
            .exit_code == 2);
  CHECK_FALSE(fs::exists(report));

  // A read-only folder (root bypasses permission bits, so only checked for other users).
  auto ro = scratch("read-only");
  fs::permissions(ro, fs::owner_read | fs::owner_exe | fs::group_read | fs::others_read);
  if (::geteuid() != 0) {
    CHECK(run_cli({"scan", evidence, "-o", (ro / "r.json").string()}).exit_code == 2);
  }
  fs::permissions(ro, fs::owner_all);
}
