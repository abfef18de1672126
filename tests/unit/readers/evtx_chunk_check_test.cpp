// Unit tests for the EVTX chunk-header and record-chain check (readers/evtx_chunk_check), on the
// first chunk of a generated Security log patched one field at a time.
#include "readers/evtx_chunk_check.hpp"

#include "robustness/robustness_support.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace smssaudit;
using namespace smssaudit::testing;
using namespace smssaudit::testing::robust;

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kChunk0 = 4096;
constexpr std::size_t kChunkSize = 65536;

/// Chunk 0 of the boot_clean_win10_security fixture.
Bytes first_chunk() {
  const auto f = read_bytes(std::filesystem::path(evtx_fixture_dir("boot_clean_win10_security")) /
                            "Security.evtx");
  return {f.begin() + kChunk0, f.begin() + kChunk0 + kChunkSize};
}

std::uint64_t get_u64(std::span<const std::uint8_t> b, std::size_t at) {
  return get_u32(b, at) | (std::uint64_t{get_u32(b, at + 4)} << 32U);
}

bool mentions(const std::optional<std::string>& s, const std::string& words) {
  return s && s->find(words) != std::string::npos;
}

}  // namespace

TEST_CASE("A generated chunk passes the chunk check", "[readers][evtx]") {
  const Bytes c = first_chunk();
  const readers::ChunkCheck r = readers::check_chunk(c);
  CHECK_FALSE(r.header_problem);
  CHECK_FALSE(r.chain_problem);
  REQUIRE(r.last_record_id);
  CHECK(*r.last_record_id == get_u64(c, 32));
}

TEST_CASE("Chunk header fields that contradict the chunk are named", "[readers][evtx]") {
  const Bytes base = first_chunk();
  SECTION("last record offset past the chunk") {
    Bytes c = base;
    put_u32(c, 44, 0xFFFFFF00U);
    CHECK(mentions(readers::check_chunk(c).header_problem, "last record offset"));
  }
  SECTION("free-space offset outside the chunk") {
    Bytes c = base;
    put_u32(c, 48, 0xFFFFFFF0U);
    CHECK(mentions(readers::check_chunk(c).header_problem, "free-space offset"));
  }
  SECTION("a record number range no chunk can hold") {
    Bytes c = base;
    put_u64(c, 16, std::uint64_t{1} << 63U);
    CHECK(mentions(readers::check_chunk(c).header_problem, "record numbers"));
  }
  SECTION("an identifier range no chunk can hold, which then says nothing about the last id") {
    Bytes c = base;
    put_u64(c, 32, std::uint64_t{1} << 63U);
    const auto r = readers::check_chunk(c);
    CHECK(mentions(r.header_problem, "record identifiers"));
    CHECK_FALSE(r.last_record_id);
  }
  SECTION("a template table entry outside the records") {
    Bytes c = base;
    put_u32(c, 384 + 4 * 7, 0xFFFFFFFFU);
    CHECK(mentions(readers::check_chunk(c).header_problem, "template table entry 7"));
  }
  SECTION("a string table entry inside the chunk header") {
    Bytes c = base;
    put_u32(c, 128 + 4 * 3, 100);
    CHECK(mentions(readers::check_chunk(c).header_problem, "string table entry 3"));
  }
}

TEST_CASE("A live record chain that breaks before the last record is named", "[readers][evtx]") {
  const Bytes base = first_chunk();
  REQUIRE(get_u32(base, 44) > 512);  // more than one record, so a break at 512 is early
  SECTION("first record size 0") {
    Bytes c = base;
    put_u32(c, 512 + 4, 0);
    const auto r = readers::check_chunk(c);
    CHECK(mentions(r.chain_problem, "record at offset 512 declares size 0"));
    CHECK_FALSE(r.header_problem);
  }
  SECTION("first record signature overwritten") {
    Bytes c = base;
    put_u32(c, 512, 0);
    CHECK(mentions(readers::check_chunk(c).chain_problem, "no record signature at offset 512"));
  }
  SECTION("free-space offset short of the last record's end") {
    Bytes c = base;
    const std::uint32_t last = get_u32(c, 44);
    put_u32(c, 48, last + 8);
    CHECK(mentions(readers::check_chunk(c).chain_problem, "free-space offset"));
  }
}
