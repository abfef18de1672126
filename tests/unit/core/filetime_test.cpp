// Unit tests for core/filetime: ISO-8601 rendering at 100-ns precision and parsing back.
#include "smssaudit/core/filetime.hpp"

#include "support/catch.hpp"

using namespace smssaudit;

TEST_CASE("FILETIME renders as ISO-8601 with seven fractional digits", "[core]") {
  CHECK(filetime_to_iso8601(0).empty());
  CHECK(filetime_to_iso8601(kFiletimeUnixEpoch) == "1970-01-01T00:00:00.0000000Z");
  CHECK(filetime_to_iso8601(1) == "1601-01-01T00:00:00.0000001Z");
  // 2020-06-09T18:12:25.4809506Z = Unix 1591726345 s + 4809506 ticks.
  const std::uint64_t ft = kFiletimeUnixEpoch + 1591726345ULL * 10000000ULL + 4809506ULL;
  CHECK(filetime_to_iso8601(ft) == "2020-06-09T18:12:25.4809506Z");
  // Leap day handling.
  const std::uint64_t leap = kFiletimeUnixEpoch + 951782400ULL * 10000000ULL;
  CHECK(filetime_to_iso8601(leap) == "2000-02-29T00:00:00.0000000Z");
}

TEST_CASE("ISO-8601 text parses back to the same FILETIME", "[core]") {
  const std::uint64_t ft = kFiletimeUnixEpoch + 1591726345ULL * 10000000ULL + 4809506ULL;
  CHECK(iso8601_to_filetime("2020-06-09T18:12:25.4809506Z") == ft);
  CHECK(iso8601_to_filetime("2020-06-09T18:12:25.48Z") == ft - 9506 + 0);
  CHECK(iso8601_to_filetime("2020-06-09T18:12:25Z") == ft - 4809506);
  CHECK(iso8601_to_filetime(filetime_to_iso8601(123456789012345678ULL)) == 123456789012345678ULL);
  CHECK_FALSE(iso8601_to_filetime("2020-06-09T18:12:25"));            // Z required
  CHECK_FALSE(iso8601_to_filetime("2020-02-30T00:00:00Z"));           // no such day
  CHECK_FALSE(iso8601_to_filetime("2020-06-09T18:12:25.12345678Z"));  // 8 digits
  CHECK_FALSE(iso8601_to_filetime("1600-12-31T23:59:59Z"));           // before FILETIME 0
  CHECK_FALSE(iso8601_to_filetime(""));
}

TEST_CASE("FILETIME converts to Unix microseconds on both sides of 1970", "[core]") {
  CHECK(filetime_to_unix_micros(kFiletimeUnixEpoch) == 0);
  CHECK(filetime_to_unix_micros(kFiletimeUnixEpoch + 15) == 1);
  CHECK(filetime_to_unix_micros(kFiletimeUnixEpoch - 10) == -1);
  CHECK(filetime_to_unix_micros(kFiletimeUnixEpoch - 5) == -1);  // floor, not truncation
}
