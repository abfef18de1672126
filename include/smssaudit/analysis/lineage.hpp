// smss lineage analysis: normalised event logs (+ the hive's boot programs) in, the historic smss
// process tree boot by boot, lineage.* rule facts and coverage gaps out (design.md 3.2, 3.3).
// It computes derived fields only; judging them is the rules' job (rules/lineage/LIN-*.yaml).
#pragma once

#include "smssaudit/facts/coverage.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/lineage.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace smssaudit::analysis {

/// One entry of a BootExecute-family value in one control set.
struct BootProgram {
  std::string control_set;  ///< "ControlSet001"
  std::string slot;         ///< "BootExecute", "SetupExecute", ...
  std::string command;      ///< the entry as stored
  std::string image;        ///< program token, e.g. "autochk" or "C:\x\evil.exe"
  /// The entry is allowed by the OS or site baseline (registry.execute_entry `allowed`), e.g. a
  /// known AV boot-time scanner. Added for LIN-022: a confirmed run of an allowed program is not
  /// a finding. Leave false when unknown.
  bool allowed = false;
};

struct LineageInput {
  /// Any mix of channels, any number of files per channel (rolled-over archives included).
  std::vector<const facts::EventLogFile*> logs;
  bool hive_available = false;             ///< a SYSTEM hive with control sets was audited
  std::vector<BootProgram> boot_programs;  ///< from every control set (empty when no hive)
  std::map<std::string, std::string> sha256_by_path;  ///< artifact path -> SHA-256 (evidence)
  // No thresholds here: rules compare the facts with their own thresholds.
};

struct LineageOutput {
  facts::Lineage lineage;  ///< for the reporters (JSON "lineage" block, text tree)
  /// lineage.* facts, sorted by kind then identity; empty when they went to a FactSink.
  std::vector<facts::Fact> facts;
  std::vector<facts::CoverageGap> gaps;  ///< lineage.* codes; any gap makes "clean" inconclusive
};

/// Rebuilds boots, smss instances, sessions and coverage from the logs. Deterministic: the same
/// input always gives the same output (no wall clock, everything sorted).
///
/// Gap codes: lineage.no_event_logs (no log given), lineage.no_process_events (logs but no 4688
/// and no Sysmon 1), lineage.log_cleared (one per 1102/104), lineage.no_boot_observed (process
/// events but no master smss creation in any boot).
LineageOutput analyze_lineage(const LineageInput& input);

/// Receives lineage.* facts as they are made: one batch per boot, in boot order, then one batch
/// of log-clear and clock-change facts.
using FactSink = std::function<void(std::vector<facts::Fact>)>;

/// The same analysis, handing the facts to `sink` instead of keeping them (out.facts stays
/// empty). A 1 GB Security log gives ~60,000 facts of which rules keep a handful; streamed, they
/// never exist all at once (issue 8). The facts are those analyze_lineage returns, in creation
/// order rather than sorted.
LineageOutput analyze_lineage(const LineageInput& input, const FactSink& sink);

}  // namespace smssaudit::analysis
