// The process table of one boot (design.md 3.2, events.md 5.1-5.3).
//
// Instances are keyed by (PID, start) within the boot, or by Sysmon ProcessGuid: never by PID
// alone, because boot PIDs are small and recycled fast. The 4688 and Sysmon 1 views of one
// process are merged first; then one sweep in time order links each child to the instance of its
// parent PID alive at the child's start (ParentProcessGuid when Sysmon gives one) and applies
// exits (Sysmon 5 by ProcessGuid, 4689 by PID: the latest instance of that PID started before).
#include "lineage_internal.hpp"

#include <algorithm>
#include <unordered_map>

namespace smssaudit::analysis::lineage_detail {
namespace {

using facts::EventKind;
using facts::LogChannel;

// 4688 is written at creation; Sysmon UtcTime is the creation too, TimeCreated trails it by
// 7-13 s at boot on Win10 (events.md 2.2). A 4688 and a Sysmon 1 of the same PID and image
// within this distance (on either Sysmon clock) are one process.
constexpr std::uint64_t kMergeTolerance = 15 * kTicksPerSecond;

// Two exits of one process (4689 and Sysmon 5) land within this distance of each other.
constexpr std::uint64_t kExitTolerance = 15 * kTicksPerSecond;

std::uint64_t distance(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : b - a;
}

// One creation as both logs saw it.
struct Creation {
  const Event* security = nullptr;
  const Event* sysmon = nullptr;

  const Event& primary() const { return security != nullptr ? *security : *sysmon; }

  std::uint64_t start() const { return order_time(primary()); }
};

// Unpaired 4688 creations by PID, so pairing stays linear on busy logs.
using SecurityByPid = std::unordered_map<std::uint64_t, std::vector<std::size_t>>;

// The closest unpaired 4688 for a Sysmon 1: same PID and file name, within the tolerance of the
// UtcTime or of TimeCreated (UtcTime can be hours off, events.md 5.4).
std::optional<std::size_t> find_security_view(const Event& sysmon,
                                              const std::vector<Creation>& creations,
                                              const SecurityByPid& by_pid) {
  const auto it = by_pid.find(*sysmon.pid);
  if (it == by_pid.end()) {
    return std::nullopt;
  }
  std::optional<std::size_t> best;
  std::uint64_t best_distance = 0;
  for (const std::size_t i : it->second) {
    const Creation& c = creations[i];
    if (c.sysmon != nullptr || file_name(c.security->image) != file_name(sysmon.image)) {
      continue;
    }
    const std::uint64_t d = std::min(distance(order_time(*c.security), order_time(sysmon)),
                                     distance(order_time(*c.security), sysmon.ref.written));
    if (d <= kMergeTolerance && (!best || d < best_distance)) {
      best = i;
      best_distance = d;
    }
  }
  return best;
}

std::vector<Creation> pair_creations(const std::vector<const Event*>& events) {
  std::vector<Creation> out;
  SecurityByPid by_pid;
  for (const Event* e : events) {
    if (e->kind == EventKind::kProcessStart && e->channel == LogChannel::kSecurity && e->pid) {
      by_pid[*e->pid].push_back(out.size());
      out.push_back(Creation{e, nullptr});
    }
  }
  for (const Event* e : events) {
    if (e->kind != EventKind::kProcessStart || e->channel != LogChannel::kSysmon || !e->pid) {
      continue;
    }
    if (const auto i = find_security_view(*e, out, by_pid)) {
      out[*i].sysmon = e;
    } else {
      out.push_back(Creation{nullptr, e});
    }
  }
  return out;
}

template <typename T, typename U = T>
void take_if_empty(T& into, const U& from) {
  if (into == T{}) {
    into = static_cast<const T&>(from);
  }
}

// Field by field, the Sysmon view wins where it is richer (real parent, GUIDs, session, decimal
// PIDs), the 4688 view fills what Sysmon lacks.
facts::ProcessInstance make_instance(const Creation& c) {
  facts::ProcessInstance p;
  for (const Event* e : {c.sysmon, c.security}) {
    if (e == nullptr) {
      continue;
    }
    p.pid = *e->pid;
    if (!p.parent_pid) {
      p.parent_pid = e->parent_pid;
    }
    take_if_empty(p.image, e->image);
    take_if_empty(p.command_line, e->command_line);
    take_if_empty(p.parent_image, e->parent_image);
    take_if_empty(p.user_sid, e->user_sid);
    take_if_empty(p.user_name, e->user_name);
    take_if_empty(p.process_guid, e->process_guid);
    take_if_empty(p.parent_guid, e->parent_guid);
    if (!p.session_id) {
      p.session_id = e->session_id;
    }
    if (!p.logon_id) {
      p.logon_id = e->logon_id;
    }
  }
  p.start = c.start();
  for (const Event* e : {c.security, c.sysmon}) {
    if (e != nullptr) {
      p.evidence.push_back(e->ref);
    }
  }
  return p;
}

// A step of the sweep: a creation or an exit, ordered by (time, channel priority, record id).
struct Step {
  std::uint64_t time = 0;
  int priority = 0;
  std::uint64_t record = 0;
  const Creation* creation = nullptr;
  const Event* exit = nullptr;
};

std::vector<Step> make_steps(const std::vector<Creation>& creations,
                             const std::vector<const Event*>& events) {
  std::vector<Step> steps;
  for (const Creation& c : creations) {
    const Event& e = c.primary();
    steps.push_back(Step{c.start(), channel_priority(e.channel), e.ref.record_id, &c, nullptr});
  }
  for (const Event* e : events) {
    if (e->kind == EventKind::kProcessExit && (e->pid || !e->process_guid.empty())) {
      steps.push_back(
          Step{order_time(*e), channel_priority(e->channel), e->ref.record_id, nullptr, e});
    }
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    if (a.time != b.time) {
      return a.time < b.time;
    }
    if (a.priority != b.priority) {
      return a.priority < b.priority;
    }
    return a.record < b.record;
  });
  return steps;
}

class Sweep {
 public:
  explicit Sweep(std::vector<Instance>& table) : table_(table) {}

  void create(const Creation& c) {
    Instance in;
    in.p = make_instance(c);
    in.security_start = c.security;
    in.sysmon_start = c.sysmon;
    in.p.parent = parent_of(in.p);
    const std::size_t idx = table_.size();
    if (in.p.parent) {
      table_[*in.p.parent].children.push_back(idx);
    }
    by_pid_[in.p.pid] = idx;
    if (!in.p.process_guid.empty()) {
      by_guid_[in.p.process_guid] = idx;
    }
    table_.push_back(std::move(in));
  }

  void exit(const Event& e) {
    const std::optional<std::size_t> idx = exited_instance(e);
    if (!idx) {
      return;
    }
    Instance& in = table_[*idx];
    const std::uint64_t t = order_time(e);
    if (!in.p.end) {
      in.p.end = t;
      in.exit = &e;
      in.p.evidence.push_back(e.ref);
    } else if (distance(*in.p.end, t) <= kExitTolerance) {
      in.p.evidence.push_back(e.ref);  // the other log's view of the same exit
    }
  }

 private:
  // ParentProcessGuid names the parent instance exactly; otherwise the latest creation of the
  // parent PID, provided it has not exited (a dead parent's PID may belong to anyone now).
  std::optional<std::size_t> parent_of(const facts::ProcessInstance& p) const {
    if (!p.parent_guid.empty()) {
      if (const auto it = by_guid_.find(p.parent_guid); it != by_guid_.end()) {
        return it->second;
      }
    }
    if (!p.parent_pid) {
      return std::nullopt;
    }
    const auto it = by_pid_.find(*p.parent_pid);
    if (it == by_pid_.end() || table_[it->second].p.end) {
      return std::nullopt;
    }
    return it->second;
  }

  std::optional<std::size_t> exited_instance(const Event& e) const {
    if (e.channel == LogChannel::kSysmon && !e.process_guid.empty()) {
      if (const auto it = by_guid_.find(e.process_guid); it != by_guid_.end()) {
        return it->second;
      }
    }
    if (!e.pid) {
      return std::nullopt;
    }
    const auto it = by_pid_.find(*e.pid);
    if (it == by_pid_.end()) {
      return std::nullopt;
    }
    // 4689 names the image too: an exit of another image under this PID is not ours.
    const Instance& in = table_[it->second];
    if (!e.image.empty() && !in.p.image.empty() && file_name(e.image) != file_name(in.p.image)) {
      return std::nullopt;
    }
    return it->second;
  }

  std::vector<Instance>& table_;
  std::unordered_map<std::uint64_t, std::size_t> by_pid_;
  std::unordered_map<std::string, std::size_t> by_guid_;
};

}  // namespace

std::vector<Instance> build_process_table(const std::vector<const Event*>& boot_events) {
  const std::vector<Creation> creations = pair_creations(boot_events);
  const std::vector<Step> steps = make_steps(creations, boot_events);
  std::vector<Instance> table;
  table.reserve(creations.size());
  Sweep sweep(table);
  for (const Step& s : steps) {
    if (s.creation != nullptr) {
      sweep.create(*s.creation);
    } else {
      sweep.exit(*s.exit);
    }
  }
  return table;
}

std::optional<std::int64_t> lifetime_ms(const Instance& in) {
  if (!in.p.end || in.exit == nullptr) {
    return std::nullopt;
  }
  std::uint64_t start = in.p.start;
  if (in.exit->channel == LogChannel::kSysmon && in.sysmon_start != nullptr) {
    start = order_time(*in.sysmon_start);
  } else if (in.exit->channel == LogChannel::kSecurity && in.security_start != nullptr) {
    start = order_time(*in.security_start);
  }
  const std::int64_t ms = ms_between(start, *in.p.end);
  if (ms < 0) {
    return std::nullopt;
  }
  return ms;
}

}  // namespace smssaudit::analysis::lineage_detail
