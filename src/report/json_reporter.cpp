// `--format json`: the machine contract of design.md 4 ("smssaudit.report/1"). Key order is part
// of the contract (golden tests diff bytes), so every object is an ordered_json built in the
// documented order, and every list keeps the order the pipeline gave it.
#include "report/json_lineage.hpp"
#include "report/json_stream.hpp"
#include "report/report_format.hpp"
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/rule.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace smssaudit::report {

namespace {

using detail::evidence_json;
using detail::fields_json;
using detail::Json;
using detail::JsonStream;
using detail::time_or_null;

constexpr const char* kSchema = "smssaudit.report/1";
constexpr const char* kReplayNotAttempted =
    "no transaction log could be read; the audited state is the on-disk primary file";
constexpr const char* kReplayClean = "hive is clean";

// Absent facts are null rather than "" or 0 so a consumer can tell "unknown" from "empty".
template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json string_or_null(const std::string& value) {
  return value.empty() ? Json(nullptr) : Json(value);
}

// Every list keeps the order the pipeline gave it; `to_json` converts one element.
template <typename Range, typename ToJson>
Json json_array(const Range& items, ToJson to_json) {
  Json list = Json::array();
  for (const auto& item : items) {
    list.push_back(to_json(item));
  }
  return list;
}

Json diagnostic_json(const Diagnostic& d, bool with_source) {
  Json j = Json::object();
  j["level"] = to_string(d.level);
  j["code"] = d.code;
  if (with_source) {
    j["source"] = d.source;
  }
  j["location"] = d.location;
  j["message"] = d.message;
  return j;
}

Json diagnostics_json(const std::vector<Diagnostic>& list, bool with_source) {
  return json_array(list,
                    [with_source](const Diagnostic& d) { return diagnostic_json(d, with_source); });
}

// Input diagnostics omit "source": it is the input itself.
Json input_json(const InputEntry& input) {
  const evidence::Evidence& e = input.evidence;
  Json j = Json::object();
  j["path"] = e.path;
  j["kind"] = e.kind;
  j["size"] = e.size;
  j["sha256"] = string_or_null(e.sha256);  // unreadable files have no hash, not an empty one
  j["status"] = e.status;
  j["host"] = string_or_null(e.host);
  if (e.location) {
    Json loc = Json::object();
    loc["image"] = e.location->image;
    loc["partition_offset"] = e.location->partition_offset;
    loc["fs_path"] = e.location->fs_path;
    loc["mft_entry"] = e.location->mft_entry;
    j["location"] = std::move(loc);
  } else {
    j["location"] = nullptr;  // a file on disk: `path` says where it is
  }
  j["diagnostics"] = diagnostics_json(input.diagnostics, false);
  return j;
}

Json os_json(const OsInfo& os) {
  // Without a SOFTWARE hive every field below is unknown, not empty: the empty optional gives null.
  static const facts::SoftwareHive no_software{};
  const facts::SoftwareHive& sw = os.software ? *os.software : no_software;
  Json j = Json::object();
  j["family"] = string_or_null(os.family);
  j["family_basis"] = string_or_null(os.family_basis);
  j["baseline"] = string_or_null(os.baseline);
  j["product_name"] = or_null(sw.product_name);
  j["current_build"] = or_null(sw.current_build);
  j["current_build_number"] = or_null(sw.current_build_number);
  j["ubr"] = or_null(sw.ubr);
  j["display_version"] = or_null(sw.display_version);
  j["release_id"] = or_null(sw.release_id);
  j["edition_id"] = or_null(sw.edition_id);
  j["installation_type"] = or_null(sw.installation_type);
  j["install_date"] =
      sw.install_date ? Json(detail::unix_seconds_to_iso(*sw.install_date)) : Json(nullptr);
  j["system_root"] = or_null(sw.system_root);
  return j;
}

// The base block is reported field by field (not only "dirty") so a reviewer can re-derive the
// dirty decision: sequences, both checksums, and the size check behind "truncated".
Json base_block_json(const facts::BaseBlock& b) {
  Json j = Json::object();
  j["signature_ok"] = b.signature_ok;
  j["primary_sequence"] = b.primary_sequence;
  j["secondary_sequence"] = b.secondary_sequence;
  j["checksum_ok"] = b.checksum_ok();
  j["stored_checksum"] = detail::hex32(b.stored_checksum);
  j["computed_checksum"] = detail::hex32(b.computed_checksum);
  j["last_written"] = time_or_null(b.last_written);
  j["major_version"] = b.major_version;
  j["minor_version"] = b.minor_version;
  j["file_type"] = b.file_type;
  j["hive_bins_size"] = b.hive_bins_size;
  j["file_size"] = b.file_size;
  j["truncated"] = b.truncated();
  j["embedded_name"] = b.embedded_name;
  return j;
}

Json log_json(const facts::HiveLogFile& log) {
  Json j = Json::object();
  j["path"] = log.path;
  j["size"] = log.size;
  // An empty or non-regf log has no base block: its header fields are unknown, not zero.
  j["file_type"] = log.base ? Json(log.base->file_type) : Json(nullptr);
  j["primary_sequence"] = log.base ? Json(log.base->primary_sequence) : Json(nullptr);
  j["secondary_sequence"] = log.base ? Json(log.base->secondary_sequence) : Json(nullptr);
  return j;
}

Json replay_log_json(const facts::ReplayLog& log) {
  Json j = Json::object();
  j["path"] = log.path;
  j["size"] = log.size;
  j["format"] = facts::to_string(log.format);
  j["usable"] = log.usable;
  j["used"] = log.used;
  j["base_primary_sequence"] = log.base_primary_sequence;
  j["first_sequence"] = log.first_sequence;
  j["last_sequence"] = log.last_sequence;
  j["valid_entries"] = log.valid_entries;
  j["reason"] = log.reason.empty() ? Json(nullptr) : Json(log.reason);
  return j;
}

Json replay_entry_json(const facts::ReplayEntry& e) {
  Json j = Json::object();
  j["log"] = e.log;
  j["offset"] = e.offset;
  j["sequence"] = e.sequence;
  j["page_count"] = e.page_count;
  j["hive_bins_size"] = e.hive_bins_size;
  j["applied"] = e.applied;
  j["reason"] = e.reason.empty() ? Json(nullptr) : Json(e.reason);
  return j;
}

Json replay_json(const facts::SystemHive& hive) {
  // Replay is stated explicitly so nobody mistakes the on-disk state of a dirty hive for the
  // state Windows would have seen after applying its logs, or the other way round.
  Json j = Json::object();
  if (!hive.replay) {
    j["performed"] = false;
    j["logs_found"] = hive.logs.size();
    j["reason"] = hive.base.dirty() ? kReplayNotAttempted : kReplayClean;
    return j;
  }
  const facts::ReplayReport& r = *hive.replay;
  j["performed"] = r.performed;
  j["recovered"] = r.recovered;
  j["logs_found"] = hive.logs.size();
  j["format"] = facts::to_string(r.format);
  j["summary"] = r.summary;
  j["audited_state"] = r.performed ? "replayed" : "on-disk";
  j["entries_applied"] = r.entries_applied;
  j["entries_skipped"] = r.entries_skipped;
  j["base_block_restored"] = r.base_block_restored;
  j["base_block_source"] = r.base_block_source.empty() ? Json(nullptr) : Json(r.base_block_source);
  j["sequence_gap"] = r.sequence_gap;
  j["sequence_gap_note"] = r.sequence_gap_note.empty() ? Json(nullptr) : Json(r.sequence_gap_note);
  j["sequence_before"] = {r.primary_sequence_before, r.secondary_sequence_before};
  j["sequence_after"] = {r.primary_sequence_after, r.secondary_sequence_after};
  j["hive_bins_size_before"] = r.hive_bins_size_before;
  j["hive_bins_size_after"] = r.hive_bins_size_after;
  j["bins_healed"] = r.bins_healed;
  j["base_block_problems"] = r.base_block_problems;
  j["logs"] = json_array(r.logs, replay_log_json);
  j["entries"] = json_array(r.entries, replay_entry_json);
  return j;
}

// Key names follow the registry value names (Current, Default, Failed, LastKnownGood).
Json select_json(const facts::SelectInfo& s) {
  Json j = Json::object();
  j["present"] = s.key_present;
  j["current"] = or_null(s.current);
  j["default"] = or_null(s.default_set);
  j["failed"] = or_null(s.failed);
  j["last_known_good"] = or_null(s.last_known_good);
  return j;
}

// A REG_BINARY holding UTF-16 text (BootExecute is sometimes stored so) is reported as the list
// of strings the reader decoded, because that is what smss would have read from it.
bool is_string_list(const facts::RegValue& v) {
  return v.type == static_cast<std::uint32_t>(facts::RegType::kMultiSz) || v.binary_as_text;
}

bool is_single_string(const facts::RegValue& v) {
  return v.type == static_cast<std::uint32_t>(facts::RegType::kSz) ||
         v.type == static_cast<std::uint32_t>(facts::RegType::kExpandSz) ||
         v.type == static_cast<std::uint32_t>(facts::RegType::kLink);
}

bool is_number(const facts::RegValue& v) {
  return v.type == static_cast<std::uint32_t>(facts::RegType::kDword) ||
         v.type == static_cast<std::uint32_t>(facts::RegType::kDwordBigEndian) ||
         v.type == static_cast<std::uint32_t>(facts::RegType::kQword);
}

// "data" carries the decoded form a consumer wants to compare (strings, numbers) and falls back to
// the raw bytes for everything else, so nothing the reader captured is lost. A value the reader
// could not decode gives null; its "error" says why.
Json value_data_json(const facts::RegValue& v) {
  if (is_string_list(v)) {
    return Json(v.strings);
  }
  if (is_single_string(v)) {
    return v.strings.empty() ? Json(nullptr) : Json(v.strings.front());
  }
  if (is_number(v)) {
    return or_null(v.number);
  }
  return Json(detail::to_hex(v.raw));
}

Json value_json(const facts::RegValue& v) {
  Json j = Json::object();
  j["name"] = v.name;
  j["type"] = facts::reg_type_name(v.type);
  j["data"] = value_data_json(v);
  // Flags appear only when set: they are rare, and their absence keeps clean output short.
  if (!v.error.empty()) {
    j["error"] = v.error;
  }
  if (v.binary_as_text) {
    j["binary_as_text"] = true;
  }
  if (v.truncated) {
    j["truncated"] = true;
  }
  return j;
}

// Every captured key appears, absent and unreadable ones included: "not there" and "could not
// read" are evidence in themselves and must not look like an empty key.
Json key_json(const facts::RegKey& key) {
  Json j = Json::object();
  j["path"] = key.path;
  j["label"] = string_or_null(std::string(detail::surface_label(key.path)));
  j["status"] = facts::to_string(key.status);
  j["last_written"] = time_or_null(key.last_written);
  j["error"] = string_or_null(key.error);
  j["subkeys"] = key.subkeys;
  j["values"] = json_array(key.values, value_json);
  return j;
}

// A delete has no target at all, so it is null rather than "" (an empty path would be a rename).
Json pending_rename_json(const facts::PendingRename& op) {
  Json j = Json::object();
  j["value"] = op.value_name;
  j["index"] = op.index;
  j["operation"] = op.is_delete ? "delete" : "rename";
  j["source"] = op.source;
  j["target"] = op.is_delete ? Json(nullptr) : Json(op.target);
  j["replace_existing"] = op.replace_existing;
  return j;
}

Json control_set_json(const facts::ControlSet& cs, const facts::SelectInfo& select) {
  Json sm = Json::object();
  sm["keys"] = json_array(cs.keys, key_json);
  sm["pending_renames"] = json_array(detail::pending_renames(cs), pending_rename_json);

  Json j = Json::object();
  j["name"] = cs.name;
  j["number"] = cs.number;
  // A hive has no CurrentControlSet link; Select\Current names the set Windows booted from.
  j["current"] = select.current.has_value() && *select.current == cs.number;
  j["session_manager"] = std::move(sm);
  return j;
}

// null, not an empty object, when the SYSTEM hive was unusable: nothing below could be captured.
Json registry_json(const std::optional<facts::SystemHive>& system) {
  if (!system) {
    return Json(nullptr);
  }
  const facts::SystemHive& hive = *system;
  Json j = Json::object();
  j["hive"] = hive.path;
  j["dirty"] = hive.base.dirty();
  j["base_block"] = base_block_json(hive.base);
  j["logs"] = json_array(hive.logs, log_json);
  j["replay"] = replay_json(hive);
  j["select"] = select_json(hive.select);
  j["control_sets"] = json_array(hive.control_sets, [&hive](const facts::ControlSet& cs) {
    return control_set_json(cs, hive.select);
  });
  return j;
}

Json coverage_json(const HostReport& host) {
  Json j = Json::object();
  j["gaps"] = json_array(host.coverage, [](const facts::CoverageGap& gap) {
    Json g = Json::object();
    g["code"] = gap.code;
    g["message"] = gap.message;
    return g;
  });
  j["event_logs"] = detail::event_coverage_json(host.lineage);
  j["artifacts"] = json_array(host.artifacts, [](const ExpectedArtifact& a) {
    Json x = Json::object();
    x["artifact"] = a.artifact;
    x["found"] = a.found;
    x["paths"] = a.paths;
    return x;
  });
  return j;
}

Json finding_json(const rules::Finding& f) {
  Json j = Json::object();
  j["rule_id"] = f.rule_id;
  j["title"] = f.title;
  j["severity"] = rules::to_string(f.severity);
  j["score"] = f.score;
  j["confidence"] = f.confidence;
  j["attack"] = f.attack;
  j["message"] = f.message;
  j["fact_kind"] = f.fact_kind;
  j["fields"] = fields_json(f.fields);
  j["evidence"] = json_array(f.evidence, evidence_json);
  return j;
}

Json verdict_json(const rules::Verdict& v) {
  Json j = Json::object();
  j["level"] = v.level;
  j["score"] = v.score;
  j["reasons"] = v.reasons;
  return j;
}

void write_host(JsonStream& w, const HostReport& host) {
  w.begin_object();
  w.member("name", host.name);
  w.member("evidence_root", string_or_null(host.evidence_root));
  w.member("os", os_json(host.os));
  w.member("registry", registry_json(host.system));
  w.key("lineage");
  detail::write_lineage(w, host.lineage);
  w.member("coverage", coverage_json(host));
  // The engine already sorted findings; re-sorting here would be analysis.
  w.member("findings", json_array(host.findings, finding_json));
  w.member("verdict", verdict_json(host.verdict));
  w.end();
}

}  // namespace

// Written in contract order, streamed: the lineage boots, which grow with the logs, are built one
// at a time (detail::write_lineage); everything else is small and built whole.
void write_json(const Report& report, std::ostream& out) {
  Json tool = Json::object();
  tool["name"] = report.tool_name;
  tool["version"] = report.tool_version;
  Json ruleset = Json::object();
  ruleset["sha256"] = report.ruleset_sha256;
  ruleset["count"] = report.ruleset_count;

  JsonStream w(out);
  w.begin_object();
  w.member("schema", kSchema);
  w.member("tool", tool);
  w.member("ruleset", ruleset);
  w.member("inputs", json_array(report.inputs, input_json));
  w.member("diagnostics", diagnostics_json(report.diagnostics, true));
  w.key("hosts");
  w.begin_array();
  for (const HostReport& host : report.hosts) {
    write_host(w, host);
  }
  w.end();
  w.end();
  out << '\n';
}

}  // namespace smssaudit::report
