// The per-boot SVG figures of the HTML report (private to src/report): the smss lineage tree and
// the lifetime timeline. Layout is computed here, in C++, so the page needs no script; what is
// drawn (roles, sessions, lifetimes, parent links) is what the lineage analysis decided.
#pragma once

#include "smssaudit/facts/lineage.hpp"
#include "smssaudit/rules/engine.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace smssaudit::report::detail {

/// How findings point at one process of a boot. A finding's event evidence cites EVTX records;
/// a process whose records include the finding's *first* event record is the finding's subject
/// (the lineage facts cite their subject first), any other cited process is context (e.g. the
/// parent of a flagged child).
struct ProcessMark {
  bool subject = false;                         ///< subject of a finding of severity low or higher
  bool cited = false;                           ///< named by some finding's evidence (any severity)
  rules::Level severity = rules::Level::kInfo;  ///< highest severity among subject findings
  std::vector<std::string> rules;               ///< rule ids citing it, report order, unique
};

/// Process index in Boot::processes -> mark. Matches evidence on (artifact, record id, event id),
/// which identify one EVTX record; processes no finding cites have no entry.
std::map<std::size_t, ProcessMark> mark_processes(const facts::Boot& boot,
                                                  const std::vector<rules::Finding>& findings);

/// `<svg class="lineage-tree">`: boxes from System (the recorded parent pid 4) through the master
/// smss to the session children and what they started, one `<g class="node" data-pid=...>` per
/// process; subjects of findings carry class "anomalous" and data-rules.
std::string lineage_tree_svg(const facts::Boot& boot,
                             const std::map<std::size_t, ProcessMark>& marks);

/// `<svg class="lineage-timeline">`: one row per process in tree order with its lifetime bar on a
/// linear time axis, session ids on the session children's rows, boot start/end markers.
std::string lineage_timeline_svg(const facts::Boot& boot,
                                 const std::map<std::size_t, ProcessMark>& marks);

/// Base name of a Windows image path ("C:\\Windows\\System32\\smss.exe" -> "smss.exe").
std::string image_base_name(const std::string& image);

/// "0.609 s" below 10 s, whole seconds above (as the text report prints lifetimes).
std::string lifetime_text(std::int64_t ms);

}  // namespace smssaudit::report::detail
