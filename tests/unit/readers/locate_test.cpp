// The evidence locator: files and folders in, typed artifacts out, decided by content. Inputs are
// copies of the project's own fixtures in a temporary folder (never the shared corpus).
#include "smssaudit/readers/locate.hpp"

#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

namespace fs = boost::filesystem;
using smssaudit::DiagnosticSink;
using smssaudit::readers::ArtifactType;
using smssaudit::readers::identify_file;
using smssaudit::readers::locate_evidence;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;

class Scratch {
 public:
  Scratch()
      : root_(fs::temp_directory_path() / ("smssaudit-locate-" + std::to_string(::getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_);
  }

  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  ~Scratch() {
    boost::system::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string copy(const std::string& from, const std::string& rel) const {
    const fs::path to = root_ / rel;
    fs::create_directories(to.parent_path());
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    return to.string();
  }

  std::string write(const std::string& rel, const std::string& bytes) const {
    const fs::path to = root_ / rel;
    fs::create_directories(to.parent_path());
    std::ofstream(to.string(), std::ios::binary) << bytes;
    return to.string();
  }

  std::string path(const std::string& rel = "") const { return (root_ / rel).string(); }

 private:
  fs::path root_;
};

bool has_code(const DiagnosticSink& sink, const std::string& code) {
  return std::any_of(
      sink.items().begin(), sink.items().end(), [&](const auto& d) { return d.code == code; });
}

}  // namespace

TEST_CASE("Locator: files are typed by content, not by name", "[readers][locate]") {
  Scratch s;
  // A SYSTEM hive renamed to something innocuous is still a SYSTEM hive (base-block name).
  const auto renamed = s.copy(fixture_dir("system_clean_win10") + "/SYSTEM", "evidence.bin");
  const auto software = s.copy(fixture_dir("software_win10") + "/SOFTWARE", "sw.dat");
  const auto log =
      s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx", "renamed-log.dat");
  const auto text = s.write("notes.txt", "not evidence");
  CHECK(identify_file(renamed) == ArtifactType::kSystemHive);
  CHECK(identify_file(software) == ArtifactType::kSoftwareHive);
  CHECK(identify_file(log) == ArtifactType::kEventLog);
  CHECK(identify_file(text) == ArtifactType::kUnknown);
  CHECK(identify_file(s.path("missing")) == ArtifactType::kUnknown);
}

TEST_CASE("Locator: a folder is walked recursively and the live hive beats RegBack",
          "[readers][locate]") {
  Scratch s;
  const auto hive = fixture_dir("system_clean_win10") + "/SYSTEM";
  const auto live = s.copy(hive, "C/Windows/System32/config/SYSTEM");
  const auto regback = s.copy(hive, "C/Windows/System32/config/RegBack/SYSTEM");
  const auto sec = s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx",
                          "C/Windows/System32/winevt/Logs/Security.evtx");
  s.write("C/Windows/System32/winevt/Logs/Broken.evtx", "garbage, not ElfFile");
  s.write("C/Users/readme.txt", "unrelated");
  DiagnosticSink sink;
  const auto found = locate_evidence({s.path()}, sink);
  REQUIRE(found.hosts.at(0).system_hives.size() == 2);
  CHECK(found.hosts.at(0).system_hives[0].path == live);  // RegBack copies rank after the live hive
  CHECK(found.hosts.at(0).system_hives[1].path == regback);
  REQUIRE(found.hosts.at(0).event_logs.size() == 1);
  CHECK(found.hosts.at(0).event_logs[0].path == sec);
  // A *.evtx that is not EVTX is named; other unrecognised files in a folder are not.
  CHECK(has_code(sink, "input.unrecognised"));
  CHECK(sink.items().size() == 1);
  CHECK(found.unrecognised.empty());  // only command-line files are listed as unrecognised
}

TEST_CASE("Locator: command-line files that are not evidence, and missing paths, are reported",
          "[readers][locate]") {
  Scratch s;
  const auto text = s.write("notes.txt", "not evidence");
  DiagnosticSink sink;
  const auto found = locate_evidence({text, s.path("nope")}, sink);
  REQUIRE(found.unrecognised.size() == 1);
  CHECK(found.unrecognised[0].path == text);
  REQUIRE(found.missing.size() == 1);
  CHECK(found.missing[0] == s.path("nope"));
  CHECK(has_code(sink, "input.unrecognised"));
  CHECK(found.hosts.at(0).system_hives.empty());
  CHECK(found.hosts.at(0).event_logs.empty());
}

TEST_CASE("Scan of a triage-like folder audits the live hive, lists RegBack as not used",
          "[readers][locate][cli]") {
  Scratch s;
  const auto hive = fixture_dir("system_clean_win10") + "/SYSTEM";
  const auto live = s.copy(hive, "C/Windows/System32/config/SYSTEM");
  const auto regback = s.copy(hive, "C/Windows/System32/config/RegBack/SYSTEM");
  s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx",
         "C/Windows/System32/winevt/Logs/Security.evtx");
  const auto catalog = smssaudit::testing::builtin_catalog();
  smssaudit::app::ScanRequest req;
  req.evidence = {s.path()};
  req.catalog = &catalog;
  const auto out = smssaudit::app::run_scan(req);
  REQUIRE(out.usable);
  std::string live_status;
  std::string regback_status;
  for (const auto& in : out.report.inputs) {
    if (in.evidence.path == live) {
      live_status = in.evidence.status;
    }
    if (in.evidence.path == regback) {
      regback_status = in.evidence.status;
    }
  }
  CHECK(live_status == "ok");
  CHECK(regback_status == "not_used");
  REQUIRE(out.report.hosts.size() == 1);
  CHECK(out.report.hosts[0].system->path == live);
  CHECK(out.report.hosts[0].lineage.analyzed);
}

TEST_CASE("Locator: Velociraptor percent-encoding of path components is decoded once",
          "[readers][locate]") {
  using smssaudit::readers::decode_percent_component;
  CHECK(decode_percent_component("C%3A") == "C:");
  CHECK(decode_percent_component("Microsoft-Windows-Sysmon%254Operational.evtx") ==
        "Microsoft-Windows-Sysmon%4Operational.evtx");
  CHECK(decode_percent_component("%5C%5C.%5CC%3A") == "\\\\.\\C:");
  // Not an escape: kept as is (KAPE names are never encoded; a literal % must survive).
  CHECK(decode_percent_component("Sysmon%4Operational.evtx") == "Sysmon%4Operational.evtx");
  CHECK(decode_percent_component("100%") == "100%");
  CHECK(decode_percent_component("%G1%") == "%G1%");
  CHECK(decode_percent_component("%4") == "%4");
  CHECK(decode_percent_component("") == "");
}

TEST_CASE("Locator: a Velociraptor collection is one host, its encoded paths are matched",
          "[readers][locate]") {
  Scratch s;
  const auto root = std::string("uploads/auto/C%3A/Windows/System32/");
  const auto hive = s.copy(fixture_dir("system_clean_win10") + "/SYSTEM", root + "config/SYSTEM");
  const auto sec = s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx",
                          root + "winevt/Logs/Security.evtx");
  const auto sysmon = s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx",
                             root + "winevt/Logs/Microsoft-Windows-Sysmon%254Operational.evtx");
  s.write("results/Windows.KapeFiles.Targets%2FAll File Metadata.json", "{}");
  DiagnosticSink sink;
  const auto found = locate_evidence({s.path()}, sink);
  REQUIRE(found.hosts.size() == 1);
  CHECK(found.hosts[0].root.empty());  // a single installation joins the default host
  REQUIRE(found.hosts[0].system_hives.size() == 1);
  CHECK(found.hosts[0].system_hives[0].path == hive);
  REQUIRE(found.hosts[0].event_logs.size() == 2);
  CHECK(found.hosts[0].event_logs[0].path == sysmon);
  CHECK(found.hosts[0].event_logs[1].path == sec);
}

TEST_CASE("Locator: a hive in one subfolder and its logs in another are one host",
          "[readers][locate]") {
  Scratch s;
  s.copy(fixture_dir("system_clean_win10") + "/SYSTEM", "hive/SYSTEM");
  s.copy(evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx", "logs/Security.evtx");
  DiagnosticSink sink;
  const auto found = locate_evidence({s.path()}, sink);
  REQUIRE(found.hosts.size() == 1);
  CHECK(found.hosts[0].system_hives.size() == 1);
  CHECK(found.hosts[0].event_logs.size() == 1);
}

TEST_CASE("Locator: a folder of host folders yields one host each, matched case-insensitively",
          "[readers][locate]") {
  Scratch s;
  const auto hive = fixture_dir("system_clean_win10") + "/SYSTEM";
  const auto sec = evtx_fixture_dir("boot_clean_win10_security") + "/Security.evtx";
  // KAPE layout, upper-case; Velociraptor layout; and a flat host folder with only a log.
  s.copy(hive, "hostA/C/WINDOWS/SYSTEM32/CONFIG/SYSTEM");
  s.copy(sec, "hostA/C/WINDOWS/SYSTEM32/WINEVT/LOGS/Security.evtx");
  s.copy(hive, "hostB/uploads/auto/C%3A/Windows/System32/config/SYSTEM");
  s.copy(sec, "hostC/security.EVTX");
  DiagnosticSink sink;
  const auto found = locate_evidence({s.path()}, sink);
  REQUIRE(found.hosts.size() == 4);
  CHECK(found.hosts[0].root.empty());  // the default host: nothing named on the command line
  CHECK(found.hosts[0].system_hives.empty());
  CHECK(found.hosts[0].event_logs.empty());
  CHECK(found.hosts[1].label == "hostA");
  CHECK(found.hosts[1].root == s.path("hostA/C"));
  CHECK(found.hosts[1].system_hives.size() == 1);
  CHECK(found.hosts[1].event_logs.size() == 1);
  CHECK(found.hosts[2].label == "hostB");
  CHECK(found.hosts[2].root == s.path("hostB/uploads/auto/C%3A"));
  CHECK(found.hosts[2].system_hives.size() == 1);
  CHECK(found.hosts[3].label == "hostC");
  CHECK(found.hosts[3].event_logs.size() == 1);
}

TEST_CASE("Scan of the corpus host folders gives one host per folder", "[readers][locate][cli]") {
  const auto hosts_dir = smssaudit::testing::corpus_path("evtx/hosts");
  const auto catalog = smssaudit::testing::builtin_catalog();
  smssaudit::app::ScanRequest req;
  req.evidence = {hosts_dir};
  req.catalog = &catalog;
  const auto out = smssaudit::app::run_scan(req);
  REQUIRE(out.usable);
  std::vector<std::string> roots;
  for (const auto& entry : fs::directory_iterator(hosts_dir)) {
    roots.push_back(entry.path().string());
  }
  std::sort(roots.begin(), roots.end());
  REQUIRE(out.report.hosts.size() == roots.size());
  for (std::size_t i = 0; i < roots.size(); ++i) {
    const auto& host = out.report.hosts[i];
    CHECK(host.evidence_root == roots[i]);
    CHECK(host.lineage.analyzed);
    CHECK_FALSE(host.lineage.boots.empty());
    // Every input of a host lies in that host's folder.
    for (const auto& in : out.report.inputs) {
      if (in.evidence.host == host.name) {
        CHECK(in.evidence.path.rfind(roots[i] + "/", 0) == 0);
      }
    }
  }
}
