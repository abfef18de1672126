// The "lineage" block and the event-log part of "coverage" in the JSON contract (design.md 4).
// Renders facts::Lineage as the analysis left it: roles, sessions and lifetimes were computed
// there; nothing here decides anything.
#include "report/json_lineage.hpp"

#include "report/report_format.hpp"

#include <map>
#include <string>
#include <type_traits>
#include <variant>

namespace smssaudit::report::detail {

Json time_or_null(std::uint64_t filetime) {
  const auto iso = iso_time(filetime);
  return iso ? Json(*iso) : Json(nullptr);
}

Json refs_json(const std::vector<facts::EventRef>& refs) {
  Json list = Json::array();
  for (const auto& r : refs) {
    list.push_back(event_ref_json(r));
  }
  return list;
}

Json event_ref_json(const facts::EventRef& r) {
  Json j = Json::object();
  j["artifact"] = r.artifact;
  j["channel"] = r.channel_name;
  j["event_id"] = r.event_id;
  j["version"] = r.version;
  j["record_id"] = r.record_id;
  j["time_created"] = time_or_null(r.written);
  j["recovered"] = r.recovered;
  return j;
}

// Absent fields are left out rather than written as null: a fact simply lacks them.
Json fields_json(const std::map<std::string, facts::FieldValue>& fields) {
  Json j = Json::object();
  for (const auto& [name, value] : fields) {
    std::visit(
        [&j, &key = name](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (!std::is_same_v<T, std::monostate>) {
            j[key] = v;
          }
        },
        value);
  }
  return j;
}

// Evidence mirrors EvidenceRef so a finding can be traced to its artifact by hash: a registry
// value (key, value, data, last written) or an event record (channel, event id, record id, time).
Json evidence_json(const facts::EvidenceRef& e) {
  Json j = Json::object();
  j["type"] = e.event_id != 0 ? "event" : "registry";
  j["artifact"] = e.artifact;
  j["sha256"] = e.sha256;
  if (e.event_id != 0) {
    j["channel"] = e.channel;
    j["event_id"] = e.event_id;
    j["record_id"] = e.record_id;
    j["time"] = time_or_null(e.event_time);
    j["recovered"] = e.recovered;
    return j;
  }
  j["key_path"] = e.key_path;
  j["value_name"] = e.value_name;
  j["value_type"] = e.value_type;
  j["data"] = e.data;
  j["last_written"] = time_or_null(e.last_written);
  return j;
}

namespace {

Json end_json(const facts::ProcessInstance& p) {
  return p.end ? time_or_null(*p.end) : Json(nullptr);
}

// The fields every process entry has; callers add role-specific ones after these.
Json process_json(const facts::ProcessInstance& p) {
  Json j = Json::object();
  j["pid"] = p.pid;
  j["image"] = p.image;
  j["command_line"] = string_or_null(p.command_line);
  j["start"] = time_or_null(p.start);
  j["end"] = end_json(p);
  j["parent_pid"] = or_null(p.parent_pid);
  j["parent_image"] = string_or_null(p.parent_image);
  j["user_sid"] = string_or_null(p.user_sid);
  j["user_name"] = string_or_null(p.user_name);
  j["session_id"] = or_null(p.session_id);
  j["process_guid"] = string_or_null(p.process_guid);
  j["evidence"] = refs_json(p.evidence);
  return j;
}

Json children_json(const facts::Boot& boot, const facts::SmssInstance& s) {
  Json list = Json::array();
  for (std::size_t idx : s.children) {
    const facts::ProcessInstance& c = boot.processes.at(idx);
    Json j = Json::object();
    j["pid"] = c.pid;
    j["image"] = c.image;
    j["command_line"] = string_or_null(c.command_line);
    j["start"] = time_or_null(c.start);
    j["end"] = end_json(c);
    j["session_id"] = or_null(c.session_id);
    list.push_back(std::move(j));
  }
  return list;
}

Json smss_json(const facts::Boot& boot, const facts::SmssInstance& s) {
  Json j = process_json(boot.processes.at(s.process));
  j["lifetime_ms"] = or_null(s.lifetime_ms);
  j["children"] = children_json(boot, s);
  return j;
}

Json session_json(const facts::Boot& boot, const facts::SmssInstance& s) {
  Json j = Json::object();
  j["session_id"] = or_null(s.session.session_id);
  j["session_basis"] = string_or_null(s.session.basis);
  j["logon_id"] = or_null(s.session.logon_id);
  j["logon_type"] = or_null(s.session.logon_type);
  j["user"] = string_or_null(s.session.user);
  j["address"] = string_or_null(s.session.address);
  j["smss"] = process_json(boot.processes.at(s.process));
  j["smss"]["lifetime_ms"] = or_null(s.lifetime_ms);
  j["children"] = children_json(boot, s);
  return j;
}

Json boot_json(const facts::Boot& boot) {
  Json j = Json::object();
  j["index"] = boot.index;
  j["start"] = time_or_null(boot.start);
  j["start_basis"] = boot.start_basis;
  j["end"] = boot.end ? time_or_null(*boot.end) : Json(nullptr);
  j["end_basis"] = string_or_null(boot.end_basis);
  j["unexpected_end"] = boot.unexpected_end;
  Json masters = Json::array();
  Json sessions = Json::array();
  Json others = Json::array();
  for (const facts::SmssInstance& s : boot.smss) {
    switch (s.role) {
      case facts::SmssRole::kMaster:
        masters.push_back(smss_json(boot, s));
        break;
      case facts::SmssRole::kSessionChild:
        sessions.push_back(session_json(boot, s));
        break;
      case facts::SmssRole::kOther:
        others.push_back(smss_json(boot, s));
        break;
    }
  }
  j["masters"] = std::move(masters);
  j["sessions"] = std::move(sessions);
  j["other_smss"] = std::move(others);
  return j;
}

Json source_json(const facts::LogSourceCoverage& src) {
  Json j = Json::object();
  j["channel"] = src.channel;
  j["files"] = src.files;
  j["records"] = src.records;
  j["recovered"] = src.recovered;
  j["first"] = time_or_null(src.first);
  j["last"] = time_or_null(src.last);
  Json counts = Json::object();
  for (const auto& [id, n] : src.event_counts) {
    counts[std::to_string(id)] = n;
  }
  j["event_counts"] = std::move(counts);
  return j;
}

}  // namespace

void write_lineage(JsonStream& w, const facts::Lineage& lineage) {
  w.begin_object();
  if (!lineage.analyzed) {
    // The key exists so consumers written against the full contract find it, and says plainly
    // that no lineage was analysed rather than implying an empty, clean timeline.
    w.member("status", "not_analyzed");
    w.member("reason", "no event log was given: smss lineage not analysed");
    w.member("boots", Json::array());
    w.end();
    return;
  }
  w.member("status", "analyzed");
  w.key("boots");
  w.begin_array();
  for (const auto& b : lineage.boots) {
    w.value(boot_json(b));
  }
  w.end();
  w.end();
}

Json event_coverage_json(const facts::Lineage& lineage) {
  if (!lineage.analyzed) {
    return Json(nullptr);
  }
  const facts::LineageCoverage& c = lineage.coverage;
  Json j = Json::object();
  Json sources = Json::array();
  for (const auto& s : c.sources) {
    sources.push_back(source_json(s));
  }
  j["sources"] = std::move(sources);
  j["process_starts"] = {{"security_4688", c.security_process_starts},
                         {"sysmon_1", c.sysmon_process_starts}};
  j["exits_collected"] = c.exits_collected;
  Json clears = Json::array();
  for (const auto& cl : c.clears) {
    clears.push_back({{"channel", cl.channel},
                      {"user", string_or_null(cl.user)},
                      {"time", time_or_null(cl.ref.written)},
                      {"evidence", event_ref_json(cl.ref)}});
  }
  j["log_clears"] = std::move(clears);
  Json clocks = Json::array();
  for (const auto& ch : c.clock_changes) {
    clocks.push_back({{"previous_time", time_or_null(ch.previous_time)},
                      {"new_time", time_or_null(ch.new_time)},
                      {"process", string_or_null(ch.process)},
                      {"user_sid", string_or_null(ch.user_sid)},
                      {"evidence", event_ref_json(ch.ref)}});
  }
  j["clock_changes"] = std::move(clocks);
  j["notes"] = c.notes;
  return j;
}

}  // namespace smssaudit::report::detail
