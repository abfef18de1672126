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

/// The SYSTEM hive as audited: the on-disk primary file, or, when it is dirty and its
/// transaction logs replay, the replayed image, with the on-disk state kept for the comparison.
struct SystemState {
  std::optional<facts::SystemHive> audited;
  std::optional<facts::SystemHive> on_disk;  ///< set only when `audited` is the replayed image
};

bool any_log_content(const std::vector<facts::HiveLogFile>& logs) {
  return std::any_of(
      logs.begin(), logs.end(), [](const facts::HiveLogFile& l) { return l.size > 0; });
}

/// Reads the SYSTEM hive and, when it is dirty, replays its logs in memory (issue 5): since
/// Windows 8.1 the newest changes may live only in SYSTEM.LOG1/LOG2, and libregf alone would show
/// the stale primary. A primary whose base block fails its checksum cannot be opened by libregf
/// at all, yet a log can restore it (REGF: the base block comes from the log with the newest
/// entries), so replay is tried for it too.
SystemState read_system(report::InputEntry& input, DiagnosticSink& sink) {
  SystemState st;
  if (input.evidence.status != "ok") {
    return st;
  }
  const std::string path = input.evidence.path;
  auto disk = readers::read_system_hive(path, sink);
  auto base = disk ? Result<facts::BaseBlock>(disk->base) : readers::read_base_block(path);
  std::vector<facts::HiveLogFile> logs = disk ? disk->logs : readers::find_hive_logs(path);
  bool dirty = base && base->signature_ok && base->dirty();
  if (dirty && any_log_content(logs)) {
    auto replay = readers::replay_hive_files(path, logs, sink);
    if (replay && replay->report.performed) {
      auto image = readers::read_system_hive_image(replay->image, path, sink);
      if (image) {
        image->path = path;
        image->base = *base;  // the report describes the file on disk; `replay` the rest
        image->logs = logs;
        image->replay = replay->report;
        st.audited = std::move(*image);
        if (disk) {
          st.on_disk = std::move(*disk);
        }
        return st;
      }
      sink.add(DiagLevel::kError, "replay.image_unreadable", path, "", image.error().message());
    }
    if (replay && disk) {
      disk->replay = replay->report;  // attempted: the report says why nothing applied
    }
  }
  if (!disk) {
    input.evidence.status = "unreadable";
    sink.add(DiagLevel::kError, to_string(disk.error().code), path, "", disk.error().message());
    return st;
  }
  st.audited = std::move(*disk);
  return st;
}

/// Registry values the transaction logs changed (registry.replay_change facts).
std::vector<rules::ChangedValue> changed_values(const std::vector<facts::Fact>& facts) {
  std::vector<rules::ChangedValue> out;
  for (const auto& f : facts) {
    if (f.kind == "registry.replay_change" && !f.evidence.empty()) {
      out.push_back({f.evidence.front().key_path, f.evidence.front().value_name});
    }
  }
  return out;
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
  SystemState state = read_system(rep.inputs[0], sink);
  std::optional<facts::SystemHive>& system = state.audited;
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
    in.on_disk = state.on_disk ? &*state.on_disk : nullptr;
    in.software = software ? &*software : nullptr;
    in.system_sha256 = rep.inputs[0].evidence.sha256;
    in.software_sha256 = software ? rep.inputs[1].evidence.sha256 : std::string();
    in.baselines = &request.catalog->baselines;
    in.site = request.site_baseline;
    analysis::AuditOutput audit = analysis::audit_session_manager(in);

    // 4. Rules judge the facts. A dirty hive whose logs did not replay completely may hide newer
    //    values, so every finding from it carries medium confidence. Findings on values that
    //    only the logs held were made shortly before acquisition: their priority is raised.
    bool recovered = system->replay && system->replay->performed && system->replay->recovered &&
                     !system->replay->sequence_gap;
    std::string confidence = system->base.dirty() && !recovered ? "medium" : "high";
    report::HostReport host;
    host.name = audit.computer_name.empty() ? request.system_hive : audit.computer_name;
    host.findings = rules::evaluate(request.catalog->rules, audit.facts, confidence);
    rules::raise_priority_for_changed_values(host.findings, changed_values(audit.facts));
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
