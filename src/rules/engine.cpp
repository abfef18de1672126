// Engine: rules judge facts; the verdict sums the judgement. Output order is fully determined by
// the data (never by input order or pointer values) so reports diff cleanly between runs.
#include "smssaudit/rules/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

namespace smssaudit::rules {
namespace {

// Evidence key paths, the last visible sort key (two findings of one rule with the same
// message, e.g. the same entry in two control sets, then sort by where they were found).
std::vector<std::string> key_paths(const Finding& f) {
  std::vector<std::string> out;
  out.reserve(f.evidence.size());
  for (const facts::EvidenceRef& e : f.evidence) {
    out.push_back(e.key_path);
  }
  return out;
}

}  // namespace

Evaluator::Evaluator(const std::vector<Rule>& rules, std::string confidence)
    : rules_(rules), confidence_(std::move(confidence)) {}

void Evaluator::add(const std::vector<facts::Fact>& facts) {
  std::vector<std::optional<std::string>> identities(facts.size());
  for (const Rule& rule : rules_) {
    for (std::size_t i = 0; i < facts.size(); ++i) {
      const facts::Fact& fact = facts[i];
      if (!rule.matches(fact)) {
        continue;
      }
      if (!identities[i]) {
        identities[i] = fact.identity();  // only for matched facts: most facts match nothing
      }
      // The first fact of an identity wins, as in one pass over all batches: earlier batches
      // came first.
      if (!seen_.emplace(rule.id, *identities[i]).second) {
        continue;
      }
      Finding f;
      f.rule_id = rule.id;
      f.title = rule.title;
      f.severity = rule.severity;
      f.score = rule.score;
      f.confidence = confidence_;
      f.attack = rule.attack;
      f.message = rule.render_message(fact);
      f.evidence = fact.evidence;
      f.fields = fact.fields;
      f.fact_kind = fact.kind;
      std::vector<std::string> paths = key_paths(f);
      out_.push_back(Keyed{std::move(f), std::move(paths), *identities[i]});
    }
  }
}

std::vector<Finding> Evaluator::finish() {
  // The key is total: two findings equal on it have one rule and one fact identity, and only
  // the first of those was kept. So the order does not depend on how facts were batched.
  std::sort(out_.begin(), out_.end(), [](const Keyed& a, const Keyed& b) {
    const Finding& x = a.finding;
    const Finding& y = b.finding;
    if (x.severity != y.severity) {
      return x.severity > y.severity;
    }
    return std::tie(x.rule_id, x.message, a.paths, a.identity) <
           std::tie(y.rule_id, y.message, b.paths, b.identity);
  });
  std::vector<Finding> findings;
  findings.reserve(out_.size());
  for (Keyed& k : out_) {
    findings.push_back(std::move(k.finding));
  }
  out_.clear();
  seen_.clear();
  return findings;
}

std::vector<Finding> evaluate(const std::vector<Rule>& rules,
                              const std::vector<facts::Fact>& facts,
                              const std::string& confidence) {
  Evaluator e(rules, confidence);
  e.add(facts);
  return e.finish();
}

Verdict compute_verdict(const std::vector<Finding>& findings,
                        const std::vector<facts::CoverageGap>& gaps,
                        const VerdictConfig& config) {
  // A rule that fires on ten entries is still one piece of evidence: count each rule once, at
  // its strongest finding (style.md 2.4).
  std::map<std::string, int> best;
  Level worst = Level::kInfo;
  for (const Finding& f : findings) {
    int& score = best[f.rule_id];
    score = std::max(score, f.score);
    worst = std::max(worst, f.severity);
  }
  long long total = 0;
  for (const auto& [id, score] : best) {
    total += score;
  }
  Verdict v;
  v.score = static_cast<int>(std::min<long long>(total, 100));

  const bool any = !findings.empty();
  if (v.score >= config.malicious_score || (any && worst >= config.malicious_severity)) {
    v.level = "malicious";
  } else if (v.score >= config.suspicious_score || (any && worst >= config.suspicious_severity)) {
    v.level = "suspicious";
  } else {
    v.level = "clean";
  }

  if (v.level == "clean") {
    v.reasons.push_back(fmt::format("no finding at or above {} and score {} below {}",
                                    to_string(config.suspicious_severity),
                                    v.score,
                                    config.suspicious_score));
  } else {
    std::vector<const Finding*> top;
    top.reserve(findings.size());
    for (const Finding& f : findings) {
      top.push_back(&f);
    }
    // Strongest first; rule id and message make the order total for equal strength.
    std::sort(top.begin(), top.end(), [](const Finding* a, const Finding* b) {
      return std::tie(b->severity, b->score, a->rule_id, a->message) <
             std::tie(a->severity, a->score, b->rule_id, b->message);
    });
    const std::size_t n = std::min<std::size_t>(top.size(), 5);
    for (std::size_t i = 0; i < n; ++i) {
      const Finding& f = *top[i];
      v.reasons.push_back(
          fmt::format("{} ({}, {}): {}", f.rule_id, to_string(f.severity), f.score, f.message));
    }
  }
  // Absence of evidence never reads as "clean" (design.md 3.4).
  if (v.level == "clean" && !gaps.empty()) {
    v.level = "inconclusive";
  }
  for (const facts::CoverageGap& gap : gaps) {
    v.reasons.push_back(fmt::format("coverage: {}", gap.message));
  }
  return v;
}

}  // namespace smssaudit::rules
