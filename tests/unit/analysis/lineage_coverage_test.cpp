// Lineage coverage: per-channel sources, process/exit flags, clears, clock changes, notes, and
// the gaps that keep a verdict from reading "clean" (design.md 3.2, events.md 5.7-5.8).
#include "lineage_builders.hpp"
#include "support/catch.hpp"

namespace {

using namespace lintest;

}  // namespace

TEST_CASE("logs without any 4688 or Sysmon 1 give the no_process_events gap naming the files",
          "[analysis][lineage]") {
  LogBuilder system = system_log("C:\\evidence\\System.evtx");
  kernel_start_12(system, kT0);
  LogBuilder sec_log = security_log("C:\\evidence\\Security.evtx");
  boot_4608(sec_log, kT0 + sec(3));
  const auto out = analyze({system.file(), sec_log.file()});
  CHECK(out.lineage.analyzed);
  REQUIRE(has_gap(out, "lineage.no_process_events"));
  for (const auto& g : out.gaps) {
    if (g.code == "lineage.no_process_events") {
      CHECK(g.message.find("C:\\evidence\\System.evtx (System)") != std::string::npos);
      CHECK(g.message.find("C:\\evidence\\Security.evtx (Security)") != std::string::npos);
    }
  }
  // Nothing to observe a master in either: no second gap about it.
  CHECK_FALSE(has_gap(out, "lineage.no_boot_observed"));
  CHECK(out.gaps.size() == 1);
}

TEST_CASE("process events without any master creation give the no_boot_observed gap",
          "[analysis][lineage]") {
  // Rolled-over Security log: only later activity and an RDP session child remain.
  LogBuilder sec_log = security_log();
  proc_4688(sec_log, kT0, 0x900, 0x300, "C:\\Windows\\System32\\svchost.exe");
  proc_4688(sec_log, kT0 + sec(5), 0x38c, 0x124, kSmss, "smss.exe 00000000 0000003c ");
  const auto out = analyze({sec_log.file()});
  CHECK(has_gap(out, "lineage.no_boot_observed"));
  CHECK_FALSE(has_gap(out, "lineage.no_process_events"));

  LogBuilder full = security_log();
  clean_security_boot(full, kT0);
  CHECK_FALSE(has_gap(analyze({full.file()}), "lineage.no_boot_observed"));
}

TEST_CASE("every log clear is a log_cleared gap", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clear_1102(sec_log, kT0, "CORP\\admin");
  clean_security_boot(sec_log, kT0 + sec(10));
  LogBuilder system = system_log();
  Event& e = system.add(EventKind::kLogCleared, 104, kT0 + sec(20));
  e.user_name = "CORP\\admin";
  e.cleared_channel = "System";
  const auto out = analyze({sec_log.file(), system.file()});
  int clears = 0;
  for (const auto& g : out.gaps) {
    if (g.code == "lineage.log_cleared") {
      ++clears;
      CHECK(g.message.find("CORP\\admin") != std::string::npos);
    }
  }
  CHECK(clears == 2);
  REQUIRE(out.lineage.coverage.clears.size() == 2);
  CHECK(out.lineage.coverage.clears[0].channel == "Security");
  CHECK(out.lineage.coverage.clears[1].channel == "System");
}

TEST_CASE("a clean boot with exits has no gap and full coverage flags", "[analysis][lineage]") {
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0);
  LogBuilder system = system_log();
  kernel_start_12(system, kT0);
  clock_4616(sec_log,
             kT0 + sec(30),
             "C:\\Windows\\System32\\svchost.exe",
             "S-1-5-19",
             kT0 + sec(30),
             kT0 + sec(31));
  const auto out = analyze({sec_log.file(), system.file()});
  CHECK(out.gaps.empty());
  const auto& c = out.lineage.coverage;
  CHECK(c.security_process_starts);
  CHECK_FALSE(c.sysmon_process_starts);
  CHECK(c.exits_collected);
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].channel == "Security");
  CHECK(c.sources[1].channel == "System");
  CHECK(c.sources[0].files == std::vector<std::string>{"Security.evtx"});
  CHECK(c.sources[0].event_counts.at(4688) == 9);
  CHECK(c.sources[0].event_counts.at(4689) == 2);
  CHECK(c.sources[1].first == kT0 + ms(20));
  REQUIRE(c.clock_changes.size() == 1);
  CHECK(c.clock_changes[0].process == "C:\\Windows\\System32\\svchost.exe");
  CHECK(c.clock_changes[0].new_time == kT0 + sec(31));
}

TEST_CASE("coverage notes a silent stretch before the next boot and a late-starting log",
          "[analysis][lineage]") {
  LogBuilder system = system_log();
  kernel_start_12(system, kT0);
  kernel_start_12(system, kT0 + sec(86400));
  LogBuilder sec_log = security_log();
  clean_security_boot(sec_log, kT0 + sec(86400));  // Security begins with the second boot
  const auto out = analyze({system.file(), sec_log.file()});
  REQUIRE(out.lineage.boots.size() == 2);
  const auto& notes = out.lineage.coverage.notes;
  const auto has = [&](const std::string& needle) {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
      return n.find(needle) != std::string::npos;
    });
  };
  CHECK(has("Security records begin at"));
  CHECK(has("boot 1 ("));  // no process creation in boot 1
}
