// Unit tests for the libregf wrappers (src/readers/libyal) against a real corpus hive, read in
// place.
#include "readers/libyal/regf_handle.hpp"

#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <filesystem>
#include <fstream>
#include <type_traits>
#include <unistd.h>

using namespace smssaudit;
using namespace smssaudit::readers::libyal;

namespace {

const std::string kWin7 = smssaudit::testing::corpus_path("hives/win7-x86-regipy/SYSTEM");

}  // namespace

TEST_CASE("Wrapper handles are distinct move-only types", "[readers]") {
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<RegfFile>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<RegfKey>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<RegfValue>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<RegfError>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<RegfKey>);
  STATIC_REQUIRE_FALSE(std::is_same_v<RegfKey, RegfValue>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<RegfKey, RegfFile>);
}

TEST_CASE("libregf looks up key paths case-insensitively", "[readers]") {
  auto file = RegfFile::open(kWin7, nullptr);
  REQUIRE(file);
  auto exact = file->key_by_path("ControlSet001\\Control\\Session Manager");
  auto folded = file->key_by_path("controlset001\\CONTROL\\session manager");
  REQUIRE(exact);
  REQUIRE(folded);
  REQUIRE(exact->has_value());
  REQUIRE(folded->has_value());
  CHECK(*(*folded)->name() == "Session Manager");
  auto root = file->root_key();
  REQUIRE(root);
  auto sub = root->subkey_by_name("SELECT");
  REQUIRE(sub);
  REQUIRE(sub->has_value());
  CHECK(*(*sub)->name() == "Select");
  auto rel = root->subkey_by_path("controlset001\\control\\knowndlls");
  REQUIRE(rel);
  CHECK_FALSE(rel->has_value());  // KnownDLLs lives under Session Manager, not Control
}

TEST_CASE("Lookups report absent keys and values as nullopt, not as errors", "[readers]") {
  auto file = RegfFile::open(kWin7, nullptr);
  REQUIRE(file);
  auto missing = file->key_by_path("ControlSet001\\NoSuchKey\\Below");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
  auto sm = file->key_by_path("ControlSet001\\Control\\Session Manager");
  REQUIRE((sm && sm->has_value()));
  auto boot = (*sm)->value_by_name("bootexecute");
  REQUIRE(boot);
  REQUIRE(boot->has_value());
  CHECK(*(*boot)->name() == "BootExecute");
  CHECK(*(*boot)->type() == 7);
  std::size_t stored = 0;
  auto data = (*boot)->data(1 << 20, stored);
  REQUIRE(data);
  CHECK(stored == data->size());
  CHECK(stored == 42);  // "autocheck autochk *\0\0" in UTF-16LE
  auto none = (*sm)->value_by_name("NoSuchValue");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("Opening a non-hive gives a libregf error message, not an exception", "[readers]") {
  RegfTrailLog log;
  auto file = RegfFile::open(smssaudit::testing::corpus_path("hives/corrupt/NotAHive"), &log);
  REQUIRE_FALSE(file);
  CHECK(file.error().code == ErrorCode::kHiveLibrary);
  CHECK_FALSE(file.error().detail.empty());
  CHECK(file.error().detail.find('\n') == std::string::npos);  // first line only
  REQUIRE(log.trails.size() == 1);                             // the full trail is kept
}

TEST_CASE("A hive opens through a libbfio file handle as well", "[readers]") {
  auto io = BfioHandle::open_file(kWin7, nullptr);
  REQUIRE(io);
  auto file = RegfFile::open_io(std::move(io).value(), kWin7, nullptr);
  REQUIRE(file);
  auto root = file->root_key();
  REQUIRE(root);
  CHECK(*root->subkey_count() > 2);
  CHECK_FALSE(*file->is_corrupted());
}

TEST_CASE("Transaction logs are found beside a hive case-insensitively", "[readers]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("smssaudit_logs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "SYSTEM") << "x";
  std::ofstream(dir / "system.log1") << std::string(600, 'y');  // no regf: no base block
  std::ofstream(dir / "SYSTEM.LOG2");                           // empty
  std::ofstream(dir / "SYSTEM.LOGX") << "z";                    // not a log name
  std::ofstream(dir / "SOFTWARE.LOG1") << "z";                  // another hive's log
  const auto logs = readers::find_hive_logs((dir / "SYSTEM").string());
  std::filesystem::remove_all(dir);
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].path == (dir / "system.log1").string());
  CHECK(logs[0].size == 600);
  CHECK_FALSE(logs[0].base);
  CHECK(logs[1].path == (dir / "SYSTEM.LOG2").string());
  CHECK(logs[1].size == 0);
}
