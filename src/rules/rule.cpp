// Condition evaluation and message rendering. Evaluation never throws and never allocates a
// regex when the loader compiled one: rules are compiled once, facts are many.
#include "smssaudit/rules/rule.hpp"

#include "message_template.hpp"
#include "smssaudit/core/text.hpp"

#include <algorithm>
#include <string_view>

namespace smssaudit::rules {
namespace {

using facts::FieldValue;

bool is_missing(const FieldValue* v) noexcept {
  return v == nullptr || std::holds_alternative<std::monostate>(*v);
}

// One side of a string comparison, prepared once per leaf evaluation: normalised when the leaf
// compares Windows paths (normalisation lower-cases, so icase is then moot).
std::string prepare(const std::string& s, bool path) {
  return path ? text::normalize_windows_path(s) : s;
}

bool string_equal(const std::string& a, const std::string& b, const Condition& c) {
  if (c.path) {
    return prepare(a, true) == prepare(b, true);
  }
  return c.icase ? text::iequals(a, b) : a == b;
}

// Values of different alternatives are never equal: the loader types every condition value by
// the schema, so a mismatch means the fact broke the schema, and "not equal" is the safe answer.
bool values_equal(const FieldValue& fact_value, const FieldValue& rule_value, const Condition& c) {
  if (fact_value.index() != rule_value.index()) {
    return false;
  }
  if (const auto* s = std::get_if<std::string>(&fact_value)) {
    return string_equal(*s, std::get<std::string>(rule_value), c);
  }
  return fact_value == rule_value;
}

bool string_op(const std::string& subject, const std::string& operand, const Condition& c) {
  if (c.path) {
    const std::string s = prepare(subject, true);
    const std::string o = prepare(operand, true);
    switch (c.op) {
      case Op::kContains:
        return s.find(o) != std::string::npos;
      case Op::kStartsWith:
        return std::string_view(s).starts_with(o);
      case Op::kEndsWith:
        return std::string_view(s).ends_with(o);
      default:
        return false;
    }
  }
  switch (c.op) {
    case Op::kContains:
      return c.icase ? text::icontains(subject, operand)
                     : subject.find(operand) != std::string::npos;
    case Op::kStartsWith:
      return c.icase ? text::istarts_with(subject, operand)
                     : std::string_view(subject).starts_with(operand);
    case Op::kEndsWith:
      return c.icase ? text::iends_with(subject, operand)
                     : std::string_view(subject).ends_with(operand);
    default:
      return false;
  }
}

bool regex_found(const std::string& subject, const Condition& c) {
  const std::string s = prepare(subject, c.path);
  if (c.regex) {
    return std::regex_search(s, *c.regex);
  }
  // Only a hand-built condition (tests, analyses) arrives without a compiled regex; the loader
  // always compiles. Compile here rather than silently never matching.
  const auto* pattern = c.values.empty() ? nullptr : std::get_if<std::string>(&c.values.front());
  if (pattern == nullptr) {
    return false;
  }
  auto flags = std::regex::ECMAScript;
  if (c.icase) {
    flags |= std::regex::icase;
  }
  return std::regex_search(s, std::regex(*pattern, flags));
}

bool compare_int(std::int64_t a, std::int64_t b, Op op) noexcept {
  switch (op) {
    case Op::kGt:
      return a > b;
    case Op::kLt:
      return a < b;
    case Op::kGe:
      return a >= b;
    case Op::kLe:
      return a <= b;
    default:
      return false;
  }
}

bool evaluate_leaf(const Condition& c, const facts::Fact& fact) {
  const FieldValue* v = fact.get(c.field);
  if (is_missing(v)) {
    // Absence satisfies only the negative operators: "not equal to X" is true of nothing at all,
    // which is what lets a rule say "image is not the allowed one" and still fire when it is gone.
    return c.op == Op::kMissing || c.op == Op::kNe || c.op == Op::kNotIn || c.op == Op::kNotMatches;
  }
  const FieldValue* operand = c.values.empty() ? nullptr : &c.values.front();
  const auto* subject = std::get_if<std::string>(v);
  switch (c.op) {
    case Op::kExists:
      return true;
    case Op::kMissing:
      return false;
    case Op::kEq:
      return operand != nullptr && values_equal(*v, *operand, c);
    case Op::kNe:
      return operand == nullptr || !values_equal(*v, *operand, c);
    case Op::kIn:
      return std::any_of(c.values.begin(), c.values.end(), [&](const FieldValue& x) {
        return values_equal(*v, x, c);
      });
    case Op::kNotIn:
      return std::none_of(c.values.begin(), c.values.end(), [&](const FieldValue& x) {
        return values_equal(*v, x, c);
      });
    case Op::kContains:
    case Op::kStartsWith:
    case Op::kEndsWith: {
      const auto* o = operand == nullptr ? nullptr : std::get_if<std::string>(operand);
      return subject != nullptr && o != nullptr && string_op(*subject, *o, c);
    }
    case Op::kMatches:
      return subject != nullptr && regex_found(*subject, c);
    case Op::kNotMatches:
      return subject == nullptr || !regex_found(*subject, c);
    case Op::kGt:
    case Op::kLt:
    case Op::kGe:
    case Op::kLe: {
      const auto* a = std::get_if<std::int64_t>(v);
      const auto* b = operand == nullptr ? nullptr : std::get_if<std::int64_t>(operand);
      return a != nullptr && b != nullptr && compare_int(*a, *b, c.op);
    }
  }
  return false;
}

}  // namespace

const char* to_string(Level level) noexcept {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kLow:
      return "low";
    case Level::kMedium:
      return "medium";
    case Level::kHigh:
      return "high";
    case Level::kCritical:
      return "critical";
  }
  return "?";
}

bool parse_level(const std::string& text, Level& out) noexcept {
  for (Level l : {Level::kInfo, Level::kLow, Level::kMedium, Level::kHigh, Level::kCritical}) {
    if (text == to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

std::span<const Op> all_ops() noexcept {
  static constexpr Op kOps[] = {Op::kEq,
                                Op::kNe,
                                Op::kIn,
                                Op::kNotIn,
                                Op::kContains,
                                Op::kStartsWith,
                                Op::kEndsWith,
                                Op::kMatches,
                                Op::kNotMatches,
                                Op::kExists,
                                Op::kMissing,
                                Op::kGt,
                                Op::kLt,
                                Op::kGe,
                                Op::kLe};
  return kOps;
}

const char* to_string(Op op) noexcept {
  switch (op) {
    case Op::kEq:
      return "eq";
    case Op::kNe:
      return "ne";
    case Op::kIn:
      return "in";
    case Op::kNotIn:
      return "not_in";
    case Op::kContains:
      return "contains";
    case Op::kStartsWith:
      return "starts_with";
    case Op::kEndsWith:
      return "ends_with";
    case Op::kMatches:
      return "matches";
    case Op::kNotMatches:
      return "not_matches";
    case Op::kExists:
      return "exists";
    case Op::kMissing:
      return "missing";
    case Op::kGt:
      return "gt";
    case Op::kLt:
      return "lt";
    case Op::kGe:
      return "ge";
    case Op::kLe:
      return "le";
  }
  return "?";
}

bool Condition::evaluate(const facts::Fact& fact) const {
  switch (kind) {
    case Kind::kAll:
      return std::all_of(
          children.begin(), children.end(), [&](const Condition& c) { return c.evaluate(fact); });
    case Kind::kAny:
      return std::any_of(
          children.begin(), children.end(), [&](const Condition& c) { return c.evaluate(fact); });
    case Kind::kNot:
      // A malformed `not` (the loader never builds one) fires nothing rather than everything.
      return children.size() == 1 && !children.front().evaluate(fact);
    case Kind::kLeaf:
      return evaluate_leaf(*this, fact);
  }
  return false;
}

std::string Rule::render_message(const facts::Fact& fact) const {
  std::string out;
  out.reserve(message.size());
  for (const detail::TemplatePart& part : detail::split_template(message)) {
    if (!part.placeholder) {
      out += part.text;
      continue;
    }
    const facts::FieldValue* v = fact.get(std::string(part.text));
    if (is_missing(v)) {
      // Left visible rather than blanked: "runs ''" would read as an empty command.
      out += '{';
      out += part.text;
      out += '}';
    } else {
      out += facts::field_to_string(*v);
    }
  }
  return out;
}

}  // namespace smssaudit::rules
