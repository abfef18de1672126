// Rule files: YAML to a compiled Rule, checked against the fact schema (style.md 2.4). Every
// check reports and carries on, so one pass over a rule names all of its problems.
#include "message_template.hpp"
#include "parsers.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace smssaudit::rules::detail {
namespace {

std::optional<Op> parse_op(std::string_view name) {
  for (Op op : all_ops()) {
    if (name == to_string(op)) {
      return op;
    }
  }
  return std::nullopt;
}

std::string op_names() {
  std::string out;
  for (Op op : all_ops()) {
    out += out.empty() ? "" : ", ";
    out += to_string(op);
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ^[A-Z]+-[0-9]{3}$ without a regex: the id is also a file-name prefix, so no lower case.
bool valid_rule_id(std::string_view id) {
  const std::size_t dash = id.find('-');
  if (dash == 0 || dash == std::string_view::npos) {
    return false;
  }
  const std::string_view prefix = id.substr(0, dash);
  const std::string_view number = id.substr(dash + 1);
  return std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) &&
         number.size() == 3 && all_digits(number);
}

// ^T[0-9]{4}(\.[0-9]{3})?$ (technique or sub-technique).
bool valid_attack_id(std::string_view id) {
  if (id.size() != 5 && id.size() != 9) {
    return false;
  }
  if (id.front() != 'T' || !all_digits(id.substr(1, 4))) {
    return false;
  }
  return id.size() == 5 || (id[5] == '.' && all_digits(id.substr(6)));
}

enum class OpClass { kAny, kString, kInt };

OpClass op_class(Op op) {
  switch (op) {
    case Op::kContains:
    case Op::kStartsWith:
    case Op::kEndsWith:
    case Op::kMatches:
    case Op::kNotMatches:
      return OpClass::kString;
    case Op::kGt:
    case Op::kLt:
    case Op::kGe:
    case Op::kLe:
      return OpClass::kInt;
    default:
      return OpClass::kAny;
  }
}

std::string known_kinds() {
  std::string out;
  for (const facts::KindSpec& k : facts::schema()) {
    out += out.empty() ? "" : ", ";
    out += k.kind;
  }
  return out;
}

// Parses a condition tree for one fact kind. `kind` is null when applies_to was bad: the tree is
// then still checked for structure, ops and regexes, but not for fields (that would only repeat
// the applies_to error once per leaf).
class ConditionParser {
 public:
  ConditionParser(const facts::KindSpec* kind, std::string kind_name, Problems& p)
      : kind_(kind), kind_name_(std::move(kind_name)), p_(p) {}

  Condition parse(const YAML::Node& node) {
    Condition c;
    if (!node.IsMap()) {
      p_.at(node, "a condition must be a mapping: all, any, not or a {field, op, value} leaf");
      return c;
    }
    std::size_t keys = 0;
    std::optional<std::string> combinator;
    for (const auto& kv : node) {
      ++keys;
      if (kv.first.IsScalar()) {
        const std::string k = kv.first.Scalar();
        if (k == "all" || k == "any" || k == "not") {
          combinator = k;
        }
      }
    }
    if (!combinator) {
      return parse_leaf(node);
    }
    if (keys != 1) {
      p_.at(node,
            fmt::format("a condition holds exactly one of all, any, not or a leaf; this one "
                        "mixes '{}' with {} other key(s)",
                        *combinator,
                        keys - 1));
    }
    MapReader m(node, "condition", {"all", "any", "not"}, p_);
    const YAML::Node* body = m.get(*combinator);
    if (body == nullptr) {
      return c;  // duplicate or malformed key, already reported
    }
    if (*combinator == "not") {
      c.kind = Condition::Kind::kNot;
      c.children.push_back(parse(*body));
      return c;
    }
    c.kind = *combinator == "all" ? Condition::Kind::kAll : Condition::Kind::kAny;
    if (!body->IsSequence()) {
      p_.at(*body, fmt::format("'{}' must be a list of conditions", *combinator));
      return c;
    }
    if (body->size() == 0) {
      // An empty all: is vacuously true and would fire on every fact of the kind.
      p_.at(*body, fmt::format("'{}' needs at least one condition", *combinator));
    }
    for (const YAML::Node& child : *body) {
      c.children.push_back(parse(child));
    }
    return c;
  }

 private:
  Condition parse_leaf(const YAML::Node& node) {
    Condition c;
    c.kind = Condition::Kind::kLeaf;
    MapReader m(node, "condition", {"field", "op", "value", "values", "icase", "path"}, p_);
    if (!m.is_map()) {
      return c;
    }
    const facts::FieldSpec* spec = read_field(c, m);
    const std::optional<Op> op = read_op(m);
    read_flags(c, spec, m);
    if (!op) {
      return c;
    }
    c.op = *op;
    check_op_type(c, spec, m);
    read_operands(c, spec, m);
    return c;
  }

  // Sets c.field and returns its schema entry, so the op and operands can be typed against it;
  // null when the field is missing, unknown or cannot be looked up (bad applies_to).
  const facts::FieldSpec* read_field(Condition& c, const MapReader& m) {
    const YAML::Node* n = m.require("field");
    if (n == nullptr) {
      return nullptr;
    }
    auto name = read_string(*n, "field", p_);
    if (!name) {
      return nullptr;
    }
    c.field = *name;
    if (kind_ == nullptr) {
      return nullptr;
    }
    const facts::FieldSpec* spec = kind_->field(*name);
    if (spec == nullptr) {
      p_.at(*n, fmt::format("unknown field '{}' for kind '{}'", *name, kind_name_));
    }
    return spec;
  }

  // The leaf's op, or nullopt when missing or unknown (reported): operands mean nothing without it.
  std::optional<Op> read_op(const MapReader& m) {
    const YAML::Node* n = m.require("op");
    if (n == nullptr) {
      return std::nullopt;
    }
    auto name = read_string(*n, "op", p_);
    if (!name) {
      return std::nullopt;
    }
    std::optional<Op> op = parse_op(*name);
    if (!op) {
      p_.at(*n, fmt::format("unknown op '{}' (known: {})", *name, op_names()));
    }
    return op;
  }

  // icase: and path: change how strings compare, so they are refused on non-string fields.
  void read_flags(Condition& c, const facts::FieldSpec* spec, const MapReader& m) {
    const bool string_field = spec != nullptr && spec->type == facts::FieldType::kString;
    for (std::string_view flag : {"icase", "path"}) {
      const YAML::Node* n = m.get(flag);
      if (n == nullptr) {
        continue;
      }
      auto b = read_bool(*n, flag, p_);
      if (b) {
        (flag == "icase" ? c.icase : c.path) = *b;
      }
      if (spec != nullptr && !string_field) {
        p_.at(*n,
              fmt::format("'{}' applies to string fields only; '{}' is {}",
                          flag,
                          c.field,
                          facts::to_string(spec->type)));
      }
    }
  }

  void check_op_type(const Condition& c, const facts::FieldSpec* spec, const MapReader& m) {
    const OpClass cls = op_class(c.op);
    if (spec == nullptr || cls == OpClass::kAny) {
      return;
    }
    const facts::FieldType want =
        cls == OpClass::kInt ? facts::FieldType::kInt : facts::FieldType::kString;
    if (spec->type != want) {
      p_.at_line(m.key_line("op"),
                 fmt::format("op '{}' needs a field of type {}; '{}' is {}",
                             to_string(c.op),
                             facts::to_string(want),
                             c.field,
                             facts::to_string(spec->type)));
    }
  }

  void read_operands(Condition& c, const facts::FieldSpec* spec, const MapReader& m) {
    if (c.op == Op::kExists || c.op == Op::kMissing) {
      check_no_operand(c, m);
    } else if (c.op == Op::kIn || c.op == Op::kNotIn) {
      read_list_operand(c, spec, m);
    } else {
      read_single_operand(c, spec, m);
    }
  }

  // exists / missing test presence only, so any operand given is a mistake in the rule.
  void check_no_operand(const Condition& c, const MapReader& m) {
    const bool has_value = m.has("value");
    if (has_value || m.has("values")) {
      p_.at_line(m.key_line(has_value ? "value" : "values"),
                 fmt::format("op '{}' takes no value", to_string(c.op)));
    }
  }

  // in / not_in compare against a set: 'values:' must be a non-empty list, each item typed.
  void read_list_operand(Condition& c, const facts::FieldSpec* spec, const MapReader& m) {
    const YAML::Node* values = m.get("values");
    const char* op_name = to_string(c.op);
    if (m.has("value")) {
      p_.at_line(m.key_line("value"),
                 fmt::format("op '{}' takes 'values:' (a list), not 'value:'", op_name));
    }
    if (values == nullptr) {
      p_.at_line(m.line(), fmt::format("op '{}' needs 'values:' (a list)", op_name));
      return;
    }
    if (!values->IsSequence() || values->size() == 0) {
      p_.at(*values, fmt::format("'values' of op '{}' must be a non-empty list", op_name));
      return;
    }
    for (const YAML::Node& item : *values) {
      if (auto v = read_value(item, spec)) {
        c.values.push_back(std::move(*v));
      }
    }
  }

  // Every other op takes exactly one 'value:'; a regex operand is compiled now so a bad pattern
  // fails the load instead of never matching.
  void read_single_operand(Condition& c, const facts::FieldSpec* spec, const MapReader& m) {
    const YAML::Node* value = m.get("value");
    const char* op_name = to_string(c.op);
    if (m.has("values")) {
      p_.at_line(m.key_line("values"),
                 fmt::format("op '{}' takes one 'value:', not 'values:'", op_name));
    }
    if (value == nullptr) {
      p_.at_line(m.line(), fmt::format("op '{}' needs 'value:'", op_name));
      return;
    }
    auto v = read_value(*value, spec);
    if (!v) {
      return;
    }
    if (c.op == Op::kMatches || c.op == Op::kNotMatches) {
      if (const auto* pattern = std::get_if<std::string>(&*v)) {
        c.regex = compile_regex(*pattern, c.icase, *value, fmt::format("field '{}'", c.field), p_);
      }
    }
    c.values.push_back(std::move(*v));
  }

  // Typed by the schema; without a known field any scalar is kept as text so the rest of the
  // leaf (regexes above all) is still checked.
  std::optional<facts::FieldValue> read_value(const YAML::Node& node,
                                              const facts::FieldSpec* spec) {
    if (spec == nullptr) {
      if (auto s = read_string(node, "value", p_)) {
        return facts::FieldValue{std::move(*s)};
      }
      return std::nullopt;
    }
    return read_typed(node, spec->type, spec->name, p_);
  }

  const facts::KindSpec* kind_;
  std::string kind_name_;
  Problems& p_;
};

std::vector<Example> parse_examples(const YAML::Node& list,
                                    std::string_view which,
                                    const facts::KindSpec* kind,
                                    const std::string& kind_name,
                                    Problems& p) {
  std::vector<Example> out;
  if (!list.IsSequence()) {
    p.at(list, fmt::format("'{}' examples must be a list of mappings", which));
    return out;
  }
  for (const YAML::Node& item : list) {
    Example ex;
    ex.line = line_of(item);
    ex.fact.kind = kind_name;
    MapReader m = MapReader::any_keys(item, fmt::format("{} example", which), p);
    for (const MapReader::Entry& e : m.entries()) {
      if (kind == nullptr) {
        continue;  // applies_to already reported; fields cannot be typed
      }
      const facts::FieldSpec* spec = kind->field(e.key);
      if (spec == nullptr) {
        p.at(e.key_node,
             fmt::format(
                 "{} example field '{}' is not a field of kind '{}'", which, e.key, kind_name));
        continue;
      }
      if (auto v = read_typed(e.value, spec->type, e.key, p)) {
        ex.fact.set(e.key, std::move(*v));
      }
    }
    out.push_back(std::move(ex));
  }
  return out;
}

// id, title, message and description: what names the rule and what a finding says.
void read_identity(const MapReader& m, Rule& rule, Problems& p) {
  if (const YAML::Node* n = m.require("id")) {
    if (auto id = read_string(*n, "id", p)) {
      rule.id = *id;
      if (!valid_rule_id(*id)) {
        p.at(*n,
             fmt::format("bad rule id '{}': expected upper-case letters, '-', three digits "
                         "(e.g. SMSS-001)",
                         *id));
      }
    }
  }
  for (auto [key, target] :
       {std::pair{"title", &rule.title}, std::pair{"message", &rule.message}}) {
    if (const YAML::Node* n = m.require(key)) {
      if (auto s = read_string(*n, key, p)) {
        *target = *s;
        if (s->empty()) {
          p.at(*n, fmt::format("'{}' must not be empty", key));
        }
      }
    }
  }
  if (const YAML::Node* n = m.get("description")) {
    rule.description = read_string(*n, "description", p).value_or("");
  }
}

// severity and score: what a finding weighs in the verdict, so both are range-checked.
void read_weight(const MapReader& m, Rule& rule, Problems& p) {
  if (const YAML::Node* n = m.require("severity")) {
    if (auto s = read_string(*n, "severity", p); s && !parse_level(*s, rule.severity)) {
      p.at(*n, fmt::format("bad severity '{}' (expected info, low, medium, high or critical)", *s));
    }
  }
  if (const YAML::Node* n = m.require("score")) {
    if (auto s = read_int(*n, "score", p)) {
      if (*s < 0 || *s > 100) {
        p.at(*n, fmt::format("score {} out of range 0..100", *s));
      } else {
        rule.score = static_cast<int>(*s);
      }
    }
  }
}

// attack and references: pointers for the reader; technique ids are checked for shape.
void read_links(const MapReader& m, Rule& rule, Problems& p) {
  if (const YAML::Node* n = m.require("attack")) {
    if (auto ids = read_string_list(*n, "attack", p)) {
      for (const std::string& id : *ids) {
        if (!valid_attack_id(id)) {
          p.at(*n, fmt::format("bad ATT&CK technique id '{}' (expected T1234 or T1234.001)", id));
        }
      }
      rule.attack = std::move(*ids);
    }
  }
  if (const YAML::Node* n = m.get("references")) {
    rule.references = read_string_list(*n, "references", p).value_or(std::vector<std::string>{});
  }
}

// Sets rule.applies_to and returns its schema kind (null when missing or unknown), which types
// the condition, the message placeholders and the examples.
const facts::KindSpec* read_applies_to(const MapReader& m, Rule& rule, Problems& p) {
  const YAML::Node* n = m.require("applies_to");
  if (n == nullptr) {
    return nullptr;
  }
  auto k = read_string(*n, "applies_to", p);
  if (!k) {
    return nullptr;
  }
  rule.applies_to = *k;
  const facts::KindSpec* kind = facts::find_kind(*k);
  if (kind == nullptr) {
    p.at(*n, fmt::format("unknown applies_to kind '{}' (known: {})", *k, known_kinds()));
  }
  return kind;
}

// A placeholder naming no field of the kind would render literally in every finding.
void check_placeholders(const MapReader& m,
                        const Rule& rule,
                        const facts::KindSpec* kind,
                        Problems& p) {
  if (kind == nullptr || !m.has("message")) {
    return;
  }
  for (const TemplatePart& part : split_template(rule.message)) {
    if (part.placeholder && kind->field(part.text) == nullptr) {
      p.at(*m.get("message"),
           fmt::format("message placeholder '{{{}}}' is not a field of kind '{}'",
                       part.text,
                       rule.applies_to));
    }
  }
}

// examples: {match, no_match}, the facts the rule must and must not fire on.
void read_examples(const MapReader& m, Rule& rule, const facts::KindSpec* kind, Problems& p) {
  const YAML::Node* n = m.require("examples");
  if (n == nullptr) {
    return;
  }
  MapReader ex(*n, "examples", {"match", "no_match"}, p);
  if (!ex.is_map()) {
    return;
  }
  for (auto [which, target] :
       {std::pair{"match", &rule.match_examples}, std::pair{"no_match", &rule.no_match_examples}}) {
    const YAML::Node* list = ex.get(which);
    if (list != nullptr) {
      *target = parse_examples(*list, which, kind, rule.applies_to, p);
    }
    // Examples are the rule's unit test: a rule that cannot show both sides is untested. (A
    // list that is not a list was already reported by parse_examples.)
    if (target->empty() && (list == nullptr || list->IsSequence())) {
      p.at_line(ex.key_line(which), fmt::format("rule needs at least one '{}' example", which));
    }
  }
}

}  // namespace

std::optional<Rule> parse_rule(const YAML::Node& root, Problems& p) {
  const std::size_t before = p.count();
  MapReader m(root,
              "rule",
              {"id",
               "title",
               "description",
               "severity",
               "score",
               "attack",
               "applies_to",
               "when",
               "message",
               "references",
               "examples"},
              p);
  if (!m.is_map()) {
    return std::nullopt;
  }
  Rule rule;
  rule.source = p.path();
  rule.line = m.key_line("id");
  // Keys are read in a fixed order so that problems are always listed the same way.
  read_identity(m, rule, p);
  read_weight(m, rule, p);
  read_links(m, rule, p);
  const facts::KindSpec* kind = read_applies_to(m, rule, p);
  if (const YAML::Node* n = m.require("when")) {
    rule.when = ConditionParser(kind, rule.applies_to, p).parse(*n);
  }
  check_placeholders(m, rule, kind, p);
  read_examples(m, rule, kind, p);
  if (p.count() != before) {
    return std::nullopt;
  }
  return rule;
}

}  // namespace smssaudit::rules::detail
