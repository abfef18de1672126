// Tests of the fixture spec loader: value forms, strictness with file:line, base/copy/delete.
#include "devtools/hive_spec_loader.hpp"

#include "devtools/hive_encoding.hpp"
#include "smssaudit/core/filetime.hpp"
#include "support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <random>

namespace dt = smssaudit::devtools;
namespace fs = std::filesystem;

namespace {

// A scratch folder per test case, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("smssaudit-spec-" + std::to_string(rd()));
    fs::create_directories(path_);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const dt::KeySpec* key_at(const dt::HiveSpec& hive, const std::vector<std::string>& path) {
  const dt::KeySpec* k = &hive.root;
  for (const auto& part : path) {
    k = k->find_subkey(part);
    if (k == nullptr)
      return nullptr;
  }
  return k;
}

dt::SpecError spec_error(const std::string& yaml) {
  try {
    (void)dt::parse_fixture_spec(yaml, "mem.yaml");
  } catch (const dt::SpecError& e) {
    return e;
  }
  FAIL("no SpecError for:\n" << yaml);
  return dt::SpecError("", 0, 0, "");
}

}  // namespace

TEST_CASE("Shorthand values become DWORD, SZ and MULTI_SZ, and '@' is the default value",
          "[devtools]") {
  const auto spec = dt::parse_fixture_spec(R"(
keys:
  'A\B':
    Plain: 0
    Hex: 0x10
    Negative: -60
    Quoted: '19041'
    Text: kernel32.dll
    List: ['autocheck autochk *']
    '@': mnmsrvc
    Typed: {type: REG_EXPAND_SZ, data: '%SystemRoot%'}
    Empty: {type: REG_MULTI_SZ, data: []}
    Be: {type: REG_DWORD_BIG_ENDIAN, data: 1}
    Q: {type: REG_QWORD, data: 5}
    Bin: {type: REG_BINARY, data: '0a 0b:0c'}
    Wide: {type: REG_BINARY, data: {utf16: [a, b]}}
    Raw: {type: 0x1234, hex: 'ff'}
    Nothing: {type: REG_NONE}
)",
                                           "mem.yaml");
  const dt::KeySpec* b = key_at(spec.hive, {"a", "b"});
  REQUIRE(b != nullptr);
  auto v = [&](const char* name) {
    const dt::ValueSpec* p = b->find_value(name);
    REQUIRE(p != nullptr);
    return *p;
  };
  CHECK(v("Plain").type == dt::kRegDword);
  CHECK(v("Plain").data == dt::le32_bytes(0));
  CHECK(v("Hex").data == dt::le32_bytes(16));
  CHECK(v("Negative").data == dt::le32_bytes(0xFFFFFFC4U));
  CHECK(v("Quoted").type == dt::kRegSz);
  CHECK(v("Quoted").data == dt::reg_sz_bytes("19041"));
  CHECK(v("Text").data == dt::reg_sz_bytes("kernel32.dll"));
  CHECK(v("List").type == dt::kRegMultiSz);
  CHECK(v("List").data.size() == 42);
  CHECK(v("").data == dt::reg_sz_bytes("mnmsrvc"));
  CHECK(v("Typed").type == dt::kRegExpandSz);
  CHECK(v("Empty").data == std::vector<std::uint8_t>{0, 0});
  CHECK(v("Be").data == std::vector<std::uint8_t>{0, 0, 0, 1});
  CHECK(v("Q").data == dt::le64_bytes(5));
  CHECK(v("Bin").data == std::vector<std::uint8_t>{0x0a, 0x0b, 0x0c});
  CHECK(v("Wide").data == std::vector<std::uint8_t>{'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0});
  CHECK(v("Raw").type == 0x1234U);
  CHECK(v("Nothing").data.empty());
  CHECK(spec.hive_file == "SYSTEM");
  CHECK(spec.hive.embedded_name == "SYSTEM");
}

TEST_CASE("Top-level fields set the base block and per-key times override the default",
          "[devtools]") {
  const auto spec = dt::parse_fixture_spec(R"(
hive_file: SOFTWARE
root: CMI-CreateHive{X}
sequence: [6, 5]
minor_version: 3
last_written: 2021-03-04T10:11:12.1234567Z
logs: [LOG1, LOG2]
keys:
  'K': {_last_written: 2020-01-01T00:00:00Z, _class: Cls, V: 1}
)",
                                           "mem.yaml");
  CHECK(spec.hive_file == "SOFTWARE");
  CHECK(spec.hive.embedded_name == "SOFTWARE");
  CHECK(spec.hive.root.name == "CMI-CreateHive{X}");
  CHECK(spec.hive.primary_sequence == 6);
  CHECK(spec.hive.secondary_sequence == 5);
  CHECK(spec.hive.minor_version == 3);
  CHECK(smssaudit::filetime_to_iso8601(spec.hive.last_written) == "2021-03-04T10:11:12.1234567Z");
  REQUIRE(spec.logs.size() == 2);
  CHECK(spec.logs[1].suffix == "LOG2");
  const dt::KeySpec* k = key_at(spec.hive, {"K"});
  REQUIRE(k != nullptr);
  CHECK(smssaudit::filetime_to_iso8601(k->last_written.value()) == "2020-01-01T00:00:00.0000000Z");
  CHECK(k->class_name == "Cls");
  CHECK(k->values.size() == 1);
}

TEST_CASE("Spec errors name the file, line and column of the offending node", "[devtools]") {
  auto e = spec_error("description: x\nkyes:\n  A: {}\n");
  CHECK(e.file() == "mem.yaml");
  CHECK(e.line() == 2);
  CHECK(e.column() == 1);
  CHECK_THAT(std::string(e.what()), Catch::Contains("mem.yaml:2:1") && Catch::Contains("kyes"));

  e = spec_error("keys:\n  A:\n    V: {type: REG_WORD, data: 1}\n");
  CHECK(e.line() == 3);
  CHECK_THAT(e.detail(), Catch::Contains("REG_WORD"));

  e = spec_error("keys:\n  A:\n    V: {type: REG_DWORD, data: 4294967296}\n");
  CHECK(e.line() == 3);

  e = spec_error("keys:\n  A:\n    V: 1\n    v: 2\n");
  CHECK(e.line() == 4);

  e = spec_error("keys:\n  A:\n    V: {type: REG_BINARY, data: 'xyz'}\n");
  CHECK(e.line() == 3);

  e = spec_error("keys: {A: {V: 1}}\ndelete:\n  - 'A\\Missing'\n");
  CHECK(e.line() == 3);

  e = spec_error("keys:\n  A: [1, 2\n");  // YAML syntax error
  CHECK(e.line() >= 2);

  e = spec_error("sequence: [1]\n");
  CHECK(e.line() == 1);

  e = spec_error("last_written: yesterday\n");
  CHECK_THAT(e.detail(), Catch::Contains("yesterday"));
}

TEST_CASE("base, copy_control_set, keys and delete compose in the documented order", "[devtools]") {
  TempDir dir;
  dir.write("base.yaml", R"(
root: BASEROOT
sequence: [3, 3]
last_written: 2020-01-01T00:00:00Z
keys:
  'ControlSet001\Control\Session Manager':
    BootExecute: ['autocheck autochk *']
    SetupExecute: {type: REG_MULTI_SZ, data: []}
  'ControlSet001\Control\Session Manager\AppCertDlls': {x: 'evil.dll'}
)");
  const fs::path derived = dir.write("derived.yaml", R"(
base: base.yaml
sequence: [4, 3]
copy_control_set: {from: ControlSet001, to: ControlSet002}
keys:
  'ControlSet002\Control\Session Manager':
    BOOTEXECUTE: ['autocheck autochk *', 'extra.exe']
delete:
  - 'ControlSet001\Control\Session Manager\AppCertDlls'
  - {key: 'ControlSet002\Control\Session Manager', value: SetupExecute}
)");
  const auto spec = dt::load_fixture_spec(derived);
  CHECK(spec.hive.root.name == "BASEROOT");  // inherited
  CHECK(spec.hive.primary_sequence == 4);    // overridden
  CHECK(spec.hive.secondary_sequence == 3);

  const dt::KeySpec* sm1 = key_at(spec.hive, {"ControlSet001", "Control", "Session Manager"});
  const dt::KeySpec* sm2 = key_at(spec.hive, {"ControlSet002", "Control", "Session Manager"});
  REQUIRE(sm1 != nullptr);
  REQUIRE(sm2 != nullptr);
  // The copy ran before keys: only ControlSet002 got the new BootExecute (spelling included).
  REQUIRE(sm2->find_value("BootExecute") != nullptr);
  CHECK(sm2->find_value("BootExecute")->name == "BOOTEXECUTE");
  CHECK(sm2->find_value("BootExecute")->data ==
        dt::reg_multi_sz_bytes({"autocheck autochk *", "extra.exe"}));
  CHECK(sm1->find_value("BootExecute")->data == dt::reg_multi_sz_bytes({"autocheck autochk *"}));
  // delete ran last: each delete hit one control set only.
  CHECK(sm1->find_subkey("AppCertDlls") == nullptr);
  CHECK(sm2->find_subkey("AppCertDlls") != nullptr);
  CHECK(sm1->find_value("SetupExecute") != nullptr);
  CHECK(sm2->find_value("SetupExecute") == nullptr);
}

TEST_CASE("An after_keys copy mirrors the control set the same spec just wrote", "[devtools]") {
  const auto spec = dt::parse_fixture_spec(R"(
copy_control_set: {from: ControlSet001, to: ControlSet002, after_keys: true}
keys:
  'ControlSet001\Control\Session Manager': {GlobalFlag: 0}
)",
                                           "mem.yaml");
  const dt::KeySpec* sm2 = key_at(spec.hive, {"ControlSet002", "Control", "Session Manager"});
  REQUIRE(sm2 != nullptr);
  CHECK(sm2->find_value("GlobalFlag") != nullptr);
  // Without after_keys the source does not exist yet when the copy runs.
  const auto e = spec_error(
      "copy_control_set: {from: ControlSet001, to: ControlSet002}\n"
      "keys:\n  'ControlSet001\\X': {}\n");
  CHECK(e.line() == 1);
}

TEST_CASE("A base cycle is reported with the file that closes it", "[devtools]") {
  TempDir dir;
  dir.write("a.yaml", "base: b.yaml\n");
  dir.write("b.yaml", "keys: {A: {}}\nbase: a.yaml\n");
  try {
    (void)dt::load_fixture_spec(dir.path() / "a.yaml");
    FAIL("cycle not detected");
  } catch (const dt::SpecError& e) {
    CHECK_THAT(e.file(), Catch::EndsWith("b.yaml"));
    CHECK(e.line() == 2);
    CHECK_THAT(e.detail(), Catch::Contains("cycle"));
  }
}

TEST_CASE("A missing base spec is an error located at the base key", "[devtools]") {
  TempDir dir;
  const fs::path p = dir.write("a.yaml", "description: x\nbase: nowhere.yaml\n");
  try {
    (void)dt::load_fixture_spec(p);
    FAIL("missing base not reported");
  } catch (const dt::SpecError& e) {
    CHECK(e.line() == 2);
  }
}
