// Native EVTX scanner on hand-built bytes: hostile offsets, cyclic and oversized structures must
// give "unreadable" or a fallback, never a crash or a read outside the chunk.
#include "devtools/evtx/evtx_writer.hpp"
#include "readers/evtx_native/binxml.hpp"
#include "readers/evtx_native/native_reader.hpp"
#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "support/catch.hpp"
#include "support/evtx_samples.hpp"

#include <algorithm>
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

/// Value bytes placed at 600 of an otherwise empty chunk, described as a Value of `type`.
struct OneValue {
  std::vector<std::uint8_t> chunk = std::vector<std::uint8_t>(kChunkSize, 0);
  Value v;

  OneValue(std::uint8_t type, const std::vector<std::uint8_t>& bytes) {
    std::copy(bytes.begin(), bytes.end(), chunk.begin() + 600);
    v.type = type;
    v.offset = 600;
    v.size = static_cast<std::uint16_t>(bytes.size());
  }

  std::optional<std::string> text() const { return value_text(chunk, v); }
};

/// An EVTX file in memory, read through the ByteSource interface.
class Bytes final : public smssaudit::ByteSource {
 public:
  explicit Bytes(std::vector<std::uint8_t> b) : b_(std::move(b)) {}

  [[nodiscard]] std::uint64_t size() const noexcept override { return b_.size(); }

  [[nodiscard]] smssaudit::Result<std::size_t> read_at(std::uint64_t offset,
                                                       std::span<std::uint8_t> buf) const override {
    if (offset >= b_.size()) {
      return std::size_t{0};
    }
    const std::size_t n = std::min<std::size_t>(buf.size(), b_.size() - offset);
    std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(offset), n, buf.begin());
    return n;
  }

  [[nodiscard]] const std::string& name() const noexcept override { return name_; }

 private:
  std::vector<std::uint8_t> b_;
  std::string name_ = "memory:Security.evtx";
};

/// Three Security 4688 v2 events; the second one's `field` is `value`.
std::vector<std::uint8_t> security_4688(const std::string& field, const std::string& value) {
  return smssaudit::devtools::evtx::write_evtx(smssaudit::testing::security_4688_log(
      3, [&](std::size_t k, const std::string& name, const std::string& preset) {
        if (k == 1 && name == field) {
          return value;
        }
        return name == "CommandLine" ? std::string("cmd.exe /c ver") : preset;
      }));
}

struct EngineRead {
  smssaudit::facts::EventLogFile log;
  smssaudit::DiagnosticSink sink;

  [[nodiscard]] bool fell_back() const {
    return std::any_of(sink.items().begin(), sink.items().end(), [](const auto& d) {
      return d.code == "evtx.native_fallback";
    });
  }
};

EngineRead read_with(const std::vector<std::uint8_t>& file, smssaudit::readers::EvtxEngine engine) {
  EngineRead r;
  smssaudit::readers::EvtxReadOptions o;
  o.engine = engine;
  auto log = smssaudit::readers::read_event_log(Bytes(file), r.sink, nullptr, o);
  REQUIRE(log);
  r.log = std::move(*log);
  return r;
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

TEST_CASE("native scanner: value texts as libevtx renders them", "[evtx][native]") {
  SECTION("integers: signed types sign-extend, unsigned do not") {
    CHECK(OneValue(0x03, {0xFF}).text() == "-1");                            // Int8
    CHECK(OneValue(0x04, {0xFF}).text() == "255");                           // UInt8
    CHECK(OneValue(0x05, {0x00, 0x80}).text() == "-32768");                  // Int16
    CHECK(OneValue(0x08, {0xFF, 0xFF, 0xFF, 0xFF}).text() == "4294967295");  // UInt32
    CHECK(OneValue(0x09, {0, 0, 0, 0, 0, 0, 0, 0x80}).text() == "-9223372036854775808");
    CHECK(OneValue(0x0A, std::vector<std::uint8_t>(8, 0xFF)).text() == "18446744073709551615");
    CHECK_FALSE(OneValue(0x07, {1, 2}).text());  // Int32 of two bytes
  }
  SECTION("hex, GUID, SID, SYSTEMTIME, FILETIME") {
    CHECK(OneValue(0x14, {0xE8, 0x03, 0, 0}).text() == "0x000003e8");
    CHECK(OneValue(0x15, {0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0}).text() == "0x00000000deadbeef");
    CHECK_FALSE(OneValue(0x14, {1, 2, 3}).text());
    CHECK(OneValue(0x0F,
                   {0x33,
                    0x22,
                    0x11,
                    0x00,
                    0x55,
                    0x44,
                    0x77,
                    0x66,
                    0x88,
                    0x99,
                    0xAA,
                    0xBB,
                    0xCC,
                    0xDD,
                    0xEE,
                    0xFF})
              .text() == "{00112233-4455-6677-8899-AABBCCDDEEFF}");
    CHECK(OneValue(0x13, {1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}).text() == "S-1-5-18");
    CHECK_FALSE(OneValue(0x13, {1, 2, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}).text());  // count says 2
    CHECK(OneValue(0x12, {0xE3, 0x07, 2, 0, 3, 0, 13, 0, 18, 0, 1, 0, 41, 0, 0x52, 0x02}).text() ==
          "2019-02-13T18:01:41.594000000Z");
    CHECK(OneValue(0x11, {0xFC, 0x2F, 0x0E, 0x2C, 0xDB, 0xC3, 0xD4, 0x01}).text() ==
          filetime_text(0x01D4C3DB2C0E2FFCULL));
  }
  SECTION("strings stop at NUL; surrogates must pair; ANSI past ASCII is not reproduced") {
    CHECK(OneValue(0x01, {'a', 0, 0xE9, 0, 0, 0, 'z', 0}).text() == "a\xC3\xA9");
    CHECK(OneValue(0x01, {0x3D, 0xD8, 0x00, 0xDE}).text() == "\xF0\x9F\x98\x80");  // U+1F600
    CHECK_FALSE(OneValue(0x01, {0x3D, 0xD8, 'a', 0}).text());  // high surrogate, then 'a'
    CHECK_FALSE(OneValue(0x01, {0x00, 0xDE}).text());          // a lone low surrogate
    CHECK_FALSE(OneValue(0x01, {'a', 0, 0x3D, 0xD8}).text());  // high surrogate at the end
    CHECK(OneValue(0x02, {'a', 'b', 0, 0xFF}).text() == "ab");
    CHECK_FALSE(OneValue(0x02, {'a', 0xE9}).text());
  }
  SECTION("appending leaves the text untouched when a value is not reproduced") {
    std::string out = "prefix:";
    CHECK(append_value_text(
        OneValue(0x01, {'o', 0, 'k', 0}).chunk, OneValue(0x01, {'o', 0, 'k', 0}).v, out));
    CHECK(out == "prefix:ok");
    const OneValue broken(0x01, {'a', 0, 'b', 0, 0x3D, 0xD8});
    CHECK_FALSE(append_value_text(broken.chunk, broken.v, out));
    CHECK(out == "prefix:ok");
  }
}

TEST_CASE("native scanner: a string value holding '<' hands the file to libevtx",
          "[evtx][native]") {
  using smssaudit::readers::EvtxEngine;
  // libevtx writes values into its XML unescaped, so such a value turns into markup there; the
  // native scanner does not imitate what pugixml then makes of it. A field the analyzer reads
  // (CommandLine) and one it never reads (TokenElevationType, binxml.cpp check_markup) alike.
  for (const std::string field : {"CommandLine", "TokenElevationType"}) {
    INFO(field);
    const auto marked = security_4688(field, "cmd.exe /c echo <x> > out.txt");
    const EngineRead lib = read_with(marked, EvtxEngine::kLibevtx);
    const EngineRead native = read_with(marked, EvtxEngine::kNative);
    CHECK(native.fell_back());
    REQUIRE(native.log.events.size() == lib.log.events.size());
    for (std::size_t i = 0; i < lib.log.events.size(); ++i) {
      CHECK(native.log.events[i].command_line.view() == lib.log.events[i].command_line.view());
    }
  }
  // Without '<' the file stays native, and non-ASCII text survives the conversion.
  const std::string text = "cmd.exe /c echo caf\xC3\xA9 \xF0\x9F\x98\x80";
  const auto plain = security_4688("CommandLine", text);
  const EngineRead lib = read_with(plain, EvtxEngine::kLibevtx);
  const EngineRead native = read_with(plain, EvtxEngine::kNative);
  CHECK_FALSE(native.fell_back());
  REQUIRE(native.log.events.size() == 3);
  REQUIRE(lib.log.events.size() == 3);
  CHECK(native.log.events[1].command_line.view() == text);
  CHECK(lib.log.events[1].command_line.view() == text);
}
