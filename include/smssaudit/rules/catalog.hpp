// The rule catalogue: rules, OS baselines and verdict thresholds, loaded strictly from YAML with
// every error collected and reported as file:line (yara, hayabusa, chainsaw).
#pragma once

#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/rules/rule.hpp"

#include <string>
#include <vector>

namespace smssaudit::rules {

/// Verdict thresholds (rules/verdict.yaml). A host is "malicious" when its score reaches
/// malicious_score or a finding reaches malicious_severity; "suspicious" likewise.
struct VerdictConfig {
  int suspicious_score = 20;
  Level suspicious_severity = Level::kMedium;
  int malicious_score = 70;
  Level malicious_severity = Level::kCritical;
};

/// A YAML file to load: `path` is used in error messages, `text` is its content.
struct SourceFile {
  std::string path;
  std::string text;
};

struct Catalog {
  std::vector<Rule> rules;                 ///< sorted by id
  std::vector<facts::Baseline> baselines;  ///< OS baselines, sorted by id
  VerdictConfig verdict;
  std::string sha256;  ///< over every loaded file (path + text), in load order

  const Rule* find_rule(const std::string& id) const;
};

struct CatalogLoad {
  Catalog catalog;
  std::vector<std::string> errors;  ///< "file:line: message", every problem found

  bool ok() const noexcept { return errors.empty(); }
};

/// Loads `base` (the built-in files), then `overlay` (a --rules DIR): an overlay rule with an
/// existing id replaces it, a new id adds it, an overlay baseline replaces the one with its id,
/// an overlay verdict.yaml replaces the thresholds. Duplicate ids within one set are errors.
/// File kinds are told by content: `id:` = rule, `baseline:` = baseline, `verdict:` = thresholds.
CatalogLoad load_catalog(const std::vector<SourceFile>& base,
                         const std::vector<SourceFile>& overlay);

/// The embedded catalogue files.
std::vector<SourceFile> builtin_sources();

/// Every *.yaml below `dir`, sorted by path. Throws FatalError(2) when `dir` is unreadable.
std::vector<SourceFile> read_sources(const std::string& dir);

/// Loads one site baseline file (--baseline). Errors as file:line.
struct BaselineLoad {
  facts::Baseline baseline;
  std::vector<std::string> errors;
};

BaselineLoad load_site_baseline(const SourceFile& file);

/// Runs every rule's examples: each `match` example must match, each `no_match` must not, and
/// every rule needs at least one of each. Returns "file:line: ..." failures.
std::vector<std::string> check_examples(const Catalog& catalog);

}  // namespace smssaudit::rules
