// Unit tests for registry value decoding (readers/value_decoder): the RegValue contract.
#include "readers/value_decoder.hpp"

#include "support/catch.hpp"

#include <string_view>
#include <vector>

using namespace smssaudit;
using facts::RegType;

namespace {

std::vector<std::uint8_t> u16(std::string_view s) {
  std::vector<std::uint8_t> out;
  for (char c : s) {
    out.push_back(static_cast<std::uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

constexpr std::uint32_t t(RegType type) {
  return static_cast<std::uint32_t>(type);
}

facts::RegValue decode(RegType type, const std::vector<std::uint8_t>& data) {
  return readers::decode_value("v", t(type), data, data.size());
}

}  // namespace

TEST_CASE("String values keep the text before the first NUL", "[readers]") {
  const auto sz = decode(RegType::kSz, u16(std::string("WKS-WIN732BITA\0junk", 19)));
  CHECK(sz.strings == std::vector<std::string>{"WKS-WIN732BITA"});
  CHECK(sz.error.empty());
  CHECK(decode(RegType::kExpandSz, u16("%SystemRoot%")).strings ==
        std::vector<std::string>{"%SystemRoot%"});
  CHECK(decode(RegType::kSz, {}).strings == std::vector<std::string>{""});
}

TEST_CASE("MULTI_SZ values drop only the terminating empty strings", "[readers]") {
  // BootExecute as Windows stores it: 42 bytes, "autocheck autochk *\0\0" (formats.md 10).
  const auto boot = decode(RegType::kMultiSz, u16(std::string("autocheck autochk *\0\0", 21)));
  CHECK(boot.raw.size() == 42);
  CHECK(boot.strings == std::vector<std::string>{"autocheck autochk *"});
  // SetupExecute as an empty list: a lone NUL stored inline.
  CHECK(decode(RegType::kMultiSz, u16(std::string("\0", 1))).strings.empty());
  CHECK(decode(RegType::kMultiSz, u16(std::string("a\0\0b\0\0", 6))).strings ==
        std::vector<std::string>{"a", "", "b"});
}

TEST_CASE("REG_BINARY holding UTF-16 text is decoded and flagged", "[readers]") {
  const auto text = decode(RegType::kBinary, u16(std::string("autocheck autochk *\0\0", 21)));
  CHECK(text.binary_as_text);
  CHECK(text.strings == std::vector<std::string>{"autocheck autochk *"});
  const auto bin = decode(RegType::kBinary, {0x00, 0x01, 0xFE, 0x99, 0x10, 0x20});
  CHECK_FALSE(bin.binary_as_text);
  CHECK(bin.strings.empty());
  CHECK(bin.raw.size() == 6);
}

TEST_CASE("Numbers decode by type and wrong sizes become errors", "[readers]") {
  CHECK(decode(RegType::kDword, {0x01, 0x02, 0x00, 0x00}).number == 0x0201U);
  CHECK(decode(RegType::kDwordBigEndian, {0x00, 0x00, 0x02, 0x01}).number == 0x0201U);
  CHECK(decode(RegType::kQword, {1, 0, 0, 0, 0, 0, 0, 0x80}).number == 0x8000000000000001ULL);
  const auto short_dword = decode(RegType::kDword, {0x01, 0x02, 0x03});
  CHECK_FALSE(short_dword.number);
  CHECK(short_dword.error == "REG_DWORD data is 3 bytes, expected 4");
  CHECK_FALSE(decode(RegType::kQword, {1, 2, 3, 4}).number);
  CHECK_FALSE(decode(RegType::kDword, {}).number);
}

TEST_CASE("Data over the cap is kept to 1 MiB and marked truncated", "[readers]") {
  const std::vector<std::uint8_t> big(readers::kMaxValueData, 0x41);
  const auto v = readers::decode_value("big", t(RegType::kBinary), big, big.size() + 100);
  CHECK(v.truncated);
  CHECK(v.raw.size() == readers::kMaxValueData);
  const auto exact = readers::decode_value("ok", t(RegType::kBinary), big, big.size());
  CHECK_FALSE(exact.truncated);
  // Unknown types keep raw bytes and decode nothing.
  const auto odd = readers::decode_value("x", 0x1234, std::vector<std::uint8_t>{1, 2}, 2);
  CHECK(odd.strings.empty());
  CHECK_FALSE(odd.number);
  CHECK(odd.raw.size() == 2);
}
