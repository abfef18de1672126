// Unit tests for core/result, core/error and core/diagnostics.
#include "smssaudit/core/result.hpp"

#include "smssaudit/core/diagnostics.hpp"
#include "support/catch.hpp"

#include <optional>
#include <stdexcept>
#include <string>

using namespace smssaudit;

namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) {
    return fail(ErrorCode::kUsage, "arg", "must be positive");
  }
  return v;
}

}  // namespace

TEST_CASE("Result carries a value or an error and never both", "[core]") {
  const Result<int> ok_value = parse_positive(3);
  REQUIRE(ok_value.has_value());
  CHECK(*ok_value == 3);
  const Result<int> bad = parse_positive(-1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kUsage);
  CHECK(bad.error().message() == "arg: must be positive");
  CHECK(bad.value_or(7) == 7);
  CHECK_THROWS_AS(bad.value(), std::logic_error);
}

TEST_CASE("Result::and_then chains successes and propagates the first error", "[core]") {
  auto doubled = parse_positive(4).and_then([](int v) { return Result<int>(v * 2); });
  CHECK(*doubled == 8);
  auto failed = parse_positive(0).and_then([](int v) { return Result<int>(v * 2); });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().detail == "must be positive");
}

TEST_CASE("A tri-state lookup distinguishes found, absent and unreadable", "[core]") {
  const Result<std::optional<int>> found = std::optional<int>(1);
  const Result<std::optional<int>> absent = std::optional<int>();
  const Result<std::optional<int>> unreadable = fail(ErrorCode::kHiveLibrary, "k", "bad list");
  CHECK((found && found->has_value()));
  CHECK((absent && !absent->has_value()));
  CHECK_FALSE(unreadable);
  CHECK(ok().has_value());
}

TEST_CASE("Error codes have stable names and messages join context and detail", "[core]") {
  CHECK(std::string(to_string(ErrorCode::kHiveSignature)) == "hive.signature");
  CHECK(std::string(to_string(ErrorCode::kHiveTruncated)) == "hive.truncated");
  CHECK(std::string(to_string(ErrorCode::kHiveBaseBlock)) == "hive.base_block");
  CHECK(Error{ErrorCode::kIo, "", "only detail"}.message() == "only detail");
  CHECK(Error{ErrorCode::kIo, "f", "d"}.message() == "f: d");
}

TEST_CASE("The diagnostic sink keeps order, filters by source and spots errors", "[core]") {
  DiagnosticSink sink;
  sink.add(DiagLevel::kWarning, "hive.dirty", "a", "", "dirty");
  sink.add(DiagLevel::kInfo, "hive.name_mismatch", "b", "", "name");
  CHECK_FALSE(sink.has_errors());
  sink.add(DiagLevel::kError, "x", "a", "k", "boom");
  CHECK(sink.has_errors());
  const auto a = sink.for_source("a");
  REQUIRE(a.size() == 2);
  CHECK(a[0].code == "hive.dirty");
  CHECK(a[1].location == "k");
  CHECK(std::string(to_string(DiagLevel::kWarning)) == "warning");
}
