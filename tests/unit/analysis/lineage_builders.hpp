// Test-local builders for the lineage analysis: synthetic, normalised facts::Event records as the
// EVTX reader would produce them (fields by name, PIDs numeric, times FILETIME), so the tests
// need no binary fixture. Shapes follow events.md (4688 v2 boot lineage after nasbench, Sysmon
// 1/5 after the EAS samples, LSM 21, System 12/13).
#pragma once

#include "smssaudit/analysis/lineage.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/rules/catalog.hpp"
#include "smssaudit/rules/engine.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lintest {

using smssaudit::facts::Event;
using smssaudit::facts::EventKind;
using smssaudit::facts::EventLogFile;
using smssaudit::facts::LogChannel;

/// 2020-08-01T21:47:55Z-ish: any FILETIME far from zero will do.
inline constexpr std::uint64_t kT0 = 132407272750000000ULL;

constexpr std::uint64_t ms(std::uint64_t n) {
  return n * 10'000ULL;
}

constexpr std::uint64_t sec(std::uint64_t n) {
  return n * 10'000'000ULL;
}

inline constexpr const char* kSmss = "C:\\Windows\\System32\\smss.exe";
inline constexpr const char* kCsrss = "C:\\Windows\\System32\\csrss.exe";
inline constexpr const char* kWininit = "C:\\Windows\\System32\\wininit.exe";
inline constexpr const char* kWinlogon = "C:\\Windows\\System32\\winlogon.exe";
inline constexpr const char* kAutochk = "C:\\Windows\\System32\\autochk.exe";
inline constexpr const char* kSystemSid = "S-1-5-18";

/// One EVTX file being written: events get increasing record ids, TimeCreated = time unless set.
class LogBuilder {
 public:
  LogBuilder(std::string path, LogChannel channel, std::string channel_name)
      : path_(std::move(path)), channel_(channel), channel_name_(std::move(channel_name)) {}

  Event& add(EventKind kind, std::uint16_t id, std::uint64_t time, std::uint64_t written = 0) {
    Event e;
    e.kind = kind;
    e.channel = channel_;
    e.time = time;
    e.ref.artifact = path_;
    e.ref.channel_name = channel_name_;
    e.ref.record_id = ++record_;
    e.ref.written = written != 0 ? written : time;
    e.ref.event_id = id;
    events_.push_back(e);
    return events_.back();
  }

  EventLogFile file() const {
    EventLogFile f;
    f.path = path_;
    f.channel_name = channel_name_;
    f.channel = channel_;
    f.records = events_.size();
    f.events = events_;
    if (!events_.empty()) {
      f.first_record_id = events_.front().ref.record_id;
      f.last_record_id = events_.back().ref.record_id;
      f.first_time = events_.front().ref.written;
      f.last_time = events_.front().ref.written;
      for (const Event& e : events_) {
        f.first_time = std::min(f.first_time, e.ref.written);
        f.last_time = std::max(f.last_time, e.ref.written);
        ++f.relevant_counts[e.ref.event_id];
      }
    }
    return f;
  }

 private:
  std::string path_;
  LogChannel channel_;
  std::string channel_name_;
  std::uint64_t record_ = 0;
  std::vector<Event> events_;
};

inline LogBuilder security_log(std::string path = "Security.evtx") {
  return {std::move(path), LogChannel::kSecurity, "Security"};
}

inline LogBuilder sysmon_log(std::string path = "Microsoft-Windows-Sysmon%4Operational.evtx") {
  return {std::move(path), LogChannel::kSysmon, "Microsoft-Windows-Sysmon/Operational"};
}

inline LogBuilder system_log(std::string path = "System.evtx") {
  return {std::move(path), LogChannel::kSystem, "System"};
}

inline LogBuilder lsm_log(
    std::string path = "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx") {
  return {std::move(path),
          LogChannel::kLocalSessionManager,
          "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"};
}

// ---- Security --------------------------------------------------------------------------------

inline Event& proc_4688(LogBuilder& log,
                        std::uint64_t t,
                        std::uint64_t pid,
                        std::uint64_t creator,
                        const std::string& image,
                        const std::string& command_line = "",
                        const std::string& user_sid = kSystemSid) {
  Event& e = log.add(EventKind::kProcessStart, 4688, t);
  e.pid = pid;
  e.parent_pid = creator;
  e.image = image;
  e.command_line = command_line;
  e.user_sid = user_sid;
  e.logon_id = 0x3e7;
  return e;
}

inline Event& exit_4689(LogBuilder& log,
                        std::uint64_t t,
                        std::uint64_t pid,
                        const std::string& image) {
  Event& e = log.add(EventKind::kProcessExit, 4689, t);
  e.pid = pid;
  e.image = image;
  e.exit_status = 0;
  return e;
}

inline Event& boot_4608(LogBuilder& log, std::uint64_t t) {
  return log.add(EventKind::kBootStart, 4608, t);
}

inline Event& logon_4624(LogBuilder& log,
                         std::uint64_t t,
                         std::uint64_t process_pid,
                         int logon_type,
                         const std::string& user_name,
                         const std::string& user_sid,
                         std::uint64_t logon_id) {
  Event& e = log.add(EventKind::kLogon, 4624, t);
  e.pid = process_pid;
  e.image = kWinlogon;
  e.logon_type = logon_type;
  e.user_name = user_name;
  e.user_sid = user_sid;
  e.logon_id = logon_id;
  return e;
}

inline Event& clear_1102(LogBuilder& log, std::uint64_t t, const std::string& user) {
  Event& e = log.add(EventKind::kLogCleared, 1102, t);
  e.user_name = user;
  e.cleared_channel = "Security";
  return e;
}

inline Event& clock_4616(LogBuilder& log,
                         std::uint64_t t,
                         const std::string& process,
                         const std::string& sid,
                         std::uint64_t previous,
                         std::uint64_t now) {
  Event& e = log.add(EventKind::kClockChange, 4616, t);
  e.image = process;
  e.user_sid = sid;
  e.previous_time = previous;
  e.new_time = now;
  return e;
}

// ---- System ----------------------------------------------------------------------------------

/// Kernel-General 12: Event::time is StartTime, written a little later.
inline Event& kernel_start_12(LogBuilder& log, std::uint64_t start) {
  return log.add(EventKind::kBootStart, 12, start, start + ms(20));
}

inline Event& kernel_stop_13(LogBuilder& log, std::uint64_t stop) {
  return log.add(EventKind::kShutdown, 13, stop, stop + ms(1));
}

inline Event& system_event(LogBuilder& log, EventKind kind, std::uint16_t id, std::uint64_t t) {
  return log.add(kind, id, t);
}

// ---- Sysmon ----------------------------------------------------------------------------------

inline std::string guid(std::uint64_t n) {
  std::string s = std::to_string(n);
  return "{5770385F-0000-0000-0000-" + std::string(12 - s.size(), '0') + s + "}";
}

/// Sysmon 1: `t` is UtcTime (Event::time), `written` TimeCreated (defaults to t + 8 s, the boot
/// buffering seen on Win10).
inline Event& sysmon_1(LogBuilder& log,
                       std::uint64_t t,
                       std::uint64_t pid,
                       std::uint64_t ppid,
                       const std::string& image,
                       const std::string& command_line,
                       std::uint64_t guid_n,
                       std::uint64_t parent_guid_n,
                       std::uint32_t session,
                       std::uint64_t written = 0) {
  Event& e = log.add(EventKind::kProcessStart, 1, t, written != 0 ? written : t + sec(8));
  e.pid = pid;
  e.parent_pid = ppid;
  e.image = image;
  e.command_line = command_line;
  e.process_guid = guid(guid_n);
  if (parent_guid_n != 0) {
    e.parent_guid = guid(parent_guid_n);
  }
  e.parent_image = ppid == 4 ? "System" : kSmss;
  e.session_id = session;
  e.user_name = "NT AUTHORITY\\SYSTEM";
  e.user_sid = kSystemSid;
  return e;
}

inline Event& sysmon_5(LogBuilder& log,
                       std::uint64_t t,
                       std::uint64_t pid,
                       std::uint64_t guid_n,
                       const std::string& image) {
  Event& e = log.add(EventKind::kProcessExit, 5, t, t + sec(1));
  e.pid = pid;
  e.process_guid = guid(guid_n);
  e.image = image;
  return e;
}

// ---- LocalSessionManager ---------------------------------------------------------------------

inline Event& lsm_21(LogBuilder& log,
                     std::uint64_t t,
                     std::uint32_t session,
                     const std::string& user,
                     const std::string& address) {
  Event& e = log.add(EventKind::kSession, 21, t);
  e.session_id = session;
  e.user_name = user;
  e.address = address;
  return e;
}

// ---- whole scenarios -------------------------------------------------------------------------

/// PIDs of the Security boot below (as in the belkasoft boot of 2020-08-01 21:47).
struct BootPids {
  std::uint64_t master = 0x17c, autochk = 0x19c, child0 = 0x1ec, csrss0 = 0x1f4, child1 = 0x22c,
                csrss1 = 0x234, wininit = 0x260, winlogon = 0x268;
};

/// One clean Win7-style boot in Security only: master from PID 4, autochk, two session children
/// (with their 4689 exits when `exits`), csrss + wininit / csrss + winlogon, 4608, then the
/// user's type-2 logon from the session-1 winlogon. Times are offsets from `t0` (the kernel
/// start).
inline void clean_security_boot(LogBuilder& sec_log,
                                std::uint64_t t0,
                                bool exits = true,
                                const BootPids& p = {}) {
  proc_4688(sec_log, t0 + ms(1990), p.master, 4, kSmss, "\\SystemRoot\\System32\\smss.exe");
  proc_4688(sec_log,
            t0 + ms(3330),
            p.autochk,
            p.master,
            kAutochk,
            "\\??\\C:\\Windows\\system32\\autochk.exe *");
  proc_4688(sec_log,
            t0 + ms(3780),
            p.child0,
            p.master,
            kSmss,
            "\\SystemRoot\\System32\\smss.exe 000000cc 00000084 ");
  proc_4688(sec_log, t0 + ms(3800), p.csrss0, p.child0, kCsrss);
  proc_4688(sec_log,
            t0 + ms(3830),
            p.child1,
            p.master,
            kSmss,
            "\\SystemRoot\\System32\\smss.exe 000000d8 00000084 ");
  proc_4688(sec_log, t0 + ms(3840), p.csrss1, p.child1, kCsrss);
  proc_4688(sec_log, t0 + ms(3850), p.wininit, p.child0, kWininit);
  proc_4688(sec_log, t0 + ms(3855), p.winlogon, p.child1, kWinlogon);
  if (exits) {
    exit_4689(sec_log, t0 + ms(3900), p.child0, kSmss);
    exit_4689(sec_log, t0 + ms(4000), p.child1, kSmss);
  }
  boot_4608(sec_log, t0 + ms(3990));
  logon_4624(sec_log, t0 + sec(40), p.winlogon, 2, "HOST\\alice", "S-1-5-21-1-2-3-1001", 0x14a321);
  // Later activity keeps the logs watching well past the children's start.
  proc_4688(sec_log, t0 + sec(120), 0x1a00, 0x300, "C:\\Windows\\System32\\svchost.exe");
}

// ---- running and inspecting ------------------------------------------------------------------

inline smssaudit::analysis::LineageOutput analyze(
    const std::vector<EventLogFile>& files,
    bool hive_available = false,
    std::vector<smssaudit::analysis::BootProgram> programs = {}) {
  smssaudit::analysis::LineageInput in;
  for (const EventLogFile& f : files) {
    in.logs.push_back(&f);
    in.sha256_by_path[f.path] = std::string(64, 'a');
  }
  in.hive_available = hive_available;
  in.boot_programs = std::move(programs);
  return smssaudit::analysis::analyze_lineage(in);
}

using smssaudit::facts::Fact;

inline std::vector<const Fact*> facts_of(const smssaudit::analysis::LineageOutput& out,
                                         const std::string& kind) {
  std::vector<const Fact*> r;
  for (const Fact& f : out.facts) {
    if (f.kind == kind) {
      r.push_back(&f);
    }
  }
  return r;
}

inline std::optional<std::int64_t> int_field(const Fact& f, const std::string& name) {
  const auto* v = f.get(name);
  if (v == nullptr || !std::holds_alternative<std::int64_t>(*v)) {
    return std::nullopt;
  }
  return std::get<std::int64_t>(*v);
}

inline std::optional<bool> bool_field(const Fact& f, const std::string& name) {
  const auto* v = f.get(name);
  if (v == nullptr || !std::holds_alternative<bool>(*v)) {
    return std::nullopt;
  }
  return std::get<bool>(*v);
}

inline std::optional<std::string> str_field(const Fact& f, const std::string& name) {
  const auto* v = f.get(name);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) {
    return std::nullopt;
  }
  return std::get<std::string>(*v);
}

/// The lineage.* fact of `kind` for (boot, pid); nullptr when there is none.
inline const Fact* fact_for(const smssaudit::analysis::LineageOutput& out,
                            const std::string& kind,
                            std::int64_t boot,
                            std::int64_t pid) {
  for (const Fact* f : facts_of(out, kind)) {
    if (int_field(*f, "boot") == boot && int_field(*f, "pid") == pid) {
      return f;
    }
  }
  return nullptr;
}

/// Rule ids the built-in catalogue fires on the output's facts.
inline std::set<std::string> fired(const smssaudit::analysis::LineageOutput& out) {
  static const smssaudit::rules::CatalogLoad kLoad =
      smssaudit::rules::load_catalog(smssaudit::rules::builtin_sources(), {});
  std::set<std::string> ids;
  for (const auto& finding : smssaudit::rules::evaluate(kLoad.catalog.rules, out.facts, "high")) {
    ids.insert(finding.rule_id);
  }
  return ids;
}

/// The highest severity fired, as the rules name it ("" when nothing fires).
inline smssaudit::rules::Level worst(const smssaudit::analysis::LineageOutput& out) {
  static const smssaudit::rules::CatalogLoad kLoad =
      smssaudit::rules::load_catalog(smssaudit::rules::builtin_sources(), {});
  smssaudit::rules::Level level = smssaudit::rules::Level::kInfo;
  for (const auto& finding : smssaudit::rules::evaluate(kLoad.catalog.rules, out.facts, "high")) {
    level = std::max(level, finding.severity);
  }
  return level;
}

inline bool has_gap(const smssaudit::analysis::LineageOutput& out, const std::string& code) {
  return std::any_of(
      out.gaps.begin(), out.gaps.end(), [&](const auto& g) { return g.code == code; });
}

}  // namespace lintest
