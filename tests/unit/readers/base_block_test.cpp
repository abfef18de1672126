// Unit tests for the REGF base-block parser, on byte arrays built here (registry.md 4.2).
#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"

#include <array>
#include <cstdint>
#include <vector>

using namespace smssaudit;

namespace {

void put32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

std::uint32_t plain_xor(const std::vector<std::uint8_t>& b) {
  std::uint32_t x = 0;
  for (std::size_t off = 0; off < 508; off += 4) {
    x ^= static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
  }
  return x;
}

/// A clean primary base block: seq 7/7, v1.5, type 0, 8 KiB of bins, name "SYSTEM", valid sum.
std::vector<std::uint8_t> good_block() {
  std::vector<std::uint8_t> b(4096, 0);
  b[0] = 'r';
  b[1] = 'e';
  b[2] = 'g';
  b[3] = 'f';
  put32(b, 4, 7);
  put32(b, 8, 7);
  put32(b, 12, 0x89ABCDEF);  // FILETIME low
  put32(b, 16, 0x01D63E8F);  // FILETIME high
  put32(b, 20, 1);
  put32(b, 24, 5);
  put32(b, 32, 1);
  put32(b, 36, 0x20);
  put32(b, 40, 8192);
  put32(b, 44, 1);
  const std::string name = "SYSTEM";
  for (std::size_t i = 0; i < name.size(); ++i) {
    b[48 + 2 * i] = static_cast<std::uint8_t>(name[i]);
  }
  put32(b, 508, readers::base_block_checksum(b));
  return b;
}

}  // namespace

TEST_CASE("A clean base block parses with every field at its REGF offset", "[readers]") {
  const auto bytes = good_block();
  const auto bb = readers::parse_base_block(bytes, 4096 + 8192);
  REQUIRE(bb);
  CHECK(bb->signature_ok);
  CHECK(bb->primary_sequence == 7);
  CHECK(bb->secondary_sequence == 7);
  CHECK(bb->last_written == 0x01D63E8F89ABCDEFULL);
  CHECK(bb->major_version == 1);
  CHECK(bb->minor_version == 5);
  CHECK(bb->file_type == 0);
  CHECK(bb->file_format == 1);
  CHECK(bb->root_cell_offset == 0x20);
  CHECK(bb->hive_bins_size == 8192);
  CHECK(bb->clustering_factor == 1);
  CHECK(bb->embedded_name == "SYSTEM");
  CHECK(bb->checksum_ok());
  CHECK_FALSE(bb->dirty());
  CHECK_FALSE(bb->truncated());
  CHECK(bb->file_size == 4096 + 8192);
}

TEST_CASE("Differing sequence numbers or a wrong checksum make a base block dirty", "[readers]") {
  auto bytes = good_block();
  put32(bytes, 4, 8);  // a write started and never finished
  put32(bytes, 508, readers::base_block_checksum(bytes));
  auto bb = readers::parse_base_block(bytes, 4096 + 8192);
  REQUIRE(bb);
  CHECK(bb->checksum_ok());
  CHECK_FALSE(bb->sequences_match());
  CHECK(bb->dirty());

  bytes = good_block();
  put32(bytes, 508, readers::base_block_checksum(bytes) ^ 0x10);
  bb = readers::parse_base_block(bytes, 4096 + 8192);
  REQUIRE(bb);
  CHECK_FALSE(bb->checksum_ok());
  CHECK(bb->dirty());
  // A file shorter than 4096 + hive-bins size is truncated.
  CHECK(readers::parse_base_block(good_block(), 4096 + 4096)->truncated());
}

TEST_CASE("The checksum maps an XOR of 0 to 1 and 0xFFFFFFFF to 0xFFFFFFFE", "[readers]") {
  // Make the plain XOR exactly 0: adjust the spare word at +500 to cancel everything else.
  auto zero = good_block();
  put32(zero, 500, 0);
  put32(zero, 500, plain_xor(zero));
  REQUIRE(plain_xor(zero) == 0);
  CHECK(readers::base_block_checksum(zero) == 1);
  put32(zero, 508, 1);
  CHECK(readers::parse_base_block(zero, 4096 + 8192)->checksum_ok());
  put32(zero, 508, 0);  // what libregf's plain XOR would expect: wrong by Windows' rule
  CHECK_FALSE(readers::parse_base_block(zero, 4096 + 8192)->checksum_ok());

  auto ones = good_block();
  put32(ones, 500, 0);
  put32(ones, 500, plain_xor(ones) ^ 0xFFFFFFFFU);
  REQUIRE(plain_xor(ones) == 0xFFFFFFFFU);
  CHECK(readers::base_block_checksum(ones) == 0xFFFFFFFEU);
}

TEST_CASE("A wrong signature is kHiveSignature and a short block is kHiveTruncated", "[readers]") {
  auto bytes = good_block();
  bytes[0] = 'C';
  bytes[1] = 'R';
  bytes[2] = 'E';
  bytes[3] = 'G';
  const auto sig = readers::parse_base_block(bytes, bytes.size());
  REQUIRE_FALSE(sig);
  CHECK(sig.error().code == ErrorCode::kHiveSignature);
  CHECK(sig.error().detail.find("not a registry hive (no 'regf' signature") == 0);

  const auto full = good_block();
  const auto short_block =
      readers::parse_base_block(std::span<const std::uint8_t>(full.data(), 511), 511);
  REQUIRE_FALSE(short_block);
  CHECK(short_block.error().code == ErrorCode::kHiveTruncated);
  const auto empty = readers::parse_base_block({}, 0);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == ErrorCode::kHiveTruncated);
  // Exactly 512 bytes is enough to parse (file_size then makes it truncated).
  const auto min = readers::parse_base_block(std::span<const std::uint8_t>(full.data(), 512), 512);
  REQUIRE(min);
  CHECK(min->checksum_ok());
  CHECK(min->truncated());
}

TEST_CASE("read_base_block names the file when it cannot be read", "[readers]") {
  const auto missing = readers::read_base_block("/nonexistent/SYSTEM");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message().find("/nonexistent/SYSTEM") != std::string::npos);
}
