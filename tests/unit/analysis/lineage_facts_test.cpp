// lineage.* facts: each field a rule uses, positive and negative, and the rules that judge them
// (rules/lineage/LIN-*.yaml) on whole scenarios.
#include "lineage_builders.hpp"
#include "support/catch.hpp"

namespace {

using namespace lintest;
using smssaudit::analysis::BootProgram;

// A boot with one extra smss creation of the given shape after the clean lineage.
smssaudit::analysis::LineageOutput with_extra_smss(const std::string& image,
                                                   std::uint64_t creator,
                                                   const std::string& command_line,
                                                   const std::string& user_sid = kSystemSid) {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  proc_4688(sec_log, kT0 + sec(50), 0x1234, creator, image, command_line, user_sid);
  return analyze({sec_log.file()});
}

// Clean boots an hour apart; setupcl.exe (PID 0x1d8) runs from the master at boots 2 and 5.
void five_boots_with_setupcl_at_2_and_5(LogBuilder& sec_log) {
  for (int i = 0; i < 5; ++i) {
    const std::uint64_t t = kT0 + sec(3600) * static_cast<std::uint64_t>(i);
    clean_security_boot(sec_log, t);
    if (i == 1 || i == 4) {
      proc_4688(sec_log, t + ms(3500), 0x1d8, 0x17c, "C:\\Windows\\System32\\setupcl.exe");
    }
  }
}

// An administrator's PowerShell sets the clock three days ahead (4616), at `at`.
void powershell_moves_clock_3_days_ahead(LogBuilder& sec_log, std::uint64_t at) {
  clock_4616(sec_log,
             at,
             "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
             "S-1-5-21-1-2-3-500",
             at,
             at + sec(259200));
}

}  // namespace

TEST_CASE("image_in_system32 accepts the System32 forms and rejects every other path",
          "[analysis][lineage]") {
  for (const std::string image : {"C:\\Windows\\System32\\smss.exe",
                                  "D:\\WINDOWS\\system32\\SMSS.EXE",
                                  "\\SystemRoot\\System32\\smss.exe",
                                  "\\Device\\HarddiskVolume3\\Windows\\System32\\smss.exe"}) {
    INFO(image);
    const auto out = with_extra_smss(image, 0x17c, "smss.exe 00000002 00000084 ");
    const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
    REQUIRE(f != nullptr);
    CHECK(bool_field(*f, "image_in_system32") == true);
  }
  for (const std::string image : {"C:\\Users\\Public\\smss.exe",
                                  "C:\\Windows\\smss.exe",
                                  "C:\\Temp\\System32\\smss.exe",
                                  "C:\\Windows\\System32\\Tasks\\smss.exe",
                                  "smss.exe"}) {
    INFO(image);
    const auto out = with_extra_smss(image, 0x17c, "smss.exe 00000002 00000084 ");
    const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
    REQUIRE(f != nullptr);
    CHECK(bool_field(*f, "image_in_system32") == false);
    CHECK(fired(out).contains("LIN-001"));
  }
}

TEST_CASE("a master-like smss from another parent is a second master with a wrong parent",
          "[analysis][lineage]") {
  // explorer (PID 0x900, not logged) starts smss without arguments.
  const auto out = with_extra_smss(kSmss, 0x900, "C:\\Windows\\System32\\smss.exe");
  const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(f != nullptr);
  CHECK(str_field(*f, "role") == "master");
  CHECK(bool_field(*f, "parent_is_system") == false);
  CHECK(bool_field(*f, "parent_known") == false);  // PID logged, but not who it was
  CHECK(bool_field(*f, "has_arguments") == false);
  CHECK(int_field(*f, "masters_in_boot") == 2);
  const auto ids = fired(out);
  CHECK(ids.contains("LIN-002"));
  CHECK(ids.contains("LIN-003"));
  CHECK_FALSE(ids.contains("LIN-004"));
  // The genuine master stays clean.
  const Fact* master = fact_for(out, "lineage.smss_instance", 1, 0x17c);
  REQUIRE(master != nullptr);
  CHECK(bool_field(*master, "parent_is_system") == true);
  CHECK(str_field(*master, "parent_image") == "System");
}

TEST_CASE("an smss with arguments from a non-smss parent is role other", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  proc_4688(
      sec_log, kT0 + sec(45), 0x900, 0x300, "C:\\Windows\\explorer.exe", "", "S-1-5-21-1-2-3-1001");
  proc_4688(sec_log, kT0 + sec(50), 0x1234, 0x900, kSmss, "smss.exe 00000000 0000003c ");
  const auto out = analyze({sec_log.file()});
  const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(f != nullptr);
  CHECK(str_field(*f, "role") == "other");
  CHECK(bool_field(*f, "has_arguments") == true);
  CHECK(bool_field(*f, "parent_known") == true);
  CHECK(bool_field(*f, "parent_is_smss") == false);
  CHECK(str_field(*f, "parent_image") == "C:\\Windows\\explorer.exe");
  CHECK_FALSE(fired(out).contains("LIN-002"));
}

TEST_CASE("without parent image or instance, the child command-line form makes a session child",
          "[analysis][lineage]") {
  const auto out = with_extra_smss(kSmss, 0x900, "smss.exe 00000000 0000003c ");
  const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(f != nullptr);
  CHECK(str_field(*f, "role") == "session_child");
}

TEST_CASE("master arguments and child argument forms", "[analysis][lineage]") {
  // A second master from System is a new boot (only a reboot makes one): look in boot 2.
  const auto master = with_extra_smss(kSmss, 4, "\\SystemRoot\\System32\\smss.exe -p evil");
  REQUIRE(master.lineage.boots.size() == 2);
  const Fact* m = fact_for(master, "lineage.smss_instance", 2, 0x1234);
  REQUIRE(m != nullptr);
  CHECK(str_field(*m, "role") == "master");
  CHECK(bool_field(*m, "has_arguments") == true);
  CHECK(str_field(*m, "arguments") == "-p evil");
  CHECK(fired(master).contains("LIN-004"));

  // Session children: the Win11 tail is fine, a missing second value is not.
  struct Case {
    const char* command_line;
    bool ok;
  };

  for (const Case c : {Case{"\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ", true},
                       Case{"\\SystemRoot\\System32\\smss.exe 00000124 000000b8 winlogon.exe "
                            "{F481D527-E8FA-457D-87F9-084B51C10000}",
                            true},
                       Case{"\\SystemRoot\\System32\\smss.exe 000000cc", false},
                       Case{"\\SystemRoot\\System32\\smss.exe /c payload.exe", false}}) {
    INFO(c.command_line);
    const auto out = with_extra_smss(kSmss, 0x17c, c.command_line);
    const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1234);
    REQUIRE(f != nullptr);
    CHECK(str_field(*f, "role") == "session_child");
    CHECK(bool_field(*f, "command_line_known") == true);
    CHECK(bool_field(*f, "child_args_ok") == c.ok);
    CHECK(fired(out).contains("LIN-005") == !c.ok);
  }
  // Unknown command line: nothing to judge.
  const auto unknown = with_extra_smss(kSmss, 0x17c, "");
  const Fact* u = fact_for(unknown, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(u != nullptr);
  CHECK(bool_field(*u, "command_line_known") == false);
  CHECK_FALSE(bool_field(*u, "child_args_ok").has_value());
  CHECK_FALSE(bool_field(*u, "has_arguments").has_value());
  CHECK_FALSE(fired(unknown).contains("LIN-005"));
}

TEST_CASE("runs_as_system is true for S-1-5-18, false for others, absent when unknown",
          "[analysis][lineage]") {
  const auto bad = with_extra_smss(kSmss, 0x17c, "", "S-1-5-21-1-2-3-1001");
  const Fact* b = fact_for(bad, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(b != nullptr);
  CHECK(bool_field(*b, "runs_as_system") == false);
  CHECK(fired(bad).contains("LIN-006"));

  const auto unknown = with_extra_smss(kSmss, 0x17c, "", "");
  const Fact* u = fact_for(unknown, "lineage.smss_instance", 1, 0x1234);
  REQUIRE(u != nullptr);
  CHECK(bool_field(*u, "user_known") == false);
  CHECK_FALSE(bool_field(*u, "runs_as_system").has_value());
  CHECK_FALSE(fired(unknown).contains("LIN-006"));

  // Sysmon names the account: "NT AUTHORITY\SYSTEM" without a SID still counts.
  LogBuilder sys = sysmon_log();
  Event& e = sysmon_1(sys, kT0, 300, 4, kSmss, "\\SystemRoot\\System32\\smss.exe", 1, 0, 0);
  e.user_sid.clear();
  const auto named = analyze({sys.file()});
  const Fact* n = fact_for(named, "lineage.smss_instance", 1, 300);
  REQUIRE(n != nullptr);
  CHECK(bool_field(*n, "runs_as_system") == true);
}

TEST_CASE("spawn fields tell expected, missing and extra session processes",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  proc_4688(sec_log, kT0 + ms(3860), 0x2b0, 0x22c, "C:\\Windows\\System32\\cmd.exe");
  proc_4688(sec_log, kT0 + sec(10), 0x2c0, 0x17c, kSmss, "smss.exe 00000002 00000084 ");
  const auto out = analyze({sec_log.file()});

  const Fact* clean = fact_for(out, "lineage.smss_instance", 1, 0x1ec);
  REQUIRE(clean != nullptr);
  CHECK(int_field(*clean, "spawned_count") == 2);
  CHECK(bool_field(*clean, "spawned_expected") == true);
  CHECK(int_field(*clean, "spawned_other_count") == 0);
  CHECK(str_field(*clean, "spawned") == "csrss.exe,wininit.exe");

  const Fact* extra = fact_for(out, "lineage.smss_instance", 1, 0x22c);
  REQUIRE(extra != nullptr);
  CHECK(int_field(*extra, "spawned_other_count") == 1);
  CHECK(str_field(*extra, "spawned_other") == "C:\\Windows\\System32\\cmd.exe");
  CHECK(bool_field(*extra, "spawned_expected") == false);

  const Fact* empty = fact_for(out, "lineage.smss_instance", 1, 0x2c0);
  REQUIRE(empty != nullptr);
  CHECK(int_field(*empty, "spawned_count") == 0);
  CHECK(int_field(*empty, "observed_until_ms") > 10000);
  const auto ids = fired(out);
  CHECK(ids.contains("LIN-013"));
  CHECK(ids.contains("LIN-012"));
}

TEST_CASE("a session child created just before the logs end is not called empty",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  proc_4688(sec_log, kT0, 0x17c, 4, kSmss);
  proc_4688(sec_log, kT0 + ms(100), 0x1ec, 0x17c, kSmss, "smss.exe 00000000 0000003c ");
  const auto out = analyze({sec_log.file()});
  const Fact* f = fact_for(out, "lineage.smss_instance", 1, 0x1ec);
  REQUIRE(f != nullptr);
  CHECK(int_field(*f, "observed_until_ms") == 0);
  CHECK_FALSE(fired(out).contains("LIN-012"));
}

TEST_CASE("lifetimes above 30 s are judged, real ones are not", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0, false);
  exit_4689(sec_log, kT0 + ms(3900), 0x1ec, kSmss);
  exit_4689(sec_log, kT0 + sec(600), 0x22c, kSmss);
  const auto out = analyze({sec_log.file()});
  const Fact* lng = fact_for(out, "lineage.smss_instance", 1, 0x22c);
  REQUIRE(lng != nullptr);
  CHECK(int_field(*lng, "lifetime_ms") == 600000 - 3830);
  const auto ids = fired(out);
  CHECK(ids.contains("LIN-011"));
  CHECK_FALSE(ids.contains("LIN-010"));
}

TEST_CASE("master_delay_ms measures from the System 12 StartTime", "[analysis][lineage]") {
  LogBuilder system = system_log();
  LogBuilder sec_log = security_log();
  kernel_start_12(system, kT0);
  // A master 3 minutes in: the only master of the boot, so still one boot.
  proc_4688(sec_log, kT0 + sec(180), 0x17c, 4, kSmss);
  const auto late = analyze({system.file(), sec_log.file()});
  REQUIRE(late.lineage.boots.size() == 1);
  const Fact* f = fact_for(late, "lineage.smss_instance", 1, 0x17c);
  REQUIRE(f != nullptr);
  CHECK(int_field(*f, "master_delay_ms") == 180000);
  CHECK(fired(late).contains("LIN-031"));

  LogBuilder system2 = system_log();
  LogBuilder sec2 = security_log();
  kernel_start_12(system2, kT0);
  clean_security_boot(sec2, kT0);
  const auto normal = analyze({system2.file(), sec2.file()});
  CHECK_FALSE(fired(normal).contains("LIN-031"));
}

TEST_CASE("master spawns are correlated with the hive's boot programs", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  proc_4688(sec_log, kT0 + ms(3400), 0x1a0, 0x17c, "C:\\Windows\\System32\\nativepayload.exe");
  const std::vector<BootProgram> programs = {
      {"ControlSet001", "BootExecute", "autocheck autochk *", "autochk"},
      {"ControlSet002", "BootExecute", "autocheck autochk *", "autochk"},
      {"ControlSet001", "BootExecute", "nativepayload", "nativepayload"}};
  const auto listed = analyze({sec_log.file()}, true, programs);
  const Fact* autochk = fact_for(listed, "lineage.smss_spawn", 1, 0x19c);
  REQUIRE(autochk != nullptr);
  CHECK(bool_field(*autochk, "is_autochk") == true);
  CHECK(bool_field(*autochk, "listed_in_hive") == true);
  CHECK(str_field(*autochk, "control_sets") == "ControlSet001,ControlSet002");
  const Fact* payload = fact_for(listed, "lineage.smss_spawn", 1, 0x1a0);
  REQUIRE(payload != nullptr);
  CHECK(bool_field(*payload, "listed_in_hive") == true);
  CHECK(bool_field(*payload, "allowed_by_baseline") == false);
  CHECK(str_field(*payload, "slots") == "BootExecute");
  auto ids = fired(listed);
  CHECK(ids.contains("LIN-021"));
  CHECK(ids.contains("LIN-022"));
  CHECK_FALSE(ids.contains("LIN-023"));
  CHECK_FALSE(ids.contains("LIN-020"));

  // Allowed by a baseline (an AV boot scanner): confirmed, but not a finding.
  std::vector<BootProgram> allowed = programs;
  allowed[2].allowed = true;
  CHECK_FALSE(fired(analyze({sec_log.file()}, true, allowed)).contains("LIN-022"));

  // Gone from every control set: removed after use.
  const auto removed = analyze({sec_log.file()}, true, {programs[0]});
  const Fact* gone = fact_for(removed, "lineage.smss_spawn", 1, 0x1a0);
  REQUIRE(gone != nullptr);
  CHECK(bool_field(*gone, "listed_in_hive") == false);
  CHECK(bool_field(*gone, "hive_available") == true);
  ids = fired(removed);
  CHECK(ids.contains("LIN-023"));
  CHECK_FALSE(ids.contains("LIN-020"));

  // No hive: judged as "master starts another program".
  const auto no_hive = analyze({sec_log.file()});
  ids = fired(no_hive);
  CHECK(ids.contains("LIN-020"));
  CHECK_FALSE(ids.contains("LIN-023"));
  CHECK_FALSE(ids.contains("LIN-021"));
}

TEST_CASE("setupcl at one of the first boots is benign, at a later boot it is not",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  five_boots_with_setupcl_at_2_and_5(sec_log);
  const auto out = analyze(
      {sec_log.file()}, true, {{"ControlSet001", "BootExecute", "autocheck autochk *", "autochk"}});
  REQUIRE(out.lineage.boots.size() == 5);
  const Fact* first = fact_for(out, "lineage.smss_spawn", 2, 0x1d8);
  REQUIRE(first != nullptr);
  CHECK(bool_field(*first, "is_setupcl") == true);
  CHECK(bool_field(*first, "first_boot_after_sysprep") == true);
  const Fact* later = fact_for(out, "lineage.smss_spawn", 5, 0x1d8);
  REQUIRE(later != nullptr);
  CHECK(bool_field(*later, "first_boot_after_sysprep") == false);
  // Only the boot-5 run is "removed after use".
  const auto findings = smssaudit::rules::evaluate(
      smssaudit::rules::load_catalog(smssaudit::rules::builtin_sources(), {}).catalog.rules,
      out.facts,
      "high");
  int lin023 = 0;
  for (const auto& f : findings) {
    lin023 += f.rule_id == "LIN-023" ? 1 : 0;
  }
  CHECK(lin023 == 1);
}

TEST_CASE("log clears and clock changes become facts", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clear_1102(sec_log, kT0, "CORP\\admin");
  clean_security_boot(sec_log, kT0 + sec(10));
  clock_4616(sec_log,
             kT0 + sec(100),
             "C:\\Windows\\System32\\svchost.exe",
             "S-1-5-19",
             kT0 + sec(100),
             kT0 + sec(99));
  powershell_moves_clock_3_days_ahead(sec_log, kT0 + sec(200));
  const auto out = analyze({sec_log.file()});
  const auto clears = facts_of(out, "lineage.log_clear");
  REQUIRE(clears.size() == 1);
  CHECK(str_field(*clears[0], "channel") == "Security");
  CHECK(str_field(*clears[0], "user") == "CORP\\admin");
  REQUIRE(clears[0]->evidence.size() == 1);
  CHECK(clears[0]->evidence[0].event_id == 1102);
  CHECK(clears[0]->evidence[0].sha256 == std::string(64, 'a'));
  const auto changes = facts_of(out, "lineage.clock_change");
  REQUIRE(changes.size() == 2);
  int by_service = 0;
  for (const Fact* f : changes) {
    if (bool_field(*f, "by_time_service") == true) {
      ++by_service;
      CHECK(int_field(*f, "delta_s") == -1);
    } else {
      CHECK(int_field(*f, "delta_s") == 259200);
    }
  }
  CHECK(by_service == 1);
  const auto ids = fired(out);
  CHECK(ids.contains("LIN-040"));
  CHECK(ids.contains("LIN-041"));
}

TEST_CASE("facts carry event evidence and come sorted by kind", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  const auto out = analyze({sec_log.file()});
  for (std::size_t i = 1; i < out.facts.size(); ++i) {
    CHECK(out.facts[i - 1].kind <= out.facts[i].kind);
  }
  const Fact* child = fact_for(out, "lineage.smss_instance", 1, 0x1ec);
  REQUIRE(child != nullptr);
  REQUIRE(child->evidence.size() >= 2);
  CHECK(child->evidence[0].event_id == 4688);
  CHECK(child->evidence[0].channel == "Security");
  CHECK(child->evidence[0].artifact == "Security.evtx");
  CHECK(child->evidence[0].event_time == kT0 + ms(3780));
  CHECK(child->evidence[1].event_id == 4689);
  // Deterministic: the same input gives the same facts.
  const auto again = analyze({sec_log.file()});
  REQUIRE(again.facts.size() == out.facts.size());
  for (std::size_t i = 0; i < out.facts.size(); ++i) {
    CHECK(again.facts[i].identity() == out.facts[i].identity());
  }
}

TEST_CASE("streamed facts are the returned facts, one batch per boot, then the log events",
          "[analysis][lineage]") {
  // Five boots with setupcl at boots 2 and 5 (the sysprep test depends on earlier boots), a log
  // clear and a clock change: every kind of lineage fact, across batches.
  LogBuilder sec_log = security_log();
  clear_1102(sec_log, kT0 - sec(10), "CORP\\admin");
  five_boots_with_setupcl_at_2_and_5(sec_log);
  powershell_moves_clock_3_days_ahead(sec_log, kT0 + sec(200));
  const std::vector<EventLogFile> files{sec_log.file()};
  smssaudit::analysis::LineageInput in;
  in.logs.push_back(files.data());
  in.sha256_by_path[files[0].path] = std::string(64, 'a');

  std::vector<std::vector<Fact>> batches;
  const auto streamed = smssaudit::analysis::analyze_lineage(
      in, [&batches](std::vector<Fact> batch) { batches.push_back(std::move(batch)); });
  const auto returned = smssaudit::analysis::analyze_lineage(in);

  CHECK(streamed.facts.empty());
  REQUIRE(streamed.lineage.boots.size() == 5);
  REQUIRE(batches.size() == 6);
  for (std::size_t b = 0; b < 5; ++b) {
    REQUIRE_FALSE(batches[b].empty());
    for (const Fact& f : batches[b]) {
      INFO(f.kind);
      CHECK(int_field(f, "boot") == static_cast<std::int64_t>(b + 1));
    }
  }
  REQUIRE(batches[5].size() == 2);
  CHECK(batches[5][0].kind == "lineage.log_clear");
  CHECK(batches[5][1].kind == "lineage.clock_change");

  // Same facts (sorted as analyze_lineage sorts them), same findings however they are batched.
  std::vector<Fact> all;
  for (const auto& batch : batches) {
    all.insert(all.end(), batch.begin(), batch.end());
  }
  std::vector<std::string> got;
  std::vector<std::string> want;
  for (const Fact& f : all) {
    got.push_back(f.kind + "|" + f.identity());
  }
  for (const Fact& f : returned.facts) {
    want.push_back(f.kind + "|" + f.identity());
  }
  std::sort(got.begin(), got.end());
  CHECK(got == want);

  const auto load = smssaudit::rules::load_catalog(smssaudit::rules::builtin_sources(), {});
  const auto& rules = load.catalog.rules;
  smssaudit::rules::Evaluator evaluator(rules, "high");
  for (const auto& batch : batches) {
    evaluator.add(batch);
  }
  const auto batched = evaluator.finish();
  const auto whole = smssaudit::rules::evaluate(rules, returned.facts, "high");
  REQUIRE(batched.size() == whole.size());
  REQUIRE_FALSE(whole.empty());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    CHECK(batched[i].rule_id == whole[i].rule_id);
    CHECK(batched[i].message == whole[i].message);
    CHECK(batched[i].evidence == whole[i].evidence);
  }
}
