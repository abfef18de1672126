// The built-in catalogue (rules/, embedded at build time) must load cleanly, and every rule's
// examples are its unit test: each `match` must fire, each `no_match` must not (style.md 2.4).
#include "smssaudit/rules/catalog.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <string>

namespace {

using smssaudit::rules::builtin_sources;
using smssaudit::rules::CatalogLoad;
using smssaudit::rules::load_catalog;

}  // namespace

TEST_CASE("the built-in catalogue loads with no error", "[rules]") {
  const CatalogLoad load = load_catalog(builtin_sources(), {});
  for (const std::string& error : load.errors) {
    FAIL_CHECK(error);  // one failure per problem, each already "file:line: reason"
  }
  CHECK(load.ok());
  CHECK(load.catalog.sha256.size() == 64);
}

TEST_CASE("every built-in rule has a match and a no_match example", "[rules]") {
  const CatalogLoad load = load_catalog(builtin_sources(), {});
  for (const auto& rule : load.catalog.rules) {
    INFO(rule.source << ":" << rule.line << ": " << rule.id);
    CHECK_FALSE(rule.match_examples.empty());
    CHECK_FALSE(rule.no_match_examples.empty());
  }
}

TEST_CASE("every built-in rule's examples behave as labelled", "[rules]") {
  const CatalogLoad load = load_catalog(builtin_sources(), {});
  for (const std::string& failure : smssaudit::rules::check_examples(load.catalog)) {
    FAIL_CHECK(failure);
  }
}

TEST_CASE("the built-in catalogue holds the verdict thresholds of rules/verdict.yaml", "[rules]") {
  const auto sources = builtin_sources();
  const bool has_verdict = std::any_of(
      sources.begin(), sources.end(), [](const auto& f) { return f.path == "rules/verdict.yaml"; });
  REQUIRE(has_verdict);
  const CatalogLoad load = load_catalog(sources, {});
  REQUIRE(load.ok());
  // The thresholds are data; this only pins that the file was read, not the numbers chosen.
  CHECK(load.catalog.verdict.suspicious_score <= load.catalog.verdict.malicious_score);
  CHECK(load.catalog.verdict.suspicious_severity <= load.catalog.verdict.malicious_severity);
}
