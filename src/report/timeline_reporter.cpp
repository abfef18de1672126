// `--timeline FILE`: every dated fact of the report as Timesketch JSONL (design.md 4). Each line
// starts with message, datetime, timestamp (µs) and timestamp_desc, then data_type, host and the
// fact's own fields. Only stored times are used; a fact without a time has no line.
#include "report/json_lineage.hpp"
#include "report/report_format.hpp"
#include "report/timesketch.hpp"
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/report/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace smssaudit::report {

namespace {

using detail::event_ref_json;
using detail::Json;
using detail::or_null;
using detail::refs_json;
using detail::string_or_null;
using detail::time_or_null;

constexpr std::uint64_t kTicksPerSecond = 10'000'000ULL;

/// Lines are generated per host in report order: OS, hive, control sets and their keys, then boot
/// by boot (boot start and end, processes in start order, sessions), log clears, clock changes and
/// findings. That order is the tie-breaker, so equal times keep a parent before its child.
struct Entry {
  std::uint64_t filetime = 0;
  std::string host;
  std::size_t order = 0;
  Json line;
};

class Timeline {
 public:
  /// Starts a line; the caller adds the fact's fields to the returned object.
  Json& add(const std::string& host,
            std::uint64_t filetime,
            const std::string& desc,
            const std::string& data_type,
            const std::string& message) {
    Json line = detail::timesketch_line(message, filetime, desc);
    line["data_type"] = data_type;
    line["host"] = host;
    entries_.push_back(Entry{filetime, host, entries_.size(), std::move(line)});
    return entries_.back().line;
  }

  void add_line(const std::string& host, std::uint64_t filetime, Json line) {
    entries_.push_back(Entry{filetime, host, entries_.size(), std::move(line)});
  }

  void write(std::ostream& out) {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.filetime, a.host, a.order) < std::tie(b.filetime, b.host, b.order);
    });
    for (const Entry& e : entries_) {
      out << detail::dump_line(e.line);
    }
  }

 private:
  std::vector<Entry> entries_;
};

// ---- registry -----------------------------------------------------------------------------------

void add_registry(Timeline& tl, const HostReport& host) {
  if (!host.system) {
    return;
  }
  const facts::SystemHive& hive = *host.system;
  if (hive.base.last_written != 0) {
    Json& j = tl.add(host.name,
                     hive.base.last_written,
                     "Hive Last Written",
                     "smssaudit:registry:hive",
                     "SYSTEM hive base block last written: " + hive.path);
    j["hive"] = hive.path;
    j["dirty"] = hive.base.dirty();
    j["primary_sequence"] = hive.base.primary_sequence;
    j["secondary_sequence"] = hive.base.secondary_sequence;
  }
  for (const facts::ControlSet& cs : hive.control_sets) {
    const bool current = hive.select.current.has_value() && *hive.select.current == cs.number;
    for (const facts::RegKey& key : cs.keys) {
      if (key.last_written == 0) {
        continue;
      }
      const std::string path = cs.name + "\\" + key.path;
      Json& j = tl.add(host.name,
                       key.last_written,
                       "Key Last Written",
                       "smssaudit:registry:key",
                       path + " last written" + (current ? " (current control set)" : ""));
      j["hive"] = hive.path;
      j["control_set"] = cs.name;
      j["current"] = current;
      j["key_path"] = path;
      j["label"] = string_or_null(std::string(detail::surface_label(key.path)));
      j["values"] = key.values.size();
    }
  }
}

void add_os(Timeline& tl, const HostReport& host) {
  if (!host.os.software || !host.os.software->install_date) {
    return;
  }
  const facts::SoftwareHive& sw = *host.os.software;
  const std::uint64_t at =
      kFiletimeUnixEpoch + static_cast<std::uint64_t>(*sw.install_date) * kTicksPerSecond;
  Json& j = tl.add(host.name,
                   at,
                   "Install Date",
                   "smssaudit:os:install",
                   "Windows installed (SOFTWARE InstallDate)" +
                       (sw.product_name ? ": " + *sw.product_name : std::string()));
  j["product_name"] = or_null(sw.product_name);
  j["current_build"] = or_null(sw.current_build);
  j["software_hive"] = sw.path;
}

// ---- lineage ------------------------------------------------------------------------------------

/// How a process appears in the boot: an smss instance's role, or the smss it is a child of.
struct ProcessRole {
  std::string role;  ///< "master" | "session_child" | "other" | "smss_child" | "related"
  std::string label;
  const facts::SmssInstance* smss = nullptr;
};

ProcessRole process_role(const facts::Boot& boot, std::size_t index) {
  for (const facts::SmssInstance& s : boot.smss) {
    if (s.process == index) {
      const std::string role = facts::to_string(s.role);
      const std::string label = s.role == facts::SmssRole::kMaster         ? "master smss"
                                : s.role == facts::SmssRole::kSessionChild ? "session child smss"
                                                                           : "other smss";
      return {role, label, &s};
    }
  }
  for (const facts::SmssInstance& s : boot.smss) {
    if (std::find(s.children.begin(), s.children.end(), index) != s.children.end()) {
      return {"smss_child",
              fmt::format("child of smss pid {}", boot.processes.at(s.process).pid),
              nullptr};
    }
  }
  return {"related", "smss-family process", nullptr};
}

void add_process_fields(Json& j,
                        const facts::Boot& boot,
                        const facts::ProcessInstance& p,
                        const ProcessRole& role) {
  j["boot"] = boot.index;
  j["pid"] = p.pid;
  j["parent_pid"] = or_null(p.parent_pid);
  j["image"] = p.image;
  j["command_line"] = string_or_null(p.command_line);
  j["role"] = role.role;
  j["start"] = time_or_null(p.start);
  j["end"] = p.end ? time_or_null(*p.end) : Json(nullptr);
  j["lifetime_ms"] = role.smss != nullptr ? or_null(role.smss->lifetime_ms) : Json(nullptr);
  j["user_sid"] = string_or_null(p.user_sid);
  j["user_name"] = string_or_null(p.user_name);
  j["session_id"] = or_null(p.session_id);
  j["process_guid"] = string_or_null(p.process_guid);
  j["evidence"] = refs_json(p.evidence);
}

void add_process(Timeline& tl,
                 const std::string& host,
                 const facts::Boot& boot,
                 std::size_t index) {
  const facts::ProcessInstance& p = boot.processes.at(index);
  const ProcessRole role = process_role(boot, index);
  if (p.start != 0) {
    const std::string parent =
        p.parent_pid ? fmt::format(", parent pid {}", *p.parent_pid) : std::string();
    Json& j = tl.add(host,
                     p.start,
                     "Process Start",
                     "smssaudit:process",
                     fmt::format("{} (pid {}) started: {}, boot {}{}{}",
                                 p.image,
                                 p.pid,
                                 role.label,
                                 boot.index,
                                 parent,
                                 p.command_line.empty() ? "" : ": " + p.command_line));
    add_process_fields(j, boot, p, role);
  }
  if (p.end && *p.end != 0) {
    const std::string lifetime = role.smss != nullptr && role.smss->lifetime_ms
                                     ? fmt::format(", lived {} ms", *role.smss->lifetime_ms)
                                     : std::string();
    Json& j = tl.add(
        host,
        *p.end,
        "Process Exit",
        "smssaudit:process",
        fmt::format(
            "{} (pid {}) exited: {}, boot {}{}", p.image, p.pid, role.label, boot.index, lifetime));
    add_process_fields(j, boot, p, role);
  }
}

void add_session(Timeline& tl,
                 const std::string& host,
                 const facts::Boot& boot,
                 const facts::SmssInstance& s) {
  const facts::ProcessInstance& p = boot.processes.at(s.process);
  if (s.role != facts::SmssRole::kSessionChild || p.start == 0) {
    return;
  }
  const facts::SessionLink& link = s.session;
  const std::string what = link.session_id ? fmt::format("Session {}", *link.session_id)
                                           : std::string("A session (id not linked)");
  const std::string basis = link.basis.empty() ? "" : " (" + link.basis + ")";
  const std::string user = link.user.empty() ? "" : ", user " + link.user;
  Json& j = tl.add(host,
                   p.start,
                   "Session Created",
                   "smssaudit:session",
                   fmt::format("{} created by session child smss pid {}, boot {}{}{}",
                               what,
                               p.pid,
                               boot.index,
                               basis,
                               user));
  j["boot"] = boot.index;
  j["session_id"] = or_null(link.session_id);
  j["session_basis"] = string_or_null(link.basis);
  j["logon_id"] = or_null(link.logon_id);
  j["logon_type"] = or_null(link.logon_type);
  j["user"] = string_or_null(link.user);
  j["address"] = string_or_null(link.address);
  j["smss_pid"] = p.pid;
  j["lifetime_ms"] = or_null(s.lifetime_ms);
  j["evidence"] = refs_json(p.evidence);
}

void add_boot(Timeline& tl, const std::string& host, const facts::Boot& boot) {
  if (boot.start != 0) {
    Json& j = tl.add(host,
                     boot.start,
                     "Boot Start",
                     "smssaudit:boot",
                     fmt::format("Boot {} started ({})", boot.index, boot.start_basis));
    j["boot"] = boot.index;
    j["basis"] = boot.start_basis;
  }
  if (boot.end && *boot.end != 0) {
    Json& j = tl.add(host,
                     *boot.end,
                     "Boot End",
                     "smssaudit:boot",
                     fmt::format("Boot {} ended{} ({})",
                                 boot.index,
                                 boot.unexpected_end ? " unexpectedly" : "",
                                 boot.end_basis));
    j["boot"] = boot.index;
    j["basis"] = boot.end_basis;
    j["unexpected_end"] = boot.unexpected_end;
  }
  for (std::size_t i = 0; i < boot.processes.size(); ++i) {
    add_process(tl, host, boot, i);
  }
  for (const facts::SmssInstance& s : boot.smss) {
    add_session(tl, host, boot, s);
  }
}

void add_coverage_events(Timeline& tl, const std::string& host, const facts::Lineage& lineage) {
  for (const facts::LogClear& clear : lineage.coverage.clears) {
    if (clear.ref.written == 0) {
      continue;
    }
    Json& j =
        tl.add(host,
               clear.ref.written,
               "Log Cleared",
               "smssaudit:log_clear",
               clear.channel + " log cleared" + (clear.user.empty() ? "" : " by " + clear.user));
    j["channel"] = clear.channel;
    j["user"] = string_or_null(clear.user);
    j["evidence"] = event_ref_json(clear.ref);
  }
  for (const facts::ClockChange& change : lineage.coverage.clock_changes) {
    if (change.ref.written == 0) {
      continue;
    }
    Json& j = tl.add(host,
                     change.ref.written,
                     "Clock Changed",
                     "smssaudit:clock_change",
                     fmt::format("System time changed from {} to {}{}",
                                 detail::iso_time(change.previous_time).value_or("?"),
                                 detail::iso_time(change.new_time).value_or("?"),
                                 change.process.empty() ? "" : " by " + change.process));
    j["previous_time"] = time_or_null(change.previous_time);
    j["new_time"] = time_or_null(change.new_time);
    j["process"] = string_or_null(change.process);
    j["user_sid"] = string_or_null(change.user_sid);
    j["evidence"] = event_ref_json(change.ref);
  }
}

void add_findings(Timeline& tl, const HostReport& host) {
  for (const rules::Finding& f : host.findings) {
    const detail::FindingTime t = detail::finding_time(f);
    if (t.filetime != 0) {
      tl.add_line(host.name, t.filetime, detail::finding_line(host.name, f));
    }
  }
}

}  // namespace

void write_timeline(const Report& report, std::ostream& out) {
  Timeline tl;
  for (const HostReport& host : report.hosts) {
    add_os(tl, host);
    add_registry(tl, host);
    for (const facts::Boot& boot : host.lineage.boots) {
      add_boot(tl, host.name, boot);
    }
    add_coverage_events(tl, host.name, host.lineage);
    add_findings(tl, host);
  }
  tl.write(out);
}

}  // namespace smssaudit::report
