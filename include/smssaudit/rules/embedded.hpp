// The built-in rule catalogue, embedded at build time by scripts/cmake/EmbedRules.cmake.
#pragma once

#include <span>
#include <string_view>

namespace smssaudit::rules {

struct EmbeddedFile {
  std::string_view path;  ///< "rules/smss/SMSS-001-....yaml"
  std::string_view text;
};

/// Every YAML file under rules/ (rules, baselines, verdict thresholds), sorted by path.
std::span<const EmbeddedFile> builtin_rule_files();

}  // namespace smssaudit::rules
