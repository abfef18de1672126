// The scan pipeline, one direction only (design.md 3). Each stage sees only the one before it.
#include "smssaudit/app/pipeline.hpp"

#include "app/event_log_stage.hpp"
#include "app/isolate.hpp"
#include "smssaudit/analysis/lineage.hpp"
#include "smssaudit/analysis/smss_config_audit.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/locate.hpp"
#include "smssaudit/rules/engine.hpp"

#include <algorithm>
#include <map>

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

/// Same for an artifact the locator found: a file on disk by path, a file inside a disk image
/// through its ByteSource (with its location in the image for provenance).
report::InputEntry describe(const readers::LocatedArtifact& artifact,
                            const std::string& kind,
                            DiagnosticSink& sink) {
  if (!artifact.open) {
    return describe(artifact.path, kind, sink);
  }
  report::InputEntry entry;
  auto source = artifact.open();
  auto described = source ? evidence::describe_source(**source, kind)
                          : Result<evidence::Evidence>(fail(std::move(source).error()));
  if (described) {
    entry.evidence = *described;
  } else {
    entry.evidence.path = artifact.path;
    entry.evidence.kind = kind;
    entry.evidence.status = "unreadable";
    sink.add(DiagLevel::kError, "input.unreadable", artifact.path, "", described.error().message());
  }
  entry.evidence.location = artifact.location;
  return entry;
}

/// Hives read from a disk image are read into memory (libregf opens them through a libbfio
/// memory range); the largest real SYSTEM hives are tens of MiB, SOFTWARE a few hundred.
constexpr std::uint64_t kMaxHiveBytes = 1ULL << 30;

Result<std::vector<std::uint8_t>> read_whole(const readers::LocatedArtifact& artifact) {
  auto source = artifact.open();
  if (!source) {
    return fail(std::move(source).error());
  }
  const std::uint64_t size = (*source)->size();
  if (size > kMaxHiveBytes) {
    return fail(ErrorCode::kIo,
                artifact.path,
                "declared size " + std::to_string(size) + " bytes exceeds the 1 GiB hive limit");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  auto got = (*source)->read_at(0, bytes);
  if (!got) {
    return fail(std::move(got).error());
  }
  bytes.resize(*got);
  return bytes;
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

/// The shared end of read_system() and read_system_image(): the replayed image when a replay
/// applied and the image opens (the on-disk state kept for the comparison), else the on-disk hive,
/// carrying the replay report when one was attempted (it says why nothing applied).
SystemState settle_system(report::InputEntry& input,
                          const std::string& path,
                          const Result<facts::BaseBlock>& base,
                          const std::vector<facts::HiveLogFile>& logs,
                          Result<facts::SystemHive> disk,
                          const std::optional<Result<readers::ReplayOutcome>>& replay,
                          const ParserRunner& runner,
                          DiagnosticSink& sink) {
  SystemState st;
  if (replay && *replay && (*replay)->report.performed) {
    // The replay is our own code; libregf's parse of the replayed image is what may crash.
    auto image = runner.system_hive_image((*replay)->image, path, sink);
    if (image) {
      image->path = path;
      image->base = *base;  // the report describes the file on disk; `replay` the rest
      image->logs = logs;
      image->replay = (*replay)->report;
      st.audited = std::move(*image);
      if (disk) {
        st.on_disk = std::move(*disk);
      }
      return st;
    }
    sink.add(DiagLevel::kError, "replay.image_unreadable", path, "", image.error().message());
  }
  if (!disk) {
    input.evidence.status = "unreadable";
    sink.add(DiagLevel::kError, to_string(disk.error().code), path, "", disk.error().message());
    return st;
  }
  if (replay && *replay) {
    disk->replay = (*replay)->report;
  }
  st.audited = std::move(*disk);
  return st;
}

/// Reads the SYSTEM hive and, when it is dirty, replays its logs in memory (issue 5): since
/// Windows 8.1 the newest changes may live only in SYSTEM.LOG1/LOG2, and libregf alone would show
/// the stale primary. A primary whose base block fails its checksum cannot be opened by libregf
/// at all, yet a log can restore it (REGF: the base block comes from the log with the newest
/// entries), so replay is tried for it too.
SystemState read_system(report::InputEntry& input,
                        const ParserRunner& runner,
                        DiagnosticSink& sink) {
  SystemState st;
  if (input.evidence.status != "ok") {
    return st;
  }
  const std::string path = input.evidence.path;
  auto disk = runner.system_hive(path, sink);
  auto base = disk ? Result<facts::BaseBlock>(disk->base) : readers::read_base_block(path);
  std::vector<facts::HiveLogFile> logs = disk ? disk->logs : readers::find_hive_logs(path);
  std::optional<Result<readers::ReplayOutcome>> replay;
  if (base && base->signature_ok && base->dirty() && any_log_content(logs)) {
    replay = readers::replay_hive_files(path, logs, sink);
  }
  return settle_system(input, path, base, logs, std::move(disk), replay, runner, sink);
}

/// Transaction logs of a hive inside an image, read into memory for the replay.
struct HiveLogs {
  std::vector<facts::HiveLogFile> facts;
  std::vector<std::vector<std::uint8_t>> bytes;  ///< owns what `inputs` point into
  std::vector<readers::LogInput> inputs;
};

HiveLogs read_hive_logs(const std::vector<readers::LocatedArtifact>& log_artifacts) {
  HiveLogs out;
  out.bytes.reserve(log_artifacts.size());  // `inputs` keep spans into these buffers
  for (const auto& la : log_artifacts) {
    facts::HiveLogFile log;
    log.path = la.path;
    auto lb = read_whole(la);
    readers::LogInput in{la.path, {}, ""};
    if (lb) {
      log.size = lb->size();
      if (auto bb = readers::parse_base_block(*lb, lb->size())) {
        log.base = *bb;
      }
      out.bytes.push_back(std::move(*lb));
      in.bytes = out.bytes.back();
    } else {
      in.unreadable = lb.error().message();
    }
    out.facts.push_back(std::move(log));
    out.inputs.push_back(std::move(in));
  }
  return out;
}

/// read_system() for a SYSTEM hive inside a disk image: the hive and its logs are read into
/// memory, replayed there when the hive is dirty, and opened from memory.
SystemState read_system_image(report::InputEntry& input,
                              const readers::LocatedArtifact& hive,
                              const std::vector<readers::LocatedArtifact>& log_artifacts,
                              const ParserRunner& runner,
                              DiagnosticSink& sink) {
  SystemState st;
  if (input.evidence.status != "ok") {
    return st;
  }
  const std::string& path = hive.path;
  auto bytes = read_whole(hive);
  if (!bytes) {
    input.evidence.status = "unreadable";
    sink.add(DiagLevel::kError, to_string(bytes.error().code), path, "", bytes.error().message());
    return st;
  }
  auto base = readers::parse_base_block(*bytes, bytes->size());
  const HiveLogs hive_logs = read_hive_logs(log_artifacts);
  const std::vector<facts::HiveLogFile>& logs = hive_logs.facts;
  const std::vector<readers::LogInput>& log_inputs = hive_logs.inputs;
  auto disk = runner.system_hive_image(*bytes, path, sink);
  if (disk) {
    disk->path = path;
    disk->logs = logs;
  }
  std::optional<Result<readers::ReplayOutcome>> replay;
  if (base && base->signature_ok && base->dirty() && any_log_content(logs)) {
    replay = readers::replay_hive(*bytes, path, log_inputs, sink);
  }
  return settle_system(input, path, base, logs, std::move(disk), replay, runner, sink);
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

/// Chooses the SYSTEM and SOFTWARE hives of one installation among what the locator found. Extra
/// SYSTEM hives of the same installation (RegBack copies) are listed but not used.
void add_hive_inputs(const readers::HostEvidence& located,
                     const std::string& software_override,
                     report::Report& rep,
                     DiagnosticSink& sink) {
  for (std::size_t i = 0; i < located.system_hives.size(); ++i) {
    rep.inputs.push_back(describe(located.system_hives[i], evidence::kKindSystemHive, sink));
    if (i > 0) {
      rep.inputs.back().evidence.status = "not_used";
      sink.add(DiagLevel::kWarning,
               "input.extra_system_hive",
               located.system_hives[i].path,
               "",
               "another SYSTEM hive was found; only " + located.system_hives[0].path +
                   " is audited for this installation");
    }
  }
  if (!software_override.empty()) {
    rep.inputs.push_back(describe(software_override, evidence::kKindSoftwareHive, sink));
  } else if (!located.software_hives.empty()) {
    rep.inputs.push_back(
        describe(located.software_hives.front(), evidence::kKindSoftwareHive, sink));
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

/// The located artifact an input was described from; nullptr for a path given by option.
const readers::LocatedArtifact* artifact_of(const readers::HostEvidence& located,
                                            const report::InputEntry& input) {
  for (const auto* list : {&located.system_hives, &located.software_hives, &located.hive_logs}) {
    for (const auto& a : *list) {
      if (a.path == input.evidence.path) {
        return &a;
      }
    }
  }
  return nullptr;
}

/// How libregf is called for a hive: in a child process when the scan's isolation setting says
/// so for where it came from (a disk image or a file).
ParserRunner runner_for(const ScanRequest& request, const readers::LocatedArtifact* artifact) {
  return parser_runner(request.isolation,
                       request.isolate_timeout,
                       artifact != nullptr && artifact->location.has_value());
}

/// The SOFTWARE hive: a file by its path, or one inside a disk image read into memory first.
std::optional<facts::SoftwareHive> read_software(report::InputEntry& input,
                                                 const readers::HostEvidence& located,
                                                 const ScanRequest& request,
                                                 DiagnosticSink& sink) {
  const readers::LocatedArtifact* artifact = artifact_of(located, input);
  const ParserRunner runner = runner_for(request, artifact);
  if (artifact != nullptr && artifact->open) {
    return read_hive(
        input,
        [artifact, &runner](const std::string& path,
                            DiagnosticSink& s) -> Result<facts::SoftwareHive> {
          auto bytes = read_whole(*artifact);
          if (!bytes) {
            return fail(std::move(bytes).error());
          }
          return runner.software_hive_image(*bytes, path, s);
        },
        sink);
  }
  return read_hive(
      input,
      [&runner](const std::string& path, DiagnosticSink& s) {
        return runner.software_hive(path, s);
      },
      sink);
}

RegistryPart read_registry(report::Report& rep,
                           const readers::HostEvidence& located,
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
  const readers::LocatedArtifact* sys_artifact = artifact_of(located, *sys_in);
  const bool in_image = sys_artifact != nullptr && sys_artifact->open;
  // libregf parses in a child process when isolation applies (app/isolate.hpp): a crash there
  // loses this hive only, reported as "isolate.parser_crashed" through the unreadable path.
  const ParserRunner sys_runner = runner_for(request, sys_artifact);
  SystemState state =
      in_image ? read_system_image(*sys_in, *sys_artifact, located.hive_logs, sys_runner, sink)
               : read_system(*sys_in, sys_runner, sink);
  part.system = std::move(state.audited);
  on_disk = std::move(state.on_disk);
  std::string software_sha;
  if (soft_in != nullptr) {
    software_sha = soft_in->evidence.sha256;
    part.software = read_software(*soft_in, located, request, sink);
  }
  if (!part.system) {
    return part;
  }
  // Log files found beside the hive are artifacts too: list them with their hashes.
  if (in_image) {
    for (const auto& log : located.hive_logs) {
      rep.inputs.push_back(describe(log, evidence::kKindHiveLog, sink));
    }
  } else {
    for (const auto& log : part.system->logs) {
      rep.inputs.push_back(describe(log.path, evidence::kKindHiveLog, sink));
    }
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

/// The expected-artifact checklist of one installation: which of the artifacts smssaudit reads
/// (design.md 2) the scan had. Event logs count by the channel recorded in them, not by file name.
std::vector<report::ExpectedArtifact> artifact_checklist(
    const std::vector<report::InputEntry>& inputs,
    const std::optional<facts::SystemHive>& system,
    const std::vector<facts::EventLogFile>& logs) {
  std::vector<report::ExpectedArtifact> out;
  const auto used = [&inputs](const char* kind) {
    report::ExpectedArtifact a;
    for (const auto& in : inputs) {
      if (in.evidence.kind == kind && in.evidence.status != "not_used" &&
          in.evidence.status != "missing") {
        a.paths.push_back(in.evidence.path);
      }
    }
    a.found = !a.paths.empty();
    return a;
  };
  report::ExpectedArtifact sys = used(evidence::kKindSystemHive);
  sys.artifact = "SYSTEM";
  out.push_back(std::move(sys));
  report::ExpectedArtifact sys_logs;
  sys_logs.artifact = "SYSTEM transaction logs";
  if (system) {
    for (const auto& l : system->logs) {
      sys_logs.paths.push_back(l.path);
    }
  }
  sys_logs.found = !sys_logs.paths.empty();
  out.push_back(std::move(sys_logs));
  report::ExpectedArtifact soft = used(evidence::kKindSoftwareHive);
  soft.artifact = "SOFTWARE";
  out.push_back(std::move(soft));
  for (const char* channel :
       {"Security",
        "System",
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"}) {
    report::ExpectedArtifact a;
    a.artifact = channel;
    for (const auto& l : logs) {
      if (text::iequals(l.channel_name, channel)) {
        a.paths.push_back(l.path);
      }
    }
    a.found = !a.paths.empty();
    out.push_back(std::move(a));
  }
  return out;
}

/// Artifacts whose isolated parser process crashed, failed or timed out: each is a coverage gap
/// of its own, so a host never reads as clean with an artifact lost (even when the other logs
/// would cover for it, e.g. Sysmon for a lost Security log).
std::vector<facts::CoverageGap> lost_artifacts(const std::vector<report::InputEntry>& inputs,
                                               const DiagnosticSink& sink) {
  std::vector<facts::CoverageGap> gaps;
  for (const auto& in : inputs) {
    for (const auto& d : sink.items()) {
      if (d.source == in.evidence.path && d.code == to_string(ErrorCode::kParserCrashed)) {
        std::string why = d.message;
        if (why.rfind(in.evidence.path + ": ", 0) == 0) {
          why.erase(0, in.evidence.path.size() + 2);  // the gap names the artifact already
        }
        gaps.push_back({d.code,
                        in.evidence.path + " (" + in.evidence.kind + ") was lost: " + why +
                            "; the scan went on without it"});
        break;
      }
    }
  }
  return gaps;
}

/// One installation scanned: its report and the inputs it used.
struct HostScan {
  report::HostReport host;
  std::vector<report::InputEntry> inputs;
  bool usable = false;
  bool reported = false;  ///< false when the host had nothing at all to report
};

/// Scans one installation (design.md 3): readers, analyses, rules and verdict. `software` is the
/// --software override (default host only). `fallback_name` names the host when the SYSTEM hive
/// gives no ComputerName.
HostScan scan_host(const readers::HostEvidence& located,
                   const ScanRequest& request,
                   const std::string& software,
                   const std::string& fallback_name,
                   DiagnosticSink& sink) {
  HostScan scan;
  // Inputs are collected in a report of their own, then handed to the caller with the host name.
  report::Report rep;

  // 1. Evidence: size and SHA-256 of every artifact before anything parses it, so the report
  //    pins exactly which bytes were analysed.
  add_hive_inputs(located, software, rep, sink);
  for (const auto& log : located.event_logs) {
    rep.inputs.push_back(describe_event_log(log, sink));
  }

  // 2. Readers. SYSTEM is optional now that event logs alone can be analysed; SOFTWARE is
  //    context (OS build, SystemRoot): a bad one costs precision, not the run.
  std::optional<facts::SystemHive> on_disk;
  RegistryPart registry = read_registry(rep, located, request, sink, on_disk);
  readers::EvtxReadOptions evtx_options;
  evtx_options.engine = request.evtx_engine == "libevtx" ? readers::EvtxEngine::kLibevtx
                                                         : readers::EvtxEngine::kNative;
  const std::vector<facts::EventLogFile> logs = read_event_logs(rep,
                                                                located.event_logs,
                                                                evtx_options,
                                                                sink,
                                                                request.progress,
                                                                request.isolation,
                                                                request.isolate_timeout);

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
  // Lineage facts go straight to the rules, boot by boot: only the matches are kept (issue 8).
  rules::Evaluator lineage_rules(request.catalog->rules, "high");
  analysis::LineageOutput lineage = analysis::analyze_lineage(
      lin_in,
      [&lineage_rules](const std::vector<facts::Fact>& batch) { lineage_rules.add(batch); });

  // 4. Rules judge the facts. Findings on values that only the hive's logs held were made
  //    shortly before acquisition: their priority is raised.
  report::HostReport& host = scan.host;
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
  const std::vector<rules::Finding> lineage_findings = lineage_rules.finish();
  host.findings.insert(host.findings.end(), lineage_findings.begin(), lineage_findings.end());
  rules::sort_findings(host.findings);
  host.coverage.insert(host.coverage.end(), lineage.gaps.begin(), lineage.gaps.end());
  const std::vector<facts::CoverageGap> lost = lost_artifacts(rep.inputs, sink);
  host.coverage.insert(host.coverage.end(), lost.begin(), lost.end());
  host.lineage = std::move(lineage.lineage);
  host.os.software = registry.software;
  host.evidence_root = located.root;
  if (host.name.empty()) {
    host.name = fallback_name;
  }

  // 5. Verdict: never "clean" with a coverage gap.
  host.verdict = rules::compute_verdict(host.findings, host.coverage, request.catalog->verdict);

  // Usable evidence: a SYSTEM hive with at least one ControlSetNNN, or an event log that could be
  // read. Without either the host is still reported (what was read, and why) but exit code is 3.
  const bool logs_usable = std::any_of(
      logs.begin(), logs.end(), [](const auto& l) { return l.records + l.recovered > 0; });
  scan.usable = hive_usable || logs_usable;
  if (registry.system && !hive_usable) {
    sink.add(DiagLevel::kError,
             "registry.no_control_sets",
             registry.system->path,
             "",
             "no ControlSetNNN key: not a SYSTEM hive, or too damaged to audit");
  }
  host.artifacts = artifact_checklist(rep.inputs, registry.system, logs);
  host.system = std::move(registry.system);
  scan.reported = host.system || !logs.empty() || scan.usable;
  scan.inputs = std::move(rep.inputs);
  return scan;
}

/// Host names are keys for people and pipelines (inputs[].host, batch summaries): two hosts of
/// one report never share one. A repeated name gets " (2)", " (3)"...
void make_names_unique(std::vector<HostScan>& scans) {
  std::map<std::string, int> seen;
  for (auto& s : scans) {
    const int n = ++seen[s.host.name];
    if (n > 1) {
      s.host.name += " (" + std::to_string(n) + ")";
    }
  }
}

/// Disk images are listed too, not hashed (they can be terabytes; E01 carries its own hashes):
/// their artifacts are, per host. One with no Windows installation is accounted for here.
void list_images(const readers::LocatedEvidence& located, report::Report& rep) {
  for (const auto& img : located.images) {
    report::InputEntry entry;
    entry.evidence.path = img.path;
    entry.evidence.kind = evidence::kKindDiskImage;
    entry.evidence.size = img.size;
    entry.evidence.status = !img.opened ? "unreadable" : img.installations > 0 ? "ok" : "not_used";
    rep.inputs.push_back(std::move(entry));
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

  // What each input is (by content) and which installation it belongs to.
  const readers::LocatedEvidence located = readers::locate_evidence(request.evidence, sink);
  std::vector<HostScan> scans;
  for (std::size_t i = 0; i < located.hosts.size(); ++i) {
    const readers::HostEvidence& h = located.hosts[i];
    const bool is_default = i == 0;
    const std::string fallback =
        !h.label.empty()
            ? h.label
            : (request.evidence.empty() ? std::string("unknown") : request.evidence[0]);
    HostScan scan =
        scan_host(h, request, is_default ? request.software_hive : std::string(), fallback, sink);
    if (scan.reported || (is_default && located.hosts.size() == 1)) {
      scans.push_back(std::move(scan));
    }
  }
  make_names_unique(scans);
  for (auto& scan : scans) {
    for (auto& in : scan.inputs) {
      in.evidence.host = scan.host.name;
      rep.inputs.push_back(std::move(in));
    }
    outcome.usable = outcome.usable || scan.usable;
    if (scan.reported) {
      rep.hosts.push_back(std::move(scan.host));
    }
  }
  list_images(located, rep);
  for (const auto& missing : located.missing) {
    rep.inputs.push_back(describe(missing, evidence::kKindUnknown, sink));  // status "missing"
  }
  for (const auto& unknown : located.unrecognised) {
    report::InputEntry entry = describe(unknown.path, evidence::kKindUnknown, sink);
    entry.evidence.status = "unrecognised";
    rep.inputs.push_back(std::move(entry));
  }

  // Diagnostics go to the input they concern; the rest are run-level.
  distribute_diagnostics(sink, rep);
  return outcome;
}

}  // namespace smssaudit::app
