// Condition semantics, one operator at a time, on hand-built conditions and facts
// (src/rules/rule.cpp).
#include "smssaudit/rules/rule.hpp"

#include "support/catch.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using smssaudit::facts::Fact;
using smssaudit::facts::FieldValue;
using smssaudit::rules::Condition;
using smssaudit::rules::Level;
using smssaudit::rules::Op;
using smssaudit::rules::Rule;

Condition leaf(std::string field,
               Op op,
               std::vector<FieldValue> values = {},
               bool icase = true,
               bool path = false) {
  Condition c;
  c.kind = Condition::Kind::kLeaf;
  c.field = std::move(field);
  c.op = op;
  c.values = std::move(values);
  c.icase = icase;
  c.path = path;
  return c;
}

Condition group(Condition::Kind kind, std::vector<Condition> children) {
  Condition c;
  c.kind = kind;
  c.children = std::move(children);
  return c;
}

Fact entry(std::vector<std::pair<std::string, FieldValue>> fields) {
  Fact f;
  f.kind = "registry.execute_entry";
  for (auto& [name, value] : fields) {
    f.set(name, std::move(value));
  }
  return f;
}

FieldValue s(const char* text) {
  return FieldValue{std::string(text)};
}

FieldValue i(std::int64_t value) {
  return FieldValue{value};
}

}  // namespace

TEST_CASE("eq compares strings case-insensitively unless icase is false", "[rules]") {
  const Fact f = entry({{"slot", s("BootExecute")}});
  CHECK(leaf("slot", Op::kEq, {s("bootexecute")}).evaluate(f));
  CHECK_FALSE(leaf("slot", Op::kEq, {s("bootexecute")}, false).evaluate(f));
  CHECK(leaf("slot", Op::kEq, {s("BootExecute")}, false).evaluate(f));
  CHECK_FALSE(leaf("slot", Op::kEq, {s("BootExecuteNoPnpSync")}).evaluate(f));
  CHECK(leaf("slot", Op::kNe, {s("SetupExecute")}).evaluate(f));
  CHECK_FALSE(leaf("slot", Op::kNe, {s("BOOTEXECUTE")}).evaluate(f));
}

TEST_CASE("eq compares bools and integers by value and never across types", "[rules]") {
  const Fact f = entry({{"is_default", FieldValue{false}}, {"index", i(1)}});
  CHECK(leaf("is_default", Op::kEq, {FieldValue{false}}).evaluate(f));
  CHECK_FALSE(leaf("is_default", Op::kEq, {FieldValue{true}}).evaluate(f));
  CHECK(leaf("index", Op::kEq, {i(1)}).evaluate(f));
  // A string "1" is not the integer 1: the schema types both sides, so a mismatch is a bug.
  CHECK_FALSE(leaf("index", Op::kEq, {s("1")}).evaluate(f));
  CHECK(leaf("index", Op::kNe, {s("1")}).evaluate(f));
}

TEST_CASE("a missing field satisfies only missing, ne, not_in and not_matches", "[rules]") {
  const Fact absent = entry({{"slot", s("BootExecute")}});
  const Fact monostate = entry({{"slot", s("BootExecute")}, {"image", FieldValue{}}});
  for (Op op : smssaudit::rules::all_ops()) {
    const bool expected =
        op == Op::kMissing || op == Op::kNe || op == Op::kNotIn || op == Op::kNotMatches;
    Condition c = leaf("image", op, {s("x")});
    if (op == Op::kGt || op == Op::kLt || op == Op::kGe || op == Op::kLe) {
      c = leaf("index", op, {i(0)});
    }
    INFO("op " << smssaudit::rules::to_string(op));
    CHECK(c.evaluate(absent) == expected);
    CHECK(c.evaluate(monostate) == expected);
  }
}

TEST_CASE("exists is true for a present field, even an empty string", "[rules]") {
  const Fact f = entry({{"image", s("")}});
  CHECK(leaf("image", Op::kExists).evaluate(f));
  CHECK_FALSE(leaf("image", Op::kMissing).evaluate(f));
}

TEST_CASE("in and not_in test membership of the value list", "[rules]") {
  const Fact f = entry({{"slot", s("SetupExecute")}});
  CHECK(leaf("slot", Op::kIn, {s("BootExecute"), s("setupexecute")}).evaluate(f));
  CHECK_FALSE(leaf("slot", Op::kIn, {s("BootExecute"), s("setupexecute")}, false).evaluate(f));
  CHECK_FALSE(leaf("slot", Op::kNotIn, {s("BootExecute"), s("SETUPEXECUTE")}).evaluate(f));
  CHECK(leaf("slot", Op::kNotIn, {s("BootExecute"), s("PlatformExecute")}).evaluate(f));
}

TEST_CASE("contains, starts_with and ends_with honour icase", "[rules]") {
  const Fact f = entry({{"command", s("autocheck AUTOCHK *")}});
  CHECK(leaf("command", Op::kContains, {s("autochk")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kContains, {s("autochk")}, false).evaluate(f));
  CHECK(leaf("command", Op::kStartsWith, {s("AUTOCHECK")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kStartsWith, {s("AUTOCHECK")}, false).evaluate(f));
  CHECK(leaf("command", Op::kEndsWith, {s("chk *")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kEndsWith, {s("chk *")}, false).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kStartsWith, {s("autochk")}).evaluate(f));
}

TEST_CASE("string operators never match a non-string value", "[rules]") {
  const Fact f = entry({{"index", i(12)}});
  CHECK_FALSE(leaf("index", Op::kContains, {s("1")}).evaluate(f));
  CHECK_FALSE(leaf("index", Op::kMatches, {s("1")}).evaluate(f));
  CHECK(leaf("index", Op::kNotMatches, {s("1")}).evaluate(f));
}

TEST_CASE("path comparison normalises separators, case and SystemRoot on both sides", "[rules]") {
  const Fact f = entry({{"image", s("C:/WINDOWS//System32\\evil.exe")}});
  CHECK(leaf("image", Op::kEq, {s("%SystemRoot%\\system32\\EVIL.exe")}, true, true).evaluate(f));
  CHECK_FALSE(leaf("image", Op::kEq, {s("%SystemRoot%\\system32\\EVIL.exe")}).evaluate(f));
  CHECK(leaf("image", Op::kStartsWith, {s("\\SystemRoot\\System32\\")}, true, true).evaluate(f));
  CHECK(leaf("image", Op::kContains, {s("windows\\system32")}, false, true).evaluate(f));
  CHECK(leaf("image", Op::kIn, {s("x"), s("%windir%/system32/evil.exe")}, true, true).evaluate(f));
  // The regex sees the normalised subject: lower case, backslashes, no doubled separators.
  CHECK(
      leaf("image", Op::kMatches, {s("^c:\\\\windows\\\\system32\\\\")}, false, true).evaluate(f));
}

TEST_CASE("matches searches anywhere unless the pattern is anchored", "[rules]") {
  const Fact f = entry({{"command", s("autocheck autochk * evil")}});
  CHECK(leaf("command", Op::kMatches, {s("autochk")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kMatches, {s("^autochk")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kMatches, {s("^autocheck autochk \\*$")}).evaluate(f));
  CHECK(leaf("command", Op::kNotMatches, {s("^autocheck autochk \\*$")}).evaluate(f));
  CHECK(leaf("command", Op::kMatches, {s("EVIL$")}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kMatches, {s("EVIL$")}, false).evaluate(f));
}

TEST_CASE("a compiled regex is used in preference to the value text", "[rules]") {
  // The loader compiles once; evaluation must use that object, not recompile the value.
  Condition c = leaf("command", Op::kMatches, {s("never")});
  c.regex = std::make_shared<const std::regex>("evil");
  CHECK(c.evaluate(entry({{"command", s("so evil")}})));
}

TEST_CASE("gt, lt, ge and le compare integers only", "[rules]") {
  const Fact f = entry({{"index", i(3)}, {"command", s("3")}});
  CHECK(leaf("index", Op::kGt, {i(2)}).evaluate(f));
  CHECK_FALSE(leaf("index", Op::kGt, {i(3)}).evaluate(f));
  CHECK(leaf("index", Op::kGe, {i(3)}).evaluate(f));
  CHECK(leaf("index", Op::kLt, {i(4)}).evaluate(f));
  CHECK_FALSE(leaf("index", Op::kLt, {i(3)}).evaluate(f));
  CHECK(leaf("index", Op::kLe, {i(3)}).evaluate(f));
  CHECK(leaf("index", Op::kGt, {i(-5)}).evaluate(f));
  CHECK_FALSE(leaf("command", Op::kGt, {i(1)}).evaluate(f));
}

TEST_CASE("all, any and not combine their children", "[rules]") {
  const Fact f = entry({{"slot", s("BootExecute")}, {"allowed", FieldValue{false}}});
  const Condition yes = leaf("slot", Op::kEq, {s("BootExecute")});
  const Condition no = leaf("allowed", Op::kEq, {FieldValue{true}});
  using K = Condition::Kind;
  CHECK(group(K::kAll, {yes, yes}).evaluate(f));
  CHECK_FALSE(group(K::kAll, {yes, no}).evaluate(f));
  CHECK(group(K::kAny, {no, yes}).evaluate(f));
  CHECK_FALSE(group(K::kAny, {no, no}).evaluate(f));
  CHECK(group(K::kNot, {no}).evaluate(f));
  CHECK_FALSE(group(K::kNot, {yes}).evaluate(f));
  CHECK(group(K::kAll, {yes, group(K::kAny, {no, group(K::kNot, {no})})}).evaluate(f));
  // A malformed not (never built by the loader) fires nothing.
  CHECK_FALSE(group(K::kNot, {}).evaluate(f));
}

TEST_CASE("a rule matches only facts of the kind it applies to", "[rules]") {
  Rule r;
  r.applies_to = "registry.execute_entry";
  r.when = leaf("slot", Op::kExists);
  Fact f = entry({{"slot", s("BootExecute")}});
  CHECK(r.matches(f));
  f.kind = "registry.execute_slot";
  CHECK_FALSE(r.matches(f));
}

TEST_CASE("render_message fills placeholders and leaves unknown ones visible", "[rules]") {
  Rule r;
  r.message = "{slot} in {control_set} runs '{command}' #{index} default={is_default} {x y} {} {";
  const Fact f = entry({{"slot", s("BootExecute")},
                        {"command", s("evil {image}")},
                        {"index", i(2)},
                        {"is_default", FieldValue{false}}});
  CHECK(r.render_message(f) ==
        "BootExecute in {control_set} runs 'evil {image}' #2 default=false {x y} {} {");
}

TEST_CASE("levels and operators have stable names", "[rules]") {
  Level l = Level::kInfo;
  for (Level want : {Level::kInfo, Level::kLow, Level::kMedium, Level::kHigh, Level::kCritical}) {
    REQUIRE(smssaudit::rules::parse_level(smssaudit::rules::to_string(want), l));
    CHECK(l == want);
  }
  CHECK(std::string(smssaudit::rules::to_string(Level::kCritical)) == "critical");
  CHECK_FALSE(smssaudit::rules::parse_level("High", l));
  CHECK_FALSE(smssaudit::rules::parse_level("severe", l));
  CHECK(std::string(smssaudit::rules::to_string(Op::kNotIn)) == "not_in");
  CHECK(std::string(smssaudit::rules::to_string(Op::kStartsWith)) == "starts_with");
  CHECK(std::string(smssaudit::rules::to_string(Op::kLe)) == "le");
}

TEST_CASE("all_ops lists every operator once, in declaration order", "[rules]") {
  const auto ops = smssaudit::rules::all_ops();
  REQUIRE(ops.size() == static_cast<std::size_t>(Op::kLe) + 1);
  std::set<std::string> names;
  for (std::size_t n = 0; n < ops.size(); ++n) {
    CHECK(static_cast<std::size_t>(ops[n]) == n);
    names.insert(smssaudit::rules::to_string(ops[n]));
  }
  CHECK(names.size() == ops.size());
}
