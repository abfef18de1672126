// lineage.* rule facts: plain, typed fields derived from the rebuilt lineage (schema.cpp documents
// every field). A field whose truth is unknown is left absent, so "eq false" never fires on
// missing evidence; the *_known and exits_collected fields let rules demand coverage explicitly.
#include "lineage_internal.hpp"
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/core/text.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <utility>

namespace smssaudit::analysis::lineage_detail {
namespace {

using facts::Fact;
using facts::SmssRole;

constexpr std::string_view kSystemSid = "S-1-5-18";
constexpr std::string_view kLocalServiceSid = "S-1-5-19";

// Sysprep's specialize pass runs setupcl.exe (SetupExecute) once, at the first boot after
// generalize; the logs cannot show the generalize itself. A run is taken as that boot when it is
// setupcl's first run in the logs, from System32, within the first kSysprepBoots boots that have
// process events: an installation's history opens with setup/OOBE boots and the specialize boot
// (win10-19041-rathbunvm: 2nd boot; win10-1809-belkasoft: 1st).
constexpr std::size_t kSysprepBoots = 3;

// An image directly in %SystemRoot%\System32, on any drive. The Windows directory must be named
// Windows or WINNT: an offline log cannot know a custom SystemRoot, and accepting any folder
// would let C:\Temp\System32\smss.exe pass. \SystemRoot\ (command lines) is expanded by
// normalize_windows_path; \Device\HarddiskVolumeN\ prefixes (kernel paths) are accepted too.
bool in_system32(std::string_view image) {
  static const std::regex pattern(
      R"(^(([a-z]:)|(\\device\\harddiskvolume[0-9]+))?\\(windows|winnt)\\system32\\[^\\]+$)");
  return std::regex_match(text::normalize_windows_path(image), pattern);
}

std::string iso(std::uint64_t t) {
  return filetime_to_iso8601(t);
}

auto as_int(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

void set_if(Fact& f, const std::string& name, const std::string& value) {
  if (!value.empty()) {
    f.set(name, value);
  }
}

class FactBuilder {
 public:
  FactBuilder(const FactContext& ctx, std::vector<Fact>& out, std::set<std::size_t>& setupcl_boots)
      : ctx_(ctx), out_(out), setupcl_boots_(setupcl_boots) {}

  void boot(const BootWork& w, std::size_t index) {
    Fact f;
    f.kind = "lineage.boot";
    f.set("boot", as_int(index));
    f.set("start", iso(w.slot.start));
    f.set("start_basis", w.slot.start_basis);
    if (w.slot.end) {
      f.set("end", iso(*w.slot.end));
      f.set("end_basis", w.slot.end_basis);
    }
    f.set("unexpected_end", w.slot.unexpected_end);
    std::int64_t masters = 0;
    std::int64_t children = 0;
    std::int64_t others = 0;
    for (const SmssInfo& s : w.smss) {
      masters += s.role == SmssRole::kMaster ? 1 : 0;
      children += s.role == SmssRole::kSessionChild ? 1 : 0;
      others += s.role == SmssRole::kOther ? 1 : 0;
    }
    f.set("master_count", masters);
    f.set("session_child_count", children);
    f.set("other_smss_count", others);
    f.set("has_master", masters > 0);
    f.set("process_starts", static_cast<std::int64_t>(w.process_starts));
    for (const Event* e : w.slot.markers) {
      add(f, *e);
    }
    if (w.slot.end_event != nullptr) {
      add(f, *w.slot.end_event);
    }
    out_.push_back(std::move(f));
  }

  void smss(const BootWork& w, std::size_t index, const SmssInfo& s) {
    const Instance& in = w.table[s.instance];
    Fact f;
    f.kind = "lineage.smss_instance";
    f.set("boot", as_int(index));
    f.set("boot_start_basis", w.slot.start_basis);
    f.set("role", std::string(facts::to_string(s.role)));
    f.set("pid", as_int(in.p.pid));
    f.set("image", in.p.image);
    f.set("image_in_system32", in_system32(in.p.image) && is_smss(in.p.image));
    f.set("start", iso(in.p.start));
    f.set("sources", sources(in));
    command_fields(f, in.p);
    parent_fields(f, w, in);
    user_fields(f, in.p);
    exit_fields(f, w, in);
    spawn_fields(f, w, in);
    session_fields(f, s.session);
    if (s.role == SmssRole::kMaster) {
      master_delay(f, w, in);
    }
    f.set("masters_in_boot", masters_in(w));
    add_instance(f, in);
    for (const std::size_t k : in.children) {
      add_start(f, w.table[k]);
    }
    out_.push_back(std::move(f));
  }

  void session_process(const BootWork& w, std::size_t index, const Instance& in) {
    Fact f;
    f.kind = "lineage.session_process";
    f.set("boot", as_int(index));
    f.set("pid", as_int(in.p.pid));
    f.set("image", in.p.image);
    f.set("name", file_name(in.p.image));
    f.set("start", iso(in.p.start));
    if (in.p.session_id) {
      f.set("session_id", static_cast<std::int64_t>(*in.p.session_id));
    }
    parent_fields(f, w, in);
    f.set("parent_role", parent_role(w, in));
    add_instance(f, in);
    if (in.p.parent) {
      add_start(f, w.table[*in.p.parent]);
    }
    out_.push_back(std::move(f));
  }

  void spawn(std::size_t index, const Instance& master, const Instance& in) {
    Fact f;
    f.kind = "lineage.smss_spawn";
    f.set("boot", as_int(index));
    f.set("pid", as_int(in.p.pid));
    f.set("image", in.p.image);
    const std::string name = file_name(in.p.image);
    f.set("name", name);
    set_if(f, "command_line", in.p.command_line);
    f.set("start", iso(in.p.start));
    f.set("parent_pid", as_int(master.p.pid));
    f.set("parent_image", master.p.image);
    f.set("is_autochk", name == "autochk.exe");
    f.set("is_setupcl", name == "setupcl.exe");
    f.set("first_boot_after_sysprep", name == "setupcl.exe" && first_setupcl_run(index, in));
    f.set("hive_available", ctx_.input->hive_available);
    std::set<std::string> sets;
    std::set<std::string> slots;
    bool allowed = true;
    for (const BootProgram& b : ctx_.input->boot_programs) {
      if (!name.empty() && program_file_name(b.image) == name) {
        sets.insert(b.control_set);
        slots.insert(b.slot);
        allowed = allowed && b.allowed;
      }
    }
    f.set("listed_in_hive", !sets.empty());
    if (!sets.empty()) {
      f.set("allowed_by_baseline", allowed);
    }
    set_if(f, "control_sets", text::join({sets.begin(), sets.end()}, ","));
    set_if(f, "slots", text::join({slots.begin(), slots.end()}, ","));
    add_instance(f, in);
    add_start(f, master);
    out_.push_back(std::move(f));
  }

  void log_clear(const Event& e) {
    Fact f;
    f.kind = "lineage.log_clear";
    f.set("channel", !e.cleared_channel.empty() ? e.cleared_channel : e.ref.channel_name);
    set_if(f, "user", e.user_name);
    set_if(f, "user_sid", e.user_sid);
    f.set("time", iso(order_time(e)));
    f.set("event_id", static_cast<std::int64_t>(e.ref.event_id));
    f.set("record_id", as_int(e.ref.record_id));
    f.set("artifact", e.ref.artifact);
    add(f, e);
    out_.push_back(std::move(f));
  }

  void clock_change(const Event& e) {
    Fact f;
    f.kind = "lineage.clock_change";
    set_if(f, "process", e.image);
    set_if(f, "user_sid", e.user_sid);
    f.set("time", iso(order_time(e)));
    if (e.previous_time != 0 && e.new_time != 0) {
      f.set("previous_time", iso(e.previous_time));
      f.set("new_time", iso(e.new_time));
      const std::int64_t ms = ms_between(e.previous_time, e.new_time);
      f.set("delta_s", ms / 1000);
      f.set("abs_delta_s", (ms < 0 ? -ms : ms) / 1000);
    }
    if (!e.image.empty()) {
      f.set("by_time_service", by_time_service(e));
    }
    f.set("record_id", as_int(e.ref.record_id));
    add(f, e);
    out_.push_back(std::move(f));
  }

 private:
  // Windows Time runs in svchost as LOCAL SERVICE (events.md 1.3); the VMware and VirtualBox
  // guest tools sync the clock as SYSTEM (seen on win10-19041-rathbunvm: vmtoolsd.exe).
  static bool by_time_service(const Event& e) {
    const std::string name = file_name(e.image);
    if (name == "svchost.exe") {
      return e.user_sid == kLocalServiceSid;
    }
    return (name == "vmtoolsd.exe" || name == "vboxservice.exe") && e.user_sid == kSystemSid;
  }

  static std::string sources(const Instance& in) {
    std::vector<std::string> s;
    if (in.security_start != nullptr) {
      s.emplace_back("security");
    }
    if (in.sysmon_start != nullptr) {
      s.emplace_back("sysmon");
    }
    return text::join(s, ",");
  }

  static std::int64_t masters_in(const BootWork& w) {
    return std::count_if(w.smss.begin(), w.smss.end(), [](const SmssInfo& s) {
      return s.role == SmssRole::kMaster;
    });
  }

  static void command_fields(Fact& f, const facts::ProcessInstance& p) {
    const bool known = !p.command_line.empty();
    f.set("command_line_known", known);
    if (!known) {
      return;
    }
    const std::string args = command_arguments(p.command_line);
    f.set("command_line", p.command_line);
    f.set("arguments", args);
    f.set("has_arguments", !args.empty());
    f.set("child_args_ok", child_arguments_ok(args));
  }

  // The parent as linked (instance alive at the start) or, failing that, as recorded.
  static void parent_fields(Fact& f, const BootWork& w, const Instance& in) {
    const facts::ProcessInstance& p = in.p;
    std::string parent_image = p.parent ? w.table[*p.parent].p.image : p.parent_image;
    if (parent_image.empty() && p.parent_pid == 4U) {
      parent_image = "System";
    }
    if (p.parent_pid) {
      f.set("parent_pid", as_int(*p.parent_pid));
      f.set("parent_is_system", *p.parent_pid == 4);
    }
    set_if(f, "parent_image", parent_image);
    f.set("parent_instance_seen", p.parent.has_value());
    const bool known = p.parent.has_value() || p.parent_pid == 4U || !p.parent_image.empty();
    f.set("parent_known", known);
    if (known) {
      f.set("parent_is_smss", is_smss(parent_image));
    }
  }

  static void user_fields(Fact& f, const facts::ProcessInstance& p) {
    const bool known = !p.user_sid.empty() || !p.user_name.empty();
    f.set("user_known", known);
    set_if(f, "user_sid", p.user_sid);
    set_if(f, "user_name", p.user_name);
    if (!p.user_name.empty() && !p.user_sid.empty()) {
      f.set("account", p.user_name.str() + " (" + p.user_sid.str() + ")");
    } else {
      set_if(f, "account", p.user_name.empty() ? p.user_sid : p.user_name);
    }
    if (!p.user_sid.empty()) {
      f.set("runs_as_system", p.user_sid == kSystemSid);
    } else if (known) {
      // Sysmon User without a SID mapping: "NT AUTHORITY\SYSTEM" in any language ends so.
      f.set("runs_as_system", text::iends_with(p.user_name, "\\SYSTEM"));
    }
  }

  void exit_fields(Fact& f, const BootWork& w, const Instance& in) const {
    const bool collected = (in.security_start != nullptr && ctx_.security_exits) ||
                           (in.sysmon_start != nullptr && ctx_.sysmon_exits);
    f.set("exits_collected", collected);
    f.set("exited", in.p.end.has_value());
    if (in.p.end) {
      f.set("end", iso(*in.p.end));
    }
    if (const auto ms = lifetime_ms(in)) {
      f.set("lifetime_ms", *ms);
    }
    f.set("observed_until_ms",
          std::max<std::int64_t>(0, ms_between(in.p.start, w.last_process_event)));
  }

  static void spawn_fields(Fact& f, const BootWork& w, const Instance& in) {
    std::vector<std::string> all;
    std::vector<std::string> other;
    int csrss = 0;
    int logon_host = 0;  // wininit (session 0) or winlogon (sessions 1+)
    for (const std::size_t k : in.children) {
      const std::string& image = w.table[k].p.image;
      const std::string name = file_name(image);
      all.push_back(name);
      if (name == "csrss.exe") {
        ++csrss;
      } else if (name == "wininit.exe" || name == "winlogon.exe") {
        ++logon_host;
      } else {
        other.push_back(image);
      }
    }
    f.set("spawned_count", static_cast<std::int64_t>(in.children.size()));
    set_if(f, "spawned", text::join(all, ","));
    f.set("spawned_other_count", static_cast<std::int64_t>(other.size()));
    set_if(f, "spawned_other", text::join(other, ","));
    f.set("spawned_expected", other.empty() && csrss == 1 && logon_host == 1);
  }

  static void session_fields(Fact& f, const facts::SessionLink& s) {
    if (s.session_id) {
      f.set("session_id", static_cast<std::int64_t>(*s.session_id));
    }
    set_if(f, "session_basis", s.basis);
    if (s.logon_type) {
      f.set("logon_type", static_cast<std::int64_t>(*s.logon_type));
    }
    set_if(f, "session_user", s.user);
    set_if(f, "session_address", s.address);
  }

  // Master start measured from the kernel start (System 12 StartTime). The 4688 time is the
  // creation; a Sysmon-only master uses its UtcTime only when plausible (not before the boot
  // by more than a minute, not after its own TimeCreated), since UtcTime can be hours off.
  static void master_delay(Fact& f, const BootWork& w, const Instance& in) {
    if (w.slot.start_basis != "system:12") {
      return;
    }
    std::optional<std::uint64_t> start;
    if (in.security_start != nullptr) {
      start = order_time(*in.security_start);
    } else if (in.sysmon_start != nullptr) {
      const std::uint64_t utc = order_time(*in.sysmon_start);
      const std::uint64_t floor =
          w.slot.start > 60 * kTicksPerSecond ? w.slot.start - 60 * kTicksPerSecond : 0;
      if (utc >= floor && utc <= in.sysmon_start->ref.written) {
        start = utc;
      }
    }
    if (start) {
      f.set("master_delay_ms", std::max<std::int64_t>(0, ms_between(w.slot.start, *start)));
    }
  }

  static std::string parent_role(const BootWork& w, const Instance& in) {
    if (in.p.parent) {
      for (const SmssInfo& s : w.smss) {
        if (s.instance == *in.p.parent) {
          return facts::to_string(s.role);
        }
      }
      return "not_smss";
    }
    if (!in.p.parent_image.empty() && !is_smss(in.p.parent_image)) {
      return "not_smss";
    }
    return "unknown";
  }

  void add(Fact& f, const Event& e) const {
    facts::EvidenceRef r = evidence_of(e, ctx_.input->sha256_by_path);
    if (std::find(f.evidence.begin(), f.evidence.end(), r) == f.evidence.end()) {
      f.evidence.push_back(std::move(r));
    }
  }

  void add_start(Fact& f, const Instance& in) const {
    for (const Event* e : {in.security_start, in.sysmon_start}) {
      if (e != nullptr) {
        add(f, *e);
      }
    }
  }

  void add_instance(Fact& f, const Instance& in) const {
    add_start(f, in);
    if (in.exit != nullptr) {
      add(f, *in.exit);
    }
  }

  // See kSysprepBoots. Called in boot order, so setupcl_boots_ holds the earlier runs only.
  bool first_setupcl_run(std::size_t index, const Instance& in) {
    const bool earlier_run = std::any_of(
        setupcl_boots_.begin(), setupcl_boots_.end(), [&](auto b) { return b < index; });
    setupcl_boots_.insert(index);
    const auto& boots = ctx_.process_boots;
    const auto rank = std::find(boots.begin(), boots.end(), index) - boots.begin();
    return !earlier_run && in_system32(in.p.image) &&
           rank < static_cast<std::ptrdiff_t>(kSysprepBoots);
  }

  const FactContext& ctx_;
  std::vector<Fact>& out_;
  std::set<std::size_t>& setupcl_boots_;  ///< boots with a setupcl.exe run so far (FactMaker's)
};

}  // namespace

std::vector<Fact> sorted_by_identity(std::vector<Fact> out) {
  // Sorted by (kind, identity). Identities are rendered once per fact, not once per comparison:
  // a 1 GB log gives tens of thousands of facts, and rendering in the comparator dominated the
  // analysis (issue 8).
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(out.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    keys.emplace_back(out[i].identity(), i);
  }
  std::sort(keys.begin(), keys.end(), [&out](const auto& a, const auto& c) {
    const Fact& fa = out[a.second];
    const Fact& fc = out[c.second];
    if (fa.kind != fc.kind) {
      return fa.kind < fc.kind;
    }
    return a.first != c.first ? a.first < c.first : a.second < c.second;
  });
  std::vector<Fact> sorted_facts;
  sorted_facts.reserve(out.size());
  for (const auto& k : keys) {
    sorted_facts.push_back(std::move(out[k.second]));
  }
  return sorted_facts;
}

std::vector<Fact> FactMaker::boot(const BootWork& w, std::size_t index) {
  std::vector<Fact> out;
  FactBuilder b(ctx_, out, setupcl_boots_);
  b.boot(w, index);
  for (const SmssInfo& s : w.smss) {
    b.smss(w, index, s);
    if (s.role != SmssRole::kMaster) {
      continue;
    }
    for (const std::size_t k : w.table[s.instance].children) {
      if (!is_smss(w.table[k].p.image)) {
        b.spawn(index, w.table[s.instance], w.table[k]);
      }
    }
  }
  for (const Instance& in : w.table) {
    if (is_session_process(in.p.image)) {
      b.session_process(w, index, in);
    }
  }
  return out;
}

std::vector<Fact> FactMaker::log_events(const std::vector<const Event*>& sorted) const {
  std::vector<Fact> out;
  std::set<std::size_t> unused;  // log facts never look at setupcl runs
  FactBuilder b(ctx_, out, unused);
  for (const Event* e : sorted) {
    if (e->kind == facts::EventKind::kLogCleared) {
      b.log_clear(*e);
    } else if (e->kind == facts::EventKind::kClockChange) {
      b.clock_change(*e);
    }
  }
  return out;
}

}  // namespace smssaudit::analysis::lineage_detail
