// Unit tests for the native structure check of the SYSTEM hive (readers/hive_structure): hives
// from the project's writer, patched one field at a time; each problem gives one warning with its
// code, the hive's name and the key path, and the walk stays inside its limits.
#include "readers/hive_structure.hpp"

#include "devtools/hive_writer.hpp"
#include "robustness/robustness_support.hpp"
#include "smssaudit/evidence/file_source.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace smssaudit;
using namespace smssaudit::testing::robust;
namespace dt = smssaudit::devtools;

using Bytes = std::vector<std::uint8_t>;

constexpr const char* kName = "test-SYSTEM";

struct Shape {
  std::size_t boot_entries = 1;   ///< 1200 make BootExecute a big-data (db) value
  std::size_t control_extra = 0;  ///< more than 500 subkeys give Control an ri index
  std::size_t deep_under_sm = 0;  ///< nested "Deep" keys below Session Manager (not audited)
};

/// Select, ControlSet001\Control\Session Manager (BootExecute, GlobalFlag, KnownDLLs) and
/// Control\ComputerName\ComputerName, shaped by `shape`.
Bytes system_hive(const Shape& shape) {
  dt::HiveSpec spec;
  auto select = dt::KeySpec::named("Select");
  for (const char* v : {"Current", "Default", "LastKnownGood"}) {
    select.values.push_back(dt::ValueSpec{v, dt::kRegDword, le32(1)});
  }
  auto sm = dt::KeySpec::named("Session Manager");
  std::vector<std::string> boot{"autocheck autochk *"};
  for (std::size_t i = 1; i < shape.boot_entries; ++i) {
    boot.push_back("autocheck scanner" + std::to_string(i) + " /quiet");
  }
  sm.values.push_back(dt::ValueSpec{"BootExecute", dt::kRegMultiSz, multi_sz(boot)});
  sm.values.push_back(dt::ValueSpec{"GlobalFlag", dt::kRegDword, le32(0)});
  sm.subkeys.push_back(dt::KeySpec::named("KnownDLLs"));
  sm.subkeys.back().values.push_back(
      dt::ValueSpec{"kernel32", dt::kRegSz, multi_sz({"kernel32.dll"})});
  if (shape.deep_under_sm > 0) {
    dt::KeySpec deep = dt::KeySpec::named("Deep");
    for (std::size_t i = 1; i < shape.deep_under_sm; ++i) {
      dt::KeySpec outer = dt::KeySpec::named("Deep");
      outer.subkeys.push_back(std::move(deep));
      deep = std::move(outer);
    }
    sm.subkeys.push_back(std::move(deep));
  }
  auto control = dt::KeySpec::named("Control");
  control.subkeys.push_back(std::move(sm));
  auto computer = dt::KeySpec::named("ComputerName");
  computer.subkeys.push_back(dt::KeySpec::named("ComputerName"));
  computer.subkeys.back().values.push_back(
      dt::ValueSpec{"ComputerName", dt::kRegSz, multi_sz({"WKS"})});
  control.subkeys.push_back(std::move(computer));
  for (std::size_t i = 0; i < shape.control_extra; ++i) {
    control.subkeys.push_back(dt::KeySpec::named("Extra" + std::to_string(1000 + i)));
  }
  auto cs = dt::KeySpec::named("ControlSet001");
  cs.subkeys.push_back(std::move(control));
  spec.root.subkeys.push_back(std::move(select));
  spec.root.subkeys.push_back(std::move(cs));
  return dt::write_hive(spec);
}

/// hbin-relative cell offset -> file offset of the cell's data; and back.
std::size_t cell_data(std::uint32_t rel) {
  return 4096U + rel + 4U;
}

std::uint32_t rel_of(std::size_t data) {
  return static_cast<std::uint32_t>(data - 4096U - 4U);
}

/// The file offset of the db cell of the (big) BootExecute value.
std::size_t db_of(const Bytes& f) {
  return cell_data(get_u32(f, find_vk(f, "BootExecute") + 8));
}

struct Run {
  DiagnosticSink sink;
  readers::HiveStructureStats stats;

  std::vector<Diagnostic> with(const std::string& code) const {
    std::vector<Diagnostic> out;
    std::copy_if(sink.items().begin(),
                 sink.items().end(),
                 std::back_inserter(out),
                 [&](const Diagnostic& d) { return d.code == code; });
    return out;
  }
};

Run check(const Bytes& hive, const readers::HiveStructureLimits& limits = {}) {
  Run r;
  r.stats = readers::check_system_structure(hive, kName, r.sink, limits);
  return r;
}

/// Every diagnostic on one line each, for failure messages.
std::string describe(const DiagnosticSink& sink) {
  std::string out;
  for (const auto& d : sink.items()) {
    out += d.code + " @ " + d.location + ": " + d.message + "\n";
  }
  return out;
}

/// How many diagnostics have `code`, `source` and `location`.
std::size_t count(const DiagnosticSink& sink,
                  const std::string& code,
                  const std::string& source,
                  const std::string& location) {
  return static_cast<std::size_t>(
      std::count_if(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
        return d.code == code && d.source == source && d.location == location;
      }));
}

/// Exactly one diagnostic in all: `code`, a warning, naming the hive and `location`.
void require_single(const Run& r, const std::string& code, const std::string& location) {
  INFO(describe(r.sink));
  REQUIRE(r.sink.items().size() == 1);
  const Diagnostic& d = r.sink.items().front();
  CHECK(d.code == code);
  CHECK(d.level == DiagLevel::kWarning);
  CHECK(d.source == kName);
  CHECK(d.location == location);
  CHECK(r.stats.problems == 1);
}

}  // namespace

TEST_CASE("The structure check finds nothing wrong in the writer's hives", "[readers][hive]") {
  for (const Shape& shape : {Shape{}, Shape{1200, 0, 0}, Shape{1, 700, 0}, Shape{1, 0, 50}}) {
    const Run r = check(system_hive(shape));
    INFO(describe(r.sink));
    CHECK(r.sink.items().empty());
    CHECK_FALSE(r.stats.limit_reached);
    // root, Select, ControlSet001, Control, Session Manager, KnownDLLs, ComputerName x2.
    CHECK(r.stats.keys_checked == 8);
  }
}

TEST_CASE("The writer gives a wide Control an ri index", "[readers][hive]") {
  // So the clean run above went through the ri path.
  const Bytes wide = system_hive(Shape{1, 700, 0});
  const auto list = cell_data(get_u32(wide, find_nk(wide, "Control") + 28));
  CHECK(wide[list] == 'r');
  CHECK(wide[list + 1] == 'i');
}

TEST_CASE("A subkey count that disagrees with the subkey list is one warning on that key",
          "[readers][hive]") {
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "Control") + 20, 0xFFFFFFFFU);
  const Run r = check(hive);
  require_single(r, readers::kStructureSubkeyCount, "ControlSet001\\Control");
  CHECK(r.sink.items().front().message.find("4294967295") != std::string::npos);
  // The walk still went on below Control.
  CHECK(r.stats.keys_checked == 8);
}

TEST_CASE("A subkey count behind an ri index is compared with the sum of its leaves",
          "[readers][hive]") {
  Bytes hive = system_hive(Shape{1, 700, 0});
  const auto control = find_nk(hive, "Control");
  REQUIRE(get_u32(hive, control + 20) == 702);
  CHECK(check(hive).sink.items().empty());
  put_u32(hive, control + 20, 701);
  require_single(check(hive), readers::kStructureSubkeyCount, "ControlSet001\\Control");
}

TEST_CASE("Volatile subkey counts are not compared with the stored list", "[readers][hive]") {
  // nk +24 counts volatile subkeys, which never reach the file (formats.md 10).
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "Control") + 24, 3);
  CHECK(check(hive).sink.items().empty());
}

TEST_CASE("A subkey list shared with the parent or the root is a cycle", "[readers][hive]") {
  const Bytes base = system_hive(Shape{});
  const auto sm = find_nk(base, "Session Manager");
  SECTION("the parent's list") {
    Bytes hive = base;
    const auto control = find_nk(hive, "Control");
    put_u32(hive, sm + 28, get_u32(hive, control + 28));
    put_u32(hive, sm + 20, get_u32(hive, control + 20));
    const Run r = check(hive);
    require_single(r, readers::kStructureCycle, "ControlSet001\\Control\\Session Manager");
    CHECK(r.sink.items().front().message.find("ControlSet001\\Control") != std::string::npos);
  }
  SECTION("the root's list") {
    Bytes hive = base;
    const auto root = cell_data(get_u32(hive, 36));
    put_u32(hive, sm + 28, get_u32(hive, root + 28));
    put_u32(hive, sm + 20, get_u32(hive, root + 20));
    const Run r = check(hive);
    require_single(r, readers::kStructureCycle, "ControlSet001\\Control\\Session Manager");
    CHECK(r.sink.items().front().message.find("(root)") != std::string::npos);
  }
  SECTION("the key itself as its list") {
    Bytes hive = base;
    put_u32(hive, sm + 28, rel_of(sm));
    require_single(
        check(hive), readers::kStructureCycle, "ControlSet001\\Control\\Session Manager");
  }
  SECTION("an ancestor key as its list") {
    Bytes hive = base;
    put_u32(hive, sm + 28, rel_of(find_nk(hive, "ControlSet001")));
    require_single(
        check(hive), readers::kStructureCycle, "ControlSet001\\Control\\Session Manager");
  }
}

TEST_CASE("A subkey element pointing at its own key or an ancestor is a cycle", "[readers][hive]") {
  const Bytes base = system_hive(Shape{});
  const auto control = find_nk(base, "Control");
  const auto list = cell_data(get_u32(base, control + 28));  // lh: element 0 offset at +4
  SECTION("the key itself") {
    Bytes hive = base;
    put_u32(hive, list + 4, rel_of(control));
    require_single(check(hive), readers::kStructureCycle, "ControlSet001\\Control");
  }
  SECTION("its parent") {
    Bytes hive = base;
    put_u32(hive, list + 4, rel_of(find_nk(hive, "ControlSet001")));
    require_single(check(hive), readers::kStructureCycle, "ControlSet001\\Control");
  }
  SECTION("an element that is not a key") {
    Bytes hive = base;
    put_u32(hive, list + 4, get_u32(hive, find_nk(hive, "Session Manager") + 40));  // value list
    require_single(check(hive), readers::kStructureSubkeyList, "ControlSet001\\Control");
  }
  SECTION("an element count larger than the list's cell") {
    Bytes hive = base;
    put_u16(hive, list + 2, 0xFFFF);
    const Run r = check(hive);
    REQUIRE_FALSE(r.with(readers::kStructureSubkeyList).empty());
    CHECK(r.with(readers::kStructureSubkeyList).front().location == "ControlSet001\\Control");
  }
}

TEST_CASE("A value count larger than the value list is one warning", "[readers][hive]") {
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "Session Manager") + 36, 0x7FFFFFFFU);
  const Run r = check(hive);
  require_single(r, readers::kStructureValueCount, "ControlSet001\\Control\\Session Manager");
  CHECK(r.sink.items().front().message.find("2147483647") != std::string::npos);
}

TEST_CASE("Value counts of keys the audit does not capture are not checked", "[readers][hive]") {
  // ControlSet001 itself is only a step on the way: the reader never reads its values.
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "ControlSet001") + 36, 0x7FFFFFFFU);
  CHECK(check(hive).sink.items().empty());
}

TEST_CASE("Keys below the audited ones are not walked", "[readers][hive]") {
  // A cycle deep under Session Manager: no reader follows it, so the check does not either.
  Bytes hive = system_hive(Shape{1, 0, 3});
  const auto deep = find_nk(hive, "Deep");
  const auto root = cell_data(get_u32(hive, 36));
  put_u32(hive, deep + 28, get_u32(hive, root + 28));
  const Run r = check(hive);
  CHECK(r.sink.items().empty());
  CHECK(r.stats.keys_checked == 8);
}

TEST_CASE("Big-data values: segments, segment targets and the declared size are checked",
          "[readers][hive]") {
  const Bytes base = system_hive(Shape{1200, 0, 0});
  const std::string where = "ControlSet001\\Control\\Session Manager\\BootExecute";
  const auto db = db_of(base);
  REQUIRE(base[db] == 'd');
  REQUIRE(base[db + 1] == 'b');
  SECTION("segment list entries pointing at the db cell") {
    Bytes hive = base;
    const auto list = cell_data(get_u32(hive, db + 4));
    put_u32(hive, list, rel_of(db));
    put_u32(hive, list + 4, rel_of(db));
    const Run r = check(hive);
    require_single(r, readers::kStructureBigData, where);
    CHECK(r.sink.items().front().message.find("2 segment(s) point at the db cell") !=
          std::string::npos);
  }
  SECTION("a declared size beyond the segments") {
    Bytes hive = base;
    put_u32(hive, find_vk(hive, "BootExecute") + 4, 0x7FFFFFF0U);
    const Run r = check(hive);
    require_single(r, readers::kStructureBigData, where);
    CHECK(r.sink.items().front().message.find("2147483632") != std::string::npos);
  }
  SECTION("no segments") {
    Bytes hive = base;
    put_u16(hive, db + 2, 0);
    require_single(check(hive), readers::kStructureBigData, where);
  }
  SECTION("a segment count beyond the segment list") {
    Bytes hive = base;
    put_u16(hive, db + 2, 0xFFFF);
    require_single(check(hive), readers::kStructureBigData, where);
  }
  SECTION("the segment list is the db cell") {
    Bytes hive = base;
    put_u32(hive, db + 4, rel_of(db));
    require_single(check(hive), readers::kStructureBigData, where);
  }
  SECTION("a segment outside the hive bins") {
    Bytes hive = base;
    put_u32(hive, cell_data(get_u32(hive, db + 4)) + 4, 0x7FFFFFF0U);
    require_single(check(hive), readers::kStructureBigData, where);
  }
}

TEST_CASE("The structure check stops at its cell limit with one warning", "[readers][hive]") {
  const Bytes hive = system_hive(Shape{1, 700, 0});
  readers::HiveStructureLimits limits;
  limits.max_cells = 10;
  const Run r = check(hive, limits);
  CHECK(r.stats.limit_reached);
  CHECK(r.stats.cells_read <= limits.max_cells + 1);
  require_single(r, readers::kStructureLimit, "");
  // The default limits leave room for the real thing.
  CHECK_FALSE(check(hive).stats.limit_reached);
}

TEST_CASE("The file and the in-memory structure checks agree", "[readers][hive]") {
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "Control") + 20, 7);
  const TempDir tmp;
  const auto path = tmp.path() / "SYSTEM";
  write_bytes(path, hive);
  auto source = evidence::open_file_source(path.string());
  REQUIRE(source);
  DiagnosticSink from_file;
  const auto stats = readers::check_system_structure(**source, kName, from_file);
  const Run from_memory = check(hive);
  CHECK(from_file.items() == from_memory.sink.items());
  CHECK(stats.cells_read == from_memory.stats.cells_read);
  CHECK(count(from_file, readers::kStructureSubkeyCount, kName, "ControlSet001\\Control") == 1);
}

TEST_CASE("Both SYSTEM readers run the structure check and name their hive", "[readers][hive]") {
  Bytes hive = system_hive(Shape{});
  put_u32(hive, find_nk(hive, "Control") + 20, 7);
  const TempDir tmp;
  const auto path = tmp.path() / "SYSTEM";
  write_bytes(path, hive);
  DiagnosticSink file_sink;
  REQUIRE(readers::read_system_hive(path.string(), file_sink));
  INFO(describe(file_sink));
  CHECK(count(file_sink, readers::kStructureSubkeyCount, path.string(), "ControlSet001\\Control") ==
        1);
  DiagnosticSink image_sink;
  REQUIRE(readers::read_system_hive_image(hive, "image-SYSTEM", image_sink));
  INFO(describe(image_sink));
  CHECK(
      count(image_sink, readers::kStructureSubkeyCount, "image-SYSTEM", "ControlSet001\\Control") ==
      1);
}
