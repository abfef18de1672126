// Baseline and verdict-threshold files: the other two kinds of catalogue data. Baselines hold
// allowlists the analyses compare against, so their regexes are compiled here once to reject a
// bad pattern at load time rather than silently never allowing anything.
#include "parsers.hpp"
#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace smssaudit::rules::detail {
namespace {

// The names facts::os_family_for_build returns, plus "generic" (baseline.hpp). A misspelt family
// would make a baseline never apply, which looks exactly like a clean host.
constexpr std::array<std::string_view, 7> kFamilies{
    "vista", "win7", "win8", "win81", "win10", "win11", "generic"};

std::vector<std::string> list_of(const MapReader& m, std::string_view key, Problems& p) {
  const YAML::Node* n = m.get(key);
  if (n == nullptr) {
    return {};
  }
  return read_string_list(*n, key, p).value_or(std::vector<std::string>{});
}

// A list of case-insensitive regexes (the analyses match them that way).
std::vector<std::string> regex_list_of(const MapReader& m, std::string_view key, Problems& p) {
  const YAML::Node* n = m.get(key);
  if (n == nullptr) {
    return {};
  }
  auto list = read_string_list(*n, key, p);
  if (!list) {
    return {};
  }
  std::size_t i = 0;
  for (const YAML::Node& item : *n) {
    compile_regex((*list)[i++], true, item, fmt::format("'{}'", key), p);
  }
  return std::move(*list);
}

void read_pair(const MapReader& m,
               std::string_view key,
               std::string_view first,
               std::string_view second,
               std::vector<std::string>& first_out,
               std::vector<std::string>& second_out,
               Problems& p) {
  const YAML::Node* n = m.get(key);
  if (n == nullptr) {
    return;
  }
  MapReader sub(*n, std::string(key), {first, second}, p);
  first_out = list_of(sub, first, p);
  second_out = list_of(sub, second, p);
}

std::optional<std::pair<int, Level>> read_threshold(const MapReader& m,
                                                    std::string_view which,
                                                    Problems& p) {
  const YAML::Node* n = m.require(which);
  if (n == nullptr) {
    return std::nullopt;
  }
  MapReader t(*n, fmt::format("verdict.{}", which), {"score", "severity"}, p);
  std::optional<int> score;
  std::optional<Level> level;
  if (const YAML::Node* s = t.require("score")) {
    if (auto v = read_int(*s, "score", p)) {
      if (*v < 0 || *v > 100) {
        p.at(*s, fmt::format("verdict.{}.score {} out of range 0..100", which, *v));
      } else {
        score = static_cast<int>(*v);
      }
    }
  }
  if (const YAML::Node* s = t.require("severity")) {
    Level l = Level::kInfo;
    if (auto v = read_string(*s, "severity", p)) {
      if (parse_level(*v, l)) {
        level = l;
      } else {
        p.at(*s,
             fmt::format("bad severity '{}' (expected info, low, medium, high or critical)", *v));
      }
    }
  }
  if (!score || !level) {
    return std::nullopt;
  }
  return std::pair{*score, *level};
}

// families: which OS baselines apply. A site file extends whichever OS baseline the host gets,
// so it never picks the family.
void read_families(const MapReader& m, bool site, facts::Baseline& b, Problems& p) {
  const YAML::Node* n = m.get("families");
  if (n == nullptr) {
    return;
  }
  if (site) {
    p.at_line(m.key_line("families"), "'families' is not allowed in a site baseline");
    return;
  }
  auto fams = read_string_list(*n, "families", p);
  if (!fams) {
    return;
  }
  for (const std::string& f : *fams) {
    if (std::find(kFamilies.begin(), kFamilies.end(), f) == kFamilies.end()) {
      p.at(*n,
           fmt::format("unknown OS family '{}' (known: vista, win7, win8, win81, win10, "
                       "win11, generic)",
                       f));
    }
  }
  b.families = std::move(*fams);
}

// execute_allow: per-slot regex allowlists, compiled here so a bad pattern fails the load.
void read_execute_allow(const MapReader& m, facts::Baseline& b, Problems& p) {
  const YAML::Node* n = m.get("execute_allow");
  if (n == nullptr) {
    return;
  }
  MapReader slots = MapReader::any_keys(*n, "execute_allow", p);
  for (const MapReader::Entry& e : slots.entries()) {
    // Slot names are registry value names: compared case-insensitively, stored lower-case.
    std::string slot = text::to_lower(e.key);
    if (b.execute_allow.count(slot) != 0) {
      p.at(e.key_node, fmt::format("duplicate slot '{}' in execute_allow", e.key));
      continue;
    }
    auto patterns = read_string_list(e.value, fmt::format("execute_allow.{}", e.key), p);
    if (!patterns) {
      continue;
    }
    std::size_t i = 0;
    for (const YAML::Node& item : e.value) {
      compile_regex((*patterns)[i++], true, item, fmt::format("execute_allow.{}", e.key), p);
    }
    b.execute_allow.emplace(std::move(slot), std::move(*patterns));
  }
}

}  // namespace

std::optional<facts::Baseline> parse_baseline(const YAML::Node& root, bool site, Problems& p) {
  const std::size_t before = p.count();
  MapReader m(root,
              site ? "site baseline" : "baseline",
              {"baseline",
               "description",
               "families",
               "execute_allow",
               "known_dlls",
               "dll_directory",
               "dll_directory32",
               "subsystems",
               "csrss_server_dlls",
               "pathext",
               "exclude_from_known_dlls",
               "appcert_dlls",
               "pending_rename_allow"},
              p);
  if (!m.is_map()) {
    return std::nullopt;
  }
  facts::Baseline b;
  b.source = p.path();
  if (const YAML::Node* n = m.require("baseline")) {
    if (auto id = read_string(*n, "baseline", p)) {
      if (id->empty()) {
        p.at(*n, "'baseline' must not be empty");
      }
      b.id = site ? "site:" + *id : *id;
    }
  }
  if (const YAML::Node* n = m.get("description")) {
    b.description = read_string(*n, "description", p).value_or("");
  }
  read_families(m, site, b, p);
  read_execute_allow(m, b, p);
  read_pair(
      m, "known_dlls", "expected", "optional", b.known_dlls_expected, b.known_dlls_optional, p);
  read_pair(
      m, "subsystems", "required", "optional", b.subsystems_required, b.subsystems_optional, p);
  b.dll_directory = list_of(m, "dll_directory", p);
  b.dll_directory32 = list_of(m, "dll_directory32", p);
  b.csrss_server_dlls = list_of(m, "csrss_server_dlls", p);
  b.pathext = list_of(m, "pathext", p);
  b.exclude_from_known_dlls = list_of(m, "exclude_from_known_dlls", p);
  b.appcert_dlls = regex_list_of(m, "appcert_dlls", p);
  b.pending_rename_allow = regex_list_of(m, "pending_rename_allow", p);
  if (p.count() != before) {
    return std::nullopt;
  }
  return b;
}

std::optional<VerdictConfig> parse_verdict(const YAML::Node& root, Problems& p) {
  const std::size_t before = p.count();
  MapReader top(root, "verdict file", {"verdict"}, p);
  const YAML::Node* v = top.require("verdict");
  if (v == nullptr) {
    return std::nullopt;
  }
  MapReader m(*v, "verdict", {"suspicious", "malicious"}, p);
  if (!m.is_map()) {
    return std::nullopt;
  }
  auto suspicious = read_threshold(m, "suspicious", p);
  auto malicious = read_threshold(m, "malicious", p);
  if (!suspicious || !malicious || p.count() != before) {
    return std::nullopt;
  }
  // Inverted thresholds would make "malicious" reachable before "suspicious", which no report
  // reader expects.
  if (suspicious->first > malicious->first || suspicious->second > malicious->second) {
    p.at(*v, "verdict.suspicious thresholds must not exceed verdict.malicious");
    return std::nullopt;
  }
  VerdictConfig config;
  config.suspicious_score = suspicious->first;
  config.suspicious_severity = suspicious->second;
  config.malicious_score = malicious->first;
  config.malicious_severity = malicious->second;
  return config;
}

}  // namespace smssaudit::rules::detail
