// Findings on values changed shortly before acquisition get a higher priority (issue 5).
#include "smssaudit/rules/engine.hpp"
#include "support/catch.hpp"

namespace {

using namespace smssaudit;

rules::Finding finding(const std::string& id,
                       rules::Level level,
                       int score,
                       const std::string& key,
                       const std::string& value,
                       const std::string& kind = "registry.execute_entry") {
  rules::Finding f;
  f.rule_id = id;
  f.severity = level;
  f.score = score;
  f.message = id + " message";
  f.fact_kind = kind;
  facts::EvidenceRef ev;
  ev.key_path = key;
  ev.value_name = value;
  f.evidence.push_back(ev);
  return f;
}

}  // namespace

TEST_CASE("A finding on a value changed before acquisition is raised one level and re-sorted",
          "[rules]") {
  const std::string sm = "ControlSet001\\Control\\Session Manager";
  std::vector<rules::Finding> fs{
      finding("SMSS-010", rules::Level::kHigh, 50, sm + "\\AppCertDlls", "x"),
      finding("SMSS-002", rules::Level::kMedium, 25, sm, "BootExecute"),
      finding("HIVE-003", rules::Level::kMedium, 20, sm, "BootExecute", "registry.replay_change"),
      finding("SMSS-007", rules::Level::kCritical, 95, sm, "bootexecute")};
  rules::raise_priority_for_changed_values(
      fs, {{"controlset001\\control\\session manager", "BOOTEXECUTE"}});
  REQUIRE(fs.size() == 4);
  // Critical stays critical, score capped at 100; medium becomes high and sorts before SMSS-010.
  CHECK(fs[0].rule_id == "SMSS-007");
  CHECK(fs[0].severity == rules::Level::kCritical);
  CHECK(fs[0].score == 100);
  CHECK(fs[1].rule_id == "SMSS-002");
  CHECK(fs[1].severity == rules::Level::kHigh);
  CHECK(fs[1].score == 35);
  CHECK(fs[1].message.find("changed shortly before acquisition") != std::string::npos);
  CHECK(fs[1].fields.at("changed_before_acquisition") == facts::FieldValue(true));
  CHECK(fs[2].rule_id == "SMSS-010");
  CHECK(fs[2].severity == rules::Level::kHigh);
  CHECK(fs[2].fields.count("changed_before_acquisition") == 0);
  // The change finding itself is not raised.
  CHECK(fs[3].rule_id == "HIVE-003");
  CHECK(fs[3].severity == rules::Level::kMedium);
}

TEST_CASE("Without changed values the findings are untouched", "[rules]") {
  std::vector<rules::Finding> fs{finding("SMSS-002", rules::Level::kMedium, 25, "k", "v")};
  rules::raise_priority_for_changed_values(fs, {});
  CHECK(fs[0].severity == rules::Level::kMedium);
  CHECK(fs[0].score == 25);
}
