// The helper-process codec: what one end writes the other reads back, and hostile input (short,
// lying lengths and counts) fails the reader instead of reading past the end or allocating.
#include "smssaudit/core/byte_codec.hpp"

#include "support/catch.hpp"

#include <limits>

using smssaudit::codec::ByteReader;
using smssaudit::codec::ByteWriter;

TEST_CASE("byte codec: values round-trip in order, little-endian", "[core][codec]") {
  ByteWriter w;
  w.u8(0xAB);
  w.u16(0x1234);
  w.u32(0xDEADBEEF);
  w.u64(std::numeric_limits<std::uint64_t>::max() - 1);
  w.boolean(true);
  w.str("SYSTEM");
  w.bytes(std::vector<std::uint8_t>{1, 2, 3});
  const auto buf = w.take();
  CHECK(buf[1] == 0x34);  // little-endian
  CHECK(buf[2] == 0x12);
  ByteReader r(buf);
  CHECK(r.u8() == 0xAB);
  CHECK(r.u16() == 0x1234);
  CHECK(r.u32() == 0xDEADBEEF);
  CHECK(r.u64() == std::numeric_limits<std::uint64_t>::max() - 1);
  CHECK(r.boolean());
  CHECK(r.str() == "SYSTEM");
  CHECK(r.bytes() == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(r.done());
}

TEST_CASE("byte codec: hostile input fails the reader and sticks", "[core][codec]") {
  SECTION("a string longer than what remains") {
    ByteWriter w;
    w.u32(1000);
    w.u8('x');
    const auto buf = w.take();
    ByteReader r(buf);
    CHECK(r.str().empty());
    CHECK_FALSE(r.ok());
    CHECK(r.u32() == 0);  // later reads return zero values
    CHECK_FALSE(r.done());
  }
  SECTION("a count the input cannot hold") {
    ByteWriter w;
    w.u32(0xFFFFFFFF);
    w.u64(0);
    const auto buf = w.take();
    ByteReader r(buf);
    CHECK(r.count(8) == 0);
    CHECK_FALSE(r.ok());
  }
  SECTION("a count that fits") {
    ByteWriter w;
    w.u32(2);
    w.u64(0);
    w.u64(0);
    const auto buf = w.take();
    ByteReader r(buf);
    CHECK(r.count(8) == 2);
    CHECK(r.ok());
  }
  SECTION("a boolean other than 0 or 1") {
    const std::vector<std::uint8_t> buf{2};
    ByteReader r(buf);
    r.boolean();
    CHECK_FALSE(r.ok());
  }
  SECTION("a short integer") {
    const std::vector<std::uint8_t> buf{1, 2, 3};
    ByteReader r(buf);
    CHECK(r.u32() == 0);
    CHECK_FALSE(r.ok());
  }
  SECTION("trailing bytes are not done") {
    const std::vector<std::uint8_t> buf{1, 2};
    ByteReader r(buf);
    r.u8();
    CHECK(r.ok());
    CHECK_FALSE(r.done());
  }
}
