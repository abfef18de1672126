// Scans every hive under ../shared/corpus/hives through the real pipeline (MANIFEST.tsv says what
// each is): clean real hives give nothing above low, dirty ones are reported dirty and never
// clean, corrupt and non-hive files give a clear error naming the file.
#include "smssaudit/evidence/evidence.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <boost/filesystem.hpp>

namespace {

using smssaudit::testing::corpus_path;
using smssaudit::testing::run_cli;

smssaudit::app::ScanOutcome scan(const std::string& rel) {
  static const auto catalog = smssaudit::testing::builtin_catalog();
  smssaudit::app::ScanRequest req;
  req.evidence = {corpus_path(rel)};
  req.catalog = &catalog;
  return smssaudit::app::run_scan(req);
}

void require_nothing_above_low(const smssaudit::report::HostReport& host) {
  for (const auto& f : host.findings) {
    INFO(f.rule_id << " " << smssaudit::rules::to_string(f.severity) << ": " << f.message);
    CHECK(f.severity <= smssaudit::rules::Level::kLow);
  }
}

}  // namespace

TEST_CASE("The real Windows 7 SYSTEM hive audits clean across both control sets", "[corpus]") {
  auto out = scan("hives/win7-x86-regipy/SYSTEM");
  REQUIRE(out.usable);
  const auto& host = out.report.hosts.at(0);
  CHECK(host.name == "WKS-WIN732BITA");
  CHECK(host.os.family == "win7");
  REQUIRE(host.system);
  CHECK(host.system->control_sets.size() == 2);
  CHECK_FALSE(host.system->base.dirty());
  require_nothing_above_low(host);
  // Nothing wrong in the registry; without event logs the lineage is unknown, so not "clean".
  CHECK(host.verdict.level == "inconclusive");
  REQUIRE(host.coverage.size() == 1);
  CHECK(host.coverage.front().code == "lineage.no_event_logs");
}

TEST_CASE("The real dirty Windows 8.1 hive without logs is reported dirty and inconclusive",
          "[corpus]") {
  auto out = scan("hives/win81-dirty-nologs/SYSTEM");
  REQUIRE(out.usable);
  const auto& host = out.report.hosts.at(0);
  CHECK(host.system->base.dirty());
  CHECK(host.system->base.primary_sequence == 205);
  CHECK(host.system->base.secondary_sequence == 204);
  CHECK(host.os.family == "win81");
  require_nothing_above_low(host);
  CHECK(host.verdict.level == "inconclusive");
  bool gap = false;
  for (const auto& g : host.coverage) {
    gap = gap || g.code == "hive.dirty_no_logs";
  }
  CHECK(gap);
  bool hive001 = false;
  for (const auto& f : host.findings) {
    hive001 = hive001 || f.rule_id == "HIVE-001";
    CHECK(f.confidence == "medium");
  }
  CHECK(hive001);
}

TEST_CASE("The real dirty Windows 10 hive with logs lists its logs and is never clean",
          "[corpus]") {
  auto out = scan("hives/win10-dirty-withlogs/SYSTEM");
  REQUIRE(out.usable);
  const auto& host = out.report.hosts.at(0);
  CHECK(host.system->base.dirty());
  CHECK(host.system->logs.size() == 2);
  CHECK(host.os.family == "win10");
  require_nothing_above_low(host);
  // Its logs start at sequence 2107/2111 while the hive stops at 1621: they are replayed as
  // Windows would, but the missing entries cannot be verified, so the verdict stays inconclusive.
  CHECK(host.verdict.level == "inconclusive");
  REQUIRE(host.system->replay);
  CHECK(host.system->replay->performed);
  CHECK(host.system->replay->sequence_gap);
  bool gap = false;
  for (const auto& g : host.coverage) {
    gap = gap || g.code == "hive.replay_sequence_gap";
  }
  CHECK(gap);
  // The two logs are artifacts of the run: listed with their hashes.
  int logs = 0;
  for (const auto& in : out.report.inputs) {
    if (in.evidence.kind == "hive_log") {
      ++logs;
      CHECK(in.evidence.sha256.size() == 64);
    }
  }
  CHECK(logs == 2);
  // libregf flags every value-less key "corrupted"; that quirk must not reach the report.
  for (const auto& d : out.report.inputs.at(0).diagnostics) {
    INFO(d.code << " " << d.location << ": " << d.message);
    CHECK(d.code != "hive.corrupt");
  }
}

TEST_CASE("Corrupt and non-hive files give an error naming the file and exit code 3",
          "[corpus][cli]") {
  // Files libregf cannot open at all (manifest: regfinfo FAILS on open, or not regf).
  for (const char* rel : {"hives/corrupt/NotAHive",
                          "hives/corrupt/win9x-SYSTEM.DAT",
                          "hives/corrupt/TruncatedHive",
                          "hives/corrupt/GarbageHive",
                          "hives/corrupt/BadBaseBlockHive/BadBaseBlockHive",
                          "hives/corrupt/corrupted_system_hive",
                          "hives/corrupt/SAMBadHBinHeader",
                          "hives/corrupt/TruncatedPairHive",
                          "hives/corrupt/BadListHive",
                          "hives/replay/NewDirtyHive1/NewDirtyHive",
                          "hives/replay/OldDirtyHive/OldDirtyHive"}) {
    std::string path = corpus_path(rel);
    INFO(path);
    auto r = run_cli({"scan", path, "--format", "json"});
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(path) != std::string::npos);
    CHECK(r.out.find("\"schema\": \"smssaudit.report/1\"") != std::string::npos);
  }
}

TEST_CASE("A sandbox delta hive with a partial control set is scanned and never called clean",
          "[corpus]") {
  // A Windows Sandbox delta hive: ControlSet001 exists but Session Manager holds almost nothing,
  // so BootExecute (and its autochk) is missing.
  auto out = scan("hives/corrupt/System_Delta");
  REQUIRE(out.usable);
  const auto& host = out.report.hosts.at(0);
  CHECK(host.verdict.level != "clean");
  bool autochk_missing = false;
  for (const auto& f : host.findings) {
    autochk_missing = autochk_missing || f.rule_id == "SMSS-002";
  }
  CHECK(autochk_missing);
}

TEST_CASE("A scan leaves the evidence bytes and modification time untouched", "[corpus]") {
  std::string path = corpus_path("hives/win10-dirty-withlogs/SYSTEM");
  auto before = smssaudit::evidence::describe_file(path, "system_hive");
  REQUIRE(before);
  auto mtime_before = boost::filesystem::last_write_time(path);
  auto r = run_cli({"scan", path, "--format", "json"});
  CHECK(r.exit_code == 0);
  auto after = smssaudit::evidence::describe_file(path, "system_hive");
  REQUIRE(after);
  CHECK(after->sha256 == before->sha256);
  CHECK(boost::filesystem::last_write_time(path) == mtime_before);
  CHECK(after->sha256 == "9154e260abdc4ac206ef9d872dd4e1add0150b869bda5b112944af2ff5ec39b4");
}
