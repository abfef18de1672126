// Engine: facts in, findings out; and the host verdict.
#pragma once

#include "smssaudit/facts/coverage.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace smssaudit::rules {

struct Finding {
  std::string rule_id;
  std::string title;
  Level severity = Level::kInfo;
  int score = 0;
  std::string confidence = "high";  ///< "high" | "medium" | "low"
  std::vector<std::string> attack;
  std::string message;
  std::vector<facts::EvidenceRef> evidence;
  std::map<std::string, facts::FieldValue> fields;  ///< the fact's fields, for machine output
  std::string fact_kind;
};

/// Every (rule, fact) match, one finding each, sorted by severity (highest first), then rule id,
/// then message. Identical findings (same rule, same fact identity) are emitted once.
/// `confidence` is stamped on every finding (the pipeline lowers it for a dirty hive).
std::vector<Finding> evaluate(const std::vector<Rule>& rules,
                              const std::vector<facts::Fact>& facts,
                              const std::string& confidence);

/// evaluate() over facts that arrive in batches (the lineage analysis streams its facts boot by
/// boot, issue 8). finish() returns exactly what evaluate() returns for all the batches
/// concatenated, wherever the batches were cut: matches are kept, the facts are not.
class Evaluator {
 public:
  /// `rules` must outlive the evaluator.
  Evaluator(const std::vector<Rule>& rules, std::string confidence);

  void add(const std::vector<facts::Fact>& facts);

  /// The findings, sorted; the evaluator is empty afterwards.
  std::vector<Finding> finish();

 private:
  struct Keyed {
    Finding finding;
    std::vector<std::string> paths;
    std::string identity;  // fact identity: final tie-break, so equal-looking findings still
                           // come out in one order whatever order the facts arrived in
  };

  const std::vector<Rule>& rules_;
  std::string confidence_;
  std::vector<Keyed> out_;
  std::set<std::pair<std::string, std::string>> seen_;  // (rule id, fact identity)
};

struct Verdict {
  std::string level;  ///< "clean" | "suspicious" | "malicious" | "inconclusive"
  int score = 0;      ///< 0..100
  std::vector<std::string> reasons;
};

/// Score = sum over distinct rules of their highest finding score, capped at 100. Level from the
/// thresholds; "clean" becomes "inconclusive" when any coverage gap exists. Reasons name the
/// top findings and every gap.
Verdict compute_verdict(const std::vector<Finding>& findings,
                        const std::vector<facts::CoverageGap>& gaps,
                        const VerdictConfig& config);

}  // namespace smssaudit::rules

namespace smssaudit::rules {

/// A registry value whose data differs between the on-disk primary file and the hive replayed
/// from its transaction logs: it was changed shortly before acquisition.
struct ChangedValue {
  std::string key_path;    ///< full key path inside the hive, as in EvidenceRef::key_path
  std::string value_name;  ///< "" for a change of the key itself
};

/// Raises the priority of every finding whose evidence names a changed value (issue 5): one
/// severity level up (critical stays critical), score +10 (capped at 100), the fields gain
/// `changed_before_acquisition: true` and the message says so. Rule-level findings about the
/// change itself (kind registry.replay_change) are left alone. Re-sorts as evaluate() does.
void raise_priority_for_changed_values(std::vector<Finding>& findings,
                                       const std::vector<ChangedValue>& changed);

/// Re-sorts findings merged from several evaluate() calls into evaluate()'s order (stable).
void sort_findings(std::vector<Finding>& findings);

}  // namespace smssaudit::rules
