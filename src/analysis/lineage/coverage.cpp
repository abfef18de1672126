// What the event logs can and cannot show (design.md 3.2 "record coverage", events.md 5.7-5.8).
// Absence of evidence is never reported as clean: missing process creation, cleared logs and a
// history without any observed boot become coverage gaps, which make the verdict inconclusive.
// Missing exit events are deliberately not a gap: facts carry exits_collected instead, so rules
// judge lifetimes only where exits were collected.
#include "lineage_internal.hpp"
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smssaudit::analysis::lineage_detail {
namespace {

using facts::EventKind;
using facts::LogChannel;

// A boot whose end was not recorded and whose last record is this long before the next boot's
// start hides an unknown stretch (events missing, or the machine was simply off: a note, not a
// gap).
constexpr std::uint64_t kSilentStretch = 60ULL * 60 * kTicksPerSecond;

// A boot's own Security records start within seconds of the kernel start and Sysmon's buffered
// ones within minutes (events.md 2.2); a log starting later than this lost the boot's start.
constexpr std::uint64_t kLateSourceGrace = 10ULL * 60 * kTicksPerSecond;

std::vector<facts::LogSourceCoverage> sources_of(
    const std::vector<const facts::EventLogFile*>& logs) {
  std::map<std::string, facts::LogSourceCoverage> by_channel;
  for (const facts::EventLogFile* f : logs) {
    const std::string name = facts::to_string(f->channel);
    facts::LogSourceCoverage& s = by_channel[name];
    s.channel = name;
    s.files.push_back(f->path);
    s.records += f->records;
    s.recovered += f->recovered;
    if (f->first_time != 0 && (s.first == 0 || f->first_time < s.first)) {
      s.first = f->first_time;
    }
    s.last = std::max(s.last, f->last_time);
    for (const auto& [id, n] : f->relevant_counts) {
      s.event_counts[id] += n;
    }
  }
  std::vector<facts::LogSourceCoverage> out;
  for (auto& [name, s] : by_channel) {
    std::sort(s.files.begin(), s.files.end());
    out.push_back(std::move(s));
  }
  return out;
}

void scan_events(const std::vector<const Event*>& sorted, facts::LineageCoverage& c) {
  for (const Event* e : sorted) {
    const bool security = e->channel == LogChannel::kSecurity;
    const bool sysmon = e->channel == LogChannel::kSysmon;
    if (e->kind == EventKind::kProcessStart) {
      c.security_process_starts = c.security_process_starts || security;
      c.sysmon_process_starts = c.sysmon_process_starts || sysmon;
    } else if (e->kind == EventKind::kProcessExit) {
      c.exits_collected = c.exits_collected || security || sysmon;
    } else if (e->kind == EventKind::kLogCleared) {
      facts::LogClear clear;
      clear.ref = e->ref;
      clear.channel =
          !e->cleared_channel.empty() ? e->cleared_channel : (security ? "Security" : "System");
      clear.user = e->user_name;
      c.clears.push_back(std::move(clear));
    } else if (e->kind == EventKind::kClockChange) {
      facts::ClockChange change;
      change.ref = e->ref;
      change.previous_time = e->previous_time;
      change.new_time = e->new_time;
      change.process = e->image;
      change.user_sid = e->user_sid;
      c.clock_changes.push_back(std::move(change));
    }
  }
}

std::string iso(std::uint64_t t) {
  return t == 0 ? std::string("?") : filetime_to_iso8601(t);
}

void add_notes(const std::vector<BootWork>& boots, facts::LineageCoverage& c) {
  if (boots.empty()) {
    return;
  }
  // A process-creation source that starts after the first boot lost the earlier history
  // (rollover, or Sysmon installed later): its absence there is not evidence.
  for (const facts::LogSourceCoverage& s : c.sources) {
    const bool creation_source = s.channel == "Security" || s.channel == "Sysmon";
    if (creation_source && s.first > boots.front().slot.start + kLateSourceGrace) {
      c.notes.push_back(
          fmt::format("{} records begin at {}, after the first boot's start ({}): "
                      "that log holds nothing earlier",
                      s.channel,
                      iso(s.first),
                      iso(boots.front().slot.start)));
    }
  }
  for (std::size_t i = 0; i + 1 < boots.size(); ++i) {
    const BootSlot& s = boots[i].slot;
    if (s.end_basis != "next-boot" || s.events.empty()) {
      continue;
    }
    const std::uint64_t last = placement_time(*s.events.back());
    const std::uint64_t next = boots[i + 1].slot.start;
    if (next > last && next - last > kSilentStretch) {
      c.notes.push_back(
          fmt::format("boot {}: no record between {} and the next boot at {} and "
                      "no shutdown recorded: events may be missing",
                      i + 1,
                      iso(last),
                      iso(next)));
    }
  }
  for (std::size_t i = 0; i < boots.size(); ++i) {
    if (boots[i].process_starts == 0) {
      c.notes.push_back(fmt::format(
          "boot {} ({}) has no process creation event", i + 1, iso(boots[i].slot.start)));
    }
  }
}

}  // namespace

facts::LineageCoverage build_coverage(const std::vector<const facts::EventLogFile*>& logs,
                                      const std::vector<const Event*>& sorted,
                                      const std::vector<BootWork>& boots) {
  facts::LineageCoverage c;
  c.sources = sources_of(logs);
  scan_events(sorted, c);
  add_notes(boots, c);
  return c;
}

std::vector<facts::CoverageGap> coverage_gaps(const std::vector<const facts::EventLogFile*>& logs,
                                              const facts::LineageCoverage& coverage,
                                              const std::vector<BootWork>& boots) {
  std::vector<facts::CoverageGap> gaps;
  if (!coverage.security_process_starts && !coverage.sysmon_process_starts) {
    std::vector<std::string> files;
    files.reserve(logs.size());
    for (const facts::EventLogFile* f : logs) {
      files.push_back(fmt::format("{} ({})", f->path, facts::to_string(f->channel)));
    }
    std::sort(files.begin(), files.end());
    gaps.push_back({"lineage.no_process_events",
                    "no process creation event (Security 4688, Sysmon 1) in the event logs "
                    "given: smss lineage cannot be rebuilt; files: " +
                        text::join(files, ", ")});
  }
  for (const facts::LogClear& clear : coverage.clears) {
    gaps.push_back(
        {"lineage.log_cleared",
         fmt::format("the {} log was cleared at {} by {} ({} record {}): history before it is "
                     "missing",
                     clear.channel,
                     iso(clear.ref.written),
                     clear.user.empty() ? std::string("an unknown account") : clear.user,
                     clear.ref.artifact,
                     clear.ref.record_id)});
  }
  const bool any_process = coverage.security_process_starts || coverage.sysmon_process_starts;
  const bool any_master = std::any_of(boots.begin(), boots.end(), [](const BootWork& b) {
    return std::any_of(b.smss.begin(), b.smss.end(), [](const SmssInfo& s) {
      return s.role == facts::SmssRole::kMaster;
    });
  });
  if (any_process && !any_master) {
    gaps.push_back({"lineage.no_boot_observed",
                    "process creation events exist but no master smss creation was observed in "
                    "any boot (rolled over or not audited at boot): the boot-time lineage "
                    "cannot be judged"});
  }
  return gaps;
}

}  // namespace smssaudit::analysis::lineage_detail
