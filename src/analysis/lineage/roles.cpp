// smss roles and session links (design.md 3.2, events.md 2.2, 3.3 recipes 2-3), and the
// reporters' per-boot view.
//
// Roles: session_child = its parent instance is the master smss (or, when the parent instance
// was never logged — rollover, or a Win7 master without its own Sysmon 1 — the recorded parent
// image is smss.exe, or no parent image was logged and the command line has the child form, or
// nothing but PIDs was logged and it started a csrss; and the parent is not System); master = not a
// session child and either created by System (PID 4) or started with no arguments (only judged when
// the command line was recorded: 4688 without the command-line policy has none); other = any other
// smss.exe.
#include "lineage_internal.hpp"
#include "smssaudit/core/text.hpp"

#include <algorithm>
#include <map>

namespace smssaudit::analysis::lineage_detail {
namespace {

using facts::EventKind;
using facts::SmssRole;

// LSM 21 follows the logon's 4624 within about a second (events.md 3.3); a minute is generous.
constexpr std::uint64_t kLsmAfterLogon = 60 * kTicksPerSecond;
// Clock jitter between the Security and LSM logs.
constexpr std::uint64_t kLsmBeforeLogon = 2 * kTicksPerSecond;

// The parent instance was not logged (rollover, Sysmon started later, Win7 master without its
// own event 1): the recorded parent image says smss.exe, or, when no parent image was recorded
// (4688 v0/v1), the command line has the session-child form.
// With neither (4688 v0/v1 without the command-line policy: DE_RDP_Tunnel_5156), it counts as
// a session child when it behaves as one: it started a csrss.
bool parent_may_be_master(const std::vector<Instance>& table, const Instance& in) {
  const facts::ProcessInstance& p = in.p;
  if (!p.parent_image.empty()) {
    return is_smss(p.parent_image);
  }
  if (!p.command_line.empty()) {
    return child_arguments_ok(command_arguments(p.command_line));
  }
  return std::any_of(in.children.begin(), in.children.end(), [&](std::size_t k) {
    return file_name(table[k].p.image) == "csrss.exe";
  });
}

SmssRole role_of(const std::vector<Instance>& table,
                 std::size_t i,
                 const std::map<std::size_t, SmssRole>& roles) {
  const facts::ProcessInstance& p = table[i].p;
  if (p.parent) {
    const auto it = roles.find(*p.parent);
    if (it != roles.end()) {
      return it->second == SmssRole::kMaster ? SmssRole::kSessionChild : SmssRole::kOther;
    }
  } else if (p.parent_pid && *p.parent_pid != 4 && parent_may_be_master(table, table[i])) {
    return SmssRole::kSessionChild;
  }
  const bool no_arguments = !p.command_line.empty() && command_arguments(p.command_line).empty();
  if (p.parent_pid == 4U || no_arguments) {
    return SmssRole::kMaster;
  }
  return SmssRole::kOther;
}

// winlogon also logs on the Window Manager (DWM-n, S-1-5-90-*) and font driver host (UMFD-n,
// S-1-5-96-*) accounts; those are not the session's user logon.
bool is_service_logon(const Event& e) {
  return text::istarts_with(e.user_sid, "S-1-5-90-") ||
         text::istarts_with(e.user_sid, "S-1-5-96-") ||
         text::istarts_with(e.user_name, "Window Manager\\") ||
         text::istarts_with(e.user_name, "Font Driver Host\\");
}

// The first logon this winlogon requested (4624 ProcessId = winlogon PID) while it ran: a user
// logon (`service` false) or a DWM/UMFD logon (`service` true).
const Event* find_logon(const BootWork& work, const Instance& winlogon, bool service) {
  for (const Event* e : work.slot.events) {
    if (e->kind != EventKind::kLogon || e->pid != winlogon.p.pid ||
        is_service_logon(*e) != service) {
      continue;
    }
    const std::uint64_t t = order_time(*e);
    if (t >= winlogon.p.start && (!winlogon.p.end || t <= *winlogon.p.end)) {
      return e;
    }
  }
  return nullptr;
}

// "Window Manager\DWM-3" / "Font Driver Host\UMFD-3": winlogon logs these on for its session
// (Win8+), so the number is the session id (seen on win10-1809-belkasoft: DWM-1 from the
// session-1 winlogon, UMFD-0 from wininit).
std::optional<std::uint32_t> session_of_service_logon(const Event& e) {
  const std::string& user = e.user_name.str();
  const auto slash = user.find_last_of('\\');
  const std::string name =
      text::to_lower(slash == std::string::npos ? user : user.substr(slash + 1));
  for (const std::string_view prefix : {"dwm-", "umfd-"}) {
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos &&
        name.size() - prefix.size() <= 9) {
      return static_cast<std::uint32_t>(std::stoul(name.substr(prefix.size())));
    }
  }
  return std::nullopt;
}

// The LSM 21 nearest after `after` (session id given: that session only).
const Event* find_lsm21(const BootWork& work,
                        std::uint64_t after,
                        std::optional<std::uint64_t> within,
                        std::optional<std::uint32_t> session) {
  const Event* best = nullptr;
  for (const Event* e : work.slot.events) {
    if (e->kind != EventKind::kSession || e->ref.event_id != 21 || !e->session_id) {
      continue;
    }
    if (session && e->session_id != session) {
      continue;
    }
    const std::uint64_t t = order_time(*e);
    const std::uint64_t from = after > kLsmBeforeLogon ? after - kLsmBeforeLogon : 0;
    if (t < from || (within && t > after + *within)) {
      continue;
    }
    if (best == nullptr || t < order_time(*best)) {
      best = e;
    }
  }
  return best;
}

void apply_lsm(facts::SessionLink& link, const Event& lsm) {
  if (!link.session_id) {
    link.session_id = lsm.session_id;
  }
  if (!lsm.user_name.empty()) {
    link.user = lsm.user_name;
  }
  link.address = lsm.address;
}

// Sysmon: the child and the csrss/winlogon it starts carry the new session's TerminalSessionId.
void link_by_sysmon(const BootWork& work, const Instance& child, facts::SessionLink& link) {
  if (child.p.session_id) {
    link.session_id = child.p.session_id;
    link.basis = "sysmon:TerminalSessionId";
    return;
  }
  for (const std::size_t k : child.children) {
    const Instance& kid = work.table[k];
    if (is_session_process(kid.p.image) && kid.p.session_id) {
      link.session_id = kid.p.session_id;
      link.basis = "sysmon:TerminalSessionId(" + file_name(kid.p.image) + ")";
      return;
    }
  }
}

// Security: the child's winlogon -> the 4624 it requested -> the LSM 21 that follows (Win7: the
// user's interactive logon comes from winlogon). Win10 logs user logons from svchost instead, but
// winlogon still logs on DWM-n/UMFD-n for its session n.
void link_by_logon(const BootWork& work, const Instance& child, facts::SessionLink& link) {
  for (const std::size_t k : child.children) {
    const Instance& kid = work.table[k];
    if (file_name(kid.p.image) != "winlogon.exe") {
      continue;
    }
    if (const Event* logon = find_logon(work, kid, false)) {
      link.logon_id = logon->logon_id;
      link.logon_type = logon->logon_type;
      link.user = logon->user_name;
      std::string basis = "security:winlogon>4624";
      if (const Event* lsm = find_lsm21(work, order_time(*logon), kLsmAfterLogon, std::nullopt)) {
        apply_lsm(link, *lsm);
        basis += ">LSM21";
      }
      if (link.basis.empty() && link.session_id) {
        link.basis = basis;
      }
    }
    const Event* service = find_logon(work, kid, true);
    const auto session = service != nullptr ? session_of_service_logon(*service) : std::nullopt;
    if (session && !link.session_id) {
      link.session_id = session;
      link.basis = "security:winlogon>4624(" + file_name(service->user_name) + ")";
    }
    return;
  }
}

facts::SessionLink link_session(const BootWork& work, const Instance& child) {
  facts::SessionLink link;
  link_by_sysmon(work, child, link);
  if (!link.session_id) {
    // Only the session-0 child starts wininit (events.md 4.1).
    for (const std::size_t k : child.children) {
      if (file_name(work.table[k].p.image) == "wininit.exe") {
        link.session_id = 0;
        link.basis = "security:wininit";
        break;
      }
    }
  }
  link_by_logon(work, child, link);
  if (link.session_id && link.address.empty() && *link.session_id != 0) {
    if (const Event* lsm = find_lsm21(work, child.p.start, std::nullopt, link.session_id)) {
      apply_lsm(link, *lsm);
    }
  }
  return link;
}

}  // namespace

void classify_smss(BootWork& work) {
  std::map<std::size_t, SmssRole> roles;
  for (std::size_t i = 0; i < work.table.size(); ++i) {
    if (!is_smss(work.table[i].p.image)) {
      continue;
    }
    SmssInfo info;
    info.instance = i;
    info.role = role_of(work.table, i, roles);
    roles[i] = info.role;
    if (info.role == SmssRole::kSessionChild) {
      info.session = link_session(work, work.table[i]);
    }
    work.smss.push_back(std::move(info));
  }
}

// Boot::processes keeps every smss instance and its parent, every process an smss started, and
// every csrss/wininit/winlogon with its parent: the lineage, not the whole process table.
facts::Boot make_boot(BootWork& work, std::size_t index) {
  const std::vector<Instance>& table = work.table;
  std::vector<bool> keep(table.size(), false);
  for (std::size_t i = 0; i < table.size(); ++i) {
    const facts::ProcessInstance& p = table[i].p;
    const bool parent_smss = p.parent && is_smss(table[*p.parent].p.image);
    if (is_smss(p.image) || is_session_process(p.image) || parent_smss) {
      keep[i] = true;
      if (p.parent && (is_smss(p.image) || is_session_process(p.image))) {
        keep[*p.parent] = true;
      }
    }
  }
  facts::Boot boot;
  boot.index = index;
  boot.start = work.slot.start;
  boot.start_basis = work.slot.start_basis;
  boot.end = work.slot.end;
  boot.end_basis = work.slot.end_basis;
  boot.unexpected_end = work.slot.unexpected_end;
  work.kept.assign(table.size(), std::nullopt);
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (keep[i]) {
      work.kept[i] = boot.processes.size();
      facts::ProcessInstance p = table[i].p;
      p.parent = p.parent ? work.kept[*p.parent] : std::nullopt;  // parents start earlier
      boot.processes.push_back(std::move(p));
    }
  }
  for (const SmssInfo& s : work.smss) {
    facts::SmssInstance out;
    out.process = *work.kept[s.instance];
    out.role = s.role;
    for (const std::size_t k : table[s.instance].children) {
      out.children.push_back(*work.kept[k]);
    }
    out.lifetime_ms = lifetime_ms(table[s.instance]);
    out.session = s.session;
    boot.smss.push_back(std::move(out));
  }
  return boot;
}

}  // namespace smssaudit::analysis::lineage_detail
