// The three catalogue file kinds, parsed from an already-loaded YAML document (private to
// src/rules). Each parser reports every problem it finds and returns nullopt when it found any,
// so a half-valid rule never reaches the engine.
#pragma once

#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/rules/catalog.hpp"
#include "smssaudit/rules/rule.hpp"
#include "strict_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace smssaudit::rules::detail {

/// A rule file (top-level `id:`), validated against facts::schema().
std::optional<Rule> parse_rule(const YAML::Node& root, Problems& p);

/// A baseline file (top-level `baseline:`). A site baseline (--baseline FILE) has no `families`
/// and gets the id "site:<baseline>".
std::optional<facts::Baseline> parse_baseline(const YAML::Node& root, bool site, Problems& p);

/// A verdict thresholds file (top-level `verdict:`).
std::optional<VerdictConfig> parse_verdict(const YAML::Node& root, Problems& p);

}  // namespace smssaudit::rules::detail
