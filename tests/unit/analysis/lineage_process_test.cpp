// The lineage process table: PID reuse, parent resolution at the child's start, exits
// (events.md 5.1-5.2).
#include "lineage_builders.hpp"
#include "support/catch.hpp"

namespace {

using namespace lintest;
using smssaudit::facts::SmssRole;

}  // namespace

TEST_CASE("a PID reused within a boot does not make the exited smss a parent again",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);  // child0 0x1ec exits at +3.9 s
  // Later a user process gets 0x1ec, and a csrss is created by that PID.
  proc_4688(sec_log,
            kT0 + sec(60),
            0x1ec,
            0x900,
            "C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe",
            "",
            "S-1-5-21-1-2-3-1001");
  proc_4688(sec_log, kT0 + sec(61), 0x1f8, 0x1ec, kCsrss);
  const auto out = analyze({sec_log.file()});

  REQUIRE(out.lineage.boots.size() == 1);
  const auto& boot = out.lineage.boots[0];
  // The old session child keeps exactly its two children.
  REQUIRE(boot.smss.size() == 3);
  CHECK(boot.smss[1].children.size() == 2);
  const Fact* csrss = fact_for(out, "lineage.session_process", 1, 0x1f8);
  REQUIRE(csrss != nullptr);
  CHECK(str_field(*csrss, "parent_image") == "C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe");
  CHECK(str_field(*csrss, "parent_role") == "not_smss");
  CHECK(bool_field(*csrss, "parent_is_smss") == false);
  CHECK(fired(out).contains("LIN-030"));
  // The legitimate csrss of the boot do not fire.
  const Fact* csrss0 = fact_for(out, "lineage.session_process", 1, 0x1f4);
  REQUIRE(csrss0 != nullptr);
  CHECK(str_field(*csrss0, "parent_role") == "session_child");
}

TEST_CASE("a parent PID whose latest instance exited gives no parent", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);  // child1 0x22c exits at +4.0 s
  proc_4688(sec_log, kT0 + sec(30), 0x2f0, 0x22c, kCsrss);
  const auto out = analyze({sec_log.file()});
  const Fact* csrss = fact_for(out, "lineage.session_process", 1, 0x2f0);
  REQUIRE(csrss != nullptr);
  CHECK(bool_field(*csrss, "parent_instance_seen") == false);
  CHECK(bool_field(*csrss, "parent_known") == false);
  CHECK(str_field(*csrss, "parent_role") == "unknown");
  CHECK_FALSE(fired(out).contains("LIN-030"));
}

TEST_CASE("without exit events a reused PID links to the latest creation", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0, false);
  proc_4688(sec_log, kT0 + sec(60), 0x1ec, 0x900, "C:\\Windows\\System32\\cmd.exe");
  proc_4688(sec_log, kT0 + sec(61), 0x1f8, 0x1ec, kWinlogon);
  const auto out = analyze({sec_log.file()});
  const Fact* winlogon = fact_for(out, "lineage.session_process", 1, 0x1f8);
  REQUIRE(winlogon != nullptr);
  CHECK(str_field(*winlogon, "parent_image") == "C:\\Windows\\System32\\cmd.exe");
}

TEST_CASE("4689 closes the latest instance of its PID started before the exit",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  proc_4688(sec_log, kT0, 0x17c, 4, kSmss);
  proc_4688(sec_log, kT0 + ms(100), 0x1ec, 0x17c, kSmss, "smss.exe 00000000 0000003c ");
  exit_4689(sec_log, kT0 + ms(200), 0x1ec, kSmss);
  proc_4688(sec_log, kT0 + ms(300), 0x1ec, 0x17c, kSmss, "smss.exe 00000001 0000003c ");
  exit_4689(sec_log, kT0 + ms(1300), 0x1ec, kSmss);
  // An exit logged under another image name belongs to someone else.
  exit_4689(sec_log, kT0 + ms(1400), 0x17c, "C:\\Windows\\notepad.exe");
  const auto out = analyze({sec_log.file()});
  const auto& boot = out.lineage.boots.at(0);
  REQUIRE(boot.smss.size() == 3);
  CHECK(boot.smss[1].lifetime_ms == 100);
  CHECK(boot.smss[2].lifetime_ms == 1000);
  CHECK_FALSE(boot.processes.at(boot.smss[0].process).end.has_value());
}

TEST_CASE("Sysmon 5 closes its instance by ProcessGuid, not by PID", "[analysis][lineage]") {
  LogBuilder sys = sysmon_log();
  sysmon_1(sys, kT0, 300, 4, kSmss, "\\SystemRoot\\System32\\smss.exe", 1, 0, 0);
  sysmon_1(sys, kT0 + ms(100), 388, 300, kSmss, "smss.exe 000000cc 00000084 ", 3, 1, 0);
  sysmon_1(sys, kT0 + ms(150), 388, 300, kSmss, "smss.exe 000000d8 00000084 ", 5, 1, 1);
  sysmon_5(sys, kT0 + ms(170), 388, 3, kSmss);  // the first 388, although the PID is reused
  const auto out = analyze({sys.file()});
  const auto& boot = out.lineage.boots.at(0);
  REQUIRE(boot.smss.size() == 3);
  CHECK(boot.smss[1].lifetime_ms == 70);
  CHECK_FALSE(boot.smss[2].lifetime_ms.has_value());
}

TEST_CASE("exits not collected leave exited and exits_collected false", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0, false);
  const auto out = analyze({sec_log.file()});
  CHECK_FALSE(out.lineage.coverage.exits_collected);
  const Fact* child = fact_for(out, "lineage.smss_instance", 1, 0x1ec);
  REQUIRE(child != nullptr);
  CHECK(bool_field(*child, "exited") == false);
  CHECK(bool_field(*child, "exits_collected") == false);
  CHECK_FALSE(int_field(*child, "lifetime_ms").has_value());
  CHECK(int_field(*child, "observed_until_ms") > 60000);
  // No exits is not a gap, and a child that "never exits" is not judged.
  CHECK(out.gaps.empty());
  CHECK_FALSE(fired(out).contains("LIN-010"));
}

TEST_CASE("a session child that never exits while exits are collected is judged",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0, false);
  exit_4689(sec_log, kT0 + ms(3900), 0x1ec, kSmss);  // child0 exits, child1 stays
  const auto out = analyze({sec_log.file()});
  const Fact* stays = fact_for(out, "lineage.smss_instance", 1, 0x22c);
  REQUIRE(stays != nullptr);
  CHECK(bool_field(*stays, "exits_collected") == true);
  CHECK(bool_field(*stays, "exited") == false);
  CHECK(fired(out).contains("LIN-010"));
  const Fact* gone = fact_for(out, "lineage.smss_instance", 1, 0x1ec);
  REQUIRE(gone != nullptr);
  CHECK(bool_field(*gone, "exited") == true);
  CHECK(int_field(*gone, "lifetime_ms") == 120);
}

TEST_CASE("an RDP session child logged by 4688 v1 without its master is still a session child",
          "[analysis][lineage]") {
  // DE_RDP_Tunnel_5156 shape: no command lines, no creator names, the master (0x124) rolled over.
  LogBuilder sec_log = security_log();
  proc_4688(sec_log, kT0, 0x38c, 0x124, kSmss);
  proc_4688(sec_log, kT0, 0x9d4, 0x38c, kCsrss);
  proc_4688(sec_log, kT0 + ms(80), 0x4b8, 0x38c, kWinlogon);
  logon_4624(sec_log, kT0 + ms(900), 0x4b8, 10, "CORP\\admin01", "S-1-5-21-1-2-3-500", 0x14a321);
  LogBuilder lsm = lsm_log();
  lsm_21(lsm, kT0 + ms(1500), 2, "CORP\\admin01", "10.0.0.5");
  const auto out = analyze({sec_log.file(), lsm.file()});
  REQUIRE(out.lineage.boots.size() == 1);
  const auto& boot = out.lineage.boots[0];
  CHECK(boot.start_basis == "first-event");
  REQUIRE(boot.smss.size() == 1);
  CHECK(boot.smss[0].role == SmssRole::kSessionChild);
  CHECK(boot.smss[0].session.logon_type == 10);
  CHECK(boot.smss[0].session.session_id == 2U);
  CHECK(boot.smss[0].session.address == "10.0.0.5");
  CHECK(boot.smss[0].session.basis == "security:winlogon>4624>LSM21");
  CHECK(fired(out).empty());
  CHECK(has_gap(out, "lineage.no_boot_observed"));
}

TEST_CASE("an smss with nothing logged but PIDs that starts no csrss stays role other",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  proc_4688(sec_log, kT0, 0x38c, 0x124, kSmss);
  proc_4688(sec_log, kT0 + ms(80), 0x4b8, 0x38c, "C:\\Windows\\System32\\cmd.exe");
  const auto out = analyze({sec_log.file()});
  REQUIRE(out.lineage.boots.size() == 1);
  REQUIRE(out.lineage.boots[0].smss.size() == 1);
  CHECK(out.lineage.boots[0].smss[0].role == SmssRole::kOther);
}
