// The JSON report contract (design.md 4): key order, value encodings, timestamps, nulls.
#include "support/catch.hpp"
#include "unit/report/sample_report.hpp"

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::report::Report;
using Json = nlohmann::ordered_json;
namespace t = smssaudit::report::testing;
namespace facts = smssaudit::facts;

std::string render(const Report& report) {
  std::ostringstream out;
  smssaudit::report::write_json(report, out);
  return out.str();
}

Json parse(const Report& report) {
  return Json::parse(render(report));
}

std::vector<std::string> keys_of(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) {
    keys.push_back(item.key());
  }
  return keys;
}

const Json& control_set(const Json& doc, std::size_t index) {
  return doc.at("hosts").at(0).at("registry").at("control_sets").at(index);
}

const Json& session_manager_value(const Json& doc, const std::string& name) {
  const Json& values = control_set(doc, 0).at("session_manager").at("keys").at(0).at("values");
  for (const Json& v : values) {
    if (v.at("name") == name) {
      return v;
    }
  }
  FAIL("no value " << name);
  return values;  // unreachable: FAIL throws
}

}  // namespace

TEST_CASE("The JSON report keeps the contract's key order at every level", "[report]") {
  const Json doc = parse(t::sample_report());
  CHECK(keys_of(doc) ==
        std::vector<std::string>{"schema", "tool", "ruleset", "inputs", "diagnostics", "hosts"});
  CHECK(doc.at("schema") == "smssaudit.report/1");
  CHECK(keys_of(doc.at("tool")) == std::vector<std::string>{"name", "version"});
  CHECK(keys_of(doc.at("ruleset")) == std::vector<std::string>{"sha256", "count"});
  CHECK(keys_of(doc.at("inputs").at(0)) ==
        std::vector<std::string>{
            "path", "kind", "size", "sha256", "status", "host", "location", "diagnostics"});
  CHECK(keys_of(doc.at("inputs").at(0).at("diagnostics").at(0)) ==
        std::vector<std::string>{"level", "code", "location", "message"});
  CHECK(keys_of(doc.at("diagnostics").at(0)) ==
        std::vector<std::string>{"level", "code", "source", "location", "message"});
  const Json& host = doc.at("hosts").at(0);
  CHECK(
      keys_of(host) ==
      std::vector<std::string>{
          "name", "evidence_root", "os", "registry", "lineage", "coverage", "findings", "verdict"});
  CHECK(keys_of(host.at("registry")) ==
        std::vector<std::string>{
            "hive", "dirty", "base_block", "logs", "replay", "select", "control_sets"});
  CHECK(keys_of(host.at("findings").at(0)) == std::vector<std::string>{"rule_id",
                                                                       "title",
                                                                       "severity",
                                                                       "score",
                                                                       "confidence",
                                                                       "attack",
                                                                       "message",
                                                                       "fact_kind",
                                                                       "fields",
                                                                       "evidence"});
  CHECK(keys_of(host.at("verdict")) == std::vector<std::string>{"level", "score", "reasons"});
}

TEST_CASE("The JSON report is indented by two spaces and ends with a newline", "[report]") {
  const std::string text = render(t::sample_report());
  CHECK(text.rfind("{\n  \"schema\": \"smssaudit.report/1\",\n  \"tool\": {\n    \"name\"", 0) ==
        0);
  REQUIRE(text.size() > 2);
  CHECK(text.substr(text.size() - 2) == "}\n");
}

TEST_CASE("The JSON report describes inputs, tool and rule set as given", "[report]") {
  const Json doc = parse(t::sample_report());
  CHECK(doc.at("tool").at("name") == "smssaudit");
  CHECK(doc.at("tool").at("version") == "0.1.0");
  CHECK(doc.at("ruleset").at("count") == 42);
  const Json& input = doc.at("inputs").at(0);
  CHECK(input.at("path") == "/cases/x/SYSTEM");
  CHECK(input.at("kind") == "system_hive");
  CHECK(input.at("size") == 11771904);
  CHECK(input.at("sha256") == t::kSampleSha);
  CHECK(input.at("status") == "ok");
  CHECK(input.at("diagnostics").at(0).at("level") == "warning");
  CHECK(input.at("diagnostics").at(0).at("code") == "hive.dirty");
  CHECK(doc.at("diagnostics").at(0).at("source") == "builtin");
}

TEST_CASE("The JSON os block renders SOFTWARE facts, nulls for unknowns and ISO install dates",
          "[report]") {
  Report report = t::sample_report();
  const Json os = parse(report).at("hosts").at(0).at("os");
  CHECK(keys_of(os) == std::vector<std::string>{"family",
                                                "family_basis",
                                                "baseline",
                                                "product_name",
                                                "current_build",
                                                "current_build_number",
                                                "ubr",
                                                "display_version",
                                                "release_id",
                                                "edition_id",
                                                "installation_type",
                                                "install_date",
                                                "system_root"});
  CHECK(os.at("family") == "win10");
  CHECK(os.at("product_name") == "Windows 10 Pro");
  CHECK(os.at("ubr") == 1052);
  CHECK(os.at("display_version").is_null());
  CHECK(os.at("install_date") == "2020-06-09T18:12:25.0000000Z");

  report.hosts[0].os.software.reset();
  report.hosts[0].os.family.clear();
  const Json bare = parse(report).at("hosts").at(0).at("os");
  CHECK(bare.at("family").is_null());
  CHECK(bare.at("product_name").is_null());
  CHECK(bare.at("ubr").is_null());
  CHECK(bare.at("install_date").is_null());
  CHECK(bare.at("system_root").is_null());
}

TEST_CASE("The JSON registry block reports the dirty base block, logs and replay state",
          "[report]") {
  const Json reg = parse(t::sample_report()).at("hosts").at(0).at("registry");
  CHECK(reg.at("hive") == "/cases/x/SYSTEM");
  CHECK(reg.at("dirty") == true);
  const Json& base = reg.at("base_block");
  CHECK(base.at("primary_sequence") == 205);
  CHECK(base.at("secondary_sequence") == 204);
  CHECK(base.at("checksum_ok") == true);
  CHECK(base.at("stored_checksum") == "0x1234abcd");
  CHECK(base.at("computed_checksum") == "0x1234abcd");
  CHECK(base.at("last_written") == "2020-06-09T18:12:25.4809506Z");
  CHECK(base.at("truncated") == false);
  CHECK(base.at("embedded_name") == "SYSTEM");

  REQUIRE(reg.at("logs").size() == 2);
  CHECK(reg.at("logs").at(0).at("file_type") == 6);
  CHECK(reg.at("logs").at(0).at("primary_sequence") == 204);
  CHECK(reg.at("logs").at(1).at("file_type").is_null());
  CHECK(reg.at("logs").at(1).at("secondary_sequence").is_null());

  CHECK(reg.at("replay").at("performed") == false);
  CHECK(reg.at("replay").at("logs_found") == 2);
  CHECK(reg.at("replay").at("reason") ==
        "no transaction log could be read; the audited state is the on-disk primary file");

  CHECK(reg.at("select").at("present") == true);
  CHECK(reg.at("select").at("current") == 1);
  CHECK(reg.at("select").at("failed") == 0);
  CHECK(reg.at("select").at("last_known_good").is_null());
}

TEST_CASE("A replayed hive's JSON replay block says what was applied and skipped", "[report]") {
  Report report = t::sample_report();
  facts::ReplayReport r;
  r.dirty = true;
  r.performed = true;
  r.recovered = true;
  r.format = facts::LogFormat::kNew;
  r.entries_applied = 2;
  r.entries_skipped = 1;
  r.summary = "2 entries applied";
  facts::ReplayEntry applied;
  applied.log = "SYSTEM.LOG1";
  applied.sequence = 204;
  applied.applied = true;
  facts::ReplayEntry skipped;
  skipped.log = "SYSTEM.LOG2";
  skipped.sequence = 206;
  skipped.reason = "Marvin32 hash-1 mismatch";
  r.entries = {applied, skipped};
  report.hosts[0].system->replay = r;
  const Json replay = parse(report).at("hosts").at(0).at("registry").at("replay");
  CHECK(replay.at("performed") == true);
  CHECK(replay.at("recovered") == true);
  CHECK(replay.at("audited_state") == "replayed");
  CHECK(replay.at("entries_applied") == 2);
  CHECK(replay.at("entries_skipped") == 1);
  REQUIRE(replay.at("entries").size() == 2);
  CHECK(replay.at("entries").at(0).at("reason").is_null());
  CHECK(replay.at("entries").at(1).at("reason") == "Marvin32 hash-1 mismatch");
  CHECK(replay.at("summary") == "2 entries applied");
}

TEST_CASE("A clean hive says so in the replay block", "[report]") {
  Report report = t::sample_report();
  report.hosts[0].system->base.secondary_sequence = 205;
  const Json reg = parse(report).at("hosts").at(0).at("registry");
  CHECK(reg.at("dirty") == false);
  CHECK(reg.at("replay").at("reason") == "hive is clean");
}

TEST_CASE("JSON control sets mark the current set and label captured keys", "[report]") {
  const Json doc = parse(t::sample_report());
  CHECK(control_set(doc, 0).at("name") == "ControlSet001");
  CHECK(control_set(doc, 0).at("current") == true);
  CHECK(control_set(doc, 1).at("current") == false);
  const Json& keys = control_set(doc, 0).at("session_manager").at("keys");
  CHECK(keys_of(keys.at(0)) ==
        std::vector<std::string>{
            "path", "label", "status", "last_written", "error", "subkeys", "values"});
  CHECK(keys.at(0).at("label") == "session_manager");
  CHECK(keys.at(0).at("status") == "present");
  CHECK(keys.at(0).at("last_written") == "2020-06-09T18:12:25.4809506Z");
  CHECK(keys.at(0).at("error").is_null());
  CHECK(keys.at(0).at("subkeys") == Json({"AppCertDlls", "KnownDLLs", "SubSystems"}));
  CHECK(keys.at(1).at("label") == "appcertdlls");
  CHECK(keys.at(1).at("status") == "absent");
  CHECK(keys.at(1).at("last_written").is_null());
  CHECK(keys.at(4).at("status") == "unreadable");
  CHECK(keys.at(4).at("error") == "key cell corrupt");
}

TEST_CASE("JSON value data is encoded by registry type", "[report]") {
  const Json doc = parse(t::sample_report());
  const Json& boot = session_manager_value(doc, "BootExecute");
  CHECK(keys_of(boot) == std::vector<std::string>{"name", "type", "data"});
  CHECK(boot.at("type") == "REG_MULTI_SZ");
  CHECK(boot.at("data") == Json({"autocheck autochk *", "evil.exe"}));

  const Json& setup = session_manager_value(doc, "SetupExecute");
  CHECK(setup.at("type") == "REG_BINARY");
  CHECK(setup.at("data") == Json({"setup.exe"}));
  CHECK(setup.at("binary_as_text") == true);

  const Json& dword = session_manager_value(doc, "ProtectionMode");
  CHECK(dword.at("data").is_number_unsigned());
  CHECK(dword.at("data") == 1);
  CHECK(session_manager_value(doc, "HeapQuota").at("data") == 4294967296ULL);

  const Json& binary = session_manager_value(doc, "GlobalFlag");
  CHECK(binary.at("data") == "deadbeef");
  CHECK(binary.at("truncated") == true);
  CHECK_FALSE(binary.contains("error"));
  CHECK_FALSE(binary.contains("binary_as_text"));

  const Json& broken = session_manager_value(doc, "ObjectDirectories");
  CHECK(broken.at("data").is_null());
  CHECK(broken.at("error") == "data cell unreadable");

  const Json& subsystems = control_set(doc, 0).at("session_manager").at("keys").at(3);
  REQUIRE(subsystems.at("values").at(0).at("type") == "REG_EXPAND_SZ");
  CHECK(subsystems.at("values").at(0).at("data").is_string());
  CHECK(subsystems.at("values").at(0).at("data").get<std::string>().rfind("%SystemRoot%", 0) == 0);
}

TEST_CASE("JSON pending renames decode the MoveFileEx pairs of the Session Manager key",
          "[report]") {
  const Json renames =
      control_set(parse(t::sample_report()), 0).at("session_manager").at("pending_renames");
  REQUIRE(renames.size() == 2);
  CHECK(keys_of(renames.at(0)) ==
        std::vector<std::string>{
            "value", "index", "operation", "source", "target", "replace_existing"});
  CHECK(renames.at(0).at("value") == "PendingFileRenameOperations");
  CHECK(renames.at(0).at("index") == 0);
  CHECK(renames.at(0).at("operation") == "rename");
  CHECK(renames.at(0).at("source") == "\\??\\C:\\tmp\\a.dll");
  CHECK(renames.at(0).at("target") == "\\??\\C:\\Windows\\System32\\b.dll");
  CHECK(renames.at(0).at("replace_existing") == true);
  CHECK(renames.at(1).at("index") == 1);
  CHECK(renames.at(1).at("operation") == "delete");
  CHECK(renames.at(1).at("target").is_null());
  CHECK(renames.at(1).at("replace_existing") == false);
}

TEST_CASE("JSON findings carry typed fields and evidence with ISO or null timestamps", "[report]") {
  const Json host = parse(t::sample_report()).at("hosts").at(0);
  const Json& findings = host.at("findings");
  REQUIRE(findings.size() == 3);
  const Json& high = findings.at(0);
  CHECK(high.at("rule_id") == "SMSS-001");
  CHECK(high.at("severity") == "high");
  CHECK(high.at("score") == 40);
  CHECK(high.at("confidence") == "high");
  CHECK(high.at("attack") == Json({"T1547.001"}));
  CHECK(high.at("fact_kind") == "smss.boot_execute");
  const Json& fields = high.at("fields");
  CHECK(fields.at("command") == "evil.exe");
  CHECK(fields.at("position").is_number_integer());
  CHECK(fields.at("position") == 2);
  CHECK(fields.at("is_default").is_boolean());
  CHECK(fields.at("is_default") == false);
  CHECK_FALSE(fields.contains("missing"));

  const Json& evidence = high.at("evidence").at(0);
  CHECK(keys_of(evidence) == std::vector<std::string>{"type",
                                                      "artifact",
                                                      "sha256",
                                                      "key_path",
                                                      "value_name",
                                                      "value_type",
                                                      "data",
                                                      "last_written"});
  CHECK(evidence.at("type") == "registry");
  CHECK(evidence.at("key_path") == "ControlSet001\\Control\\Session Manager");
  CHECK(evidence.at("value_name") == "BootExecute");
  CHECK(evidence.at("data") == "autocheck autochk * | evil.exe");
  CHECK(evidence.at("last_written") == "2020-06-09T18:12:25.4809506Z");
  CHECK(findings.at(1).at("evidence").at(0).at("last_written").is_null());
  CHECK(findings.at(1).at("attack") == Json::array());
  CHECK(findings.at(2).at("severity") == "info");
}

TEST_CASE("JSON keeps findings in the order the engine gave them", "[report]") {
  Report report = t::sample_report();
  auto& findings = report.hosts[0].findings;
  std::swap(findings[0], findings[1]);
  const Json out = parse(report).at("hosts").at(0).at("findings");
  CHECK(out.at(0).at("rule_id") == "SMSS-010");
  CHECK(out.at(1).at("rule_id") == "SMSS-001");
}

TEST_CASE("JSON states lineage as not analysed and lists coverage gaps and the verdict",
          "[report]") {
  const Json host = parse(t::sample_report()).at("hosts").at(0);
  CHECK(host.at("lineage").at("status") == "not_analyzed");
  CHECK(host.at("lineage").at("reason") == "no event log was given: smss lineage not analysed");
  CHECK(host.at("coverage").at("event_logs").is_null());
  CHECK(host.at("lineage").at("boots") == Json::array());
  CHECK(host.at("coverage").at("gaps").at(0).at("code") == "hive.dirty_no_logs");
  CHECK(host.at("verdict").at("level") == "suspicious");
  CHECK(host.at("verdict").at("score") == 55);
  CHECK(host.at("verdict").at("reasons").size() == 2);
}

TEST_CASE("A host without a usable SYSTEM hive has a null registry block", "[report]") {
  Report report = t::sample_report();
  report.hosts[0].system.reset();
  const Json host = parse(report).at("hosts").at(0);
  CHECK(host.at("registry").is_null());
  CHECK(host.at("findings").size() == 3);
}

TEST_CASE("A report with no hosts still renders valid JSON", "[report]") {
  Report report;
  report.tool_version = "0.1.0";
  report.inputs.push_back(
      {{"/cases/y/SYSTEM", "system_hive", 0, "", "unreadable", "", std::nullopt}, {}});
  report.diagnostics.push_back(
      {smssaudit::DiagLevel::kError, "evidence.none", "", "", "no usable evidence"});
  const Json doc = parse(report);
  CHECK(doc.at("hosts") == Json::array());
  CHECK(doc.at("inputs").at(0).at("sha256").is_null());
  CHECK(doc.at("inputs").at(0).at("status") == "unreadable");
  CHECK(doc.at("diagnostics").at(0).at("level") == "error");
  CHECK(doc.at("ruleset").at("count") == 0);
}

TEST_CASE("Invalid UTF-8 in a path becomes U+FFFD instead of aborting the JSON report",
          "[report]") {
  Report report = t::sample_report();
  report.inputs[0].evidence.path = "/cases/\xff/SYSTEM";
  std::string text;
  REQUIRE_NOTHROW(text = render(report));
  CHECK(Json::parse(text).at("inputs").at(0).at("path") == "/cases/\xEF\xBF\xBD/SYSTEM");
}

TEST_CASE("The same report renders byte-identical JSON twice", "[report]") {
  const Report report = t::sample_report();
  CHECK(render(report) == render(report));
}

TEST_CASE("JSON lineage lists boots with masters, sessions, lifetimes and event coverage",
          "[report]") {
  Report report = t::sample_report();
  report.hosts[0].lineage = t::sample_lineage();
  const Json host = parse(report).at("hosts").at(0);
  const Json& lineage = host.at("lineage");
  CHECK(lineage.at("status") == "analyzed");
  REQUIRE(lineage.at("boots").size() == 1);
  const Json& boot = lineage.at("boots").at(0);
  CHECK(keys_of(boot) == std::vector<std::string>{"index",
                                                  "start",
                                                  "start_basis",
                                                  "end",
                                                  "end_basis",
                                                  "unexpected_end",
                                                  "masters",
                                                  "sessions",
                                                  "other_smss"});
  CHECK(boot.at("end").is_null());
  REQUIRE(boot.at("masters").size() == 1);
  CHECK(boot.at("masters").at(0).at("pid") == 0x118);
  CHECK(boot.at("masters").at(0).at("parent_pid") == 4);
  CHECK(boot.at("masters").at(0).at("lifetime_ms").is_null());
  REQUIRE(boot.at("sessions").size() == 1);
  const Json& session = boot.at("sessions").at(0);
  CHECK(session.at("session_id") == 1);
  CHECK(session.at("session_basis") == "sysmon:TerminalSessionId");
  CHECK(session.at("smss").at("pid") == 0x178);
  CHECK(session.at("smss").at("lifetime_ms") == 400);
  CHECK_FALSE(session.at("smss").at("end").is_null());
  REQUIRE(session.at("children").size() == 1);
  CHECK(session.at("children").at(0).at("pid") == 0x180);
  CHECK(boot.at("other_smss") == Json::array());
  const Json& cov = host.at("coverage").at("event_logs");
  CHECK(cov.at("exits_collected") == true);
  CHECK(cov.at("process_starts").at("security_4688") == true);
  CHECK(cov.at("process_starts").at("sysmon_1") == false);
}
