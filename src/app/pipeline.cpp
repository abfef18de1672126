// The scan pipeline, one direction only (design.md 3). Each stage sees only the one before it.
#include "smssaudit/app/pipeline.hpp"

#include "smssaudit/analysis/smss_config_audit.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/rules/engine.hpp"

#include <algorithm>

namespace smssaudit::app {
namespace {

/// Hashes an artifact for the inputs list. A file that cannot even be stat'ed is listed as
/// "missing"/"unreadable" with the reason, never silently dropped.
report::InputEntry describe(const std::string& path,
                            const std::string& kind,
                            DiagnosticSink& sink) {
  report::InputEntry entry;
  auto described = evidence::describe_file(path, kind);
  if (described) {
    entry.evidence = *described;
  } else {
    entry.evidence.path = path;
    entry.evidence.kind = kind;
    entry.evidence.status =
        described.error().code == ErrorCode::kNotFound ? "missing" : "unreadable";
    sink.add(DiagLevel::kError, "input.unreadable", path, "", described.error().message());
  }
  return entry;
}

/// Runs a hive reader on an input that could be hashed; a reader failure marks the input
/// unreadable with the reason instead of stopping the run.
template <typename Reader>
auto read_hive(report::InputEntry& input, Reader reader, DiagnosticSink& sink) -> std::optional<
    typename std::invoke_result_t<Reader, const std::string&, DiagnosticSink&>::value_type> {
  if (input.evidence.status != "ok") {
    return std::nullopt;
  }
  auto read = reader(input.evidence.path, sink);
  if (!read) {
    input.evidence.status = "unreadable";
    sink.add(DiagLevel::kError,
             to_string(read.error().code),
             input.evidence.path,
             "",
             read.error().message());
    return std::nullopt;
  }
  return std::move(*read);
}

/// Diagnostics about an input go with it in the report; anything else is run-level.
void distribute_diagnostics(const DiagnosticSink& sink, report::Report& rep) {
  for (const auto& d : sink.items()) {
    auto it = std::find_if(rep.inputs.begin(), rep.inputs.end(), [&](const report::InputEntry& e) {
      return e.evidence.path == d.source;
    });
    if (it != rep.inputs.end()) {
      it->diagnostics.push_back(d);
    } else {
      rep.diagnostics.push_back(d);
    }
  }
}

}  // namespace

ScanOutcome run_scan(const ScanRequest& request) {
  ScanOutcome outcome;
  report::Report& rep = outcome.report;
  rep.tool_version = request.tool_version;
  rep.ruleset_sha256 = request.catalog->sha256;
  rep.ruleset_count = request.catalog->rules.size();
  DiagnosticSink sink;

  // 1. Evidence: size and SHA-256 of every artifact before anything parses it, so the report
  //    pins exactly which bytes were analysed.
  rep.inputs.push_back(describe(request.system_hive, evidence::kKindSystemHive, sink));
  if (!request.software_hive.empty()) {
    rep.inputs.push_back(describe(request.software_hive, evidence::kKindSoftwareHive, sink));
  }

  // 2. Readers: SYSTEM is required; without it there is nothing to audit (exit 3). SOFTWARE is
  //    optional context (OS build, SystemRoot): a bad one costs precision, not the run.
  std::optional<facts::SystemHive> system =
      read_hive(rep.inputs[0], readers::read_system_hive, sink);
  std::optional<facts::SoftwareHive> software;
  if (rep.inputs.size() > 1) {
    software = read_hive(rep.inputs[1], readers::read_software_hive, sink);
  }
  if (system) {
    // Log files found beside the hive are artifacts too: list them with their hashes.
    for (const auto& log : system->logs) {
      rep.inputs.push_back(describe(log.path, evidence::kKindHiveLog, sink));
    }
  }

  if (system) {
    // 3. Analysis: derived facts and coverage gaps; no judgement here.
    analysis::AuditInput in;
    in.system = &*system;
    in.software = software ? &*software : nullptr;
    in.system_sha256 = rep.inputs[0].evidence.sha256;
    in.software_sha256 = software ? rep.inputs[1].evidence.sha256 : std::string();
    in.baselines = &request.catalog->baselines;
    in.site = request.site_baseline;
    analysis::AuditOutput audit = analysis::audit_session_manager(in);

    // 4. Rules judge the facts. A dirty hive means the audited values may be stale, so every
    //    finding from it carries medium confidence.
    std::string confidence = system->base.dirty() ? "medium" : "high";
    report::HostReport host;
    host.name = audit.computer_name.empty() ? request.system_hive : audit.computer_name;
    host.findings = rules::evaluate(request.catalog->rules, audit.facts, confidence);
    host.coverage = audit.gaps;
    // 5. Verdict: never "clean" with a coverage gap.
    host.verdict = rules::compute_verdict(host.findings, host.coverage, request.catalog->verdict);
    host.os.family = audit.os_family;
    host.os.family_basis = audit.family_basis;
    host.os.baseline = audit.baseline_id;
    host.os.software = software;
    host.system = std::move(system);
    // Without a single ControlSetNNN there is no Session Manager to audit: the host is still
    // reported (what could be read, and why it is inconclusive) but the run has no usable evidence.
    outcome.usable = !host.system->control_sets.empty();
    if (!outcome.usable) {
      sink.add(DiagLevel::kError,
               "registry.no_control_sets",
               request.system_hive,
               "",
               "no ControlSetNNN key: not a SYSTEM hive, or too damaged to audit");
    }
    rep.hosts.push_back(std::move(host));
  }

  // 6. Diagnostics go to the input they concern; the rest are run-level.
  distribute_diagnostics(sink, rep);
  return outcome;
}

}  // namespace smssaudit::app
