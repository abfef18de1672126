// The reporters' private formatting helpers: separators, cuts and hashes that both reports rely on.
#include "report/report_format.hpp"

#include "support/catch.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace d = smssaudit::report::detail;

TEST_CASE("Thousands separators are inserted every three digits", "[report]") {
  CHECK(d::group_thousands(0) == "0");
  CHECK(d::group_thousands(999) == "999");
  CHECK(d::group_thousands(1000) == "1,000");
  CHECK(d::group_thousands(123456) == "123,456");
  CHECK(d::group_thousands(11771904) == "11,771,904");
  CHECK(d::group_thousands(18446744073709551615ULL) == "18,446,744,073,709,551,615");
}

TEST_CASE("Display truncation counts characters and never splits a UTF-8 sequence", "[report]") {
  CHECK(d::truncate_display("abc", 3) == "abc");
  CHECK(d::truncate_display("abcd", 3) == "abc…");
  // "é" is two bytes: a byte-based cut at 3 would split it.
  CHECK(d::truncate_display("aéb c", 3) == "aéb…");
  CHECK(d::truncate_display("", 0).empty());
}

TEST_CASE("Hashes are abbreviated to head and tail around an ellipsis", "[report]") {
  CHECK(d::abbreviate_hash("0123456789abcdef", 4, 4) == "0123…cdef");
  CHECK(d::abbreviate_hash("short", 4, 4) == "short");
}

TEST_CASE("Raw bytes and checksums render as lower-case hex", "[report]") {
  const std::vector<std::uint8_t> bytes = {0x00, 0x0F, 0xAB, 0xFF};
  CHECK(d::to_hex(bytes) == "000fabff");
  CHECK(d::hex32(0xABCU) == "0x00000abc");
}

TEST_CASE("Install dates in Unix seconds become full-precision ISO timestamps", "[report]") {
  CHECK(d::unix_seconds_to_iso(0) == "1970-01-01T00:00:00.0000000Z");
  CHECK(d::unix_seconds_to_iso(1591726345U) == "2020-06-09T18:12:25.0000000Z");
  CHECK_FALSE(d::iso_time(0).has_value());
}

TEST_CASE("Surface labels come from the Session Manager surface table", "[report]") {
  CHECK(d::surface_label("Control\\Session Manager\\KnownDLLs") == "knowndlls");
  CHECK(d::surface_label("Control\\Nope").empty());
}
