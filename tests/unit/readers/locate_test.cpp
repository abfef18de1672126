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
  REQUIRE(found.system_hives.size() == 2);
  CHECK(found.system_hives[0].path == live);  // RegBack copies rank after the live hive
  CHECK(found.system_hives[1].path == regback);
  REQUIRE(found.event_logs.size() == 1);
  CHECK(found.event_logs[0].path == sec);
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
  CHECK(found.system_hives.empty());
  CHECK(found.event_logs.empty());
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
