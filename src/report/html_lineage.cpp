// SVG figures of the HTML report: the smss lineage tree and the lifetime timeline of each boot.
// Everything drawn comes from facts::Boot as the lineage analysis built it (parent links, roles,
// sessions, lifetimes); this file only lays it out. Coordinates are integers or fixed-precision
// decimals so the same report always gives the same bytes.
#include "report/html_lineage.hpp"

#include "report/html_escape.hpp"
#include "report/report_format.hpp"
#include "smssaudit/rules/rule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smssaudit::report::detail {

namespace {

constexpr std::uint64_t kTicksPerMs = 10'000ULL;
constexpr std::int64_t kSystemPid = 4;

// ---- tree geometry (px)
// --------------------------------------------------------------------------
constexpr int kBoxWidth = 268;
constexpr int kBoxHeight = 70;
constexpr int kColumnGap = 44;
constexpr int kRowPitch = 84;
constexpr int kMargin = 12;
constexpr std::size_t kMaxNameChars = 24;    // base name on the first line of a box
constexpr std::size_t kMaxTitleChars = 600;  // command line in the hover text

// ---- timeline geometry (px)
// ----------------------------------------------------------------------
constexpr int kLabelWidth = 300;
constexpr int kChartWidth = 760;
constexpr int kNoteWidth = 250;
constexpr int kRowHeight = 24;
constexpr int kAxisHeight = 40;
constexpr std::size_t kMaxLabelChars = 22;

std::string when(std::uint64_t filetime) {
  return iso_time(filetime).value_or("time unknown");
}

const char* role_class(const facts::SmssInstance* s) {
  if (s == nullptr) {
    return "proc";
  }
  switch (s->role) {
    case facts::SmssRole::kMaster:
      return "master";
    case facts::SmssRole::kSessionChild:
      return "session-child";
    case facts::SmssRole::kOther:
      break;
  }
  return "other-smss";
}

const char* role_label(const facts::SmssInstance* s) {
  if (s == nullptr) {
    return "";
  }
  switch (s->role) {
    case facts::SmssRole::kMaster:
      return "master smss";
    case facts::SmssRole::kSessionChild:
      return "session smss";
    case facts::SmssRole::kOther:
      break;
  }
  return "OTHER smss";
}

std::string pid_text(std::uint64_t pid) {
  return fmt::format("pid {} (0x{:x})", pid, pid);
}

// Milliseconds between two FILETIMEs (b - a), negative when b is earlier.
std::int64_t ms_between(std::uint64_t a, std::uint64_t b) {
  return b >= a ? static_cast<std::int64_t>((b - a) / kTicksPerMs)
                : -static_cast<std::int64_t>((a - b) / kTicksPerMs);
}

// A process as both figures see it: its smss role (if any), its tree children and depth.
struct Node {
  std::optional<std::size_t> process;  // index into Boot::processes; empty for a parent stand-in
  std::optional<std::uint64_t> stand_in_pid;  // recorded parent pid of a stand-in node
  std::string stand_in_image;                 // recorded parent image of a stand-in node
  std::vector<std::size_t> children;          // indices into the node list
  int depth = 0;
  int row = 0;  // centre row (tree), in half rows so a parent can sit between two children
};

// The parent links come from ProcessInstance::parent, which the analysis resolved on (pid, start
// time). A process whose parent creation is not in the logs hangs under a stand-in for the
// recorded parent pid (System for pid 4), so the drawing never invents a process.
class Forest {
 public:
  explicit Forest(const facts::Boot& boot) : boot_(boot) {
    node_of_process_.assign(boot.processes.size(), 0);
    for (std::size_t i = 0; i < boot.processes.size(); ++i) {
      node_of_process_[i] = nodes_.size();
      Node n;
      n.process = i;
      nodes_.push_back(std::move(n));
    }
    for (std::size_t i = 0; i < boot.processes.size(); ++i) {
      const facts::ProcessInstance& p = boot.processes[i];
      if (p.parent && *p.parent < boot.processes.size() && *p.parent != i) {
        nodes_[node_of_process_[*p.parent]].children.push_back(node_of_process_[i]);
      } else if (p.parent_pid) {
        stand_in_for(*p.parent_pid, p.parent_image).children.push_back(node_of_process_[i]);
      } else {
        roots_.push_back(node_of_process_[i]);
      }
    }
    // Stand-ins first (System leads a normal boot), then unparented processes, in start order.
    std::vector<std::size_t> ordered = stand_ins_;
    ordered.insert(ordered.end(), roots_.begin(), roots_.end());
    roots_ = std::move(ordered);
    int next_row = 0;
    for (const std::size_t r : roots_) {
      place(r, 0, next_row);
    }
    rows_ = next_row;
  }

  const std::vector<Node>& nodes() const { return nodes_; }

  const std::vector<std::size_t>& roots() const { return roots_; }

  int rows() const { return rows_; }  // leaf rows, in half-row units / 2

  int max_depth() const {
    int d = 0;
    for (const Node& n : nodes_) {
      d = std::max(d, n.depth);
    }
    return d;
  }

  const facts::SmssInstance* smss_of(std::size_t process) const {
    for (const facts::SmssInstance& s : boot_.smss) {
      if (s.process == process) {
        return &s;
      }
    }
    return nullptr;
  }

  /// Nodes in depth-first order (parents before children, children in start order).
  std::vector<std::size_t> preorder() const {
    std::vector<std::size_t> out;
    for (const std::size_t r : roots_) {
      walk(r, out);
    }
    return out;
  }

 private:
  Node& stand_in_for(std::uint64_t pid, const std::string& image) {
    for (const std::size_t idx : stand_ins_) {
      if (nodes_[idx].stand_in_pid == pid) {
        return nodes_[idx];
      }
    }
    Node n;
    n.stand_in_pid = pid;
    n.stand_in_image = image;
    stand_ins_.push_back(nodes_.size());
    nodes_.push_back(std::move(n));
    return nodes_.back();
  }

  // Leaves take consecutive rows; a parent is centred on its children (rows are kept in half
  // units so the centre of an even number of children stays an integer).
  void place(std::size_t idx, int depth, int& next_row) {
    nodes_[idx].depth = depth;
    if (nodes_[idx].children.empty()) {
      nodes_[idx].row = next_row * 2;
      ++next_row;
      return;
    }
    for (const std::size_t c : nodes_[idx].children) {
      place(c, depth + 1, next_row);
    }
    nodes_[idx].row =
        (nodes_[nodes_[idx].children.front()].row + nodes_[nodes_[idx].children.back()].row) / 2;
  }

  void walk(std::size_t idx, std::vector<std::size_t>& out) const {
    out.push_back(idx);
    for (const std::size_t c : nodes_[idx].children) {
      walk(c, out);
    }
  }

  const facts::Boot& boot_;
  std::vector<Node> nodes_;
  std::vector<std::size_t> node_of_process_;
  std::vector<std::size_t> stand_ins_;
  std::vector<std::size_t> roots_;
  int rows_ = 0;
};

std::string join_rules(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    out += (out.empty() ? "" : " ") + id;
  }
  return out;
}

// The line under the start time: how long the process lived, or that no exit was seen. The smss
// lifetime is the analysis' own figure; for other processes it is exit minus start.
std::string life_line(const facts::ProcessInstance& p, const facts::SmssInstance* s) {
  if (s != nullptr && s->lifetime_ms) {
    return "lived " + lifetime_text(*s->lifetime_ms);
  }
  if (p.end) {
    return "lived " + lifetime_text(ms_between(p.start, *p.end));
  }
  return "no exit seen";
}

std::string severity_class(const ProcessMark* m) {
  if (m == nullptr) {
    return "";
  }
  if (m->subject) {
    return fmt::format(" anomalous sev-{}", rules::to_string(m->severity));
  }
  return " cited";
}

// Hover text: everything the box has no room for, one fact per line.
std::string process_title(const facts::ProcessInstance& p,
                          const facts::SmssInstance* s,
                          const ProcessMark* m) {
  std::vector<std::string> lines;
  lines.push_back(p.image.empty() ? std::string("(image not recorded)") : p.image.str());
  if (!p.command_line.empty()) {
    lines.push_back("command line: " + truncate_display(p.command_line, kMaxTitleChars));
  }
  lines.push_back(fmt::format("{}  parent {}{}",
                              pid_text(p.pid),
                              p.parent_pid ? std::to_string(*p.parent_pid) : std::string("?"),
                              p.parent_image.empty() ? "" : " " + p.parent_image));
  lines.push_back("start " + when(p.start) + (p.end ? "  exit " + when(*p.end) : "  no exit seen"));
  if (!p.user_sid.empty() || !p.user_name.empty()) {
    lines.push_back("user " + p.user_sid + (p.user_name.empty() ? "" : " " + p.user_name));
  }
  if (s != nullptr && s->role == facts::SmssRole::kSessionChild && !s->session.basis.empty()) {
    lines.push_back("session linked by " + s->session.basis +
                    (s->session.user.empty() ? "" : "  user " + s->session.user));
  }
  for (const facts::EventRef& r : p.evidence) {
    lines.push_back(fmt::format("{} record {} (event {})", r.artifact, r.record_id, r.event_id));
  }
  if (m != nullptr) {
    lines.push_back("cited by " + join_rules(m->rules));
  }
  std::string out;
  for (const std::string& l : lines) {
    out += (out.empty() ? "" : "\n") + html_escape(l);
  }
  return out;
}

std::string text_el(int x, int y, const char* cls, const std::string& escaped) {
  return fmt::format("<text x=\"{}\" y=\"{}\" class=\"{}\">{}</text>", x, y, cls, escaped);
}

int node_x(const Node& n) {
  return kMargin + n.depth * (kBoxWidth + kColumnGap);
}

int node_y(const Node& n) {
  return kMargin + n.row * kRowPitch / 2;
}

std::string box(int x, int y) {
  return fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/>", x, y, kBoxWidth, kBoxHeight);
}

// A stand-in for a parent whose creation is not in the logs: System for pid 4.
std::string stand_in_node(const Node& n) {
  const std::uint64_t pid = n.stand_in_pid.value_or(0);
  const bool system = pid == static_cast<std::uint64_t>(kSystemPid);
  const int x = node_x(n);
  const int y = node_y(n);
  std::string out;
  if (system) {
    out += fmt::format(
        "<g class=\"node stand-in system\" data-pid=\"{}\" data-role=\"system\"><title>System "
        "(pid 4): the recorded parent of the processes below; the kernel's own process has no "
        "creation event</title>",
        pid);
    out += box(x, y) + text_el(x + 10, y + 20, "name", "System");
    out += text_el(x + 10, y + 38, "mono", pid_text(pid));
    out += text_el(x + 10, y + 56, "note", "recorded parent of the master");
    return out + "</g>";
  }
  out += fmt::format(
      "<g class=\"node stand-in\" data-pid=\"{}\" data-role=\"parent-not-seen\"><title>{}</title>",
      pid,
      html_escape("recorded parent pid " + std::to_string(pid) +
                  (n.stand_in_image.empty() ? "" : " " + n.stand_in_image) +
                  ": its creation is not in the logs"));
  const std::string name =
      n.stand_in_image.empty() ? std::string("parent not seen") : image_base_name(n.stand_in_image);
  out += box(x, y) + text_el(x + 10, y + 20, "name", html_escape_cut(name, kMaxNameChars));
  out += text_el(x + 10, y + 38, "mono", pid_text(pid));
  out += text_el(x + 10, y + 56, "note", "creation not in the logs");
  return out + "</g>";
}

const ProcessMark* mark_of(const std::map<std::size_t, ProcessMark>& marks, std::size_t idx) {
  const auto it = marks.find(idx);
  return it == marks.end() ? nullptr : &it->second;
}

bool is_session_child(const facts::SmssInstance* s) {
  return s != nullptr && s->role == facts::SmssRole::kSessionChild;
}

// `<g class="node ..." data-...>`: the stable hooks tests and readers' tools select on.
std::string node_open_tag(const facts::ProcessInstance& p,
                          const facts::SmssInstance* s,
                          const ProcessMark* m) {
  std::string out =
      fmt::format("<g class=\"node {}{}\" data-pid=\"{}\" data-role=\"{}\" data-image=\"{}\"",
                  role_class(s),
                  severity_class(m),
                  p.pid,
                  s != nullptr ? facts::to_string(s->role) : "process",
                  html_escape(p.image));
  if (is_session_child(s) && s->session.session_id) {
    out += fmt::format(" data-session=\"{}\"", *s->session.session_id);
  }
  if (m != nullptr) {
    out += fmt::format(" data-rules=\"{}\"", html_escape(join_rules(m->rules)));
  }
  return out + fmt::format("><title>{}</title>", process_title(p, s, m));
}

std::string ids_line(const facts::ProcessInstance& p, const facts::SmssInstance* s) {
  std::string ids = pid_text(p.pid);
  if (is_session_child(s)) {
    return ids + (s->session.session_id ? fmt::format("  session {}", *s->session.session_id)
                                        : std::string("  session ?"));
  }
  return p.session_id ? ids + fmt::format("  session {}", *p.session_id) : ids;
}

// The rule ids sit on the box's top edge so a flagged process is found at a glance.
std::string rule_badge(const ProcessMark& m, int x, int y) {
  const std::string label = truncate_display(join_rules(m.rules), 30);
  const int chars = static_cast<int>(std::min<std::size_t>(label.size(), 31));
  const int w = 12 + 7 * chars;
  return fmt::format(
      "<g class=\"rule-badge\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" rx=\"8\"/>"
      "<text x=\"{}\" y=\"{}\">{}</text></g>",
      x + kBoxWidth - w - 6,
      y - 8,
      w,
      x + kBoxWidth - w,
      y + 4,
      html_escape(label));
}

std::string process_node(const Forest& forest,
                         const facts::Boot& boot,
                         const Node& n,
                         const std::map<std::size_t, ProcessMark>& marks) {
  const std::size_t idx = n.process.value_or(0);
  const facts::ProcessInstance& p = boot.processes[idx];
  const facts::SmssInstance* s = forest.smss_of(idx);
  const ProcessMark* m = mark_of(marks, idx);
  const int x = node_x(n);
  const int y = node_y(n);
  std::string out = node_open_tag(p, s, m) + box(x, y);
  const std::string name =
      p.image.empty() ? std::string("(image not recorded)") : image_base_name(p.image);
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"name\">{}",
                     x + 10,
                     y + 18,
                     html_escape_cut(name, kMaxNameChars));
  if (s != nullptr) {
    out += fmt::format("<tspan class=\"role\"> {}</tspan>", role_label(s));
  }
  out += "</text>";
  out += text_el(x + 10, y + 35, "mono", html_escape(ids_line(p, s)));
  out += text_el(x + 10, y + 50, "mono", html_escape(when(p.start)));
  out += text_el(x + 10, y + 64, "mono life", html_escape(life_line(p, s)));
  if (m != nullptr && m->subject) {
    out += rule_badge(*m, x, y);
  }
  return out + "</g>";
}

std::string tree_node(const Forest& forest,
                      const facts::Boot& boot,
                      const Node& n,
                      const std::map<std::size_t, ProcessMark>& marks) {
  return n.process ? process_node(forest, boot, n, marks) : stand_in_node(n);
}

}  // namespace

std::string image_base_name(const std::string& image) {
  const auto slash = image.find_last_of("\\/");
  return slash == std::string::npos ? image : image.substr(slash + 1);
}

std::string lifetime_text(std::int64_t ms) {
  if (ms < 0) {
    return fmt::format("{} ms", ms);
  }
  return ms < 10000 ? fmt::format("{}.{:03} s", ms / 1000, ms % 1000)
                    : fmt::format("{} s", ms / 1000);
}

namespace {

bool cites(const facts::ProcessInstance& p, const facts::EvidenceRef& e) {
  // (artifact, record id, event id) identify one EVTX record.
  return std::any_of(p.evidence.begin(), p.evidence.end(), [&e](const facts::EventRef& r) {
    return r.artifact == e.artifact && r.record_id == e.record_id && r.event_id == e.event_id;
  });
}

void mark(ProcessMark& m, const rules::Finding& f, bool subject_record) {
  m.cited = true;
  if (std::find(m.rules.begin(), m.rules.end(), f.rule_id) == m.rules.end()) {
    m.rules.push_back(f.rule_id);
  }
  // Info findings are inventory (e.g. "the default autochk ran"): cited, not anomalous.
  if (subject_record && f.severity != rules::Level::kInfo) {
    m.severity = m.subject ? std::max(m.severity, f.severity) : f.severity;
    m.subject = true;
  }
}

}  // namespace

std::map<std::size_t, ProcessMark> mark_processes(const facts::Boot& boot,
                                                  const std::vector<rules::Finding>& findings) {
  std::map<std::size_t, ProcessMark> marks;
  for (const rules::Finding& f : findings) {
    bool first_event = true;
    for (const facts::EvidenceRef& e : f.evidence) {
      if (e.event_id == 0) {
        continue;  // registry evidence names no process
      }
      for (std::size_t i = 0; i < boot.processes.size(); ++i) {
        if (cites(boot.processes[i], e)) {
          mark(marks[i], f, first_event);
        }
      }
      first_event = false;
    }
  }
  return marks;
}

std::string lineage_tree_svg(const facts::Boot& boot,
                             const std::map<std::size_t, ProcessMark>& marks) {
  const Forest forest(boot);
  const int width = 2 * kMargin + (forest.max_depth() + 1) * (kBoxWidth + kColumnGap) - kColumnGap;
  const int height =
      2 * kMargin + std::max(1, forest.rows()) * kRowPitch - (kRowPitch - kBoxHeight);
  std::string out = fmt::format(
      "<svg class=\"lineage-tree\" data-boot=\"{}\" "
      "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"smss process tree of boot {}\">",
      boot.index,
      width,
      height,
      width,
      height,
      boot.index);
  // Edges first so the boxes paint over their ends.
  out += "<g class=\"edges\">";
  for (const Node& n : forest.nodes()) {
    const int x1 = kMargin + n.depth * (kBoxWidth + kColumnGap) + kBoxWidth;
    const int y1 = kMargin + n.row * kRowPitch / 2 + kBoxHeight / 2;
    for (const std::size_t c : n.children) {
      const Node& child = forest.nodes()[c];
      const int x2 = kMargin + child.depth * (kBoxWidth + kColumnGap);
      const int y2 = kMargin + child.row * kRowPitch / 2 + kBoxHeight / 2;
      const int xm = x1 + kColumnGap / 2;
      out += fmt::format("<path d=\"M{} {}H{}V{}H{}\"/>", x1, y1, xm, y2, x2);
    }
  }
  out += "</g>";
  for (const std::size_t idx : forest.preorder()) {
    out += tree_node(forest, boot, forest.nodes()[idx], marks);
  }
  out += "</svg>";
  return out;
}

namespace {

// A "nice" axis step (1, 2 or 5 times a power of ten, in ms) giving at most about `ticks` ticks.
std::int64_t tick_step(std::int64_t span_ms, int ticks) {
  std::int64_t step = 1;
  while (step * ticks < span_ms) {
    if (step * 2 * ticks >= span_ms) {
      return step * 2;
    }
    if (step * 5 * ticks >= span_ms) {
      return step * 5;
    }
    step *= 10;
  }
  return step;
}

std::string axis_label(std::int64_t ms) {
  if (ms == 0) {
    return "0";
  }
  if (ms % 1000 == 0) {
    return fmt::format("+{} s", ms / 1000);
  }
  return fmt::format("+{} ms", ms);
}

}  // namespace

namespace {

// The time window of a timeline: from the boot start (or the first creation) to shortly after
// the last creation. A master smss lives until shutdown; drawing its whole life would squeeze
// every session child into a pixel, so exits far after the last creation are clipped and their
// time is stated in text instead.
struct Window {
  std::uint64_t t0 = 0;
  std::uint64_t t1 = 0;
  std::int64_t span_ms = 1;

  double x_of(std::uint64_t t) const {
    const double f = static_cast<double>(ms_between(t0, t)) / static_cast<double>(span_ms);
    return static_cast<double>(kLabelWidth) + std::clamp(f, 0.0, 1.0) * kChartWidth;
  }
};

Window time_window(const facts::Boot& boot) {
  Window w;
  std::uint64_t last_start = 0;
  for (const facts::ProcessInstance& p : boot.processes) {
    if (p.start != 0 && (w.t0 == 0 || p.start < w.t0)) {
      w.t0 = p.start;
    }
    last_start = std::max(last_start, p.start);
  }
  if (boot.start != 0 && (w.t0 == 0 || boot.start < w.t0)) {
    w.t0 = boot.start;
  }
  const std::uint64_t start_span = last_start > w.t0 ? last_start - w.t0 : 0;
  // At least one second after the last creation, or a fifth of the creation span.
  const std::uint64_t pad = std::max<std::uint64_t>(1000 * kTicksPerMs, start_span / 5);
  w.t1 = last_start + pad;
  for (const facts::ProcessInstance& p : boot.processes) {
    if (p.end && *p.end > last_start && *p.end <= last_start + pad) {
      w.t1 = std::max(w.t1, *p.end);
    }
  }
  w.span_ms = std::max<std::int64_t>(1, ms_between(w.t0, w.t1));
  return w;
}

// Axis: ticks relative to t0, whose absolute time is printed at the top left.
std::string time_axis(const Window& w, int height) {
  std::string out = "<g class=\"axis\">";
  out += text_el(4, 14, "axis-origin", html_escape("0 = " + when(w.t0)));
  const std::int64_t step = tick_step(w.span_ms, 8);
  for (std::int64_t ms = 0; ms <= w.span_ms; ms += step) {
    const double x =
        kLabelWidth + static_cast<double>(ms) / static_cast<double>(w.span_ms) * kChartWidth;
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" class=\"tick\">{}</text>",
        x,
        kAxisHeight - 14,
        x,
        height - 8,
        x,
        kAxisHeight - 18,
        axis_label(ms));
  }
  return out + "</g>";
}

// A dashed vertical line for the boot start or end, when it falls inside the window.
std::string boot_marker(
    const Window& w, std::uint64_t t, const std::string& label, const char* cls, int height) {
  if (t < w.t0 || t > w.t1) {
    return {};
  }
  const double x = w.x_of(t);
  return fmt::format(
      "<g class=\"marker {}\"><line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>"
      "<title>{}</title></g>",
      cls,
      x,
      kAxisHeight - 12,
      x,
      height - 8,
      html_escape(label));
}

// What the right-hand note says: the session, then the lifetime or why the bar is open.
std::string row_note(const facts::ProcessInstance& p,
                     const facts::SmssInstance* s,
                     const Window& w) {
  std::string note;
  if (is_session_child(s)) {
    note = s->session.session_id ? fmt::format("session {} · ", *s->session.session_id)
                                 : std::string("session ? · ");
  }
  if (!p.end) {
    return note + "no exit seen";
  }
  if (*p.end > w.t1) {
    return note + "exit " + when(*p.end);
  }
  return note + life_line(p, s);
}

std::string timeline_row(const Forest& forest,
                         const facts::Boot& boot,
                         const Node& n,
                         const std::map<std::size_t, ProcessMark>& marks,
                         const Window& w,
                         int y) {
  const std::size_t idx = n.process.value_or(0);
  const facts::ProcessInstance& p = boot.processes[idx];
  const facts::SmssInstance* s = forest.smss_of(idx);
  const ProcessMark* m = mark_of(marks, idx);
  std::string out =
      fmt::format("<g class=\"row {}{}\" data-pid=\"{}\"", role_class(s), severity_class(m), p.pid);
  if (is_session_child(s) && s->session.session_id) {
    out += fmt::format(" data-session=\"{}\"", *s->session.session_id);
  }
  out += fmt::format("><title>{}</title>", process_title(p, s, m));
  if (is_session_child(s)) {
    out += fmt::format("<rect class=\"band\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                       y,
                       kLabelWidth + kChartWidth + kNoteWidth,
                       kRowHeight);
  }
  // Label: indented by tree depth, base name and pid.
  const int indent = 4 + 12 * std::min(n.depth, 8);
  std::string label =
      html_escape_cut(image_base_name(p.image), kMaxLabelChars) + fmt::format(" {}", p.pid);
  if (s != nullptr) {
    label += fmt::format("<tspan class=\"role\"> {}</tspan>", role_label(s));
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\">{}</text>", indent, y + 16, label);
  // The bar: start to exit, or open-ended (to the window's edge) when no exit was seen or the
  // exit is beyond the window; the note on the right says which, with the exact figures.
  const double xs = w.x_of(p.start);
  const bool open = !p.end || *p.end > w.t1;
  const double xe = open ? static_cast<double>(kLabelWidth + kChartWidth) : w.x_of(*p.end);
  out += fmt::format(
      "<rect class=\"bar{}\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\"/>",
      open ? " open" : "",
      xs,
      y + 5,
      std::max(2.0, xe - xs),
      kRowHeight - 10);
  out += fmt::format("<text x=\"{}\" y=\"{}\" class=\"note\">{}</text>",
                     kLabelWidth + kChartWidth + 8,
                     y + 16,
                     html_escape(row_note(p, s, w)));
  return out + "</g>";
}

}  // namespace

std::string lineage_timeline_svg(const facts::Boot& boot,
                                 const std::map<std::size_t, ProcessMark>& marks) {
  const Forest forest(boot);
  std::vector<std::size_t> rows;  // node indices with a real process, tree order
  for (const std::size_t idx : forest.preorder()) {
    if (forest.nodes()[idx].process) {
      rows.push_back(idx);
    }
  }
  const Window w = time_window(boot);
  const int height = kAxisHeight + static_cast<int>(rows.size()) * kRowHeight + 16;
  const int width = kLabelWidth + kChartWidth + kNoteWidth;
  std::string out = fmt::format(
      "<svg class=\"lineage-timeline\" data-boot=\"{}\" data-t0=\"{}\" width=\"{}\" "
      "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"process lifetimes of boot "
      "{}\">",
      boot.index,
      html_escape(when(w.t0)),
      width,
      height,
      width,
      height,
      boot.index);
  out += time_axis(w, height);
  if (boot.start != 0) {
    out += boot_marker(w,
                       boot.start,
                       "boot start " + when(boot.start) + " (" + boot.start_basis + ")",
                       "boot-start",
                       height);
  }
  if (boot.end) {
    out += boot_marker(w,
                       *boot.end,
                       "boot end " + when(*boot.end) + " (" + boot.end_basis + ")",
                       "boot-end",
                       height);
  }
  int y = kAxisHeight;
  for (const std::size_t node_idx : rows) {
    out += timeline_row(forest, boot, forest.nodes()[node_idx], marks, w, y);
    y += kRowHeight;
  }
  return out + "</svg>";
}

}  // namespace smssaudit::report::detail
