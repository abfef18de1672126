// Baseline helpers: OS family from a build number and merging a site allowlist into an OS baseline.
#include "smssaudit/facts/baseline.hpp"

#include "smssaudit/core/text.hpp"

namespace smssaudit::facts {
namespace {

// Appends every entry of `extra` not already in `into` (case-insensitive), keeping first-seen
// order.
void union_into(std::vector<std::string>& into, const std::vector<std::string>& extra) {
  for (const std::string& e : extra) {
    bool seen = false;
    for (const std::string& have : into) {
      if (text::iequals(have, e)) {
        seen = true;
        break;
      }
    }
    if (!seen) {
      into.push_back(e);
    }
  }
}

// Union of two lists in order of first appearance.
std::vector<std::string> union_of(const std::vector<std::string>& a,
                                  const std::vector<std::string>& b) {
  std::vector<std::string> out;
  union_into(out, a);  // de-duplicates `a` itself too
  union_into(out, b);
  return out;
}

// Joins two labels, skipping an empty one, so a merged description never starts with "; ".
std::string join_nonempty(const std::string& a, const std::string& b, const char* sep) {
  if (a.empty()) {
    return b;
  }
  if (b.empty()) {
    return a;
  }
  return a + sep + b;
}

}  // namespace

std::string os_family_for_build(unsigned build) {
  // NT 6.0 (Vista/2008) builds are 6000-6003; anything lower (XP, or 0 = unknown) has no baseline.
  if (build >= 6000 && build < 7600) {
    return "vista";
  }
  // NT 6.1: 7600 RTM, 7601 SP1.
  if (build == 7600 || build == 7601) {
    return "win7";
  }
  // NT 6.2 and 6.3 each have exactly one build number.
  if (build == 9200) {
    return "win8";
  }
  if (build == 9600) {
    return "win81";
  }
  // NT 10.0: Windows 10 from 10240 (1507) to 19045 (22H2); Server 2022 is 20348. Windows 11
  // starts at 22000.
  if (build >= 10240 && build < 22000) {
    return "win10";
  }
  if (build >= 22000) {
    return "win11";
  }
  return "generic";
}

Baseline merge_baselines(const Baseline& base, const Baseline& extra) {
  Baseline out;
  out.id = base.id + "+" + extra.id;
  out.description = join_nonempty(base.description, extra.description, "; ");
  out.source = join_nonempty(base.source, extra.source, ", ");
  // Allowlists only grow: a site file can allow more, never remove an OS default.
  out.families = union_of(base.families, extra.families);
  out.execute_allow = base.execute_allow;
  for (const auto& [slot, patterns] : extra.execute_allow) {
    union_into(out.execute_allow[slot], patterns);
  }
  for (auto& [slot, patterns] : out.execute_allow) {
    patterns = union_of(patterns, {});  // de-duplicate base entries as well
  }
  out.known_dlls_expected = union_of(base.known_dlls_expected, extra.known_dlls_expected);
  out.known_dlls_optional = union_of(base.known_dlls_optional, extra.known_dlls_optional);
  out.dll_directory = union_of(base.dll_directory, extra.dll_directory);
  out.dll_directory32 = union_of(base.dll_directory32, extra.dll_directory32);
  out.subsystems_required = union_of(base.subsystems_required, extra.subsystems_required);
  out.subsystems_optional = union_of(base.subsystems_optional, extra.subsystems_optional);
  out.csrss_server_dlls = union_of(base.csrss_server_dlls, extra.csrss_server_dlls);
  out.pathext = union_of(base.pathext, extra.pathext);
  out.exclude_from_known_dlls =
      union_of(base.exclude_from_known_dlls, extra.exclude_from_known_dlls);
  out.appcert_dlls = union_of(base.appcert_dlls, extra.appcert_dlls);
  out.pending_rename_allow = union_of(base.pending_rename_allow, extra.pending_rename_allow);
  return out;
}

}  // namespace smssaudit::facts
