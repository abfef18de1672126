// Session Manager configuration audit: SYSTEM/SOFTWARE facts + baselines in, rule facts out.
// Computes derived fields only; judging is the rules' job.
#pragma once

#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/facts/coverage.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/registry.hpp"

#include <string>
#include <vector>

namespace smssaudit::analysis {

struct AuditInput {
  const facts::SystemHive* system = nullptr;  ///< required: the state to audit
  /// The primary file as stored, when `system` is the state replayed from its transaction logs:
  /// every audited value that differs becomes a registry.replay_change fact.
  const facts::SystemHive* on_disk = nullptr;
  const facts::SoftwareHive* software = nullptr;  ///< optional
  std::string system_sha256;
  std::string software_sha256;
  const std::vector<facts::Baseline>* baselines = nullptr;  ///< OS baselines from the catalogue
  const facts::Baseline* site = nullptr;                    ///< --baseline, optional
};

struct AuditOutput {
  std::vector<facts::Fact> facts;  ///< sorted by kind, then identity
  std::vector<facts::CoverageGap> gaps;
  std::string os_family;      ///< "win10", ... or "generic"
  std::string family_basis;   ///< "software:CurrentBuild=19041", "system-hints:...", "none"
  std::string baseline_id;    ///< baseline used (after merging the site file)
  std::string computer_name;  ///< from the current control set, "" when unknown
};

AuditOutput audit_session_manager(const AuditInput& input);

}  // namespace smssaudit::analysis
