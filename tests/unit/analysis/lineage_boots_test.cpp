// The lineage analysis on synthetic event vectors: boots, roles, sessions and merged views
// (design.md 3.2). Every scenario is built in C++ by lineage_builders.hpp.
#include "lineage_builders.hpp"
#include "support/catch.hpp"

namespace {

using namespace lintest;
using smssaudit::facts::SmssRole;

const smssaudit::facts::ProcessInstance& proc(const smssaudit::facts::Boot& b,
                                              const smssaudit::facts::SmssInstance& s) {
  return b.processes.at(s.process);
}

}  // namespace

TEST_CASE("lineage with no event log is not analysed and reports one gap", "[analysis][lineage]") {
  const auto out = analyze({});
  CHECK_FALSE(out.lineage.analyzed);
  CHECK(out.facts.empty());
  REQUIRE(out.gaps.size() == 1);
  CHECK(out.gaps[0].code == "lineage.no_event_logs");
  CHECK(out.gaps[0].message == "no event logs given: smss lineage not analysed");
}

TEST_CASE("a clean Security-only boot gives one master and two timed session children",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  LogBuilder lsm = lsm_log();
  lsm_21(lsm, kT0 + sec(41), 1, "HOST\\alice", "LOCAL");
  const auto out = analyze({sec_log.file(), lsm.file()});

  REQUIRE(out.lineage.analyzed);
  REQUIRE(out.lineage.boots.size() == 1);
  const auto& boot = out.lineage.boots[0];
  CHECK(boot.index == 1);
  CHECK(boot.start_basis == "master-smss");
  CHECK(boot.start == kT0 + ms(1990));
  REQUIRE(boot.smss.size() == 3);
  CHECK(boot.smss[0].role == SmssRole::kMaster);
  CHECK(boot.smss[1].role == SmssRole::kSessionChild);
  CHECK(boot.smss[2].role == SmssRole::kSessionChild);
  // Lifetimes from 4688 to 4689: 3780 -> 3900 ms and 3830 -> 4000 ms.
  CHECK(boot.smss[1].lifetime_ms == 120);
  CHECK(boot.smss[2].lifetime_ms == 170);
  CHECK_FALSE(boot.smss[0].lifetime_ms.has_value());
  // Session 0 from the wininit the child started; session 1 via winlogon -> 4624 -> LSM 21.
  CHECK(boot.smss[1].session.session_id == 0U);
  CHECK(boot.smss[1].session.basis == "security:wininit");
  CHECK(boot.smss[2].session.session_id == 1U);
  CHECK(boot.smss[2].session.basis == "security:winlogon>4624>LSM21");
  CHECK(boot.smss[2].session.logon_id == 0x14a321U);
  CHECK(boot.smss[2].session.logon_type == 2);
  CHECK(boot.smss[2].session.user == "HOST\\alice");
  CHECK(boot.smss[2].session.address == "LOCAL");
  // The master's children: autochk and the two session smss, in start order.
  REQUIRE(boot.smss[0].children.size() == 3);
  CHECK(boot.processes.at(boot.smss[0].children[0]).image == kAutochk);
  // Only the smss family is kept: the later svchost is not in the tree.
  CHECK(boot.processes.size() == 8);
  for (const auto& p : boot.processes) {
    CHECK(p.pid != 0x1a00U);
  }
  // csrss of session 1 links to the session-1 child, not to the master.
  const auto& child1 = proc(boot, boot.smss[2]);
  REQUIRE(boot.smss[2].children.size() == 2);
  const auto& csrss1 = boot.processes.at(boot.smss[2].children[0]);
  CHECK(csrss1.image == kCsrss);
  CHECK(csrss1.parent == boot.smss[2].process);
  CHECK(child1.pid == 0x22cU);
  CHECK(out.gaps.empty());
  CHECK(worst(out) <= smssaudit::rules::Level::kLow);
}

TEST_CASE("a clean Sysmon-only boot links sessions by TerminalSessionId", "[analysis][lineage]") {
  // Win10 1809 shape (events.md 2.2): master 300 from System, children 388 (session 0) and
  // 460 (session 1), each starting csrss and wininit/winlogon, exits 70-100 ms later.
  LogBuilder sys = sysmon_log();
  const std::uint64_t t = kT0 + sec(1);
  sysmon_1(sys, t, 300, 4, kSmss, "\\SystemRoot\\System32\\smss.exe", 1, 0, 0);
  sysmon_1(
      sys, t + ms(500), 360, 300, kAutochk, "\\??\\C:\\Windows\\system32\\autochk.exe *", 2, 1, 0);
  sysmon_1(sys,
           t + ms(900),
           388,
           300,
           kSmss,
           "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ",
           3,
           1,
           0);
  sysmon_1(sys, t + ms(910), 396, 388, kCsrss, "%SystemRoot%\\system32\\csrss.exe", 4, 3, 0);
  sysmon_1(sys,
           t + ms(1300),
           460,
           300,
           kSmss,
           "\\SystemRoot\\System32\\smss.exe 000000d8 00000084 ",
           5,
           1,
           1);
  sysmon_1(sys, t + ms(1310), 476, 460, kCsrss, "%SystemRoot%\\system32\\csrss.exe", 6, 5, 1);
  sysmon_1(sys, t + ms(1350), 468, 388, kWininit, "wininit.exe", 7, 3, 0);
  sysmon_1(sys, t + ms(1370), 568, 460, kWinlogon, "winlogon.exe", 8, 5, 1);
  sysmon_5(sys, t + ms(1000), 388, 3, kSmss);
  sysmon_5(sys, t + ms(1400), 460, 5, kSmss);
  sysmon_1(sys, t + sec(90), 2000, 700, "C:\\Windows\\explorer.exe", "explorer.exe", 20, 0, 1);
  const auto out = analyze({sys.file()});

  REQUIRE(out.lineage.boots.size() == 1);
  const auto& boot = out.lineage.boots[0];
  CHECK(boot.start_basis == "master-smss");
  REQUIRE(boot.smss.size() == 3);
  CHECK(boot.smss[0].role == SmssRole::kMaster);
  CHECK(boot.smss[1].session.session_id == 0U);
  CHECK(boot.smss[1].session.basis == "sysmon:TerminalSessionId");
  CHECK(boot.smss[2].session.session_id == 1U);
  CHECK(boot.smss[1].lifetime_ms == 100);
  CHECK(boot.smss[2].lifetime_ms == 100);
  const Fact* child = fact_for(out, "lineage.smss_instance", 1, 460);
  REQUIRE(child != nullptr);
  CHECK(bool_field(*child, "exits_collected") == true);
  CHECK(bool_field(*child, "child_args_ok") == true);
  CHECK(bool_field(*child, "spawned_expected") == true);
  CHECK(str_field(*child, "sources") == "sysmon");
  CHECK(out.gaps.empty());
  CHECK(worst(out) <= smssaudit::rules::Level::kLow);
}

TEST_CASE("the 4688 and Sysmon 1 views of one process merge into one instance",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  LogBuilder sys = sysmon_log();
  // Same master, child and csrss in both logs; Sysmon's TimeCreated trails by 8 s.
  proc_4688(sec_log, kT0 + ms(1000), 300, 4, kSmss);
  proc_4688(sec_log, kT0 + ms(1900), 388, 300, kSmss);
  proc_4688(sec_log, kT0 + ms(1910), 396, 388, kCsrss);
  sysmon_1(sys, kT0 + ms(1001), 300, 4, kSmss, "\\SystemRoot\\System32\\smss.exe", 1, 0, 0);
  sysmon_1(sys,
           kT0 + ms(1901),
           388,
           300,
           kSmss,
           "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ",
           3,
           1,
           0);
  sysmon_1(sys, kT0 + ms(1911), 396, 388, kCsrss, "csrss.exe", 4, 3, 0);
  const auto out = analyze({sec_log.file(), sys.file()});

  REQUIRE(out.lineage.boots.size() == 1);
  const auto& boot = out.lineage.boots[0];
  REQUIRE(boot.processes.size() == 3);
  for (const auto& p : boot.processes) {
    CHECK(p.evidence.size() == 2);  // one 4688, one Sysmon 1
  }
  REQUIRE(boot.smss.size() == 2);
  const auto& child = boot.processes.at(boot.smss[1].process);
  CHECK(child.process_guid == guid(3));
  CHECK(child.command_line == "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ");
  CHECK(child.session_id == 0U);
  const Fact* master = fact_for(out, "lineage.smss_instance", 1, 300);
  REQUIRE(master != nullptr);
  CHECK(str_field(*master, "sources") == "security,sysmon");
  CHECK(int_field(*master, "masters_in_boot") == 1);
}

TEST_CASE("a different image under the same PID is not merged", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  LogBuilder sys = sysmon_log();
  proc_4688(sec_log, kT0 + ms(1000), 300, 4, kSmss);
  sysmon_1(
      sys, kT0 + ms(1001), 300, 4, "C:\\Windows\\System32\\notepad.exe", "notepad.exe", 1, 0, 0);
  const auto out = analyze({sec_log.file(), sys.file()});
  REQUIRE(out.lineage.boots.size() == 1);
  CHECK(out.lineage.boots[0].processes.size() == 1);  // notepad is not smss family
  CHECK(out.lineage.boots[0].processes[0].evidence.size() == 1);
}

TEST_CASE("two boots split on System 12/13 markers, PIDs reused across boots",
          "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  LogBuilder system = system_log();
  const std::uint64_t t2 = kT0 + sec(3600);
  kernel_start_12(system, kT0);
  system_event(system, EventKind::kBootStart, 6005, kT0 + sec(12));
  clean_security_boot(sec_log, kT0);
  system_event(system, EventKind::kShutdown, 6006, kT0 + sec(1800));
  kernel_stop_13(system, kT0 + sec(1801));
  kernel_start_12(system, t2);
  system_event(system, EventKind::kBootStart, 6005, t2 + sec(12));
  clean_security_boot(sec_log, t2);  // the same PIDs again
  const auto out = analyze({sec_log.file(), system.file()});

  REQUIRE(out.lineage.boots.size() == 2);
  const auto& b1 = out.lineage.boots[0];
  const auto& b2 = out.lineage.boots[1];
  CHECK(b1.start == kT0);
  CHECK(b1.start_basis == "system:12");
  CHECK(b1.end == kT0 + sec(1801));
  CHECK(b1.end_basis == "system:13");
  CHECK_FALSE(b1.unexpected_end);
  CHECK(b2.start == t2);
  CHECK(b2.start_basis == "system:12");
  CHECK_FALSE(b2.end.has_value());
  for (const auto* b : {&b1, &b2}) {
    REQUIRE(b->smss.size() == 3);
    CHECK(b->smss[0].role == SmssRole::kMaster);
    CHECK(b->smss[1].role == SmssRole::kSessionChild);
    // The child links to the master of its own boot.
    const auto& child = b->processes.at(b->smss[1].process);
    REQUIRE(child.parent.has_value());
    CHECK(b->processes.at(*child.parent).start >= b->start);
  }
  const Fact* m1 = fact_for(out, "lineage.smss_instance", 1, 0x17c);
  REQUIRE(m1 != nullptr);
  CHECK(int_field(*m1, "master_delay_ms") == 1990);
  CHECK(facts_of(out, "lineage.boot").size() == 2);
}

TEST_CASE("boots split with only 4608 and master markers, even 40 s apart", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  const std::uint64_t t2 = kT0 + sec(40);
  const std::uint64_t t3 = kT0 + sec(4000);
  BootPids second;
  second.master = 0x178;
  clean_security_boot(sec_log, kT0);
  clean_security_boot(sec_log, t2, true, second);
  clean_security_boot(sec_log, t3);
  const auto out = analyze({sec_log.file()});

  REQUIRE(out.lineage.boots.size() == 3);
  CHECK(out.lineage.boots[0].start == kT0 + ms(1990));
  CHECK(out.lineage.boots[1].start == t2 + ms(1990));
  CHECK(out.lineage.boots[2].start == t3 + ms(1990));
  for (const auto& b : out.lineage.boots) {
    CHECK(b.start_basis == "master-smss");
    REQUIRE(b.smss.size() == 3);
    CHECK(b.smss[0].role == SmssRole::kMaster);
  }
  CHECK(out.lineage.boots[0].end_basis == "next-boot");
  CHECK(out.lineage.boots[0].end == out.lineage.boots[1].start);
  for (const Fact* f : facts_of(out, "lineage.boot")) {
    CHECK(int_field(*f, "master_count") == 1);
  }
  // Without a System 12 there is no kernel start to measure the master against.
  const Fact* m1 = fact_for(out, "lineage.smss_instance", 1, 0x17c);
  REQUIRE(m1 != nullptr);
  CHECK_FALSE(int_field(*m1, "master_delay_ms").has_value());
}

TEST_CASE("a 4608 alone opens a boot and a later master joins it", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  boot_4608(sec_log, kT0);
  proc_4688(sec_log, kT0 + sec(2), 0x17c, 4, kSmss);
  const auto out = analyze({sec_log.file()});
  REQUIRE(out.lineage.boots.size() == 1);
  CHECK(out.lineage.boots[0].start_basis == "security:4608");
}

TEST_CASE("a 6008 in the next boot marks the previous boot's end as unexpected",
          "[analysis][lineage]") {
  LogBuilder system = system_log();
  LogBuilder sec_log = security_log();
  kernel_start_12(system, kT0);
  clean_security_boot(sec_log, kT0);
  const std::uint64_t t2 = kT0 + sec(7200);
  kernel_start_12(system, t2);
  system_event(system, EventKind::kUnexpectedShutdown, 6008, t2 + sec(15));
  clean_security_boot(sec_log, t2);
  const auto out = analyze({sec_log.file(), system.file()});
  REQUIRE(out.lineage.boots.size() == 2);
  CHECK(out.lineage.boots[0].unexpected_end);
  CHECK(out.lineage.boots[0].end_basis == "next-boot");
  CHECK_FALSE(out.lineage.boots[1].unexpected_end);
  const auto boots = facts_of(out, "lineage.boot");
  REQUIRE(boots.size() == 2);
  CHECK(bool_field(*boots[0], "unexpected_end") == true);
}

TEST_CASE("events before the first marker form a boot only when they hold the smss family",
          "[analysis][lineage]") {
  // A log that starts mid-boot (the master's 4688 rolled over): the session child is still there.
  LogBuilder sec_log = security_log();
  proc_4688(
      sec_log, kT0, 0x2a0, 0x17c, kSmss, "\\SystemRoot\\System32\\smss.exe 00000000 0000003c ");
  proc_4688(sec_log, kT0 + ms(10), 0x2a8, 0x2a0, kCsrss);
  clean_security_boot(sec_log, kT0 + sec(3600));
  auto with_family = analyze({sec_log.file()});
  REQUIRE(with_family.lineage.boots.size() == 2);
  CHECK(with_family.lineage.boots[0].start_basis == "first-event");
  CHECK(with_family.lineage.boots[0].start == kT0);
  REQUIRE(with_family.lineage.boots[0].smss.size() == 1);
  // No parent instance and no parent image (4688 v1), but the child command-line form.
  CHECK(with_family.lineage.boots[0].smss[0].role == SmssRole::kSessionChild);

  LogBuilder other = security_log();
  proc_4688(other, kT0, 0x900, 0x300, "C:\\Windows\\System32\\svchost.exe");
  clean_security_boot(other, kT0 + sec(3600));
  auto without = analyze({other.file()});
  REQUIRE(without.lineage.boots.size() == 1);
  CHECK(without.lineage.boots[0].start_basis == "master-smss");
}
