// Every generated event-log fixture with an `expect:` block (fixtures/evtx/*.yaml, built by
// smssaudit-mkevtx) is scanned through the real pipeline, optionally with a fixture SYSTEM hive,
// and must fire what it says; every lineage rule must have a fixture that fires it and a near miss
// that must not. The PID-reuse and inserted-field fixtures are also checked on the rebuilt lineage
// itself.
#include "smssaudit/core/text.hpp"
#include "smssaudit/rules/catalog.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using smssaudit::facts::Boot;
using smssaudit::facts::ProcessInstance;
using smssaudit::facts::SmssInstance;
using smssaudit::facts::SmssRole;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::source_path;

struct Expectation {
  std::string name;
  std::set<std::string> fires;
  std::set<std::string> not_fires;
  std::string verdict;
  std::string hive;      // fixture hive name, scanned together with the logs
  std::string baseline;  // site baseline, relative to fixtures/hives (as in the hive fixtures)
  std::string software;  // fixture name whose SOFTWARE hive to pass
};

std::string optional_text(const YAML::Node& e, const char* key) {
  return e[key] ? e[key].as<std::string>() : std::string();
}

std::vector<Expectation> load_expectations() {
  std::vector<fs::path> specs;
  for (const auto& entry : fs::directory_iterator(source_path("fixtures/evtx"))) {
    if (entry.path().extension() == ".yaml") {
      specs.push_back(entry.path());
    }
  }
  std::sort(specs.begin(), specs.end());
  std::vector<Expectation> out;
  for (const auto& p : specs) {
    const YAML::Node doc = YAML::LoadFile(p.string());
    if (!doc["expect"]) {
      continue;
    }
    const YAML::Node e = doc["expect"];
    Expectation x;
    x.name = p.stem().string();
    // Strict, like the specs themselves: a misspelt key must not silently drop a check.
    static const std::set<std::string> kKeys = {
        "fires", "not_fires", "verdict", "hive", "baseline", "software"};
    for (const auto& kv : e) {
      if (kKeys.count(kv.first.as<std::string>()) == 0) {
        throw std::runtime_error(p.string() + ": unknown expect key " + kv.first.as<std::string>());
      }
    }
    for (const auto& id : e["fires"]) {
      x.fires.insert(id.as<std::string>());
    }
    for (const auto& id : e["not_fires"]) {
      x.not_fires.insert(id.as<std::string>());
    }
    x.verdict = optional_text(e, "verdict");
    x.hive = optional_text(e, "hive");
    x.baseline = optional_text(e, "baseline");
    x.software = optional_text(e, "software");
    static const std::set<std::string> kVerdicts = {
        "", "clean", "suspicious", "malicious", "inconclusive"};
    if (kVerdicts.count(x.verdict) == 0) {
      throw std::runtime_error(p.string() + ": unknown verdict " + x.verdict);
    }
    out.push_back(std::move(x));
  }
  return out;
}

struct Scan {
  smssaudit::app::ScanOutcome outcome;

  const smssaudit::report::HostReport& host() const { return outcome.report.hosts.at(0); }
};

Scan scan(const Expectation& x, const smssaudit::rules::Catalog& catalog) {
  smssaudit::app::ScanRequest req;
  req.evidence = {evtx_fixture_dir(x.name)};
  if (!x.hive.empty()) {
    req.evidence.push_back(fixture_dir(x.hive) + "/SYSTEM");
  }
  if (!x.software.empty()) {
    req.software_hive = fixture_dir(x.software) + "/SOFTWARE";
  }
  req.catalog = &catalog;
  std::optional<smssaudit::facts::Baseline> site;
  if (!x.baseline.empty()) {
    std::ifstream in(source_path("fixtures/hives/" + x.baseline));
    std::stringstream ss;
    ss << in.rdbuf();
    auto bl = smssaudit::rules::load_site_baseline({x.baseline, ss.str()});
    REQUIRE(bl.errors.empty());
    site = bl.baseline;
    req.site_baseline = &*site;
  }
  return Scan{smssaudit::app::run_scan(req)};
}

Scan scan_fixture(const std::string& name, const std::string& hive = "") {
  static const auto catalog = smssaudit::testing::builtin_catalog();
  Expectation x;
  x.name = name;
  x.hive = hive;
  return scan(x, catalog);
}

const ProcessInstance& process(const Boot& b, std::size_t index) {
  return b.processes.at(index);
}

// The smss instance of a boot with this PID (and start after `after`, FILETIME).
const SmssInstance* smss_with_pid(const Boot& b, std::uint64_t pid, std::uint64_t after = 0) {
  for (const SmssInstance& s : b.smss) {
    const ProcessInstance& p = b.processes.at(s.process);
    if (p.pid == pid && p.start >= after) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<std::size_t> processes_named(const Boot& b, const std::string& name) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < b.processes.size(); ++i) {
    const std::string& image = b.processes[i].image;
    const auto slash = image.find_last_of('\\');
    const std::string file = slash == std::string::npos ? image : image.substr(slash + 1);
    if (smssaudit::text::iequals(file, name)) {
      out.push_back(i);
    }
  }
  return out;
}

std::vector<std::uint64_t> child_pids(const Boot& b, const SmssInstance& s) {
  std::vector<std::uint64_t> pids;
  for (const std::size_t k : s.children) {
    pids.push_back(process(b, k).pid);
  }
  return pids;
}

// A comparable summary of one boot's smss family: pid, role, parent pid (linked instance),
// session id, lifetime and children, per smss instance.
std::vector<std::string> smss_summary(const Boot& b) {
  std::vector<std::string> out;
  for (const SmssInstance& s : b.smss) {
    const ProcessInstance& p = process(b, s.process);
    std::ostringstream line;
    line << "pid=" << p.pid << " role=" << smssaudit::facts::to_string(s.role)
         << " parent=" << (p.parent ? std::to_string(process(b, *p.parent).pid) : std::string("-"))
         << " session="
         << (s.session.session_id ? std::to_string(*s.session.session_id) : std::string("-"))
         << " lifetime_ms=" << (s.lifetime_ms ? std::to_string(*s.lifetime_ms) : "-")
         << " image=" << p.image << " cmd=" << p.command_line << " user=" << p.user_sid
         << " children=";
    for (const auto pid : child_pids(b, s)) {
      line << pid << ",";
    }
    out.push_back(line.str());
  }
  return out;
}

}  // namespace

TEST_CASE("Every lineage fixture fires the rules its spec expects", "[fixtures][lineage][cli]") {
  const auto catalog = smssaudit::testing::builtin_catalog();
  const auto expectations = load_expectations();
  REQUIRE(expectations.size() >= 36);
  for (const auto& x : expectations) {
    INFO("fixture " << x.name << (x.hive.empty() ? "" : " with hive " + x.hive));
    const Scan s = scan(x, catalog);
    REQUIRE(s.outcome.usable);
    REQUIRE(s.outcome.report.hosts.size() == 1);
    const auto& host = s.host();
    CHECK(host.lineage.analyzed);
    std::set<std::string> fired;
    for (const auto& f : host.findings) {
      fired.insert(f.rule_id);
    }
    INFO("fired: " << smssaudit::text::join({fired.begin(), fired.end()}, ", "));
    for (const auto& id : x.fires) {
      INFO("expected to fire: " << id);
      CHECK(fired.count(id) == 1);
    }
    for (const auto& id : x.not_fires) {
      INFO("expected NOT to fire: " << id);
      CHECK(fired.count(id) == 0);
    }
    if (!x.verdict.empty()) {
      INFO("verdict reasons: " << smssaudit::text::join(host.verdict.reasons, "; "));
      CHECK(host.verdict.level == x.verdict);
    }
    if (x.verdict == "clean") {
      CHECK(host.coverage.empty());
      for (const auto& f : host.findings) {
        INFO(f.rule_id << ": " << f.message);
        CHECK(f.severity <= smssaudit::rules::Level::kLow);
      }
    }
  }
}

TEST_CASE("Every lineage rule has an event-log fixture that fires it and a near miss that must not",
          "[fixtures][lineage][rules]") {
  const auto catalog = smssaudit::testing::builtin_catalog();
  std::map<std::string, int> fires;
  std::map<std::string, int> near_misses;
  for (const auto& x : load_expectations()) {
    for (const auto& id : x.fires) {
      ++fires[id];
    }
    for (const auto& id : x.not_fires) {
      ++near_misses[id];
    }
  }
  std::size_t rules = 0;
  for (const auto& rule : catalog.rules) {
    if (rule.applies_to.rfind("lineage.", 0) != 0) {
      continue;
    }
    ++rules;
    INFO("rule " << rule.id << " (" << rule.source << ")");
    CHECK(fires[rule.id] >= 1);
    CHECK(near_misses[rule.id] >= 1);
  }
  CHECK(rules >= 18);
}

TEST_CASE("Lineage fixture: PID reuse within a boot does not link a csrss to the exited smss",
          "[fixtures][lineage]") {
  const Scan s = scan_fixture("lin_030_pid_reuse_within_boot");
  const auto& lin = s.host().lineage;
  REQUIRE(lin.boots.size() == 1);
  const Boot& b = lin.boots[0];
  // The session-1 smss 0x1c4 exited at 7.29 s: it keeps exactly csrss 0x1d4 and winlogon 0x224.
  const SmssInstance* child = smss_with_pid(b, 0x1c4);
  REQUIRE(child != nullptr);
  CHECK(child->role == SmssRole::kSessionChild);
  CHECK(child_pids(b, *child) == std::vector<std::uint64_t>{0x1d4, 0x224});
  CHECK(child->session.session_id == 1U);
  // The later csrss 0x2c18 hangs under RuntimeBroker (the new 0x1c4), not under the old smss.
  const auto csrss = processes_named(b, "csrss.exe");
  REQUIRE(csrss.size() == 3);
  const ProcessInstance& late = process(b, csrss.back());
  CHECK(late.pid == 0x2c18);
  REQUIRE(late.parent.has_value());
  const ProcessInstance& parent = process(b, *late.parent);
  CHECK(parent.pid == 0x1c4);
  CHECK_THAT(parent.image, Catch::EndsWith("RuntimeBroker.exe"));
  CHECK(parent.start > process(b, child->process).start);
  // And LIN-030 says so with the linked parent.
  bool judged = false;
  for (const auto& f : s.host().findings) {
    if (f.rule_id == "LIN-030") {
      judged = true;
      CHECK_THAT(f.message, Catch::Contains("RuntimeBroker.exe"));
      CHECK_THAT(f.message, Catch::Contains("not_smss"));
    }
  }
  CHECK(judged);
}

TEST_CASE("Lineage fixture: PID reuse across boots, identical PIDs split by System 12 and 13",
          "[fixtures][lineage]") {
  const Scan s = scan_fixture("lin_two_boots_same_pids", "system_clean_win10");
  const auto& lin = s.host().lineage;
  REQUIRE(lin.boots.size() == 2);
  for (const Boot& b : lin.boots) {
    INFO("boot " << b.index);
    CHECK(b.start_basis == "system:12");
    REQUIRE(b.smss.size() == 3);
    const SmssInstance* master = smss_with_pid(b, 0x118);
    REQUIRE(master != nullptr);
    CHECK(master->role == SmssRole::kMaster);
    CHECK(child_pids(b, *master) == std::vector<std::uint64_t>{0x140, 0x178, 0x1c4});
    const SmssInstance* c0 = smss_with_pid(b, 0x178);
    const SmssInstance* c1 = smss_with_pid(b, 0x1c4);
    REQUIRE(c0 != nullptr);
    REQUIRE(c1 != nullptr);
    CHECK(c0->role == SmssRole::kSessionChild);
    CHECK(c1->role == SmssRole::kSessionChild);
    CHECK(c0->session.session_id == 0U);
    CHECK(child_pids(b, *c0) == std::vector<std::uint64_t>{0x180, 0x1cc});
    CHECK(child_pids(b, *c1) == std::vector<std::uint64_t>{0x1d4, 0x224});
    // Each child's exit is its own boot's 4689, not the other boot's.
    CHECK(c0->lifetime_ms == 609);
    CHECK(c1->lifetime_ms == 888);
    // Every process of a boot lies inside it.
    for (const ProcessInstance& p : b.processes) {
      CHECK(p.start >= b.start);
      if (b.end) {
        CHECK(p.start < *b.end);
      }
    }
  }
  // Boot 1 ends at its clean shutdown (13 / 6006 / 1100 an hour in), before boot 2's kernel start.
  REQUIRE(lin.boots[0].end.has_value());
  CHECK(lin.boots[0].end_basis != "next-boot");
  CHECK(*lin.boots[0].end < lin.boots[1].start);
  CHECK(lin.boots[0].processes.size() == lin.boots[1].processes.size());
}

TEST_CASE("Lineage fixture: a Sysmon layout with inserted fields gives the preset lineage",
          "[fixtures][lineage]") {
  const Scan inserted = scan_fixture("lin_sysmon_inserted_fields", "system_clean_win10");
  const Scan preset = scan_fixture("lin_clean_sysmon_hive", "system_clean_win10");
  const auto& a = inserted.host().lineage;
  const auto& b = preset.host().lineage;
  REQUIRE(a.boots.size() == 1);
  REQUIRE(b.boots.size() == 1);
  CHECK(smss_summary(a.boots[0]) == smss_summary(b.boots[0]));
  const Boot& boot = a.boots[0];
  const SmssInstance* child = smss_with_pid(boot, 460);
  REQUIRE(child != nullptr);
  CHECK(child->role == SmssRole::kSessionChild);
  CHECK(child->session.session_id == 1U);
  CHECK(child->session.basis == "sysmon:TerminalSessionId");
  CHECK(child->lifetime_ms == 888);
  CHECK(child_pids(boot, *child) == std::vector<std::uint64_t>{476, 568});
  const ProcessInstance& p = process(boot, child->process);
  CHECK(p.user_sid == "S-1-5-18");
  REQUIRE(p.parent.has_value());
  CHECK(process(boot, *p.parent).pid == 300);
  CHECK(p.process_guid == "{B5A3F0C1-0000-0000-0000-0000000001CC}");
  // The csrss of session 1 is linked to 460 through its ParentProcessGuid.
  for (const std::size_t k : child->children) {
    CHECK(process(boot, k).session_id == 1U);
  }
}

TEST_CASE("Lineage fixture: an RDP session smss is tied to session 2 and its remote address",
          "[fixtures][lineage]") {
  const Scan s = scan_fixture("lin_013_near_rdp_session", "system_clean_win10");
  const auto& lin = s.host().lineage;
  REQUIRE(lin.boots.size() == 1);
  const Boot& b = lin.boots[0];
  const SmssInstance* rdp = smss_with_pid(b, 0x1f74);
  REQUIRE(rdp != nullptr);
  CHECK(rdp->role == SmssRole::kSessionChild);
  CHECK(rdp->lifetime_ms == 70);
  CHECK(child_pids(b, *rdp) == std::vector<std::uint64_t>{0x1a4c, 0x2314});
  CHECK(rdp->session.session_id == 2U);
  CHECK(rdp->session.address == "10.20.30.41");
  CHECK(rdp->session.user == "WIN10-FIX\\alice");
  const SmssInstance* console = smss_with_pid(b, 0x1c4);
  REQUIRE(console != nullptr);
  CHECK(console->session.session_id == 1U);
  CHECK(console->session.address == "LOCAL");
}

TEST_CASE("Lineage fixture: the Security and Sysmon views of one boot merge per process",
          "[fixtures][lineage]") {
  const Scan s = scan_fixture("lin_clean_security_sysmon_hive", "system_clean_win10");
  const auto& lin = s.host().lineage;
  REQUIRE(lin.boots.size() == 1);
  const Boot& b = lin.boots[0];
  CHECK(b.start_basis == "system:12");
  REQUIRE(b.smss.size() == 3);  // one master, two children: no duplicate from the second log
  for (const SmssInstance& smss : b.smss) {
    const ProcessInstance& p = process(b, smss.process);
    INFO("smss " << p.pid);
    std::set<std::uint16_t> ids;
    for (const auto& ref : p.evidence) {
      ids.insert(ref.event_id);
    }
    CHECK(ids.count(4688) == 1);
    CHECK(ids.count(1) == 1);
  }
  CHECK(smss_with_pid(b, 280)->role == SmssRole::kMaster);
  const SmssInstance* c1 = smss_with_pid(b, 452);
  REQUIRE(c1 != nullptr);
  CHECK(c1->session.session_id == 1U);
  CHECK(c1->lifetime_ms == 888);
  CHECK(child_pids(b, *c1) == std::vector<std::uint64_t>{468, 548});
}
