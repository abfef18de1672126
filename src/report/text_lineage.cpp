// The per-boot smss tree of the text report. Renders what the lineage analysis built; the roles,
// sessions and lifetimes shown were decided there.
#include "report/text_lineage.hpp"

#include "report/report_format.hpp"
#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace smssaudit::report::detail {
namespace {

constexpr std::size_t kMaxClockChanges = 5;
// Children's command lines (csrss's runs to 250 characters) are cut; the JSON keeps them whole.
constexpr std::size_t kMaxCommandChars = 100;

std::string safe(std::string_view s) {
  return text::printable(s);
}

std::string when(std::uint64_t filetime) {
  return iso_time(filetime).value_or("?");
}

// Both forms: 4688 prints PIDs in hex, Sysmon and Task Manager in decimal.
std::string pid_text(std::uint64_t pid) {
  return fmt::format("pid {} (0x{:x})", pid, pid);
}

std::string base_name(const std::string& image) {
  const auto slash = image.find_last_of("\\/");
  return slash == std::string::npos ? image : image.substr(slash + 1);
}

std::string duration_text(std::int64_t ms) {
  return ms < 10000 ? fmt::format("{:.3f} s", static_cast<double>(ms) / 1000.0)
                    : fmt::format("{} s", ms / 1000);
}

std::string end_text(const facts::ProcessInstance& p) {
  return p.end ? "exit " + when(*p.end) : std::string("no exit seen");
}

class TreeWriter {
 public:
  TreeWriter(const facts::Boot& boot, std::vector<std::string>& out) : boot_(boot), out_(out) {}

  void write() {
    std::string head =
        fmt::format("  Boot {}  {} ({})", boot_.index, when(boot_.start), safe(boot_.start_basis));
    if (boot_.end) {
      head += fmt::format("  ->  {} ({})", when(*boot_.end), safe(boot_.end_basis));
    } else {
      head += "  ->  end not seen";
    }
    if (boot_.unexpected_end) {
      head += "  [unexpected shutdown]";
    }
    out_.push_back(head);
    if (boot_.smss.empty()) {
      out_.push_back("    no smss.exe creation recorded in this boot");
      return;
    }
    for (const facts::SmssInstance& s : boot_.smss) {
      // Session children are drawn under their master; any other instance is a root here.
      if (s.role != facts::SmssRole::kSessionChild || !parent_is_drawn_master(s)) {
        write_smss(s, 4);
      }
    }
  }

 private:
  bool parent_is_drawn_master(const facts::SmssInstance& s) const {
    const auto& parent = boot_.processes.at(s.process).parent;
    const facts::SmssInstance* p = parent ? smss_at(*parent) : nullptr;
    return p != nullptr && p->role == facts::SmssRole::kMaster;
  }

  const facts::SmssInstance* smss_at(std::size_t process) const {
    for (const auto& s : boot_.smss) {
      if (s.process == process) {
        return &s;
      }
    }
    return nullptr;
  }

  static const char* role_label(facts::SmssRole r) {
    switch (r) {
      case facts::SmssRole::kMaster:
        return "master smss";
      case facts::SmssRole::kSessionChild:
        return "session smss";
      case facts::SmssRole::kOther:
        break;
    }
    return "OTHER smss";
  }

  void write_smss(const facts::SmssInstance& s, std::size_t indent) {
    const facts::ProcessInstance& p = boot_.processes.at(s.process);
    const std::string pad(indent, ' ');
    std::string head =
        fmt::format("{}{} {}  start {}", pad, role_label(s.role), pid_text(p.pid), when(p.start));
    if (s.role == facts::SmssRole::kSessionChild) {
      head += s.session.session_id ? fmt::format("  session {}", *s.session.session_id)
                                   : std::string("  session ?");
      head += s.lifetime_ms ? "  lived " + duration_text(*s.lifetime_ms) : "  " + end_text(p);
    } else {
      head += "  " + end_text(p);
    }
    out_.push_back(head);
    out_.push_back(fmt::format("{}  image {}  parent {}{}  user {}",
                               pad,
                               safe(p.image),
                               p.parent_pid ? std::to_string(*p.parent_pid) : std::string("?"),
                               p.parent_image.empty() ? "" : " " + safe(p.parent_image),
                               p.user_sid.empty() ? std::string("?") : safe(p.user_sid)));
    if (!p.command_line.empty()) {
      out_.push_back(fmt::format("{}  command line {}", pad, safe(p.command_line)));
    }
    if (s.role == facts::SmssRole::kSessionChild && !s.session.basis.empty()) {
      write_session(s.session, pad);
    }
    for (std::size_t idx : s.children) {
      if (const facts::SmssInstance* child = smss_at(idx)) {
        write_smss(*child, indent + 4);
      } else {
        write_child(boot_.processes.at(idx), p, indent + 4);
      }
    }
  }

  void write_session(const facts::SessionLink& link, const std::string& pad) {
    std::string s = fmt::format("{}  session from {}", pad, safe(link.basis));
    if (link.logon_type) {
      s += fmt::format("  logon type {}", *link.logon_type);
    }
    if (link.logon_id) {
      s += fmt::format("  logon id 0x{:x}", *link.logon_id);
    }
    if (!link.user.empty()) {
      s += "  user " + safe(link.user);
    }
    if (!link.address.empty()) {
      s += "  from " + safe(link.address);
    }
    out_.push_back(s);
  }

  void write_child(const facts::ProcessInstance& c,
                   const facts::ProcessInstance& parent,
                   std::size_t indent) {
    const std::int64_t offset_ms =
        (static_cast<std::int64_t>(c.start) - static_cast<std::int64_t>(parent.start)) / 10000;
    out_.push_back(fmt::format("{}{} {}  +{}  {}",
                               std::string(indent, ' '),
                               safe(base_name(c.image)),
                               pid_text(c.pid),
                               duration_text(offset_ms),
                               truncate_display(safe(c.command_line), kMaxCommandChars)));
  }

  const facts::Boot& boot_;
  std::vector<std::string>& out_;
};

}  // namespace

std::vector<std::string> lineage_text(const facts::Lineage& lineage) {
  std::vector<std::string> out;
  if (!lineage.analyzed) {
    out.emplace_back("  not analysed: no event log was given");
    return out;
  }
  const facts::LineageCoverage& c = lineage.coverage;
  for (const auto& src : c.sources) {
    out.push_back(fmt::format("  {} : {} file(s), {} records{}, {} .. {}",
                              safe(src.channel),
                              src.files.size(),
                              group_thousands(src.records),
                              src.recovered != 0
                                  ? fmt::format(" (+{} recovered)", group_thousands(src.recovered))
                                  : std::string(),
                              when(src.first),
                              when(src.last)));
  }
  out.push_back(fmt::format("  process starts: Security 4688 {}, Sysmon 1 {}; exits collected: {}",
                            c.security_process_starts ? "yes" : "no",
                            c.sysmon_process_starts ? "yes" : "no",
                            c.exits_collected ? "yes" : "no"));
  for (const auto& cl : c.clears) {
    out.push_back(fmt::format("  log cleared: {} at {} by {}",
                              safe(cl.channel),
                              when(cl.ref.written),
                              cl.user.empty() ? "?" : safe(cl.user)));
  }
  // Time sync changes the clock many times a day; the first few show the pattern, the JSON
  // report lists them all (and LIN-041 judges each).
  const std::size_t shown = std::min<std::size_t>(c.clock_changes.size(), kMaxClockChanges);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& ch = c.clock_changes[i];
    out.push_back(fmt::format("  clock changed: {} -> {} by {}",
                              when(ch.previous_time),
                              when(ch.new_time),
                              ch.process.empty() ? "?" : safe(ch.process)));
  }
  if (c.clock_changes.size() > shown) {
    out.push_back(fmt::format("  ... {} more clock changes (listed in the JSON report)",
                              c.clock_changes.size() - shown));
  }
  for (const auto& note : c.notes) {
    out.push_back("  note: " + safe(note));
  }
  out.push_back(fmt::format("  {} boot(s)", lineage.boots.size()));
  for (const facts::Boot& boot : lineage.boots) {
    TreeWriter(boot, out).write();
  }
  return out;
}

}  // namespace smssaudit::report::detail
