// Small helpers shared by the lineage stages: image names, command lines, event ordering and
// evidence references.
#include "lineage_internal.hpp"
#include "smssaudit/core/text.hpp"

#include <regex>

namespace smssaudit::analysis::lineage_detail {

std::string file_name(std::string_view path) {
  const auto slash = path.find_last_of("\\/");
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return text::to_lower(text::trim(name));
}

std::string program_file_name(std::string_view token) {
  std::string name = file_name(token);
  if (!name.empty() && name.find('.') == std::string::npos) {
    name += ".exe";
  }
  return name;
}

bool is_smss(std::string_view image) {
  return file_name(image) == "smss.exe";
}

bool is_session_process(std::string_view image) {
  const std::string n = file_name(image);
  return n == "csrss.exe" || n == "wininit.exe" || n == "winlogon.exe";
}

std::string command_arguments(std::string_view command_line) {
  const std::string cl = text::trim(command_line);
  std::size_t pos = 0;
  if (!cl.empty() && cl.front() == '"') {
    const auto close = cl.find('"', 1);
    pos = close == std::string::npos ? cl.size() : close + 1;
  } else {
    const auto space = cl.find_first_of(" \t");
    pos = space == std::string::npos ? cl.size() : space;
  }
  return text::trim(std::string_view(cl).substr(pos));
}

bool child_arguments_ok(const std::string& arguments) {
  static const std::regex pattern(R"(^[0-9a-f]{8} [0-9a-f]{8}( .*)?$)", std::regex::icase);
  return std::regex_match(arguments, pattern);
}

std::uint64_t placement_time(const Event& e) {
  if (e.channel == facts::LogChannel::kSysmon && e.ref.written != 0) {
    return e.ref.written;
  }
  return e.time != 0 ? e.time : e.ref.written;
}

std::uint64_t order_time(const Event& e) {
  return e.time != 0 ? e.time : e.ref.written;
}

int channel_priority(facts::LogChannel c) {
  // The kernel's own clock first (System 12 StartTime), then the audit log, whose boot-time
  // 4688s carry the creation order, then Sysmon, then session events that follow logons.
  switch (c) {
    case facts::LogChannel::kSystem:
      return 0;
    case facts::LogChannel::kSecurity:
      return 1;
    case facts::LogChannel::kSysmon:
      return 2;
    case facts::LogChannel::kLocalSessionManager:
      return 3;
    case facts::LogChannel::kOther:
      return 4;
  }
  return 4;
}

bool placement_less(const Event* a, const Event* b) {
  const std::uint64_t ta = placement_time(*a);
  const std::uint64_t tb = placement_time(*b);
  if (ta != tb) {
    return ta < tb;
  }
  const int pa = channel_priority(a->channel);
  const int pb = channel_priority(b->channel);
  if (pa != pb) {
    return pa < pb;
  }
  if (a->ref.record_id != b->ref.record_id) {
    return a->ref.record_id < b->ref.record_id;
  }
  return a->ref.artifact < b->ref.artifact;
}

facts::EvidenceRef evidence_of(const Event& e, const std::map<std::string, std::string>& sha) {
  facts::EvidenceRef r;
  r.artifact = e.ref.artifact;
  if (const auto it = sha.find(e.ref.artifact); it != sha.end()) {
    r.sha256 = it->second;
  }
  r.channel = e.ref.channel_name;
  r.event_id = e.ref.event_id;
  r.record_id = e.ref.record_id;
  r.event_time = order_time(e);
  r.recovered = e.ref.recovered;
  return r;
}

std::int64_t ms_between(std::uint64_t a, std::uint64_t b) {
  if (b >= a) {
    return static_cast<std::int64_t>((b - a) / kTicksPerMs);
  }
  return -static_cast<std::int64_t>((a - b) / kTicksPerMs);
}

}  // namespace smssaudit::analysis::lineage_detail
