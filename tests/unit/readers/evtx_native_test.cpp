// Native EVTX scanner on hand-built bytes: hostile offsets, cyclic and oversized structures must
// give "unreadable" or a fallback, never a crash or a read outside the chunk.
#include "readers/evtx_native/binxml.hpp"
#include "readers/evtx_native/native_reader.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace smssaudit::readers::evtx_native;

namespace {

void put32(std::vector<std::uint8_t>& c, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    c[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

/// A chunk with one record at 512 whose binary XML is `xml` (placed at 536).
std::vector<std::uint8_t> chunk_with(const std::vector<std::uint8_t>& xml) {
  std::vector<std::uint8_t> c(kChunkSize, 0);
  const std::uint32_t size = static_cast<std::uint32_t>((24 + xml.size() + 4 + 7) / 8 * 8);
  c[512] = 0x2A;
  c[513] = 0x2A;
  put32(c, 516, size);
  std::memcpy(c.data() + 536, xml.data(), xml.size());
  put32(c, 512 + size - 4, size);
  return c;
}

}  // namespace

TEST_CASE("native scanner: FILETIME text", "[evtx][native]") {
  CHECK(filetime_text(0) == "1601-01-01T00:00:00.000000000Z");
  CHECK(filetime_text(131945545015938300ULL) == "2019-02-13T18:01:41.593830000Z");
  CHECK(filetime_text(~0ULL).empty());
}

TEST_CASE("native scanner: hostile template references are unreadable", "[evtx][native]") {
  SECTION("definition offset outside the chunk") {
    auto c = chunk_with({0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF});
    ChunkParser p(c);
    CHECK(p.read_record(512, 48, false).status == RecordView::Status::kUnreadable);
  }
  SECTION("definition pointing at the instance itself (a cycle)") {
    // def offset = 540, the instance's own start: the "definition" starts with 0C, not 0F.
    auto c = chunk_with({0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0x1C, 0x02, 0, 0});
    ChunkParser p(c);
    CHECK(p.read_record(512, 48, false).status == RecordView::Status::kUnreadable);
  }
  SECTION("definition with a huge data size") {
    auto c = chunk_with({0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01, 0, 0, 0,    0,    0x2A, 0x02, 0,
                         0,    0,    0,    0,    0,    0,    0, 0, 0,    0,    0,    0,    0,
                         0,    0,    0,    0,    0,    0,    0, 0, 0xFF, 0xFF, 0xFF, 0x7F});
    ChunkParser p(c);
    CHECK(p.read_record(512, 80, false).status == RecordView::Status::kUnreadable);
  }
}

TEST_CASE("native scanner: a name offset past the chunk fails the template", "[evtx][native]") {
  std::vector<std::uint8_t> c(kChunkSize, 0);
  // Definition at 1000: header (24 bytes), then 0F 01 01 00, element 01 dep data-size name-offset.
  const std::size_t d = 1000;
  put32(c, d + 20, 20);
  const std::vector<std::uint8_t> body{
      0x0F, 0x01, 0x01, 0x00, 0x01, 0xFF, 0xFF, 8, 0, 0, 0, 0xFC, 0xFF, 0x00, 0x00, 0x03, 0x00};
  std::memcpy(c.data() + d + 24, body.data(), body.size());
  ChunkParser p(c);
  const Template& t = p.template_at(static_cast<std::uint32_t>(d));
  CHECK_FALSE(t.ok);
  CHECK_FALSE(t.problem.empty());
}

TEST_CASE("native scanner: deeply nested elements are capped", "[evtx][native]") {
  std::vector<std::uint8_t> c(kChunkSize, 0);
  const std::size_t d = 1000;
  std::vector<std::uint8_t> body{0x0F, 0x01, 0x01, 0x00};
  // 100 nested <a> elements, each naming a shared name at offset 600 (count 1, "a").
  c[600 + 6] = 1;
  c[600 + 8] = 'a';
  for (int i = 0; i < 100; ++i) {
    const std::vector<std::uint8_t> open{0x01, 0xFF, 0xFF, 0, 0, 0, 0, 0x58, 0x02, 0, 0, 0x02};
    body.insert(body.end(), open.begin(), open.end());
  }
  put32(c, d + 20, static_cast<std::uint32_t>(body.size()));
  std::memcpy(c.data() + d + 24, body.data(), body.size());
  ChunkParser p(c);
  const Template& t = p.template_at(static_cast<std::uint32_t>(d));
  CHECK_FALSE(t.ok);
}

TEST_CASE("native scanner: huge value counts are refused", "[evtx][native]") {
  // A valid one-element template inline, then a value count of 0xFFFFFFFF.
  std::vector<std::uint8_t> xml{0x0F, 0x01, 0x01, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0x22, 0x02, 0, 0};
  std::vector<std::uint8_t> def(24, 0);
  const std::vector<std::uint8_t> body{
      0x0F, 0x01, 0x01, 0x00, 0x01, 0xFF, 0xFF, 8, 0, 0, 0, 0x58, 0x02, 0x00, 0x00, 0x03, 0x00};
  def[20] = static_cast<std::uint8_t>(body.size());
  xml.insert(xml.end(), def.begin(), def.end());
  xml.insert(xml.end(), body.begin(), body.end());
  xml.insert(xml.end(), {0xFF, 0xFF, 0xFF, 0xFF, 0x00});
  auto c = chunk_with(xml);
  c[600 + 6] = 1;
  c[600 + 8] = 'E';
  ChunkParser p(c);
  CHECK(p.read_record(512, static_cast<std::uint32_t>((24 + xml.size() + 4 + 7) / 8 * 8), false)
            .status == RecordView::Status::kUnreadable);
}

TEST_CASE("native scanner: CRC-32 is zlib's (IEEE) and chains across pieces", "[evtx][native]") {
  const std::string check = "123456789";  // the standard check input
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(check.data());
  CHECK(crc32(0, bytes, check.size()) == 0xCBF43926U);
  CHECK(crc32(0, bytes, 0) == 0U);
  for (std::size_t cut = 0; cut <= check.size(); ++cut) {
    CHECK(crc32(crc32(0, bytes, cut), bytes + cut, check.size() - cut) == 0xCBF43926U);
  }
  // Long input, where a vectorised path takes over: must agree with the bytewise definition.
  std::vector<std::uint8_t> data(65536 + 13);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::uint8_t>((i * 2654435761U) >> 13U);
  }
  std::uint32_t slow = 0xFFFFFFFFU;
  for (const std::uint8_t b : data) {
    slow ^= b;
    for (int k = 0; k < 8; ++k) {
      slow = (slow & 1U) != 0 ? 0xEDB88320U ^ (slow >> 1U) : slow >> 1U;
    }
  }
  CHECK(crc32(0, data.data(), data.size()) == ~slow);
}
