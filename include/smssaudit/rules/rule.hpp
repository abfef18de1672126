// Rules: compiled YAML detections (design.md 3.4, style.md 2.4).
#pragma once

#include "smssaudit/facts/fact.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::rules {

enum class Level { kInfo, kLow, kMedium, kHigh, kCritical };

const char* to_string(Level level) noexcept;

/// "info" | "low" | "medium" | "high" | "critical"; false when unknown.
bool parse_level(const std::string& text, Level& out) noexcept;

/// Condition operators (the language stays small; anything harder belongs in an analysis).
enum class Op {
  kEq,
  kNe,
  kIn,
  kNotIn,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kNotMatches,
  kExists,
  kMissing,
  kGt,
  kLt,
  kGe,
  kLe,
};

const char* to_string(Op op) noexcept;

/// Every operator, in declaration order (the loader's name table and the tests iterate it).
std::span<const Op> all_ops() noexcept;

/// A condition tree: all / any / not over leaf comparisons. String comparisons honour `icase`
/// (default true); `path: true` also normalises Windows paths before comparing.
struct Condition {
  enum class Kind { kAll, kAny, kNot, kLeaf };
  Kind kind = Kind::kLeaf;
  std::vector<Condition> children;  ///< kAll/kAny: any number; kNot: exactly one

  // Leaf only.
  std::string field;
  Op op = Op::kEq;
  std::vector<facts::FieldValue> values;  ///< one value, or several for kIn/kNotIn
  bool icase = true;
  bool path = false;
  std::shared_ptr<const std::regex> regex;  ///< compiled once for kMatches/kNotMatches

  /// Evaluates against a fact. A missing field satisfies only kMissing and kNe/kNotIn/kNotMatches.
  bool evaluate(const facts::Fact& fact) const;
};

/// One `examples` entry: field values as written in YAML, already typed by the schema.
struct Example {
  facts::Fact fact;
  int line = 0;
};

struct Rule {
  std::string id;  ///< stable forever, e.g. "SMSS-001"
  std::string title;
  std::string description;
  Level severity = Level::kInfo;
  int score = 0;  ///< 0..100
  std::vector<std::string> attack;
  std::string applies_to;  ///< fact kind
  Condition when;
  std::string message;  ///< template with {field} placeholders
  std::vector<std::string> references;
  std::vector<Example> match_examples;
  std::vector<Example> no_match_examples;
  std::string source;  ///< file the rule came from
  int line = 0;        ///< line of its `id:`

  bool matches(const facts::Fact& fact) const {
    return fact.kind == applies_to && when.evaluate(fact);
  }

  /// Message with {field} replaced by the fact's values ("{field}" stays when unknown).
  std::string render_message(const facts::Fact& fact) const;
};

}  // namespace smssaudit::rules
