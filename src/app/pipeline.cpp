// The scan pipeline, one direction only (design.md 3). Each stage sees only the one before it.
#include "smssaudit/app/pipeline.hpp"

#include "app/event_log_stage.hpp"
#include "smssaudit/analysis/lineage.hpp"
#include "smssaudit/analysis/smss_config_audit.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/locate.hpp"
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

/// Registry audit of one SYSTEM hive (plus optional SOFTWARE), or nothing when there is none.
struct RegistryPart {
  std::optional<facts::SystemHive> system;
  std::optional<facts::SoftwareHive> software;
  std::optional<analysis::AuditOutput> audit;
  std::string confidence = "high";
};

/// BootExecute-family entries of every control set, for the registry x events correlation.
std::vector<analysis::BootProgram> boot_programs(const std::vector<facts::Fact>& facts) {
  std::vector<analysis::BootProgram> out;
  for (const auto& f : facts) {
    if (f.kind != "registry.execute_entry") {
      continue;
    }
    auto str = [&f](const char* name) {
      const facts::FieldValue* v = f.get(name);
      return v != nullptr ? facts::field_to_string(*v) : std::string();
    };
    const facts::FieldValue* allowed = f.get("allowed");
    const bool* is_allowed = allowed != nullptr ? std::get_if<bool>(allowed) : nullptr;
    out.push_back({str("control_set"),
                   str("slot"),
                   str("command"),
                   str("image"),
                   is_allowed != nullptr && *is_allowed});
  }
  return out;
}

/// Chooses the SYSTEM and SOFTWARE hives among what the locator found. One installation per
/// report for now: extra SYSTEM hives (RegBack copies, a second host) are listed but not used.
void add_hive_inputs(const readers::LocatedEvidence& located,
                     const ScanRequest& request,
                     report::Report& rep,
                     DiagnosticSink& sink) {
  for (std::size_t i = 0; i < located.system_hives.size(); ++i) {
    rep.inputs.push_back(describe(located.system_hives[i].path, evidence::kKindSystemHive, sink));
    if (i > 0) {
      rep.inputs.back().evidence.status = "not_used";
      sink.add(DiagLevel::kWarning,
               "input.extra_system_hive",
               located.system_hives[i].path,
               "",
               "another SYSTEM hive was found; only " + located.system_hives[0].path +
                   " is audited in this report");
    }
  }
  std::string software = request.software_hive;
  if (software.empty() && !located.software_hives.empty()) {
    software = located.software_hives.front().path;
  }
  if (!software.empty()) {
    rep.inputs.push_back(describe(software, evidence::kKindSoftwareHive, sink));
  }
}

report::InputEntry* find_input(report::Report& rep, const char* kind) {
  for (auto& in : rep.inputs) {
    if (in.evidence.kind == kind && in.evidence.status != "not_used") {
      return &in;
    }
  }
  return nullptr;
}

RegistryPart read_registry(report::Report& rep,
                           const ScanRequest& request,
                           DiagnosticSink& sink,
                           std::optional<facts::SystemHive>& on_disk) {
  RegistryPart part;
  report::InputEntry* sys_in = find_input(rep, evidence::kKindSystemHive);
  report::InputEntry* soft_in = find_input(rep, evidence::kKindSoftwareHive);
  if (sys_in == nullptr) {
    return part;
  }
  const std::string system_sha = sys_in->evidence.sha256;
  SystemState state = read_system(*sys_in, sink);
  part.system = std::move(state.audited);
  on_disk = std::move(state.on_disk);
  std::string software_sha;
  if (soft_in != nullptr) {
    software_sha = soft_in->evidence.sha256;
    part.software = read_hive(*soft_in, readers::read_software_hive, sink);
  }
  if (!part.system) {
    return part;
  }
  // Log files found beside the hive are artifacts too: list them with their hashes.
  for (const auto& log : part.system->logs) {
    rep.inputs.push_back(describe(log.path, evidence::kKindHiveLog, sink));
  }
  analysis::AuditInput in;
  in.system = &*part.system;
  in.on_disk = on_disk ? &*on_disk : nullptr;
  in.software = part.software ? &*part.software : nullptr;
  in.system_sha256 = system_sha;
  in.software_sha256 = software_sha;
  in.baselines = &request.catalog->baselines;
  in.site = request.site_baseline;
  part.audit = analysis::audit_session_manager(in);
  // A dirty hive whose logs did not replay completely may hide newer values, so every finding
  // from it carries medium confidence.
  const auto& replay = part.system->replay;
  const bool recovered = replay && replay->performed && replay->recovered && !replay->sequence_gap;
  part.confidence = part.system->base.dirty() && !recovered ? "medium" : "high";
  return part;
}

}  // namespace

ScanOutcome run_scan(const ScanRequest& request) {
  ScanOutcome outcome;
  report::Report& rep = outcome.report;
  rep.tool_version = request.tool_version;
  rep.ruleset_sha256 = request.catalog->sha256;
  rep.ruleset_count = request.catalog->rules.size();
  DiagnosticSink sink;

  // 1. Evidence: what each input is (by content), then size and SHA-256 of every artifact before
  //    anything parses it, so the report pins exactly which bytes were analysed.
  const readers::LocatedEvidence located = readers::locate_evidence(request.evidence, sink);
  add_hive_inputs(located, request, rep, sink);
  for (const auto& log : located.event_logs) {
    rep.inputs.push_back(describe(log.path, evidence::kKindEventLog, sink));
  }
  for (const auto& missing : located.missing) {
    rep.inputs.push_back(describe(missing, evidence::kKindUnknown, sink));  // status "missing"
  }
  for (const auto& unknown : located.unrecognised) {
    report::InputEntry entry = describe(unknown.path, evidence::kKindUnknown, sink);
    entry.evidence.status = "unrecognised";
    rep.inputs.push_back(std::move(entry));
  }

  // 2. Readers. SYSTEM is optional now that event logs alone can be analysed; SOFTWARE is
  //    context (OS build, SystemRoot): a bad one costs precision, not the run.
  std::optional<facts::SystemHive> on_disk;
  RegistryPart registry = read_registry(rep, request, sink, on_disk);
  readers::EvtxReadOptions evtx_options;
  evtx_options.engine = request.evtx_engine == "libevtx" ? readers::EvtxEngine::kLibevtx
                                                         : readers::EvtxEngine::kNative;
  const std::vector<facts::EventLogFile> logs = read_event_logs(rep, evtx_options, sink);

  // 3. Analyses: derived facts and coverage gaps; no judgement here.
  analysis::LineageInput lin_in;
  for (const auto& log : logs) {
    lin_in.logs.push_back(&log);
  }
  const bool hive_usable = registry.system && !registry.system->control_sets.empty();
  lin_in.hive_available = hive_usable;
  if (registry.audit) {
    lin_in.boot_programs = boot_programs(registry.audit->facts);
  }
  for (const auto& in : rep.inputs) {
    lin_in.sha256_by_path[in.evidence.path] = in.evidence.sha256;
  }
  analysis::LineageOutput lineage = analysis::analyze_lineage(lin_in);

  // 4. Rules judge the facts. Findings on values that only the hive's logs held were made
  //    shortly before acquisition: their priority is raised.
  report::HostReport host;
  if (registry.audit) {
    host.findings =
        rules::evaluate(request.catalog->rules, registry.audit->facts, registry.confidence);
    rules::raise_priority_for_changed_values(host.findings, changed_values(registry.audit->facts));
    host.coverage = registry.audit->gaps;
    host.name = registry.audit->computer_name;
    host.os.family = registry.audit->os_family;
    host.os.family_basis = registry.audit->family_basis;
    host.os.baseline = registry.audit->baseline_id;
  } else {
    host.coverage.push_back({"registry.no_system_hive",
                             "no usable SYSTEM hive: the Session Manager configuration was not "
                             "audited"});
  }
  auto lineage_findings = rules::evaluate(request.catalog->rules, lineage.facts, "high");
  host.findings.insert(host.findings.end(), lineage_findings.begin(), lineage_findings.end());
  rules::sort_findings(host.findings);
  host.coverage.insert(host.coverage.end(), lineage.gaps.begin(), lineage.gaps.end());
  host.lineage = std::move(lineage.lineage);
  host.os.software = registry.software;
  if (host.name.empty()) {
    host.name = request.evidence.empty() ? std::string("unknown") : request.evidence.front();
  }

  // 5. Verdict: never "clean" with a coverage gap.
  host.verdict = rules::compute_verdict(host.findings, host.coverage, request.catalog->verdict);

  // Usable evidence: a SYSTEM hive with at least one ControlSetNNN, or an event log that could be
  // read. Without either the host is still reported (what was read, and why) but exit code is 3.
  const bool logs_usable = std::any_of(
      logs.begin(), logs.end(), [](const auto& l) { return l.records + l.recovered > 0; });
  outcome.usable = hive_usable || logs_usable;
  if (registry.system && !hive_usable) {
    sink.add(DiagLevel::kError,
             "registry.no_control_sets",
             registry.system->path,
             "",
             "no ControlSetNNN key: not a SYSTEM hive, or too damaged to audit");
  }
  host.system = std::move(registry.system);
  if (host.system || !logs.empty() || outcome.usable) {
    rep.hosts.push_back(std::move(host));
  }

  // 6. Diagnostics go to the input they concern; the rest are run-level.
  distribute_diagnostics(sink, rep);
  return outcome;
}

}  // namespace smssaudit::app
