// Report: the plain struct every reporter renders (style.md 2.5). Reporters never analyse.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/facts/coverage.hpp"
#include "smssaudit/facts/lineage.hpp"
#include "smssaudit/facts/registry.hpp"
#include "smssaudit/rules/engine.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace smssaudit::report {

struct InputEntry {
  evidence::Evidence evidence;
  std::vector<Diagnostic> diagnostics;
};

struct OsInfo {
  std::string family;        ///< baseline family
  std::string family_basis;  ///< how it was chosen
  std::string baseline;      ///< baseline id used
  std::optional<facts::SoftwareHive> software;
};

struct HostReport {
  std::string name;  ///< ComputerName, else the SYSTEM file's path
  OsInfo os;
  std::optional<facts::SystemHive> system;  ///< absent when the SYSTEM hive was unusable
  facts::Lineage lineage;                   ///< lineage.analyzed is false without event logs
  std::vector<facts::CoverageGap> coverage;
  std::vector<rules::Finding> findings;
  rules::Verdict verdict;
};

struct Report {
  std::string tool_name = "smssaudit";
  std::string tool_version;
  std::string ruleset_sha256;
  std::size_t ruleset_count = 0;
  std::vector<InputEntry> inputs;
  std::vector<HostReport> hosts;
  std::vector<Diagnostic> diagnostics;  ///< run-level diagnostics not tied to one input
};

/// `--format json`: the contract of design.md 4 ("schema": "smssaudit.report/1"), stable key
/// order, 2-space indentation, trailing newline.
void write_json(const Report& report, std::ostream& out);

struct TextOptions {
  bool color = false;
  bool verbose = false;  ///< also list info findings and every captured value
};

/// `--format text`: summary, verdict, findings by severity, per-control-set highlights.
void write_text(const Report& report, std::ostream& out, const TextOptions& options);

}  // namespace smssaudit::report
