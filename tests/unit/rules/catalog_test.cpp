// The strict catalogue loader (src/rules/catalog.cpp and its parsers): every error collected with
// file:line, overlays, thresholds, site baselines, examples and the rule-set hash.
#include "smssaudit/rules/catalog.hpp"

#include "smssaudit/core/error.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using smssaudit::rules::CatalogLoad;
using smssaudit::rules::Condition;
using smssaudit::rules::Level;
using smssaudit::rules::SourceFile;
using smssaudit::testing::source_path;

SourceFile fixture(const std::string& rel) {
  const std::string path = source_path("fixtures/rules/" + rel);
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return SourceFile{path, text.str()};
}

std::vector<SourceFile> fixture_dir(const std::string& rel) {
  return smssaudit::rules::read_sources(source_path("fixtures/rules/" + rel));
}

CatalogLoad load(std::vector<SourceFile> base, std::vector<SourceFile> overlay = {}) {
  return smssaudit::rules::load_catalog(base, overlay);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string all_errors(const CatalogLoad& l) {
  std::string out;
  for (const std::string& e : l.errors) {
    out += e + "\n";
  }
  return out;
}

// The smallest valid rule, with one line replaceable so a test can break exactly one thing.
std::string rule_text(const std::string& when = "when: {field: slot, op: eq, value: BootExecute}",
                      const std::string& id = "TEST-200") {
  return "id: " + id +
         "\n"
         "title: inline rule\n"
         "severity: medium\n"
         "score: 10\n"
         "attack: []\n"
         "applies_to: registry.execute_entry\n" +
         when +
         "\n"
         "message: \"{slot} runs '{command}'\"\n"
         "examples:\n"
         "  match: [{slot: BootExecute, command: evil}]\n"
         "  no_match: [{slot: SetupExecute, command: evil}]\n";
}

}  // namespace

TEST_CASE("each invalid rule fixture is rejected with its file, line and reason", "[rules]") {
  struct Case {
    std::vector<std::string> files;
    std::string reported_file;
    int line;
    std::string reason;
  };

  const std::vector<Case> cases = {
      {{"invalid/unknown_key.yaml"}, "invalid/unknown_key.yaml", 4, "unknown key 'author' in rule"},
      {{"invalid/duplicate_id_a.yaml", "invalid/duplicate_id_b.yaml"},
       "invalid/duplicate_id_b.yaml",
       2,
       "duplicate rule id 'TEST-102' (also defined at " +
           source_path("fixtures/rules/invalid/duplicate_id_a.yaml") + ":2)"},
      {{"invalid/bad_regex.yaml"},
       "invalid/bad_regex.yaml",
       10,
       "bad regex in field 'command' 'autochk[ *'"},
      {{"invalid/unknown_field.yaml"},
       "invalid/unknown_field.yaml",
       10,
       "unknown field 'commandline' for kind 'registry.execute_entry'"},
      {{"invalid/unknown_kind.yaml"},
       "invalid/unknown_kind.yaml",
       7,
       "unknown applies_to kind 'registry.bootexecute'"},
      {{"invalid/bad_severity.yaml"}, "invalid/bad_severity.yaml", 4, "bad severity 'severe'"},
      {{"invalid/missing_examples.yaml"},
       "invalid/missing_examples.yaml",
       11,
       "rule needs at least one 'no_match' example"},
      {{"invalid/bad_example_field.yaml"},
       "invalid/bad_example_field.yaml",
       12,
       "no_match example field 'commandline' is not a field of kind 'registry.execute_entry'"},
      {{"invalid/bad_placeholder.yaml"},
       "invalid/bad_placeholder.yaml",
       9,
       "message placeholder '{cmd}' is not a field of kind 'registry.execute_entry'"},
      {{"invalid/syntax_error.yaml"}, "invalid/syntax_error.yaml", 5, "YAML syntax error"},
  };
  for (const Case& c : cases) {
    std::vector<SourceFile> files;
    for (const std::string& f : c.files) {
      files.push_back(fixture(f));
    }
    const CatalogLoad l = load(files);
    INFO(c.reported_file << "\n" << all_errors(l));
    REQUIRE(l.errors.size() == 1);
    const std::string prefix =
        source_path("fixtures/rules/" + c.reported_file) + ":" + std::to_string(c.line) + ": ";
    CHECK(l.errors[0].rfind(prefix, 0) == 0);
    CHECK(contains(l.errors[0], c.reason));
  }
}

TEST_CASE("a bad regex error carries std::regex's own explanation", "[rules]") {
  const CatalogLoad l = load({fixture("invalid/bad_regex.yaml")});
  REQUIRE(l.errors.size() == 1);
  INFO(l.errors[0]);
  std::string expected;
  try {
    std::regex re("autochk[ *", std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    expected = e.what();
  }
  REQUIRE_FALSE(expected.empty());
  CHECK(contains(l.errors[0], "'autochk[ *': " + expected));
}

TEST_CASE("loading the invalid folder reports every error in one pass", "[rules]") {
  const CatalogLoad l = load(fixture_dir("invalid"));
  INFO(all_errors(l));
  // 11 files, one mistake each, except the duplicate-id pair which shares one error.
  CHECK(l.errors.size() == 10);
  CHECK_FALSE(l.ok());
  for (const char* name : {"unknown_key",
                           "duplicate_id_b",
                           "bad_regex",
                           "unknown_field",
                           "unknown_kind",
                           "bad_severity",
                           "missing_examples",
                           "bad_example_field",
                           "bad_placeholder",
                           "syntax_error"}) {
    const std::string file = std::string(name) + ".yaml:";
    CHECK(std::any_of(
        l.errors.begin(), l.errors.end(), [&](const std::string& e) { return contains(e, file); }));
  }
  // Only the one rule with nothing wrong in it survives; a broken rule never reaches the engine.
  REQUIRE(l.catalog.rules.size() == 1);
  CHECK(l.catalog.rules[0].id == "TEST-102");
  CHECK(contains(l.catalog.rules[0].source, "duplicate_id_a.yaml"));
}

TEST_CASE("the valid fixtures load cleanly and keep every rule field", "[rules]") {
  const CatalogLoad l = load(fixture_dir("valid"));
  INFO(all_errors(l));
  REQUIRE(l.ok());
  const auto& rules = l.catalog.rules;
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].id == "TEST-001");
  CHECK(rules[1].id == "TEST-002");
  CHECK(rules[2].id == "TEST-003");

  const auto* r = l.catalog.find_rule("TEST-001");
  REQUIRE(r != nullptr);
  CHECK(r->title == "BootExecute entry that is not the default autochk");
  CHECK(contains(r->description, "Test rule for the loader"));
  CHECK(r->severity == Level::kHigh);
  CHECK(r->score == 40);
  CHECK(r->attack == std::vector<std::string>{"T1547.001"});
  CHECK(r->applies_to == "registry.execute_entry");
  CHECK(r->references.size() == 1);
  CHECK(r->line == 2);
  CHECK(contains(r->source, "valid/TEST-001-bootexecute.yaml"));
  CHECK(r->match_examples.size() == 2);
  CHECK(r->no_match_examples.size() == 2);
  CHECK(r->match_examples[0].line == 22);
  CHECK(r->match_examples[0].fact.kind == "registry.execute_entry");
  // The condition tree: all[eq, eq, any[matches, not[eq]]], the regex compiled at load.
  REQUIRE(r->when.kind == Condition::Kind::kAll);
  REQUIRE(r->when.children.size() == 3);
  const Condition& any = r->when.children[2];
  REQUIRE(any.kind == Condition::Kind::kAny);
  REQUIRE(any.children.size() == 2);
  CHECK(any.children[0].op == smssaudit::rules::Op::kMatches);
  CHECK(any.children[0].regex != nullptr);
  CHECK(any.children[1].kind == Condition::Kind::kNot);
  // Bool values are typed by the schema, not kept as text.
  CHECK(std::holds_alternative<bool>(r->when.children[1].values.at(0)));

  CHECK(l.catalog.find_rule("TEST-999") == nullptr);
  CHECK(smssaudit::rules::check_examples(l.catalog).empty());
}

TEST_CASE("a baseline file maps onto facts::Baseline", "[rules]") {
  const CatalogLoad l = load(fixture_dir("valid"));
  REQUIRE(l.ok());
  REQUIRE(l.catalog.baselines.size() == 1);
  const auto& b = l.catalog.baselines[0];
  CHECK(b.id == "testos");
  CHECK(b.families == std::vector<std::string>{"win10"});
  CHECK(contains(b.source, "baseline-testos.yaml"));
  REQUIRE(b.execute_allow.count("bootexecute") == 1);
  CHECK(b.execute_allow.at("bootexecute") ==
        std::vector<std::string>{"autocheck autochk( /\\S+)* \\*"});
  CHECK(b.execute_allow.count("setupexecute") == 1);
  CHECK(b.known_dlls_expected == std::vector<std::string>{"kernel32", "ntdll"});
  CHECK(b.known_dlls_optional == std::vector<std::string>{"wow64"});
  CHECK(b.dll_directory == std::vector<std::string>{"%SystemRoot%\\system32"});
  CHECK(b.dll_directory32 == std::vector<std::string>{"%SystemRoot%\\SysWOW64"});
  CHECK(b.subsystems_required == std::vector<std::string>{"Debug", "Windows"});
  CHECK(b.subsystems_optional.empty());
  CHECK(b.csrss_server_dlls.size() == 3);
  CHECK(b.pathext == std::vector<std::string>{".COM", ".EXE"});
  CHECK(b.pending_rename_allow.size() == 1);
}

TEST_CASE("verdict thresholds come from the verdict file", "[rules]") {
  const CatalogLoad l = load(fixture_dir("valid"));
  REQUIRE(l.ok());
  CHECK(l.catalog.verdict.suspicious_score == 30);
  CHECK(l.catalog.verdict.suspicious_severity == Level::kHigh);
  CHECK(l.catalog.verdict.malicious_score == 80);
  CHECK(l.catalog.verdict.malicious_severity == Level::kCritical);
  // Without a verdict file the documented defaults apply.
  const CatalogLoad none = load({SourceFile{"inline/r.yaml", rule_text()}});
  REQUIRE(none.ok());
  CHECK(none.catalog.verdict.suspicious_score == 20);
  CHECK(none.catalog.verdict.malicious_severity == Level::kCritical);
}

TEST_CASE("bad verdict thresholds are rejected", "[rules]") {
  const CatalogLoad inverted = load({SourceFile{
      "inline/verdict.yaml",
      "verdict:\n  suspicious: {score: 80, severity: high}\n  malicious: {score: 20, severity: "
      "critical}\n"}});
  REQUIRE(inverted.errors.size() == 1);
  CHECK(contains(inverted.errors[0], "inline/verdict.yaml:2: verdict.suspicious thresholds"));

  const CatalogLoad broken = load({SourceFile{
      "inline/verdict.yaml",
      "verdict:\n  suspicious: {score: 101, severity: loud}\n  malicous: {score: 70}\n"}});
  INFO(all_errors(broken));
  CHECK(broken.errors.size() == 4);  // score range, severity, unknown key, missing malicious
  CHECK(contains(all_errors(broken), "inline/verdict.yaml:3: unknown key 'malicous' in verdict"));
  CHECK(contains(all_errors(broken), "score 101 out of range"));
  CHECK(contains(all_errors(broken), "bad severity 'loud'"));
  CHECK(contains(all_errors(broken), "missing required key 'malicious'"));
}

TEST_CASE("an overlay replaces rules, baselines and thresholds by id and adds new rules",
          "[rules]") {
  const CatalogLoad l = load(fixture_dir("valid"), fixture_dir("overlay"));
  INFO(all_errors(l));
  REQUIRE(l.ok());
  const auto& rules = l.catalog.rules;
  REQUIRE(rules.size() == 4);
  CHECK(rules[0].id == "TEST-001");
  CHECK(rules[3].id == "TEST-900");
  const auto* replaced = l.catalog.find_rule("TEST-001");
  REQUIRE(replaced != nullptr);
  CHECK(replaced->title == "Site-tuned BootExecute rule");
  CHECK(replaced->severity == Level::kCritical);
  CHECK(contains(replaced->source, "overlay/TEST-001-override.yaml"));
  CHECK(l.catalog.find_rule("TEST-002") != nullptr);  // untouched base rule kept
  REQUIRE(l.catalog.baselines.size() == 1);
  CHECK(l.catalog.baselines[0].description == "Overlay replacement of the testos baseline");
  CHECK(l.catalog.verdict.suspicious_score == 10);
  CHECK(l.catalog.verdict.malicious_severity == Level::kHigh);
}

TEST_CASE("duplicate ids are errors within one set but not across base and overlay", "[rules]") {
  const SourceFile a{"set/a.yaml", rule_text()};
  const SourceFile b{"set/b.yaml", rule_text()};
  CHECK(load({a}, {b}).ok());
  const CatalogLoad in_overlay = load({}, {a, b});
  REQUIRE(in_overlay.errors.size() == 1);
  CHECK(in_overlay.errors[0] ==
        "set/b.yaml:1: duplicate rule id 'TEST-200' (also defined at set/a.yaml:1)");
  const SourceFile v{
      "v1.yaml",
      "verdict: {suspicious: {score: 1, severity: low}, malicious: {score: 2, severity: high}}\n"};
  const SourceFile v2{"v2.yaml", v.text};
  const CatalogLoad two_verdicts = load({v, v2});
  REQUIRE(two_verdicts.errors.size() == 1);
  CHECK(contains(two_verdicts.errors[0], "v2.yaml:1: second verdict file (the first is v1.yaml)"));
}

TEST_CASE("a key repeated inside one mapping is reported, not silently dropped", "[rules]") {
  const CatalogLoad top = load({SourceFile{"dup.yaml", rule_text() + "score: 90\n"}});
  REQUIRE(top.errors.size() == 1);
  CHECK(top.errors[0] == "dup.yaml:12: duplicate key 'score' in rule (first at line 4)");
  const CatalogLoad leaf = load({SourceFile{
      "dup.yaml",
      rule_text("when: {field: slot, op: eq, value: BootExecute, value: SetupExecute}")}});
  REQUIRE(leaf.errors.size() == 1);
  CHECK(contains(leaf.errors[0], "dup.yaml:7: duplicate key 'value' in condition"));
}

TEST_CASE("every problem in one rule is reported, each at its own line", "[rules]") {
  const std::string text =
      "id: smss-1\n"                                                 // 1 bad id
      "title: ''\n"                                                  // 2 empty
      "severity: High\n"                                             // 3 bad level
      "score: 101\n"                                                 // 4 range
      "attack: [T1547.1, T1059]\n"                                   // 5 bad id
      "applies_to: registry.execute_entry\n"                         // 6
      "when:\n"                                                      // 7
      "  all:\n"                                                     // 8
      "    - {field: is_default, op: eq, value: 'false'}\n"          // 9 quoted bool
      "    - {field: is_default, op: eq, value: yes}\n"              // 10 yes
      "    - {field: index, op: gt, value: two}\n"                   // 11 int
      "    - {field: slot, op: gt, value: 2}\n"                      // 12 gt on string
      "    - {field: index, op: contains, value: 1}\n"               // 13 contains on int
      "    - {field: allowed, op: eq, value: true, icase: false}\n"  // 14 icase on bool
      "    - {field: slot, op: in, value: BootExecute}\n"            // 15 in + value
      "    - {field: slot, op: exists, value: x}\n"                  // 16 exists + value
      "    - {field: slot, op: like, value: x}\n"                    // 17 unknown op
      "    - any: []\n"                                              // 18 empty any
      "    - {all: [], field: slot}\n"                               // 19 mixed
      "    - {field: slot, op: eq, value: x, icase: maybe}\n"        // 20 bad bool
      "message: \"{slot}\"\n"                                        // 21
      "examples:\n"                                                  // 22
      "  match: [{slot: BootExecute, index: '1'}]\n"                 // 23 quoted int
      "  no_match: [{slot: SetupExecute}]\n"                         // 24
      "  maybe: []\n";                                               // 25 unknown key
  const CatalogLoad l = load({SourceFile{"many.yaml", text}});
  const std::string errors = all_errors(l);
  INFO(errors);
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "bad rule id 'smss-1'"},
      {2, "'title' must not be empty"},
      {3, "bad severity 'High'"},
      {4, "score 101 out of range 0..100"},
      {5, "bad ATT&CK technique id 'T1547.1'"},
      {9, "'is_default' must be true or false, got 'false'"},
      {10, "must be true or false, got 'yes'"},
      {11, "must be an integer, got 'two'"},
      {12, "op 'gt' needs a field of type int; 'slot' is string"},
      {13, "op 'contains' needs a field of type string; 'index' is int"},
      {14, "'icase' applies to string fields only; 'allowed' is bool"},
      {15, "op 'in' takes 'values:' (a list), not 'value:'"},
      {15, "op 'in' needs 'values:' (a list)"},
      {16, "op 'exists' takes no value"},
      {17, "unknown op 'like'"},
      {18, "'any' needs at least one condition"},
      {19, "mixes 'all' with 1 other key(s)"},
      {19, "unknown key 'field' in condition"},
      {19, "'all' needs at least one condition"},
      {20, "'icase' must be true or false, got 'maybe'"},
      {23, "'index' must be an integer, got '1'"},
      {25, "unknown key 'maybe' in examples"},
  };
  for (const auto& [line, reason] : expected) {
    INFO("line " << line << ": " << reason);
    CHECK(std::any_of(l.errors.begin(), l.errors.end(), [&](const std::string& e) {
      return e.rfind("many.yaml:" + std::to_string(line) + ": ", 0) == 0 && contains(e, reason);
    }));
  }
  CHECK(l.errors.size() == expected.size());
  CHECK(l.catalog.rules.empty());
}

TEST_CASE("missing required rule keys are each named", "[rules]") {
  const CatalogLoad l = load({SourceFile{"bare.yaml", "id: TEST-201\n"}});
  INFO(all_errors(l));
  for (const char* key :
       {"title", "severity", "score", "attack", "applies_to", "when", "message", "examples"}) {
    CHECK(contains(all_errors(l),
                   "bare.yaml:1: missing required key '" + std::string(key) + "' in rule"));
  }
  CHECK(l.errors.size() == 8);
}

TEST_CASE("files that are not one rule, baseline or verdict mapping are rejected", "[rules]") {
  const auto only_error = [](const std::string& text) {
    const CatalogLoad l = load({SourceFile{"f.yaml", text}});
    REQUIRE(l.errors.size() == 1);
    return l.errors[0];
  };
  CHECK(contains(only_error(""), "f.yaml: empty file"));
  CHECK(contains(only_error("# only a comment\n"), "f.yaml: empty file"));
  CHECK(contains(only_error("- a\n- b\n"), "f.yaml:1: top level must be a mapping"));
  CHECK(contains(only_error("name: x\n"), "f.yaml:1: not a rule, baseline or verdict file"));
  CHECK(contains(only_error("id: TEST-1\nbaseline: x\n"), "ambiguous file"));
  CHECK(contains(
      only_error(rule_text() + "---\n" + rule_text("when: {field: slot, op: exists}", "TEST-201")),
      "f.yaml:13: more than one YAML document"));
}

TEST_CASE("a trailing document marker is harmless", "[rules]") {
  CHECK(load({SourceFile{"f.yaml", rule_text() + "---\n"}}).ok());
}

TEST_CASE("an empty or malformed example list is reported once", "[rules]") {
  std::string empty = rule_text();
  empty.replace(empty.find("  no_match: [{slot: SetupExecute, command: evil}]"),
                std::string("  no_match: [{slot: SetupExecute, command: evil}]").size(),
                "  no_match: []");
  const CatalogLoad e = load({SourceFile{"e.yaml", empty}});
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0] == "e.yaml:11: rule needs at least one 'no_match' example");
  std::string scalar = empty;
  scalar.replace(scalar.find("no_match: []"), 12, "no_match: oops");
  const CatalogLoad s = load({SourceFile{"s.yaml", scalar}});
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0] == "s.yaml:11: 'no_match' examples must be a list of mappings");
}

TEST_CASE("check_examples reports examples that do not behave as labelled", "[rules]") {
  // Swap the labels: the match example now names SetupExecute, the no_match one BootExecute.
  std::string swapped = rule_text();
  const auto swap = [&](const std::string& from, const std::string& to) {
    swapped.replace(swapped.find(from), from.size(), to);
  };
  swap("match: [{slot: BootExecute", "match: [{slot: SetupExecute");
  swap("no_match: [{slot: SetupExecute", "no_match: [{slot: BootExecute");
  const CatalogLoad l = load({SourceFile{"swap.yaml", swapped}});
  INFO(all_errors(l));
  REQUIRE(l.ok());  // the loader checks shape; behaviour is check_examples' job
  const auto failures = smssaudit::rules::check_examples(l.catalog);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == "swap.yaml:10: TEST-200 example 1 (match) did not match");
  CHECK(failures[1] == "swap.yaml:11: TEST-200 example 1 (no_match) matched");
}

TEST_CASE("check_examples fails a rule without examples", "[rules]") {
  smssaudit::rules::Catalog c;
  smssaudit::rules::Rule r;
  r.id = "TEST-300";
  r.source = "hand.yaml";
  r.line = 1;
  c.rules.push_back(r);
  const auto failures = smssaudit::rules::check_examples(c);
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == "hand.yaml:1: TEST-300 has no match example");
  CHECK(failures[1] == "hand.yaml:1: TEST-300 has no no_match example");
}

TEST_CASE("the rule-set hash covers every path and text in load order", "[rules]") {
  const SourceFile a{"a.yaml", rule_text()};
  const SourceFile b{"b.yaml", rule_text("when: {field: slot, op: exists}", "TEST-201")};
  const std::string h = load({a, b}).catalog.sha256;
  CHECK(h.size() == 64);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(load({a, b}).catalog.sha256 == h);
  CHECK(load({b, a}).catalog.sha256 != h);
  CHECK(load({a}, {b}).catalog.sha256 == h);  // overlay files follow the base files
  CHECK(load({SourceFile{"c.yaml", a.text}, b}).catalog.sha256 != h);
  // path + '\0' + text + '\0' per file: moving bytes between path and text changes the hash.
  CHECK(load({SourceFile{"a.yaml", "x"}}).catalog.sha256 !=
        load({SourceFile{"a.yamlx", ""}}).catalog.sha256);
}

TEST_CASE("read_sources finds .yaml and .yml files recursively, sorted by path", "[rules]") {
  const auto files = fixture_dir("");
  std::vector<std::string> paths;
  for (const auto& f : files) {
    paths.push_back(f.path);
  }
  CHECK(std::is_sorted(paths.begin(), paths.end()));
  CHECK(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
    return contains(p, "overlay/verdict.yml");
  }));
  CHECK(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
    return contains(p, "invalid/syntax_error.yaml");
  }));
  CHECK(std::none_of(
      paths.begin(), paths.end(), [](const std::string& p) { return contains(p, "README"); }));
  const auto overlay = fixture_dir("overlay");
  REQUIRE(overlay.size() == 4);
  CHECK(contains(overlay[0].text, "id: TEST-001"));
}

TEST_CASE("read_sources throws FatalError 2 naming a missing directory", "[rules]") {
  const std::string dir = source_path("fixtures/rules/no-such-dir");
  try {
    (void)smssaudit::rules::read_sources(dir);
    FAIL("no exception");
  } catch (const smssaudit::FatalError& e) {
    CHECK(e.exit_code() == 2);
    CHECK(contains(e.message(), dir));
  }
}

TEST_CASE("a site baseline loads with a site: id and lower-cased slots", "[rules]") {
  const auto l = smssaudit::rules::load_site_baseline(fixture("site/site_ok.yaml"));
  INFO(l.errors.size());
  REQUIRE(l.errors.empty());
  CHECK(l.baseline.id == "site:lab");
  CHECK(l.baseline.families.empty());
  CHECK(contains(l.baseline.source, "site/site_ok.yaml"));
  REQUIRE(l.baseline.execute_allow.count("bootexecute") == 1);
  CHECK(l.baseline.execute_allow.at("bootexecute").size() == 2);
  CHECK(l.baseline.appcert_dlls.size() == 1);
}

TEST_CASE("a site baseline may not choose OS families", "[rules]") {
  const auto l = smssaudit::rules::load_site_baseline(fixture("site/site_with_families.yaml"));
  REQUIRE(l.errors.size() == 1);
  CHECK(contains(l.errors[0], "site_with_families.yaml:2: 'families' is not allowed"));
}

TEST_CASE("site baseline errors are reported as file:line", "[rules]") {
  using smssaudit::rules::load_site_baseline;
  const auto regex = load_site_baseline(
      SourceFile{"site.yaml", "baseline: lab\nappcert_dlls: ['ok', '(unclosed']\n"});
  REQUIRE(regex.errors.size() == 1);
  CHECK(contains(regex.errors[0], "site.yaml:2: bad regex in 'appcert_dlls' '(unclosed'"));
  const auto slots = load_site_baseline(SourceFile{
      "site.yaml", "baseline: lab\nexecute_allow:\n  BootExecute: []\n  bootexecute: []\n"});
  REQUIRE(slots.errors.size() == 1);
  CHECK(contains(slots.errors[0], "site.yaml:4: duplicate slot 'bootexecute'"));
  const auto rule = load_site_baseline(SourceFile{"site.yaml", rule_text()});
  REQUIRE(rule.errors.size() == 1);
  CHECK(contains(rule.errors[0], "not a baseline file"));
  const auto syntax = load_site_baseline(SourceFile{"site.yaml", "baseline: [lab\n"});
  REQUIRE(syntax.errors.size() == 1);
  CHECK(contains(syntax.errors[0], "YAML syntax error"));
  const auto keys = load_site_baseline(SourceFile{
      "site.yaml", "baseline: lab\nknown_dlls: {expected: [a], extra: [b]}\npathext: .EXE\n"});
  REQUIRE(keys.errors.size() == 2);
  CHECK(contains(keys.errors[0], "site.yaml:2: unknown key 'extra' in known_dlls"));
  CHECK(contains(keys.errors[1], "site.yaml:3: 'pathext' must be a list"));
}

TEST_CASE("OS baselines must name known families", "[rules]") {
  const CatalogLoad l = load({SourceFile{"b.yaml", "baseline: x\nfamilies: [win10, windows12]\n"}});
  REQUIRE(l.errors.size() == 1);
  CHECK(contains(l.errors[0], "b.yaml:2: unknown OS family 'windows12'"));
}
