// Findings from rules and facts, and the host verdict (src/rules/engine.cpp).
#include "smssaudit/rules/engine.hpp"

#include "support/catch.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using smssaudit::facts::CoverageGap;
using smssaudit::facts::EvidenceRef;
using smssaudit::facts::Fact;
using smssaudit::facts::FieldValue;
using smssaudit::rules::Condition;
using smssaudit::rules::Finding;
using smssaudit::rules::Level;
using smssaudit::rules::Op;
using smssaudit::rules::Rule;
using smssaudit::rules::VerdictConfig;

// A rule on registry.execute_entry firing when `slot` equals `slot`.
Rule slot_rule(std::string id, Level severity, int score, std::string slot) {
  Rule r;
  r.id = std::move(id);
  r.title = "title of " + r.id;
  r.severity = severity;
  r.score = score;
  r.attack = {"T1547.001"};
  r.applies_to = "registry.execute_entry";
  r.when.kind = Condition::Kind::kLeaf;
  r.when.field = "slot";
  r.when.op = Op::kEq;
  r.when.values = {FieldValue{std::move(slot)}};
  r.message = "{slot} runs '{command}'";
  return r;
}

Fact entry(std::string slot, std::string command, std::string key_path = "ControlSet001") {
  Fact f;
  f.kind = "registry.execute_entry";
  f.set("slot", FieldValue{std::move(slot)});
  f.set("command", FieldValue{std::move(command)});
  EvidenceRef e;
  e.artifact = "SYSTEM";
  e.key_path = std::move(key_path);
  e.value_name = "BootExecute";
  f.evidence.push_back(e);
  return f;
}

Finding finding(std::string id, Level severity, int score, std::string message = "m") {
  Finding f;
  f.rule_id = std::move(id);
  f.severity = severity;
  f.score = score;
  f.message = std::move(message);
  return f;
}

}  // namespace

TEST_CASE("evaluate emits one finding per matching rule and fact, carrying its evidence",
          "[rules]") {
  const std::vector<Rule> rules = {slot_rule("SMSS-001", Level::kHigh, 40, "BootExecute")};
  const std::vector<Fact> facts = {entry("BootExecute", "evil"), entry("SetupExecute", "x")};
  const auto findings = smssaudit::rules::evaluate(rules, facts, "medium");
  REQUIRE(findings.size() == 1);
  const Finding& f = findings[0];
  CHECK(f.rule_id == "SMSS-001");
  CHECK(f.title == "title of SMSS-001");
  CHECK(f.severity == Level::kHigh);
  CHECK(f.score == 40);
  CHECK(f.confidence == "medium");
  CHECK(f.attack == std::vector<std::string>{"T1547.001"});
  CHECK(f.message == "BootExecute runs 'evil'");
  CHECK(f.fact_kind == "registry.execute_entry");
  CHECK(f.evidence == facts[0].evidence);
  CHECK(f.fields == facts[0].fields);
}

TEST_CASE("evaluate reports a rule once per distinct fact", "[rules]") {
  const std::vector<Rule> rules = {slot_rule("SMSS-001", Level::kHigh, 40, "BootExecute")};
  // Same fields twice (identity ignores evidence), plus one genuinely different fact.
  const std::vector<Fact> facts = {entry("BootExecute", "evil", "ControlSet001"),
                                   entry("BootExecute", "evil", "ControlSet002"),
                                   entry("BootExecute", "other")};
  const auto findings = smssaudit::rules::evaluate(rules, facts, "high");
  CHECK(findings.size() == 2);
}

TEST_CASE("an Evaluator fed in batches finds what evaluate finds, wherever the batches are cut",
          "[rules]") {
  const std::vector<Rule> rules = {slot_rule("SMSS-009", Level::kLow, 5, "SetupExecute"),
                                   slot_rule("SMSS-001", Level::kHigh, 40, "BootExecute")};
  // Facts 0 and 2 share an identity: the first one's evidence (ControlSet001) must win in every
  // cut, as in one pass.
  const std::vector<Fact> facts = {entry("BootExecute", "evil", "ControlSet001"),
                                   entry("SetupExecute", "x"),
                                   entry("BootExecute", "evil", "ControlSet002"),
                                   entry("BootExecute", "a"),
                                   entry("PlatformExecute", "none")};
  const auto whole = smssaudit::rules::evaluate(rules, facts, "high");
  REQUIRE(whole.size() == 3);
  for (std::size_t cut = 0; cut <= facts.size(); ++cut) {
    INFO("cut before fact " << cut);
    smssaudit::rules::Evaluator e(rules, "high");
    e.add({facts.begin(), facts.begin() + static_cast<std::ptrdiff_t>(cut)});
    e.add({});
    e.add({facts.begin() + static_cast<std::ptrdiff_t>(cut), facts.end()});
    const auto batched = e.finish();
    REQUIRE(batched.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CHECK(batched[i].rule_id == whole[i].rule_id);
      CHECK(batched[i].message == whole[i].message);
      CHECK(batched[i].evidence == whole[i].evidence);
    }
  }
  const auto evil = std::find_if(whole.begin(), whole.end(), [](const Finding& f) {
    return f.message == "BootExecute runs 'evil'";
  });
  REQUIRE(evil != whole.end());
  CHECK(evil->evidence.at(0).key_path == "ControlSet001");
}

TEST_CASE("evaluate sorts by severity, then rule id, message and evidence key path", "[rules]") {
  const std::vector<Rule> rules = {slot_rule("SMSS-009", Level::kLow, 5, "SetupExecute"),
                                   slot_rule("SMSS-002", Level::kHigh, 40, "BootExecute"),
                                   slot_rule("SMSS-001", Level::kHigh, 40, "BootExecute"),
                                   slot_rule("SMSS-003", Level::kCritical, 90, "SetupExecute")};
  std::vector<Fact> facts = {entry("BootExecute", "b", "ControlSet002"),
                             entry("BootExecute", "a", "ControlSet001"),
                             entry("SetupExecute", "s", "ControlSet001")};
  // Distinct facts with equal messages: told apart by key path only.
  Fact twin = entry("BootExecute", "a", "ControlSet000");
  twin.set("index", FieldValue{std::int64_t{1}});
  facts.push_back(twin);
  const auto findings = smssaudit::rules::evaluate(rules, facts, "high");
  std::vector<std::string> order;
  for (const Finding& f : findings) {
    order.push_back(f.rule_id + " " + f.message + " " + f.evidence.at(0).key_path);
  }
  CHECK(order == std::vector<std::string>{
                     "SMSS-003 SetupExecute runs 's' ControlSet001",
                     "SMSS-001 BootExecute runs 'a' ControlSet000",
                     "SMSS-001 BootExecute runs 'a' ControlSet001",
                     "SMSS-001 BootExecute runs 'b' ControlSet002",
                     "SMSS-002 BootExecute runs 'a' ControlSet000",
                     "SMSS-002 BootExecute runs 'a' ControlSet001",
                     "SMSS-002 BootExecute runs 'b' ControlSet002",
                     "SMSS-009 SetupExecute runs 's' ControlSet001",
                 });
  // The order depends on the data, not on the order the facts arrived in.
  std::reverse(facts.begin(), facts.end());
  const auto again = smssaudit::rules::evaluate(rules, facts, "high");
  REQUIRE(again.size() == findings.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    CHECK(again[i].message == findings[i].message);
    CHECK(again[i].evidence == findings[i].evidence);
  }
}

TEST_CASE("no findings and no gaps make a clean host with its reason", "[rules]") {
  const auto v = smssaudit::rules::compute_verdict({}, {}, VerdictConfig{});
  CHECK(v.level == "clean");
  CHECK(v.score == 0);
  CHECK(v.reasons ==
        std::vector<std::string>{"no finding at or above medium and score 0 below 20"});
}

TEST_CASE("a coverage gap turns clean into inconclusive and is listed", "[rules]") {
  const std::vector<CoverageGap> gaps = {{"hive.dirty_no_logs", "SYSTEM is dirty and has no logs"}};
  const auto v = smssaudit::rules::compute_verdict(
      {finding("SMSS-045", Level::kLow, 5)}, gaps, VerdictConfig{});
  CHECK(v.level == "inconclusive");
  CHECK(v.score == 5);
  CHECK(v.reasons == std::vector<std::string>{"no finding at or above medium and score 5 below 20",
                                              "coverage: SYSTEM is dirty and has no logs"});
}

TEST_CASE("a coverage gap does not soften a suspicious or malicious verdict", "[rules]") {
  const std::vector<CoverageGap> gaps = {{"x", "gap"}};
  const auto v = smssaudit::rules::compute_verdict(
      {finding("SMSS-001", Level::kMedium, 5, "msg")}, gaps, VerdictConfig{});
  CHECK(v.level == "suspicious");
  CHECK(v.reasons == std::vector<std::string>{"SMSS-001 (medium, 5): msg", "coverage: gap"});
}

TEST_CASE("the score counts each rule once at its highest score and caps at 100", "[rules]") {
  using smssaudit::rules::compute_verdict;
  VerdictConfig config;
  config.suspicious_severity = Level::kCritical;  // judge by score alone
  const auto v = compute_verdict({finding("A-001", Level::kLow, 10),
                                  finding("A-001", Level::kLow, 15),
                                  finding("B-001", Level::kLow, 4)},
                                 {},
                                 config);
  CHECK(v.score == 19);
  CHECK(v.level == "clean");
  const auto capped = compute_verdict(
      {finding("A-001", Level::kLow, 60), finding("B-001", Level::kLow, 60)}, {}, config);
  CHECK(capped.score == 100);
  CHECK(capped.level == "malicious");
}

TEST_CASE("thresholds decide suspicious and malicious by score or by severity", "[rules]") {
  using smssaudit::rules::compute_verdict;
  const VerdictConfig config;  // suspicious 20/medium, malicious 70/critical
  CHECK(compute_verdict({finding("A-001", Level::kLow, 19)}, {}, config).level == "clean");
  CHECK(compute_verdict({finding("A-001", Level::kLow, 20)}, {}, config).level == "suspicious");
  CHECK(compute_verdict({finding("A-001", Level::kMedium, 0)}, {}, config).level == "suspicious");
  CHECK(compute_verdict({finding("A-001", Level::kHigh, 69)}, {}, config).level == "suspicious");
  CHECK(compute_verdict({finding("A-001", Level::kHigh, 70)}, {}, config).level == "malicious");
  CHECK(compute_verdict({finding("A-001", Level::kCritical, 0)}, {}, config).level == "malicious");
  VerdictConfig strict;
  strict.suspicious_score = 5;
  strict.suspicious_severity = Level::kLow;
  strict.malicious_score = 30;
  strict.malicious_severity = Level::kHigh;
  CHECK(compute_verdict({finding("A-001", Level::kInfo, 5)}, {}, strict).level == "suspicious");
  CHECK(compute_verdict({finding("A-001", Level::kLow, 0)}, {}, strict).level == "suspicious");
  CHECK(compute_verdict({finding("A-001", Level::kHigh, 0)}, {}, strict).level == "malicious");
  const auto clean = compute_verdict({finding("A-001", Level::kInfo, 4)}, {}, strict);
  CHECK(clean.level == "clean");
  CHECK(clean.reasons ==
        std::vector<std::string>{"no finding at or above low and score 4 below 5"});
}

TEST_CASE("reasons name at most five findings, strongest first", "[rules]") {
  std::vector<Finding> findings;
  for (int i = 0; i < 7; ++i) {
    findings.push_back(
        finding("R-00" + std::to_string(i), Level::kMedium, i, "m" + std::to_string(i)));
  }
  findings.push_back(finding("Z-001", Level::kCritical, 1, "worst"));
  const auto v = smssaudit::rules::compute_verdict(findings, {}, VerdictConfig{});
  CHECK(v.level == "malicious");
  CHECK(v.reasons == std::vector<std::string>{"Z-001 (critical, 1): worst",
                                              "R-006 (medium, 6): m6",
                                              "R-005 (medium, 5): m5",
                                              "R-004 (medium, 4): m4",
                                              "R-003 (medium, 3): m3"});
}
