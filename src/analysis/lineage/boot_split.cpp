// Splitting the event stream into boots (design.md 3.2, events.md 3.3 recipe 1).
//
// One boot leaves several start markers seconds to minutes apart: System 12 (Kernel-General
// StartTime, the kernel's own start: the best boundary), the master smss creation (4688 creator
// PID 4 ~1-2 s later on the corpus hosts), Security 4608 (LSASS up, ~2-5 s), System 6005/6009
// (event log service, ~10-60 s), and Sysmon's buffered boot events, written when the service
// starts (TimeCreated up to 347 s after the fact on Win7, events.md 2.2). Markers are merged into
// one boot when they fall within a window after the boot's first marker and the boot has no
// marker of that type yet; a System 12 always opens a new boot (nothing of a boot precedes the
// kernel start). A second master or a second 4608 opens a new boot even inside the window:
// reboots 40 s apart occur on the corpus (win10-1809-belkasoft, 2020-08-01 21:47 / 21:48).
#include "lineage_internal.hpp"

#include <algorithm>
#include <set>

namespace smssaudit::analysis::lineage_detail {
namespace {

using facts::EventKind;
using facts::LogChannel;

// Markers of one boot seen on real hosts fall within 1 minute of the kernel start; 5 minutes
// leaves room for slow disks. Sysmon markers are placed by TimeCreated, which trails by up to
// ~6 minutes on the Win7-era sample, hence the wider window.
constexpr std::uint64_t kMarkerWindow = 5ULL * 60 * kTicksPerSecond;
constexpr std::uint64_t kSysmonMarkerWindow = 10ULL * 60 * kTicksPerSecond;

struct Marker {
  std::string type;   ///< one per source; a repeated type means another boot
  std::string basis;  ///< Boot::start_basis when this marker gives the start
};

bool is_master_creation(const Event& e) {
  return e.kind == EventKind::kProcessStart && e.parent_pid == 4U && is_smss(e.image);
}

// A Sysmon 1 of a session child whose master (its ParentProcessGuid) was never seen: the Win7
// case where the master has no event 1 of its own (events.md 2.2). A new master GUID is a new
// boot, because a GUID names one process instance.
bool is_sysmon_chain(const Event& e, const std::set<std::string>& seen_guids) {
  return e.channel == LogChannel::kSysmon && e.kind == EventKind::kProcessStart &&
         is_smss(e.image) && is_smss(e.parent_image) && !e.parent_guid.empty() &&
         e.parent_pid != 4U && !seen_guids.contains(e.parent_guid);
}

std::optional<Marker> boot_start_marker(const Event& e) {
  switch (e.ref.event_id) {
    case 12:
      return Marker{"system:12", "system:12"};
    case 6005:
      return Marker{"system:6005", "system:6005"};
    case 6009:
      return Marker{"system:6009", "system:6009"};
    case 4608:
      return Marker{"security:4608", "security:4608"};
    default:
      return std::nullopt;
  }
}

std::optional<Marker> marker_of(const Event& e, const std::set<std::string>& seen_guids) {
  if (e.kind == EventKind::kBootStart) {
    return boot_start_marker(e);
  }
  if (is_master_creation(e)) {
    return Marker{e.channel == LogChannel::kSysmon ? "master:sysmon" : "master:security",
                  "master-smss"};
  }
  if (is_sysmon_chain(e, seen_guids)) {
    return Marker{"sysmon:boot-chain", "sysmon:boot-chain"};
  }
  return std::nullopt;
}

// When a marker says the boot began. Sysmon markers are placed by TimeCreated, which trails the
// creation by seconds to minutes at boot; their UtcTime is used instead when it is plausible
// (not after TimeCreated, at most the Sysmon window before it: events.md 5.4 shows UtcTime
// hours off on one host). Starting the boot there keeps the boot's other early events (4688s
// written at creation) inside it.
std::uint64_t marker_time(const Event& e) {
  const std::uint64_t placed = placement_time(e);
  if (e.channel != LogChannel::kSysmon || e.time == 0 || e.time > placed) {
    return placed;
  }
  return placed - e.time <= kSysmonMarkerWindow ? e.time : placed;
}

struct Cluster {
  std::uint64_t first = 0;  ///< placement time of the first marker (the merge window's origin)
  std::uint64_t start = 0;  ///< earliest marker_time: the boot start
  std::string basis;
  const Event* first_event = nullptr;
  std::set<std::string> types;
  std::vector<const Event*> markers;
  bool shut_down = false;  ///< a shutdown marker (13, 6006, 1100) followed the boot's markers
};

bool is_master_marker(const Marker& m) {
  return m.type.rfind("master:", 0) == 0;
}

bool has_master(const Cluster& c) {
  return c.types.contains("master:security") || c.types.contains("master:sysmon");
}

bool opens_new_boot(const std::vector<Cluster>& clusters, const Marker& m, std::uint64_t t) {
  if (clusters.empty() || m.type == "system:12") {
    return true;
  }
  const Cluster& c = clusters.back();
  // A master smss created after a kernel start (System 12) that has no master yet and no
  // shutdown since belongs to that boot however late it came: every real boot writes its own 12,
  // so a late master is judged as late (LIN-031), not promoted to a boot of its own.
  if (is_master_marker(m) && c.types.contains("system:12") && !has_master(c) && !c.shut_down) {
    return false;
  }
  const std::uint64_t window =
      m.type.find("sysmon") != std::string::npos ? kSysmonMarkerWindow : kMarkerWindow;
  return c.types.contains(m.type) || t - c.first > window;
}

std::vector<Cluster> cluster_markers(const std::vector<const Event*>& sorted) {
  std::vector<Cluster> clusters;
  std::set<std::string> seen_guids;
  for (const Event* e : sorted) {
    if (e->kind == EventKind::kShutdown && !clusters.empty()) {
      clusters.back().shut_down = true;
    }
    const std::optional<Marker> m = marker_of(*e, seen_guids);
    if (e->channel == LogChannel::kSysmon && e->kind == EventKind::kProcessStart) {
      seen_guids.insert(e->process_guid);
      seen_guids.insert(e->parent_guid);
    }
    if (!m) {
      continue;
    }
    const std::uint64_t t = placement_time(*e);
    if (opens_new_boot(clusters, *m, t)) {
      clusters.push_back(Cluster{t, marker_time(*e), m->basis, e, {}, {}, false});
    }
    Cluster& c = clusters.back();
    if (marker_time(*e) < c.start) {
      c.start = marker_time(*e);
      c.basis = m->basis;
      c.first_event = e;
    }
    c.types.insert(m->type);
    c.markers.push_back(e);
  }
  // Boots never overlap: a start pulled back by a Sysmon UtcTime stops at the previous start.
  for (std::size_t i = 1; i < clusters.size(); ++i) {
    clusters[i].start = std::max(clusters[i].start, clusters[i - 1].start + 1);
  }
  return clusters;
}

// Events before the first marker form a boot only when they show the smss family: a log that
// starts mid-boot (rollover) still has its session children and csrss to judge.
bool has_smss_family(const std::vector<const Event*>& events) {
  for (const Event* e : events) {
    if (e->kind == EventKind::kProcessStart &&
        (is_smss(e->image) || is_session_process(e->image))) {
      return true;
    }
  }
  return false;
}

const char* end_basis_of(const Event& e) {
  switch (e.ref.event_id) {
    case 13:
      return "system:13";
    case 6006:
      return "system:6006";
    case 1100:
      return "security:1100";
    default:
      return "shutdown";
  }
}

// The end of a boot is its latest shutdown marker (13 StopTime, 6006, 1100: a clean shutdown
// writes all three within a second, 13 last); else the next boot's start.
void close_boots(std::vector<BootSlot>& slots) {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    BootSlot& s = slots[i];
    for (const Event* e : s.events) {
      if (e->kind == EventKind::kShutdown) {
        s.end = order_time(*e);
        s.end_basis = end_basis_of(*e);
        s.end_event = e;
      }
    }
    if (i + 1 == slots.size()) {
      continue;
    }
    const BootSlot& next = slots[i + 1];
    if (!s.end) {
      s.end = next.start;
      s.end_basis = "next-boot";
    }
    for (const Event* e : next.events) {
      if (e->kind == EventKind::kUnexpectedShutdown) {
        s.unexpected_end = true;
      }
    }
  }
}

}  // namespace

std::vector<BootSlot> split_boots(const std::vector<const Event*>& sorted) {
  const std::vector<Cluster> clusters = cluster_markers(sorted);
  std::vector<BootSlot> slots;
  std::vector<const Event*> before;
  std::size_t next = 0;  // index of the next cluster whose start has not been reached
  for (const Event* e : sorted) {
    const std::uint64_t t = placement_time(*e);
    while (next < clusters.size() && t >= clusters[next].start) {
      const Cluster& c = clusters[next++];
      BootSlot s;
      s.start = c.start;
      s.start_basis = c.basis;
      s.start_event = c.first_event;
      s.markers = c.markers;
      slots.push_back(std::move(s));
    }
    if (slots.empty()) {
      before.push_back(e);
    } else {
      slots.back().events.push_back(e);
    }
  }
  if (!before.empty() && has_smss_family(before)) {
    BootSlot s;
    s.start = placement_time(*before.front());
    s.start_basis = "first-event";
    s.events = std::move(before);
    slots.insert(slots.begin(), std::move(s));
  }
  close_boots(slots);
  return slots;
}

}  // namespace smssaudit::analysis::lineage_detail
