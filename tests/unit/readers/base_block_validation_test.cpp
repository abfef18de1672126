// Base-block validation: each REGF rule reported as its own problem (registry.md 4.2).
#include "smssaudit/readers/base_block_validation.hpp"

#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace smssaudit;
using readers::BaseBlockRole;

namespace {

void put32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

// A clean v1.5 primary: seq 7/7, type 0, format 1, root 0x20, 8 KiB of bins, cluster 1.
std::vector<std::uint8_t> block(std::uint32_t type = 0) {
  std::vector<std::uint8_t> b(4096 + 8192, 0);
  b[0] = 'r';
  b[1] = 'e';
  b[2] = 'g';
  b[3] = 'f';
  put32(b, 4, 7);
  put32(b, 8, 7);
  put32(b, 20, 1);
  put32(b, 24, 5);
  put32(b, 28, type);
  put32(b, 32, 1);
  put32(b, 36, 0x20);
  put32(b, 40, 8192);
  put32(b, 44, 1);
  return b;
}

std::vector<std::string> codes(std::vector<std::uint8_t> b,
                               BaseBlockRole role,
                               bool fix_sum = true) {
  if (fix_sum) {
    put32(b, 508, readers::base_block_checksum(b));
  }
  auto parsed = readers::parse_base_block(b, b.size());
  REQUIRE(parsed);
  std::vector<std::string> out;
  for (const auto& p : readers::validate_base_block(*parsed, role)) {
    out.push_back(p.code);
  }
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

}  // namespace

TEST_CASE("A clean primary base block has no problem", "[replay][readers]") {
  CHECK(codes(block(), BaseBlockRole::kPrimary).empty());
  CHECK(codes(block(6), BaseBlockRole::kNewLog).empty());
  CHECK(codes(block(1), BaseBlockRole::kOldLog).empty());
  CHECK(codes(block(2), BaseBlockRole::kOldLog).empty());
}

TEST_CASE("Every base-block rule is reported separately", "[replay][readers]") {
  auto b = block();
  put32(b, 4, 8);      // dirty: not fatal for a primary, fatal for a log
  put32(b, 40, 5000);  // not a multiple of 4096
  put32(b, 44, 3);     // not a sector size / 512
  put32(b, 32, 2);     // not direct memory load
  const auto c = codes(b, BaseBlockRole::kPrimary);
  CHECK(has(c, "dirty"));
  CHECK(has(c, "bins_size"));
  CHECK(has(c, "clustering_factor"));
  CHECK(has(c, "file_format"));
  CHECK_FALSE(has(c, "checksum"));

  auto bad_sum = block();
  put32(bad_sum, 508, 0x12345678);
  CHECK(has(codes(bad_sum, BaseBlockRole::kPrimary, false), "checksum"));

  CHECK(has(codes(block(6), BaseBlockRole::kPrimary), "file_type"));
  CHECK(has(codes(block(0), BaseBlockRole::kNewLog), "file_type"));
  CHECK(has(codes(block(6), BaseBlockRole::kOldLog), "file_type"));

  auto log = block(1);
  put32(log, 8, 6);
  const auto lc = codes(log, BaseBlockRole::kOldLog);
  CHECK(has(lc, "log_sequence"));

  auto zero_bins = block();
  put32(zero_bins, 40, 0);
  CHECK(has(codes(zero_bins, BaseBlockRole::kPrimary), "bins_size"));

  auto truncated = block();
  put32(truncated, 40, 4096 * 8);
  CHECK(has(codes(truncated, BaseBlockRole::kPrimary), "truncated"));
}

TEST_CASE("Only fatal problems make a base block unusable", "[replay][readers]") {
  auto b = block();
  put32(b, 4, 8);
  put32(b, 508, readers::base_block_checksum(b));
  const auto dirty = readers::validate_base_block(*readers::parse_base_block(b, b.size()),
                                                  BaseBlockRole::kPrimary);
  CHECK(readers::base_block_usable(dirty));
  put32(b, 508, 1);
  const auto bad = readers::validate_base_block(*readers::parse_base_block(b, b.size()),
                                                BaseBlockRole::kPrimary);
  CHECK_FALSE(readers::base_block_usable(bad));
}

TEST_CASE("The corpus primaries and logs validate as their roles say", "[replay][readers]") {
  auto problems = [](const std::string& rel, BaseBlockRole role) {
    auto bb = readers::read_base_block(testing::corpus_path(rel));
    REQUIRE(bb);
    std::vector<std::string> out;
    for (const auto& p : readers::validate_base_block(*bb, role)) {
      out.push_back(p.code);
    }
    return out;
  };
  CHECK(problems("hives/win10-dirty-withlogs/SYSTEM", BaseBlockRole::kPrimary) ==
        std::vector<std::string>{"dirty"});
  CHECK(problems("hives/win10-dirty-withlogs/SYSTEM.LOG1", BaseBlockRole::kNewLog).empty());
  CHECK(problems("hives/replay/OldDirtyHive/OldDirtyHive.LOG1", BaseBlockRole::kOldLog).empty());
  // BadBaseBlockHive: checksum broken and version 1.1 (the corruption hit +24 too).
  const auto bad =
      problems("hives/corrupt/BadBaseBlockHive/BadBaseBlockHive", BaseBlockRole::kPrimary);
  CHECK(has(bad, "checksum"));
  CHECK(has(bad, "version"));
  CHECK(has(problems("hives/corrupt/BadLogHive1/BadLogHive.LOG1", BaseBlockRole::kOldLog),
            "checksum"));
}
