// smss lineage over the real public event logs in ../shared/corpus/evtx (MANIFEST.tsv says what
// each holds), through the whole pipeline: boots, masters, session children with their sessions
// and lifetimes, findings, coverage, and corrupt files.
#include "smssaudit/facts/lineage.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using smssaudit::facts::Boot;
using smssaudit::facts::SmssInstance;
using smssaudit::facts::SmssRole;
using smssaudit::testing::corpus_path;
using smssaudit::testing::run_cli;

smssaudit::app::ScanOutcome scan(const std::vector<std::string>& rels) {
  static const auto catalog = smssaudit::testing::builtin_catalog();
  smssaudit::app::ScanRequest req;
  for (const auto& r : rels) {
    req.evidence.push_back(corpus_path(r));
  }
  req.catalog = &catalog;
  return smssaudit::app::run_scan(req);
}

std::vector<const SmssInstance*> with_role(const Boot& boot, SmssRole role) {
  std::vector<const SmssInstance*> out;
  for (const auto& s : boot.smss) {
    if (s.role == role) {
      out.push_back(&s);
    }
  }
  return out;
}

void require_nothing_above_low(const smssaudit::report::HostReport& host) {
  for (const auto& f : host.findings) {
    INFO(f.rule_id << " " << smssaudit::rules::to_string(f.severity) << ": " << f.message);
    CHECK(f.severity <= smssaudit::rules::Level::kLow);
  }
}

std::string image_name(const std::string& image) {
  const auto slash = image.find_last_of('\\');
  std::string name = slash == std::string::npos ? image : image.substr(slash + 1);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return name;
}

}  // namespace

TEST_CASE("Win10 1809 host (belkasoft): 24 boots, each with one master and two session children",
          "[corpus][lineage]") {
  auto out = scan({"evtx/hosts/win10-1809-belkasoft"});
  REQUIRE(out.usable);
  REQUIRE(out.report.hosts.size() == 1);
  const auto& host = out.report.hosts.front();
  REQUIRE(host.lineage.analyzed);
  std::size_t with_smss = 0;
  for (const Boot& boot : host.lineage.boots) {
    if (boot.smss.empty()) {
      continue;  // a boot marker whose process events rolled over or were not audited
    }
    ++with_smss;
    INFO("boot " << boot.index);
    CHECK(with_role(boot, SmssRole::kMaster).size() == 1);
    const auto children = with_role(boot, SmssRole::kSessionChild);
    REQUIRE(children.size() == 2);
    // Each child starts csrss plus wininit (session 0) or winlogon (session 1).
    for (const SmssInstance* c : children) {
      std::vector<std::string> names;
      for (std::size_t idx : c->children) {
        names.push_back(image_name(boot.processes.at(idx).image));
      }
      std::sort(names.begin(), names.end());
      INFO("children of pid " << boot.processes.at(c->process).pid);
      CHECK(names.size() == 2);
      CHECK(std::count(names.begin(), names.end(), "csrss.exe") == 1);
    }
    CHECK(with_role(boot, SmssRole::kOther).empty());
  }
  CHECK(with_smss == 24);
  CHECK(host.lineage.coverage.security_process_starts);
  require_nothing_above_low(host);
  CHECK(host.verdict.level != "clean");  // no SYSTEM hive: the registry was not audited
}

TEST_CASE("Sysmon boot chain: master PID 300 with session children 388 and 460",
          "[corpus][lineage]") {
  auto out = scan({"evtx/samples/privesc_unquoted_svc_sysmon_1_11.evtx"});
  REQUIRE(out.usable);
  const auto& lineage = out.report.hosts.at(0).lineage;
  REQUIRE(lineage.analyzed);
  const Boot* found = nullptr;
  for (const Boot& b : lineage.boots) {
    for (const SmssInstance* m : with_role(b, SmssRole::kMaster)) {
      if (b.processes.at(m->process).pid == 300) {
        found = &b;
      }
    }
  }
  REQUIRE(found != nullptr);
  const auto masters = with_role(*found, SmssRole::kMaster);
  REQUIRE(masters.size() == 1);
  CHECK(found->processes.at(masters[0]->process).parent_pid == 4U);
  std::vector<std::uint64_t> child_pids;
  std::vector<std::uint32_t> sessions;
  for (const SmssInstance* c : with_role(*found, SmssRole::kSessionChild)) {
    child_pids.push_back(found->processes.at(c->process).pid);
    REQUIRE(c->session.session_id.has_value());
    sessions.push_back(*c->session.session_id);
  }
  CHECK(child_pids == std::vector<std::uint64_t>{388, 460});
  CHECK(sessions == std::vector<std::uint32_t>{0, 1});
}

TEST_CASE("RDP session children from Sysmon carry exit times and ~70 ms lifetimes",
          "[corpus][lineage]") {
  auto out = scan({"evtx/samples/DE_sysmon-3-rdp-tun.evtx"});
  REQUIRE(out.usable);
  const auto& lineage = out.report.hosts.at(0).lineage;
  CHECK(lineage.coverage.exits_collected);
  std::size_t children = 0;
  for (const Boot& b : lineage.boots) {
    for (const SmssInstance* c : with_role(b, SmssRole::kSessionChild)) {
      ++children;
      const auto& p = b.processes.at(c->process);
      INFO("pid " << p.pid);
      CHECK(p.end.has_value());
      REQUIRE(c->lifetime_ms.has_value());
      CHECK(*c->lifetime_ms >= 10);
      CHECK(*c->lifetime_ms <= 2000);
      REQUIRE(c->session.session_id.has_value());
      CHECK(*c->session.session_id >= 2);  // RDP sessions
    }
  }
  CHECK(children == 2);
  require_nothing_above_low(out.report.hosts.at(0));
}

TEST_CASE("RDP session children from Security 4688 v1 are tied to their type-10 logon",
          "[corpus][lineage]") {
  auto out = scan({"evtx/samples/DE_RDP_Tunnel_5156.evtx"});
  REQUIRE(out.usable);
  const auto& host = out.report.hosts.at(0);
  std::size_t linked = 0;
  std::size_t children = 0;
  for (const Boot& b : host.lineage.boots) {
    for (const SmssInstance* c : with_role(b, SmssRole::kSessionChild)) {
      ++children;
      if (c->session.logon_type == 10) {
        ++linked;
      }
    }
  }
  CHECK(children == 2);
  CHECK(linked >= 1);
  // The log starts with a 1102 clear: history before it is gone, so never "clean".
  CHECK_FALSE(host.lineage.coverage.clears.empty());
  CHECK(host.verdict.level != "clean");
}

TEST_CASE("No clean real host yields a finding above low", "[corpus][lineage]") {
  for (const char* rel : {"evtx/hosts/win10-19041-rathbunvm",
                          "evtx/hosts/win10-1809-belkasoft",
                          "evtx/hosts/velocidex-onehost"}) {
    INFO(rel);
    auto out = scan({rel});
    REQUIRE(out.usable);
    REQUIRE(out.report.hosts.size() == 1);
    require_nothing_above_low(out.report.hosts.front());
  }
}

TEST_CASE("rathbunvm: every boot with process events has one master and two session children",
          "[corpus][lineage]") {
  auto out = scan({"evtx/hosts/win10-19041-rathbunvm"});
  REQUIRE(out.usable);
  const auto& lineage = out.report.hosts.at(0).lineage;
  std::size_t masters = 0;
  std::size_t children = 0;
  for (const Boot& b : lineage.boots) {
    masters += with_role(b, SmssRole::kMaster).size();
    children += with_role(b, SmssRole::kSessionChild).size();
  }
  // MANIFEST: 12 smss 4688 records, 8 of them child instances.
  CHECK(masters == 4);
  CHECK(children == 8);
}

TEST_CASE("scan <folder of logs> --format json gives boots, masters, sessions and coverage",
          "[corpus][lineage][cli]") {
  auto r = run_cli({"scan", corpus_path("evtx/hosts/win10-1809-belkasoft"), "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(r.out);
  const auto& host = doc.at("hosts").at(0);
  const auto& lineage = host.at("lineage");
  CHECK(lineage.at("status") == "analyzed");
  const auto& boots = lineage.at("boots");
  REQUIRE(boots.size() >= 24);
  bool saw_lifetime = false;
  for (const auto& b : boots) {
    for (const auto& s : b.at("sessions")) {
      CHECK(s.at("smss").contains("lifetime_ms"));
      saw_lifetime = saw_lifetime || !s.at("smss").at("lifetime_ms").is_null();
    }
  }
  CHECK(saw_lifetime == host.at("coverage").at("event_logs").at("exits_collected").get<bool>());
  const auto& sources = host.at("coverage").at("event_logs").at("sources");
  CHECK(sources.size() == 3);  // Security, System, LocalSessionManager
  // Every event-log input is listed with its hash.
  std::size_t logs = 0;
  for (const auto& in : doc.at("inputs")) {
    if (in.at("kind") == "event_log") {
      ++logs;
      CHECK(in.at("sha256").get<std::string>().size() == 64);
    }
  }
  CHECK(logs == 3);
}

TEST_CASE("Corrupt event logs give diagnostics naming the file, never a crash",
          "[corpus][lineage][cli]") {
  for (const char* rel : {"evtx/corrupt/sample_with_a_bad_chunk_magic.evtx",
                          "evtx/corrupt/Application_no_crc32.evtx",
                          "evtx/corrupt/security_bad_string_cache.evtx",
                          "evtx/corrupt/sysmon.evtx",
                          "evtx/corrupt/sample-with-zero-data-size-event.evtx",
                          "evtx/corrupt/truncated-System2.evtx",
                          "evtx/corrupt/issue_39.evtx",
                          "evtx/corrupt/danderspritz-pre-Security.evtx",
                          "evtx/corrupt/danderspritz-post-Security.evtx"}) {
    const std::string path = corpus_path(rel);
    INFO(path);
    auto r = run_cli({"scan", path, "--format", "json"});
    // Readable records remain in every one of these files: analysis runs (exit 0).
    CHECK(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc.at("inputs").at(0).at("path") == path);
  }
  // A legacy .Evt file is not EVTX: a diagnostic names it, and nothing usable remains (exit 3).
  const std::string legacy = corpus_path("evtx/corrupt/legacy-SysEvent.Evt");
  auto r = run_cli({"scan", legacy, "--format", "json"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(legacy) != std::string::npos);
  CHECK(r.err.find("not an EVTX file") != std::string::npos);
}

TEST_CASE("A damaged log still contributes its readable records and is marked partial",
          "[corpus][lineage]") {
  auto out = scan({"evtx/corrupt/truncated-System2.evtx"});
  REQUIRE(out.usable);
  const auto& in = out.report.inputs.at(0);
  CHECK(in.evidence.status == "partial");
  bool named = false;
  for (const auto& d : in.diagnostics) {
    named = named || d.code == "evtx.truncated";
  }
  CHECK(named);
}

TEST_CASE("scan --evtx-engine native and libevtx give the same report", "[corpus][lineage][cli]") {
  const std::string host = corpus_path("evtx/hosts/win10-1809-belkasoft");
  auto native = run_cli({"scan", host, "--format", "json", "--evtx-engine", "native"});
  auto reference = run_cli({"scan", host, "--format", "json", "--evtx-engine", "libevtx"});
  REQUIRE(native.exit_code == 0);
  REQUIRE(reference.exit_code == 0);
  CHECK(native.out == reference.out);
  CHECK(run_cli({"scan", host, "--evtx-engine", "bogus"}).exit_code == 2);
}
