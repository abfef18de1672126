// Unit tests for facts/registry: type names, value rendering, lookups and the rename queue.
#include "smssaudit/facts/registry.hpp"

#include "support/catch.hpp"

using namespace smssaudit::facts;

TEST_CASE("Registry type codes have their Win32 names", "[facts]") {
  CHECK(reg_type_name(1) == "REG_SZ");
  CHECK(reg_type_name(7) == "REG_MULTI_SZ");
  CHECK(reg_type_name(11) == "REG_QWORD");
  CHECK(reg_type_name(0x42) == "REG_0x42");
}

TEST_CASE("Values display lists, numbers and binary data readably", "[facts]") {
  RegValue multi;
  multi.type = static_cast<std::uint32_t>(RegType::kMultiSz);
  multi.strings = {"autocheck autochk *", "evil.exe"};
  CHECK(multi.display() == "autocheck autochk * | evil.exe");
  CHECK(multi.is_string_type());
  CHECK(multi.first_string() == "autocheck autochk *");

  RegValue dword;
  dword.type = static_cast<std::uint32_t>(RegType::kDword);
  dword.number = 7;
  CHECK(dword.display() == "7");
  dword.number = 255;
  CHECK(dword.display() == "255 (0x000000ff)");
  CHECK_FALSE(dword.is_string_type());
  CHECK(dword.first_string().empty());

  RegValue bin;
  bin.type = static_cast<std::uint32_t>(RegType::kBinary);
  bin.raw = {0x01, 0xab};
  CHECK(bin.display() == "01 ab");
  bin.raw.assign(70, 0);
  CHECK(bin.display().ends_with(" ..."));
}

TEST_CASE("Key and control-set lookups ignore case", "[facts]") {
  RegKey key;
  key.values.resize(2);
  key.values[0].name = "SETUPEXECUTE";
  key.values[1].name = "BootExecute";
  REQUIRE(key.find("SetupExecute") != nullptr);
  CHECK(key.find("SetupExecute")->name == "SETUPEXECUTE");
  CHECK(key.find("PlatformExecute") == nullptr);

  ControlSet cs;
  cs.keys.resize(1);
  cs.keys[0].path = "Control\\Session Manager\\KnownDLLs";
  CHECK(cs.key("control\\session manager\\knowndlls") != nullptr);
  CHECK(cs.key("Control\\Session Manager") == nullptr);
  CHECK(std::string(to_string(KeyStatus::kUnreadable)) == "unreadable");
  CHECK(std::string(to_string(KeyStatus::kPresent)) == "present");
  CHECK(std::string(to_string(KeyStatus::kAbsent)) == "absent");
}

TEST_CASE("Pending renames parse renames, deletes, replace flags and a dangling source",
          "[facts]") {
  const std::vector<std::string> strings = {"\\??\\C:\\a.tmp",
                                            "!\\??\\C:\\Windows\\System32\\a.dll",
                                            "\\??\\C:\\Config.Msi\\x.rbf",
                                            "",
                                            "\\??\\C:\\b.tmp",
                                            "\\??\\C:\\b.dll",
                                            "\\??\\C:\\last.tmp"};
  const auto ops = parse_pending_renames("PendingFileRenameOperations", strings);
  REQUIRE(ops.size() == 4);
  CHECK(ops[0].index == 0);
  CHECK(ops[0].source == "\\??\\C:\\a.tmp");
  CHECK(ops[0].target == "\\??\\C:\\Windows\\System32\\a.dll");
  CHECK(ops[0].replace_existing);
  CHECK_FALSE(ops[0].is_delete);
  CHECK(ops[1].is_delete);
  CHECK(ops[1].target.empty());
  CHECK_FALSE(ops[2].replace_existing);
  CHECK(ops[2].target == "\\??\\C:\\b.dll");
  // The final "src\0\0\0" loses its empty target to the MULTI_SZ terminator: still a delete.
  CHECK(ops[3].source == "\\??\\C:\\last.tmp");
  CHECK(ops[3].is_delete);
  CHECK(ops[3].index == 3);
  CHECK(ops[3].value_name == "PendingFileRenameOperations");
  CHECK(parse_pending_renames("PendingFileRenameOperations2", {}).empty());
}
