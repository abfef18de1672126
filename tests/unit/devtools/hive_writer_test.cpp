// Tests of the fixture hive writer: layout invariants checked by an independent walker.
#include "devtools/hive_writer.hpp"

#include "devtools/hive_encoding.hpp"
#include "devtools/hive_listing.hpp"
#include "devtools/hive_log_writer.hpp"
#include "support/catch.hpp"
#include "unit/devtools/regf_walker.hpp"

#include <numeric>

namespace dt = smssaudit::devtools;
using smssaudit::testing::walk_regf;

namespace {

dt::ValueSpec value(std::string name, std::uint32_t type, std::vector<std::uint8_t> data) {
  dt::ValueSpec v;
  v.name = std::move(name);
  v.type = type;
  v.data = std::move(data);
  return v;
}

// ROOT\ControlSet001\Control\Session Manager with the values formats.md §11 built, plus a few
// more shapes (default value, class name, QWORD, 1.5 KiB binary) and subkeys given out of order.
dt::HiveSpec sample_hive() {
  dt::HiveSpec hive;
  hive.last_written = 132593259000000000ULL;
  dt::KeySpec sm = dt::KeySpec::named("Session Manager");
  sm.class_name = "SmClass";
  sm.values.push_back(value("ProtectionMode", dt::kRegDword, dt::le32_bytes(1)));
  sm.values.push_back(
      value("BootExecute",
            dt::kRegMultiSz,
            dt::reg_multi_sz_bytes({"autocheck autochk *", "C:\\fixture\\evil.exe"})));
  sm.values.push_back(value("", dt::kRegSz, dt::reg_sz_bytes("mnmsrvc")));
  sm.values.push_back(value("Q", dt::kRegQword, dt::le64_bytes(0x0102030405060708ULL)));
  sm.values.push_back(value("Blob", dt::kRegBinary, std::vector<std::uint8_t>(1500, 0xAB)));
  sm.subkeys.push_back(dt::KeySpec::named("SubSystems"));
  sm.subkeys.push_back(dt::KeySpec::named("KnownDLLs"));
  sm.subkeys.push_back(dt::KeySpec::named("kernel"));
  sm.subkeys.push_back(dt::KeySpec::named("AppCertDlls"));
  dt::KeySpec control = dt::KeySpec::named("Control");
  control.subkeys.push_back(std::move(sm));
  dt::KeySpec cs = dt::KeySpec::named("ControlSet001");
  cs.subkeys.push_back(std::move(control));
  hive.root.subkeys.push_back(dt::KeySpec::named("Select"));
  hive.root.subkeys.push_back(std::move(cs));
  return hive;
}

std::string joined(const std::vector<std::string>& lines) {
  return std::accumulate(
      lines.begin(), lines.end(), std::string(), [](std::string a, const std::string& b) {
        return a + b + "\n";
      });
}

std::uint32_t le32_at(const std::vector<std::uint8_t>& b, std::size_t at) {
  return b[at] | (static_cast<std::uint32_t>(b[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[at + 3]) << 24U);
}

}  // namespace

TEST_CASE("A written hive tiles its bins, aligns cells, sorts lists and checksums its base block",
          "[devtools]") {
  const dt::HiveSpec hive = sample_hive();
  const auto bytes = dt::write_hive(hive);
  const auto walked = walk_regf(bytes);
  INFO(joined(walked.problems));
  CHECK(walked.problems.empty());
  CHECK(walked.key_count == 9);
  CHECK(walked.sk_refcount == 9);
  CHECK(bytes.size() % 4096 == 0);
  CHECK(le32_at(bytes, 36) == 0x20);  // root nk is the first cell
  // The tree read back equals the spec, whatever order the spec listed things in.
  CHECK(joined(dt::normalized_listing(walked.hive, {true, true})) ==
        joined(dt::normalized_listing(hive, {true, true})));
}

TEST_CASE("Writing is deterministic and independent of value and subkey order", "[devtools]") {
  dt::HiveSpec a = sample_hive();
  dt::HiveSpec b = sample_hive();
  std::reverse(b.root.subkeys.begin(), b.root.subkeys.end());
  auto& sm =
      *b.root.find_subkey("ControlSet001")->find_subkey("Control")->find_subkey("Session Manager");
  std::reverse(sm.values.begin(), sm.values.end());
  std::reverse(sm.subkeys.begin(), sm.subkeys.end());
  CHECK(dt::write_hive(a) == dt::write_hive(b));
}

TEST_CASE("A 40 KiB value is stored in db segments in a 1.5 hive and in one cell in a 1.3 hive",
          "[devtools]") {
  dt::HiveSpec hive;
  std::vector<std::uint8_t> big(40 * 1024);
  for (std::size_t k = 0; k < big.size(); ++k)
    big[k] = static_cast<std::uint8_t>(k * 7 + k / 251);
  hive.root.values.push_back(value("AppCompatCache", dt::kRegBinary, big));

  hive.minor_version = 5;
  const auto v15 = walk_regf(dt::write_hive(hive));
  INFO(joined(v15.problems));
  CHECK(v15.problems.empty());
  CHECK(v15.records.count("db") == 1);
  REQUIRE(v15.hive.root.values.size() == 1);
  CHECK(v15.hive.root.values[0].data == big);

  hive.minor_version = 3;
  const auto bytes13 = dt::write_hive(hive);
  const auto v13 = walk_regf(bytes13);
  INFO(joined(v13.problems));
  CHECK(v13.problems.empty());
  CHECK(v13.records.count("db") == 0);
  CHECK(le32_at(bytes13, 24) == 3);
  REQUIRE(v13.hive.root.values.size() == 1);
  CHECK(v13.hive.root.values[0].data == big);
  CHECK(v13.bin_count >= 2);  // the 40 KiB cell needs its own large bin
}

TEST_CASE("A key with 1,200 subkeys gets an ri index over sorted lh leaves", "[devtools]") {
  dt::HiveSpec hive;
  dt::KeySpec wide = dt::KeySpec::named("Enum");
  for (int k = 1200; k-- > 0;)
    wide.subkeys.push_back(dt::KeySpec::named("Dev" + std::to_string(k)));
  hive.root.subkeys.push_back(std::move(wide));
  const auto walked = walk_regf(dt::write_hive(hive));
  INFO(joined(walked.problems));
  CHECK(walked.problems.empty());
  CHECK(walked.records.at("ri") == 1);
  CHECK(walked.records.at("lh") == 4);  // 3 leaves of 400 under the ri + the root's own lh
  CHECK(walked.key_count == 1202);
}

TEST_CASE("Unequal sequence numbers are written as given, making a dirty hive", "[devtools]") {
  dt::HiveSpec hive;
  hive.primary_sequence = 6;
  hive.secondary_sequence = 5;
  const auto bytes = dt::write_hive(hive);
  CHECK(le32_at(bytes, 4) == 6);
  CHECK(le32_at(bytes, 8) == 5);
  CHECK(walk_regf(bytes).problems.empty());
}

TEST_CASE("The base-block checksum applies Windows' 0 and 0xFFFFFFFF substitutions", "[devtools]") {
  std::vector<std::uint8_t> block(512, 0);
  CHECK(dt::regf_checksum(block) == 1);
  block[0] = 0xFF;
  block[1] = 0xFF;
  block[2] = 0xFF;
  block[3] = 0xFF;
  CHECK(dt::regf_checksum(block) == 0xFFFFFFFEU);
  block[4] = 0x01;
  CHECK(dt::regf_checksum(block) == 0xFFFFFFFEU);  // the plain XOR this time
  block[4] = 0x02;
  CHECK(dt::regf_checksum(block) == 0xFFFFFFFDU);
}

TEST_CASE("Data encodings follow Windows: NUL-terminated strings, double-NUL lists, inline DWORDs",
          "[devtools]") {
  CHECK(dt::reg_multi_sz_bytes({"autocheck autochk *"}).size() == 42);
  CHECK(dt::reg_multi_sz_bytes({}) == std::vector<std::uint8_t>{0, 0});
  CHECK(dt::reg_sz_bytes("AB") == std::vector<std::uint8_t>{'A', 0, 'B', 0, 0, 0});
  CHECK(dt::lh_hash("Select") == dt::lh_hash("SELECT"));

  dt::HiveSpec hive;
  hive.root.values.push_back(value("GlobalFlag", dt::kRegDword, dt::le32_bytes(0x12345678)));
  const auto bytes = dt::write_hive(hive);
  // Find the vk: its data-size field must carry bit 31 and the data sit in the offset field.
  bool found = false;
  for (std::size_t at = 4096; at + 30 < bytes.size(); at += 8) {
    if (bytes[at + 4] == 'v' && bytes[at + 5] == 'k') {
      CHECK(le32_at(bytes, at + 8) == 0x80000004U);
      CHECK(le32_at(bytes, at + 12) == 0x12345678U);
      found = true;
    }
  }
  CHECK(found);
}

TEST_CASE("A long embedded name keeps its last 31 characters", "[devtools]") {
  dt::HiveSpec hive;
  hive.embedded_name = "\\??\\C:\\Windows\\System32\\config\\SYSTEM";
  const auto bytes = dt::write_hive(hive);
  std::string name;
  for (std::size_t at = 48; at < 112 && bytes[at] != 0; at += 2)
    name.push_back(static_cast<char>(bytes[at]));
  CHECK(name == "\\Windows\\System32\\config\\SYSTEM");
  CHECK(name.size() == 31);
}

TEST_CASE("Names the format cannot hold are rejected", "[devtools]") {
  dt::HiveSpec hive;
  hive.root.subkeys.push_back(dt::KeySpec::named("Twin"));
  hive.root.subkeys.push_back(dt::KeySpec::named("TWIN"));
  CHECK_THROWS_AS(dt::write_hive(hive), dt::HiveWriteError);
  hive.root.subkeys.pop_back();
  hive.root.subkeys.push_back(dt::KeySpec::named("caf\xc3\xa9"));
  CHECK_THROWS_AS(dt::write_hive(hive), dt::HiveWriteError);
}

TEST_CASE("A log file is a 512-byte type-6 base block carrying the primary sequence number",
          "[devtools]") {
  dt::HiveSpec hive;
  hive.primary_sequence = 9;
  hive.secondary_sequence = 8;
  const auto primary = dt::write_hive(hive);
  const auto log = dt::write_log(primary, dt::LogSpec{"LOG1"});
  REQUIRE(log.size() == dt::kLogSectorSize);
  CHECK(std::equal(log.begin(), log.begin() + 4, primary.begin()));
  CHECK(le32_at(log, 4) == 9);
  CHECK(le32_at(log, 8) == 9);
  CHECK(le32_at(log, 28) == 6);
  CHECK(le32_at(log, 40) == le32_at(primary, 40));
  CHECK(le32_at(log, 508) == dt::regf_checksum(log));
}
