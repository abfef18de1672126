// The Session Manager analysis on hand-built facts: derived fields, baselines, control-set diffs
// and coverage gaps, without any binary fixture.
#include "smssaudit/analysis/smss_config_audit.hpp"

#include "smssaudit/core/text.hpp"
#include "smssaudit/facts/surface.hpp"
#include "support/catch.hpp"
#include "support/scan.hpp"

#include <set>

namespace {

using namespace smssaudit;

std::vector<std::uint8_t> utf16(const std::string& s) {
  std::vector<std::uint8_t> out;
  for (char c : s) {
    out.push_back(static_cast<std::uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

facts::RegValue multi(const std::string& name, std::vector<std::string> items) {
  facts::RegValue v;
  v.name = name;
  v.type = static_cast<std::uint32_t>(facts::RegType::kMultiSz);
  v.strings = std::move(items);
  return v;
}

facts::RegValue sz(const std::string& name,
                   const std::string& data,
                   facts::RegType t = facts::RegType::kSz) {
  facts::RegValue v;
  v.name = name;
  v.type = static_cast<std::uint32_t>(t);
  v.strings = {data};
  v.raw = utf16(data);
  return v;
}

facts::RegValue dword(const std::string& name, std::uint32_t n) {
  facts::RegValue v;
  v.name = name;
  v.type = static_cast<std::uint32_t>(facts::RegType::kDword);
  v.number = n;
  return v;
}

facts::RegKey key(std::string_view path, std::vector<facts::RegValue> values) {
  facts::RegKey k;
  k.path = std::string(path);
  k.status = facts::KeyStatus::kPresent;
  k.last_written = 132000000000000000ULL;
  k.values = std::move(values);
  return k;
}

/// A minimal clean Win10-like control set.
facts::ControlSet clean_set(std::uint32_t n) {
  facts::ControlSet cs;
  cs.number = n;
  cs.name = n < 10 ? "ControlSet00" + std::to_string(n) : "ControlSet0" + std::to_string(n);
  cs.keys.push_back(key(facts::kSessionManager,
                        {multi("BootExecute", {"autocheck autochk *"}),
                         multi("SETUPEXECUTE", {}),
                         dword("ProtectionMode", 1),
                         dword("GlobalFlag", 0)}));
  std::vector<facts::RegValue> known;
  for (const char* d :
       {"advapi32", "clbcatq",  "combase",  "COMDLG32", "gdi32",  "IMAGEHLP", "IMM32",  "kernel32",
        "MSCTF",    "MSVCRT",   "NORMALIZ", "NSI",      "ole32",  "OLEAUT32", "PSAPI",  "rpcrt4",
        "sechost",  "Setupapi", "SHELL32",  "SHLWAPI",  "user32", "WLDAP32",  "WS2_32", "SHCORE"}) {
    known.push_back(sz(d, std::string(d) + ".dll"));
  }
  cs.keys.push_back(key(facts::kKnownDlls, known));
  cs.keys.push_back(
      key(facts::kSubSystems,
          {multi("Required", {"Debug", "Windows"}),
           sz("Windows",
              "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows "
              "ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 "
              "ServerDll=sxssrv,4",
              facts::RegType::kExpandSz),
           sz("Kmode", "\\SystemRoot\\System32\\win32k.sys", facts::RegType::kExpandSz)}));
  cs.keys.push_back(
      key(facts::kEnvironment,
          {sz("ComSpec", "%SystemRoot%\\system32\\cmd.exe", facts::RegType::kExpandSz),
           sz("Path", "%SystemRoot%\\system32;%SystemRoot%", facts::RegType::kExpandSz),
           sz("windir", "%SystemRoot%", facts::RegType::kExpandSz)}));
  cs.keys.push_back(key(facts::kMemoryManagement, {multi("PagingFiles", {"?:\\pagefile.sys"})}));
  return cs;
}

facts::SystemHive hive_with(std::vector<facts::ControlSet> sets) {
  facts::SystemHive h;
  h.path = "SYSTEM";
  h.base.signature_ok = true;
  h.base.primary_sequence = h.base.secondary_sequence = 7;
  h.root_readable = true;
  h.select.key_present = true;
  h.select.current = 1;
  h.select.failed = 0;
  h.control_sets = std::move(sets);
  return h;
}

analysis::AuditOutput audit(const facts::SystemHive& h, const rules::Catalog& catalog) {
  analysis::AuditInput in;
  in.system = &h;
  in.baselines = &catalog.baselines;
  return analysis::audit_session_manager(in);
}

std::vector<const facts::Fact*> of_kind(const analysis::AuditOutput& out, const std::string& kind) {
  std::vector<const facts::Fact*> r;
  for (const auto& f : out.facts) {
    if (f.kind == kind) {
      r.push_back(&f);
    }
  }
  return r;
}

bool field_is(const facts::Fact& f, const std::string& name, const facts::FieldValue& v) {
  const auto* got = f.get(name);
  return got != nullptr && *got == v;
}

}  // namespace

TEST_CASE("BootExecute entries are split into keywords and image and matched to the baseline",
          "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[0].values[0] =
      multi("BootExecute", {"autocheck autochk *", "async debug payload.exe /x"});
  auto out = audit(hive_with({cs}), catalog);
  auto entries = of_kind(out, "registry.execute_entry");
  REQUIRE(entries.size() == 2);
  const facts::Fact* payload = nullptr;
  for (const auto* e : entries) {
    if (field_is(*e, "image", std::string("payload.exe"))) {
      payload = e;
    }
  }
  REQUIRE(payload != nullptr);
  CHECK(field_is(*payload, "keywords", std::string("async debug")));
  CHECK(field_is(*payload, "allowed", false));
  CHECK(field_is(*payload, "is_default", false));
  CHECK(field_is(*payload, "control_set", std::string("ControlSet001")));
  CHECK(field_is(*payload, "current", true));
  REQUIRE(payload->evidence.size() == 1);
  CHECK(payload->evidence[0].key_path == "ControlSet001\\Control\\Session Manager");
  CHECK(payload->evidence[0].value_name == "BootExecute");
  for (const auto* slot : of_kind(out, "registry.execute_slot")) {
    if (field_is(*slot, "slot", std::string("BootExecute"))) {
      CHECK(field_is(*slot, "has_autochk", true));
      CHECK(field_is(*slot, "entry_count", std::int64_t{2}));
    }
  }
  CHECK(out.os_family == "win10");  // SHCORE in KnownDLLs
}

TEST_CASE("Value names match case-insensitively (SETUPEXECUTE counts as SetupExecute)",
          "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[0].values[1] = multi("SETUPEXECUTE", {"setup.exe"});
  auto out = audit(hive_with({cs}), catalog);
  bool found = false;
  for (const auto* e : of_kind(out, "registry.execute_entry")) {
    if (field_is(*e, "slot", std::string("SetupExecute"))) {
      found = true;
      CHECK(field_is(*e, "value", std::string("SETUPEXECUTE")));
    }
  }
  CHECK(found);
}

TEST_CASE("KnownDLLs entries are classified as baseline, added or removed", "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  auto& known = cs.keys[1].values;
  known.erase(
      std::remove_if(
          known.begin(), known.end(), [](const facts::RegValue& v) { return v.name == "user32"; }),
      known.end());
  known.push_back(sz("hook", "C:\\Users\\Public\\hook.dll"));
  auto out = audit(hive_with({cs}), catalog);
  int added = 0;
  int removed = 0;
  for (const auto* f : of_kind(out, "registry.known_dll")) {
    if (field_is(*f, "state", std::string("added"))) {
      ++added;
      CHECK(field_is(*f, "name", std::string("hook")));
      CHECK(field_is(*f, "has_path", true));
      CHECK(field_is(*f, "name_mismatch", true));
    }
    if (field_is(*f, "state", std::string("removed"))) {
      ++removed;
      CHECK(field_is(*f, "name", std::string("user32")));
    }
  }
  CHECK(added == 1);
  CHECK(removed == 1);
}

TEST_CASE("Pending renames get system-dir and user-writable flags", "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[0].values.push_back(multi("PendingFileRenameOperations",
                                    {"\\??\\C:\\Users\\Public\\x.dll",
                                     "!\\??\\C:\\Windows\\System32\\x.dll",
                                     "\\??\\C:\\Windows\\System32\\DriverStore\\Temp\\DEL1.tmp",
                                     ""}));
  auto out = audit(hive_with({cs}), catalog);
  auto ops = of_kind(out, "registry.pending_rename");
  REQUIRE(ops.size() == 2);
  for (const auto* op : ops) {
    if (field_is(*op, "operation", std::string("rename"))) {
      CHECK(field_is(*op, "target_system_dir", true));
      CHECK(field_is(*op, "source_user_writable", true));
      CHECK(field_is(*op, "replace_existing", true));
      CHECK(field_is(*op, "allowed", false));
    } else {
      CHECK(field_is(*op, "operation", std::string("delete")));
      CHECK(field_is(*op, "source_system_dir", true));
      CHECK(field_is(*op, "allowed", true));  // win10 baseline: PnP DriverStore\Temp clean-up
    }
  }
}

TEST_CASE("csrss ServerDll modules beyond the baseline and a foreign Kmode are flagged",
          "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[2].values[1] = sz("Windows",
                            "C:\\Temp\\csrss.exe ServerDll=basesrv,1 ServerDll=evil:Init,5",
                            facts::RegType::kExpandSz);
  cs.keys[2].values[2] = sz("Kmode", "\\SystemRoot\\System32\\drivers\\rk.sys");
  auto out = audit(hive_with({cs}), catalog);
  auto csrss = of_kind(out, "registry.csrss");
  REQUIRE(csrss.size() == 1);
  CHECK(field_is(*csrss[0], "image_ok", false));
  CHECK(field_is(*csrss[0], "extra_server_dlls", std::string("evil")));
  CHECK(field_is(*csrss[0], "extra_server_dll_count", std::int64_t{1}));
  auto kmode = of_kind(out, "registry.kmode");
  REQUIRE(kmode.size() == 1);
  CHECK(field_is(*kmode[0], "is_win32k", false));
}

TEST_CASE("Path entries know whether they are user-writable and precede System32", "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[3].values[1] = sz("Path",
                            "C:\\Users\\Public\\bin;%SystemRoot%\\System32\\;C:\\Tools",
                            facts::RegType::kExpandSz);
  auto out = audit(hive_with({cs}), catalog);
  auto entries = of_kind(out, "registry.path_entry");
  REQUIRE(entries.size() == 3);
  for (const auto* e : entries) {
    if (field_is(*e, "index", std::int64_t{0})) {
      CHECK(field_is(*e, "user_writable", true));
      CHECK(field_is(*e, "before_system32", true));
    }
    if (field_is(*e, "index", std::int64_t{2})) {
      CHECK(field_is(*e, "user_writable", false));
      CHECK(field_is(*e, "before_system32", false));
    }
  }
}

TEST_CASE("Control sets are diffed value by value and volatile values are ignored", "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto one = clean_set(1);
  auto two = clean_set(2);
  two.keys[0].values[0] = multi("BootExecute", {"autocheck autochk *", "x"});
  one.keys[0].values.push_back(multi("PendingFileRenameOperations", {"\\??\\C:\\a", ""}));
  auto out = audit(hive_with({one, two}), catalog);
  auto diffs = of_kind(out, "registry.control_set_diff");
  REQUIRE(diffs.size() == 1);
  CHECK(field_is(*diffs[0], "value", std::string("BootExecute")));
  CHECK(field_is(*diffs[0], "category", std::string("autostart")));
  CHECK(field_is(*diffs[0], "differing_sets", std::string("ControlSet002")));
  CHECK(diffs[0]->evidence.size() == 2);
}

TEST_CASE("Coverage gaps: dirty hive without logs, unreadable keys, missing Session Manager",
          "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto cs = clean_set(1);
  cs.keys[1].status = facts::KeyStatus::kUnreadable;
  cs.keys[1].error = "corrupt subkey list";
  auto h = hive_with({cs});
  h.base.primary_sequence = 9;
  auto out = audit(h, catalog);
  std::set<std::string> codes;
  for (const auto& g : out.gaps) {
    codes.insert(g.code);
  }
  CHECK(codes.count("hive.dirty_no_logs") == 1);
  CHECK(codes.count("registry.key_unreadable") == 1);

  auto partial = clean_set(1);
  partial.keys[3].error = "libregf flags the key as corrupted";  // Environment, read in part
  auto out_partial = audit(hive_with({partial}), catalog);
  bool partial_gap = false;
  for (const auto& g : out_partial.gaps) {
    partial_gap = partial_gap || g.code == "registry.key_partial";
  }
  CHECK(partial_gap);

  auto empty = clean_set(1);
  empty.keys[0].status = facts::KeyStatus::kAbsent;
  auto out2 = audit(hive_with({empty}), catalog);
  bool absent = false;
  for (const auto& g : out2.gaps) {
    absent = absent || g.code == "registry.session_manager_absent";
  }
  CHECK(absent);
  CHECK(of_kind(out2, "registry.execute_slot").empty());
}

TEST_CASE("Facts come out in a deterministic order", "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto a = audit(hive_with({clean_set(1), clean_set(2)}), catalog);
  auto b = audit(hive_with({clean_set(1), clean_set(2)}), catalog);
  REQUIRE(a.facts.size() == b.facts.size());
  for (std::size_t i = 0; i < a.facts.size(); ++i) {
    CHECK(a.facts[i].identity() == b.facts[i].identity());
  }
}

TEST_CASE("Values that differ between the on-disk and replayed hive become replay_change facts",
          "[analysis]") {
  auto catalog = testing::builtin_catalog();
  auto stale = hive_with({clean_set(1)});
  auto fresh_set = clean_set(1);
  fresh_set.keys[0].values[0] = multi("BootExecute", {"autocheck autochk *", "late"});
  fresh_set.keys[0].values.push_back(multi("PendingFileRenameOperations", {"\\??\\C:\\a", ""}));
  auto fresh = hive_with({fresh_set});
  analysis::AuditInput in;
  in.system = &fresh;
  in.on_disk = &stale;
  in.baselines = &catalog.baselines;
  auto out = analysis::audit_session_manager(in);
  auto changes = of_kind(out, "registry.replay_change");
  REQUIRE(changes.size() == 2);
  for (const auto* c : changes) {
    if (field_is(*c, "value", std::string("BootExecute"))) {
      CHECK(field_is(*c, "change", std::string("modified")));
      CHECK(field_is(*c, "category", std::string("autostart")));
      CHECK(field_is(*c, "on_disk", std::string("REG_MULTI_SZ:autocheck autochk *")));
    } else {
      CHECK(field_is(*c, "value", std::string("PendingFileRenameOperations")));
      CHECK(field_is(*c, "change", std::string("added")));
      CHECK(field_is(*c, "category", std::string("volatile")));
    }
  }
  // Without an on-disk state there is nothing to compare.
  analysis::AuditInput plain;
  plain.system = &fresh;
  plain.baselines = &catalog.baselines;
  CHECK(of_kind(analysis::audit_session_manager(plain), "registry.replay_change").empty());
}
