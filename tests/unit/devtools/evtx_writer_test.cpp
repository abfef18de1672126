// The EVTX encoder on its own: CRCs and name hashes recomputed independently, chunk tables and
// chains, chunk rollover, records_per_chunk, damage, and the spec loader's errors.
#include "devtools/evtx/evtx_writer.hpp"

#include "devtools/evtx/binxml.hpp"
#include "devtools/evtx/evtx_presets.hpp"
#include "devtools/evtx/evtx_spec_loader.hpp"
#include "support/catch.hpp"
#include "support/evtx_samples.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ev = smssaudit::devtools::evtx;

namespace {

constexpr std::size_t kHeader = 4096;
constexpr std::size_t kChunk = 65536;

std::uint64_t le(const std::vector<std::uint8_t>& b, std::size_t off, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < size; ++k)
    v |= static_cast<std::uint64_t>(b.at(off + k)) << (8 * k);
  return v;
}

// Bitwise CRC-32 (zlib), deliberately not the writer's table-driven one.
std::uint32_t reference_crc(const std::uint8_t* p, std::size_t n, std::uint32_t crc = 0) {
  crc = ~crc;
  for (std::size_t k = 0; k < n; ++k) {
    crc ^= p[k];
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1U) != 0 ? (crc >> 1U) ^ 0xEDB88320U : crc >> 1U;
  }
  return ~crc;
}

std::vector<std::uint8_t> chunk_of(const std::vector<std::uint8_t>& file, std::size_t index) {
  const std::size_t at = kHeader + index * kChunk;
  return {file.begin() + static_cast<std::ptrdiff_t>(at),
          file.begin() + static_cast<std::ptrdiff_t>(at + kChunk)};
}

std::size_t chunk_count(const std::vector<std::uint8_t>& file) {
  return (file.size() - kHeader) / kChunk;
}

bool chunk_header_crc_ok(const std::vector<std::uint8_t>& c) {
  std::uint32_t crc = reference_crc(c.data(), 120);
  crc = reference_crc(c.data() + 128, 512 - 128, crc);
  return crc == le(c, 124, 4);
}

bool records_crc_ok(const std::vector<std::uint8_t>& c) {
  const auto free = static_cast<std::size_t>(le(c, 48, 4));
  return reference_crc(c.data() + 512, free - 512) == le(c, 52, 4);
}

std::string utf16_name(const std::vector<std::uint8_t>& c, std::size_t at, std::size_t count) {
  std::string s;
  for (std::size_t k = 0; k < count; ++k)
    s += static_cast<char>(c.at(at + 2 * k));  // fixture names are ASCII
  return s;
}

std::uint16_t reference_hash(const std::string& ascii) {
  std::uint32_t h = 0;
  for (const char ch : ascii)
    h = h * 65599U + static_cast<std::uint8_t>(ch);
  return static_cast<std::uint16_t>(h);
}

// Walks every record of a chunk; returns the record ids and checks the framing on the way.
std::vector<std::uint64_t> walk_records(const std::vector<std::uint8_t>& c) {
  std::vector<std::uint64_t> ids;
  const auto free = static_cast<std::size_t>(le(c, 48, 4));
  std::size_t off = 512;
  std::size_t last = 0;
  while (off < free) {
    REQUIRE(le(c, off, 4) == 0x00002A2A);
    const auto size = static_cast<std::size_t>(le(c, off + 4, 4));
    REQUIRE(size % 8 == 0);
    REQUIRE(off + size <= free);
    REQUIRE(le(c, off + size - 4, 4) == size);
    ids.push_back(le(c, off + 8, 8));
    last = off;
    off += size;
  }
  CHECK(off == free);
  CHECK(le(c, 44, 4) == last);
  return ids;
}

ev::LogFileSpec sample_file(std::size_t events, std::size_t command_line_chars = 10) {
  return smssaudit::testing::security_4688_log(
      events,
      [command_line_chars](std::size_t k, const std::string& name, const std::string& preset) {
        return name == "CommandLine" ? std::string(command_line_chars, 'x') + std::to_string(k)
                                     : preset;
      });
}

}  // namespace

TEST_CASE("evtx writer: file header, chunk header and records CRCs verify independently",
          "[devtools][evtx]") {
  const auto file = ev::write_evtx(sample_file(5));
  REQUIRE(file.size() == kHeader + kChunk);
  CHECK(std::string(file.begin(), file.begin() + 7) == "ElfFile");
  CHECK(le(file, 124, 4) == reference_crc(file.data(), 120));
  CHECK(le(file, 24, 8) == 6);  // next record id
  CHECK(le(file, 36, 2) == 2);  // 3.2
  CHECK(le(file, 38, 2) == 3);
  CHECK(le(file, 42, 2) == 1);
  CHECK(le(file, 120, 4) == 0);  // clean
  const auto c = chunk_of(file, 0);
  CHECK(std::string(c.begin(), c.begin() + 7) == "ElfChnk");
  CHECK(chunk_header_crc_ok(c));
  CHECK(records_crc_ok(c));
  CHECK(le(c, 120, 4) == 1);
  CHECK(walk_records(c) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(le(c, 8, 8) == 1);
  CHECK(le(c, 16, 8) == 5);
}

TEST_CASE("evtx writer: name hash of a known name and the chunk string table chains",
          "[devtools][evtx]") {
  // h = h * 65599 + unit over "EventData", low 16 bits (computed by hand: 0x8244, bucket 4).
  CHECK(ev::name_hash("EventData") == 0x8244);
  CHECK(ev::name_hash("Event") == 0x0CBA);
  CHECK(ev::crc32(reinterpret_cast<const std::uint8_t*>("123456789"), 9) == 0xCBF43926U);

  const auto c = chunk_of(ev::write_evtx(sample_file(3)), 0);
  std::set<std::string> names;
  for (std::size_t bucket = 0; bucket < 64; ++bucket) {
    auto off = static_cast<std::size_t>(le(c, 128 + 4 * bucket, 4));
    std::size_t previous = kChunk;
    while (off != 0) {
      REQUIRE(off < previous);  // chains point downwards
      const auto count = static_cast<std::size_t>(le(c, off + 6, 2));
      const std::string name = utf16_name(c, off + 8, count);
      CHECK(le(c, off + 4, 2) == reference_hash(name));
      CHECK(reference_hash(name) % 64 == bucket);
      CHECK(le(c, off + 8 + 2 * count, 2) == 0);  // NUL
      CHECK(names.insert(name).second);           // each name defined once per chunk
      previous = off;
      off = static_cast<std::size_t>(le(c, off, 4));
    }
  }
  // Element and attribute names only: Data/@Name values ("SubjectUserSid") are value text.
  const std::vector<std::string> expected = {"Event",
                                             "System",
                                             "Provider",
                                             "EventID",
                                             "Qualifiers",
                                             "TimeCreated",
                                             "SystemTime",
                                             "Security",
                                             "UserID",
                                             "EventData",
                                             "Data",
                                             "Name",
                                             "Computer",
                                             "xmlns"};
  for (const auto& n : expected) {
    INFO(n);
    CHECK(names.count(n) == 1);
  }
}

TEST_CASE("evtx writer: template table entries follow python-evtx's inline-definition rule",
          "[devtools][evtx]") {
  const auto c = chunk_of(ev::write_evtx(sample_file(3)), 0);
  std::size_t templates = 0;
  for (std::size_t bucket = 0; bucket < 32; ++bucket) {
    auto off = static_cast<std::size_t>(le(c, 384 + 4 * bucket, 4));
    while (off != 0) {
      CHECK(c.at(off - 10) == 0x0C);    // the instance token before an inline definition
      CHECK(le(c, off - 4, 4) == off);  // whose definition offset points right here
      CHECK(le(c, off + 4, 4) == le(c, off - 8, 4));  // template id = GUID bytes 0-3
      CHECK(le(c, off + 4, 4) % 32 == bucket);
      const auto size = static_cast<std::size_t>(le(c, off + 20, 4));
      CHECK(le(c, off + 24, 4) == 0x0001010F);   // 0F 01 01 00
      CHECK(c.at(off + 24 + size - 1) == 0x00);  // end of stream
      ++templates;
      const auto next = static_cast<std::size_t>(le(c, off, 4));
      REQUIRE((next == 0 || next < off));
      off = next;
    }
  }
  CHECK(templates == 2);  // the System template and the 4688 EventData template
}

TEST_CASE("evtx writer: a record that would cross 65536 bytes starts a new chunk",
          "[devtools][evtx]") {
  // ~8 KB of command line per record: about 7 records per chunk.
  const auto spec = sample_file(20, 4000);
  const auto file = ev::write_evtx(spec);
  const std::size_t chunks = chunk_count(file);
  REQUIRE(chunks >= 3);
  CHECK(le(file, 42, 2) == chunks);
  CHECK(le(file, 16, 8) == chunks - 1);
  std::vector<std::uint64_t> all;
  std::uint64_t number = 1;
  for (std::size_t k = 0; k < chunks; ++k) {
    const auto c = chunk_of(file, k);
    INFO("chunk " << k);
    CHECK(chunk_header_crc_ok(c));
    CHECK(records_crc_ok(c));
    const auto ids = walk_records(c);
    REQUIRE_FALSE(ids.empty());
    CHECK(le(c, 8, 8) == number);  // record numbers continue across chunks
    number += ids.size();
    CHECK(le(c, 16, 8) == number - 1);
    // The next record (about 8 KB) did not fit: the chunk is nearly full.
    if (k + 1 < chunks)
      CHECK(le(c, 48, 4) > kChunk - 9000);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  CHECK(all.size() == 20);
  CHECK(all.front() == 1);
  CHECK(all.back() == 20);
}

TEST_CASE("evtx writer: records_per_chunk forces chunks of N records", "[devtools][evtx]") {
  auto spec = sample_file(10);
  spec.records_per_chunk = 4;
  spec.first_record_id = 31878;
  const auto file = ev::write_evtx(spec);
  REQUIRE(chunk_count(file) == 3);
  const std::vector<std::size_t> sizes = {4, 4, 2};
  for (std::size_t k = 0; k < 3; ++k) {
    const auto c = chunk_of(file, k);
    const auto ids = walk_records(c);
    CHECK(ids.size() == sizes[k]);
    CHECK(le(c, 24, 8) == ids.front());
    CHECK(le(c, 32, 8) == ids.back());
    // Names are re-emitted per chunk: every chunk has its own string table.
    CHECK(le(c, 128 + 4 * std::size_t{ev::name_hash("EventData") % 64U}, 4) != 0);
  }
  CHECK(walk_records(chunk_of(file, 0)).front() == 31878);
  CHECK(le(file, 24, 8) == 31888);
}

TEST_CASE("evtx writer: damage is applied after writing", "[devtools][evtx]") {
  auto spec = sample_file(6);
  spec.records_per_chunk = 2;
  const auto clean = ev::write_evtx(spec);
  REQUIRE(chunk_count(clean) == 3);

  spec.corrupt.bad_chunk_magic = {1};
  spec.corrupt.bad_records_crc = {0};
  spec.header_dirty = true;
  const auto bad = ev::write_evtx(spec);
  CHECK(bad.size() == clean.size());
  CHECK(le(bad, 120, 4) == 1);  // dirty flag
  CHECK(le(bad, 124, 4) == reference_crc(bad.data(), 120));
  const auto c0 = chunk_of(bad, 0);
  CHECK_FALSE(records_crc_ok(c0));
  CHECK(chunk_header_crc_ok(c0));  // only the records CRC is wrong
  const auto c1 = chunk_of(bad, 1);
  CHECK(std::string(c1.begin(), c1.begin() + 7) != "ElfChnk");
  const auto c2 = chunk_of(bad, 2);
  CHECK(std::string(c2.begin(), c2.begin() + 7) == "ElfChnk");
  CHECK(records_crc_ok(c2));

  spec.corrupt = {};
  spec.corrupt.truncate_to = 70000;
  CHECK(ev::write_evtx(spec).size() == 70000);

  spec.corrupt = {};
  spec.corrupt.bad_records_crc = {7};
  CHECK_THROWS_AS(ev::write_evtx(spec), ev::EvtxWriteError);
}

TEST_CASE("evtx spec: an unknown field name is an error naming file and line", "[devtools][evtx]") {
  const std::string text =
      "base_time: \"2021-03-01T08:00:00Z\"\n"
      "files:\n"
      "  - name: Security.evtx\n"
      "    events:\n"
      "      - t: 0\n"
      "        preset: security_4688_v2\n"
      "        data:\n"
      "          NewProcesName: 'C:\\x.exe'\n";
  try {
    (void)ev::parse_evtx_spec(text, "typo.yaml");
    FAIL("no error for a misspelt field");
  } catch (const ev::EvtxSpecError& e) {
    CHECK(e.line() == 8);
    CHECK_THAT(e.what(), Catch::StartsWith("typo.yaml:8:11:"));
    CHECK_THAT(e.what(), Catch::Contains("NewProcesName"));
  }
  CHECK_THROWS_WITH(
      ev::parse_evtx_spec(
          "files: [{name: a.evtx, events: [{time: '2021-03-01T08:00:00Z', preset: nope}]}]",
          "p.yaml"),
      Catch::Contains("unknown preset 'nope'"));
  CHECK_THROWS_WITH(ev::parse_evtx_spec("files: [{name: a.evtx, bogus: 1}]", "k.yaml"),
                    Catch::StartsWith("k.yaml:1:24: unknown key 'bogus'"));
}

TEST_CASE("evtx spec: a value over 65535 bytes is an error", "[devtools][evtx]") {
  // 40,000 UTF-16 code units = 80,000 bytes: larger than the u16 descriptor size.
  const std::string big(40000, 'A');
  const std::string spec =
      "files:\n"
      "  - name: Security.evtx\n"
      "    events:\n"
      "      - time: \"2021-03-01T08:00:00Z\"\n"
      "        preset: security_4688_v2\n"
      "        data: {CommandLine: " +
      big + "}\n";
  try {
    (void)ev::parse_evtx_spec(spec, "big.yaml");
    FAIL("no error for an oversized value");
  } catch (const ev::EvtxSpecError& e) {
    CHECK(e.line() == 6);
    CHECK_THAT(e.what(), Catch::Contains("65535"));
  }
  CHECK_THROWS_AS(ev::encode_value(ev::FieldType::kString, big), ev::ValueError);
  CHECK(ev::encode_value(ev::FieldType::kString, std::string(32767, 'A')).bytes.size() == 65534);

  // Two values that each fit but together do not fit a chunk.
  auto file = sample_file(1);
  file.events[0].fields.push_back(
      ev::EventField{"A",
                     ev::FieldType::kString,
                     ev::encode_value(ev::FieldType::kString, std::string(30000, 'a'))});
  file.events[0].fields.push_back(
      ev::EventField{"B",
                     ev::FieldType::kString,
                     ev::encode_value(ev::FieldType::kString, std::string(30000, 'b'))});
  CHECK_THROWS_AS(ev::write_evtx(file), ev::EvtxWriteError);
}

TEST_CASE("evtx values: SID, GUID, hex and FILETIME encodings", "[devtools][evtx]") {
  const auto sid = ev::encode_value(ev::FieldType::kSid, "S-1-5-21-1-2-3-1001");
  CHECK(sid.bytes == std::vector<std::uint8_t>{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0,    0, 1, 0,
                                               0, 0, 2, 0, 0, 0, 3, 0, 0,  0, 0xE9, 3, 0, 0});
  const auto guid =
      ev::encode_value(ev::FieldType::kGuid, "{54849625-5478-4994-a5ba-3e3b0328c30d}");
  CHECK(guid.bytes == std::vector<std::uint8_t>{0x25,
                                                0x96,
                                                0x84,
                                                0x54,
                                                0x78,
                                                0x54,
                                                0x94,
                                                0x49,
                                                0xA5,
                                                0xBA,
                                                0x3E,
                                                0x3B,
                                                0x03,
                                                0x28,
                                                0xC3,
                                                0x0D});
  CHECK(guid.text.front() == "{54849625-5478-4994-A5BA-3E3B0328C30D}");
  const auto pid = ev::encode_value(ev::FieldType::kPointer, "0x118");
  CHECK(pid.type == ev::ValueType::kHexInt64);
  CHECK(pid.bytes.size() == 8);
  CHECK(pid.text.front() == "0x118");
  CHECK(ev::declared_type(ev::FieldType::kPointer) == ev::ValueType::kSizeT);
  CHECK(ev::encode_value(ev::FieldType::kHexInt64, "280").text.front() == "0x118");
  CHECK(ev::encode_value(ev::FieldType::kUInt32, "0x12c").text.front() == "300");
  const auto ft = ev::encode_value(ev::FieldType::kFiletime, "2021-03-01T07:59:58.5000000Z");
  CHECK(ft.text.front() == "2021-03-01T07:59:58.5000000Z");
  CHECK_THROWS_AS(ev::encode_value(ev::FieldType::kSid, "S-1-x"), ev::ValueError);
  CHECK_THROWS_AS(ev::encode_value(ev::FieldType::kUInt8, "256"), ev::ValueError);
  CHECK_THROWS_AS(ev::encode_value(ev::FieldType::kGuid, "{nope}"), ev::ValueError);
}

TEST_CASE("evtx presets: field order is exactly what Windows writes", "[devtools][evtx]") {
  const auto names = [](const char* preset) {
    std::vector<std::string> out;
    for (const auto& f : ev::find_preset(preset)->fields)
      out.push_back(f.name);
    return out;
  };
  CHECK(names("security_4688_v0").size() == 8);
  CHECK(names("security_4688_v1").size() == 9);
  CHECK(names("security_4688_v2").size() == 15);
  CHECK(names("security_4688_v2").back() == "MandatoryLabel");
  CHECK(names("security_4624_v2").size() == 27);
  CHECK(names("sysmon_1_a").size() == 16);
  CHECK(names("sysmon_1_b").size() == 21);
  CHECK(names("sysmon_1_c").size() == 22);
  CHECK(names("sysmon_1_d").size() == 23);
  CHECK(names("sysmon_1_b").front() == "RuleName");
  CHECK(names("sysmon_1_c")[9] == "OriginalFileName");
  CHECK(names("sysmon_1_d").back() == "ParentUser");
  CHECK(names("sysmon_5_old").size() == 5);
  CHECK(names("sysmon_5_new").back() == "User");
  CHECK(names("system_12").back() == "StartTime");
  CHECK(names("lsm_21") == std::vector<std::string>{"User", "SessionID", "Address"});
  CHECK(names("lsm_23") == std::vector<std::string>{"User", "SessionID"});
  CHECK(names("security_4608").empty());
}
