// Priority raise for findings on values changed shortly before acquisition (issue 5): a value
// that only the transaction logs hold was written in the last minutes or hours before the
// machine was seized, which makes any anomaly in it more urgent.
#include "smssaudit/core/text.hpp"
#include "smssaudit/rules/engine.hpp"

#include <algorithm>

namespace smssaudit::rules {
namespace {

bool names_changed_value(const Finding& f, const std::vector<ChangedValue>& changed) {
  return std::any_of(f.evidence.begin(), f.evidence.end(), [&](const facts::EvidenceRef& ev) {
    return std::any_of(changed.begin(), changed.end(), [&](const ChangedValue& c) {
      return text::iequals(c.key_path, ev.key_path) &&
             (c.value_name.empty() || text::iequals(c.value_name, ev.value_name));
    });
  });
}

Level one_up(Level l) {
  return l == Level::kCritical ? l : static_cast<Level>(static_cast<int>(l) + 1);
}

}  // namespace

void raise_priority_for_changed_values(std::vector<Finding>& findings,
                                       const std::vector<ChangedValue>& changed) {
  if (changed.empty()) {
    return;
  }
  for (auto& f : findings) {
    if (f.fact_kind == "registry.replay_change" || !names_changed_value(f, changed)) {
      continue;
    }
    f.severity = one_up(f.severity);
    f.score = std::min(100, f.score + 10);
    f.fields["changed_before_acquisition"] = true;
    f.message += " [changed shortly before acquisition: only the transaction logs hold it]";
  }
  sort_findings(findings);
}

void sort_findings(std::vector<Finding>& findings) {
  // Same order as evaluate(): severity (highest first), rule id, message; stable, so findings
  // equal on those keep the order evaluate() gave them.
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) {
      return a.severity > b.severity;
    }
    if (a.rule_id != b.rule_id) {
      return a.rule_id < b.rule_id;
    }
    return a.message < b.message;
  });
}

}  // namespace smssaudit::rules
