// A hand-built Report for the reporter tests: one dirty SYSTEM hive with two control sets, values
// of every encoding the JSON contract distinguishes, three findings, a verdict and a coverage gap.
#pragma once

#include "smssaudit/facts/lineage.hpp"
#include "smssaudit/report/report.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace smssaudit::report::testing {

/// 2020-06-09T18:12:25.4809506Z, the example timestamp of style.md convention 7.
inline constexpr std::uint64_t kSampleTime = 132361999454809506ULL;
/// 2020-06-09T18:12:25Z in Unix seconds (SOFTWARE InstallDate).
inline constexpr std::uint32_t kSampleUnixSeconds = 1591726345U;
inline constexpr const char* kSampleSha =
    "e178813e0d5b3c1f2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a867450c3";
/// Stands for evidence a hostile hive might carry: a terminal escape that clears the screen.
inline constexpr const char* kHostileText = "\x1b[2Jcleared";

inline facts::RegValue make_value(std::string name, facts::RegType type) {
  facts::RegValue v;
  v.name = std::move(name);
  v.type = static_cast<std::uint32_t>(type);
  return v;
}

inline facts::RegValue string_value(std::string name,
                                    facts::RegType type,
                                    std::vector<std::string> s) {
  facts::RegValue v = make_value(std::move(name), type);
  v.strings = std::move(s);
  return v;
}

inline facts::RegValue number_value(std::string name,
                                    facts::RegType type,
                                    std::uint64_t n,
                                    std::vector<std::uint8_t> raw) {
  facts::RegValue v = make_value(std::move(name), type);
  v.number = n;
  v.raw = std::move(raw);
  return v;
}

inline facts::RegKey make_key(std::string path, facts::KeyStatus status, std::uint64_t written) {
  facts::RegKey k;
  k.path = std::move(path);
  k.status = status;
  k.last_written = written;
  return k;
}

inline facts::ControlSet sample_control_set(std::string name, std::uint32_t number) {
  facts::ControlSet cs;
  cs.name = std::move(name);
  cs.number = number;

  facts::RegKey sm = make_key("Control\\Session Manager", facts::KeyStatus::kPresent, kSampleTime);
  sm.subkeys = {"AppCertDlls", "KnownDLLs", "SubSystems"};
  sm.values.push_back(
      string_value("BootExecute", facts::RegType::kMultiSz, {"autocheck autochk *", "evil.exe"}));
  // A MoveFileEx queue: one replacing rename, then a delete (empty target).
  sm.values.push_back(string_value(
      "PendingFileRenameOperations",
      facts::RegType::kMultiSz,
      {"\\??\\C:\\tmp\\a.dll", "!\\??\\C:\\Windows\\System32\\b.dll", "\\??\\C:\\tmp\\c.tmp", ""}));
  facts::RegValue setup = string_value("SetupExecute", facts::RegType::kBinary, {"setup.exe"});
  setup.binary_as_text = true;
  setup.raw = {'s', 0, 'e', 0, 't', 0};
  sm.values.push_back(std::move(setup));
  sm.values.push_back(
      number_value("ProtectionMode", facts::RegType::kDword, 1, {0x01, 0x00, 0x00, 0x00}));
  sm.values.push_back(
      number_value("HeapQuota", facts::RegType::kQword, 0x100000000ULL, {0, 0, 0, 0, 1, 0, 0, 0}));
  facts::RegValue flag = make_value("GlobalFlag", facts::RegType::kBinary);
  flag.raw = {0xDE, 0xAD, 0xBE, 0xEF};
  flag.truncated = true;
  sm.values.push_back(std::move(flag));
  facts::RegValue broken = make_value("ObjectDirectories", facts::RegType::kSz);
  broken.error = "data cell unreadable";
  sm.values.push_back(std::move(broken));
  cs.keys.push_back(std::move(sm));

  cs.keys.push_back(
      make_key("Control\\Session Manager\\AppCertDlls", facts::KeyStatus::kAbsent, 0));

  facts::RegKey known =
      make_key("Control\\Session Manager\\KnownDLLs", facts::KeyStatus::kPresent, kSampleTime);
  known.values.push_back(string_value("kernel32", facts::RegType::kSz, {"kernel32.dll"}));
  known.values.push_back(string_value("ntdll", facts::RegType::kSz, {"ntdll.dll"}));
  cs.keys.push_back(std::move(known));

  facts::RegKey subsystems =
      make_key("Control\\Session Manager\\SubSystems", facts::KeyStatus::kPresent, kSampleTime);
  // A realistic csrss command line is long; the text report must cut it at 160 characters.
  subsystems.values.push_back(string_value(
      "Windows",
      facts::RegType::kExpandSz,
      {"%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 "
       "Windows=On SubSystemType=Windows ServerDll=basesrv,1 "
       "ServerDll=winsrv:UserServerDllInitialization,3 "
       "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16"}));
  subsystems.values.push_back(string_value("Debug", facts::RegType::kSz, {kHostileText}));
  cs.keys.push_back(std::move(subsystems));

  facts::RegKey kernel =
      make_key("Control\\Session Manager\\Kernel", facts::KeyStatus::kUnreadable, 0);
  kernel.error = "key cell corrupt";
  cs.keys.push_back(std::move(kernel));
  return cs;
}

inline rules::Finding sample_finding(std::string id, rules::Level severity, int score) {
  rules::Finding f;
  f.rule_id = std::move(id);
  f.severity = severity;
  f.score = score;
  return f;
}

inline Report sample_report() {
  Report r;
  r.tool_version = "0.1.0";
  r.ruleset_sha256 = "3f2a" + std::string(56, '0') + "9c1e";
  r.ruleset_count = 42;

  InputEntry input;
  input.evidence = {
      "/cases/x/SYSTEM", "system_hive", 11771904, kSampleSha, "ok", "x", std::nullopt};
  input.diagnostics.push_back({DiagLevel::kWarning,
                               "hive.dirty",
                               "/cases/x/SYSTEM",
                               "base block",
                               "primary sequence 205 != secondary 204"});
  r.inputs.push_back(std::move(input));
  r.diagnostics.push_back({DiagLevel::kInfo, "rules.loaded", "builtin", "", "42 rules loaded"});

  HostReport host;
  host.name = "WKS-TEST";
  host.os.family = "win10";
  host.os.family_basis = "software:CurrentBuild=19041";
  host.os.baseline = "win10";
  facts::SoftwareHive sw;
  sw.path = "/cases/x/SOFTWARE";
  sw.current_version_present = true;
  sw.product_name = "Windows 10 Pro";
  sw.current_build = "19041";
  sw.current_build_number = "19041";
  sw.ubr = 1052;
  sw.install_date = kSampleUnixSeconds;
  host.os.software = sw;

  facts::SystemHive hive;
  hive.path = "/cases/x/SYSTEM";
  hive.base.signature_ok = true;
  hive.base.primary_sequence = 205;
  hive.base.secondary_sequence = 204;
  hive.base.last_written = kSampleTime;
  hive.base.major_version = 1;
  hive.base.minor_version = 5;
  hive.base.hive_bins_size = 8192;
  hive.base.file_size = 4096 + 8192;
  hive.base.embedded_name = "SYSTEM";
  hive.base.stored_checksum = 0x1234abcdU;
  hive.base.computed_checksum = 0x1234abcdU;
  facts::HiveLogFile log1;
  log1.path = "/cases/x/SYSTEM.LOG1";
  log1.size = 65536;
  log1.base = facts::BaseBlock{};
  log1.base->file_type = 6;
  log1.base->primary_sequence = 204;
  log1.base->secondary_sequence = 204;
  hive.logs.push_back(log1);
  facts::HiveLogFile log2;
  log2.path = "/cases/x/SYSTEM.LOG2";
  hive.logs.push_back(log2);
  hive.root_readable = true;
  hive.select.key_present = true;
  hive.select.current = 1;
  hive.select.default_set = 1;
  hive.select.failed = 0;
  hive.control_sets.push_back(sample_control_set("ControlSet001", 1));
  hive.control_sets.push_back(sample_control_set("ControlSet002", 2));
  host.system = std::move(hive);

  host.coverage.push_back(
      {"hive.dirty_no_logs", "SYSTEM is dirty and no transaction logs were replayed"});

  rules::Finding high = sample_finding("SMSS-001", rules::Level::kHigh, 40);
  high.title = "BootExecute runs something other than autochk";
  high.attack = {"T1547.001"};
  high.message = "BootExecute in ControlSet001 runs 'evil.exe'";
  high.fact_kind = "smss.boot_execute";
  high.fields["control_set"] = std::string("ControlSet001");
  high.fields["command"] = std::string("evil.exe");
  high.fields["position"] = std::int64_t{2};
  high.fields["is_default"] = false;
  high.fields["missing"] = std::monostate{};
  high.evidence.push_back({"/cases/x/SYSTEM",
                           kSampleSha,
                           "ControlSet001\\Control\\Session Manager",
                           "BootExecute",
                           "REG_MULTI_SZ",
                           "autocheck autochk * | evil.exe",
                           kSampleTime,
                           "",
                           0,
                           0,
                           0,
                           false});
  rules::Finding medium = sample_finding("SMSS-010", rules::Level::kMedium, 15);
  medium.title = "Pending rename replaces a System32 file";
  medium.confidence = "medium";
  medium.message = "PendingFileRenameOperations replaces C:\\Windows\\System32\\b.dll";
  medium.fact_kind = "smss.pending_rename";
  medium.evidence.push_back({"/cases/x/SYSTEM",
                             kSampleSha,
                             "ControlSet001\\Control\\Session Manager",
                             "PendingFileRenameOperations",
                             "REG_MULTI_SZ",
                             "",
                             0,
                             "",
                             0,
                             0,
                             0,
                             false});
  rules::Finding info = sample_finding("SMSS-900", rules::Level::kInfo, 0);
  info.title = "Control set inventory";
  info.message = "2 control sets captured";
  info.fact_kind = "smss.inventory";
  host.findings = {high, medium, info};

  host.verdict.level = "suspicious";
  host.verdict.score = 55;
  host.verdict.reasons = {"SMSS-001: BootExecute in ControlSet001 runs 'evil.exe'",
                          "coverage gap: hive.dirty_no_logs"};
  r.hosts.push_back(std::move(host));
  return r;
}

/// One boot: master smss 0x118 (parent System) -> session child 0x178 (session 1, lived 400 ms,
/// exit seen) -> csrss 0x180.
inline facts::Lineage sample_lineage() {
  facts::Lineage lin;
  lin.analyzed = true;
  facts::Boot boot;
  boot.index = 1;
  boot.start = 132590000000000000ULL;
  boot.start_basis = "system:12";
  facts::ProcessInstance master;
  master.pid = 0x118;
  master.parent_pid = 4;
  master.start = boot.start + 20000000;
  master.image = "C:\\Windows\\System32\\smss.exe";
  facts::ProcessInstance child = master;
  child.pid = 0x178;
  child.parent_pid = 0x118;
  child.parent = 0;
  child.start = master.start + 10000000;
  child.end = child.start + 4000000;
  facts::ProcessInstance csrss = child;
  csrss.pid = 0x180;
  csrss.parent = 1;
  csrss.image = "C:\\Windows\\System32\\csrss.exe";
  csrss.end.reset();
  boot.processes = {master, child, csrss};
  facts::SmssInstance m;
  m.process = 0;
  m.role = facts::SmssRole::kMaster;
  m.children = {1};
  facts::SmssInstance c;
  c.process = 1;
  c.role = facts::SmssRole::kSessionChild;
  c.children = {2};
  c.lifetime_ms = 400;
  c.session.session_id = 1;
  c.session.basis = "sysmon:TerminalSessionId";
  boot.smss = {m, c};
  lin.boots = {boot};
  lin.coverage.security_process_starts = true;
  lin.coverage.exits_collected = true;
  return lin;
}

}  // namespace smssaudit::report::testing
