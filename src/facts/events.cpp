// Stable names for the event-log fact enums (they appear in reports: never rename one).
#include "smssaudit/facts/events.hpp"

#include "smssaudit/core/text.hpp"

#include <memory>
#include <ostream>

namespace smssaudit::facts {
namespace {

// A 1 GB Security log has a few thousand distinct values; past this many the pool starts over, so
// unique values (GUIDs, command lines with random arguments) cannot make it grow without bound.
constexpr std::size_t kMaxPooled = std::size_t{1} << 16U;

}  // namespace

Text::Text(std::string_view s) {
  if (!s.empty()) {
    r_ = std::make_unique<const Rep>(s).release();  // owned by the count; destroy() frees it
  }
}

void Text::destroy(const Rep* r) noexcept {
  const std::unique_ptr<const Rep> owner(r);
}

const std::string& Text::str() const noexcept {
  static const std::string no_text;
  return r_ != nullptr ? r_->value : no_text;
}

std::ostream& operator<<(std::ostream& os, const Text& t) {
  return os << t.view();
}

namespace {

std::string concat(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}

}  // namespace

std::string operator+(const Text& a, const Text& b) {
  return concat(a, b);
}

std::string operator+(const Text& a, const std::string& b) {
  return concat(a, b);
}

std::string operator+(const std::string& a, const Text& b) {
  return concat(a, b);
}

std::string operator+(const Text& a, const char* b) {
  return concat(a, b);
}

std::string operator+(const char* a, const Text& b) {
  return concat(a, b);
}

Text TextPool::intern(std::string_view s) {
  if (s.empty()) {
    return {};
  }
  if (const auto it = table_.find(s); it != table_.end()) {
    return it->second;
  }
  if (table_.size() >= kMaxPooled) {
    table_.clear();
  }
  Text t(s);
  table_.emplace(t.view(), t);  // the key views the Text's own, never-moving storage
  return t;
}

const char* to_string(LogChannel c) noexcept {
  switch (c) {
    case LogChannel::kSecurity:
      return "Security";
    case LogChannel::kSysmon:
      return "Sysmon";
    case LogChannel::kSystem:
      return "System";
    case LogChannel::kLocalSessionManager:
      return "LocalSessionManager";
    case LogChannel::kOther:
      return "Other";
  }
  // Unreachable for valid enumerators; a cast-in integer must still not crash a report.
  return "Other";
}

// The channel is what the records say (System/Channel), so exported or renamed files still land
// in the right log. Names are compared case-insensitively because wevtutil exports and older
// builds differ in case ("security").
LogChannel channel_from_name(std::string_view name) noexcept {
  if (text::iequals(name, "Security")) {
    return LogChannel::kSecurity;
  }
  if (text::iequals(name, "Microsoft-Windows-Sysmon/Operational")) {
    return LogChannel::kSysmon;
  }
  if (text::iequals(name, "System")) {
    return LogChannel::kSystem;
  }
  if (text::iequals(name, "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational")) {
    return LogChannel::kLocalSessionManager;
  }
  return LogChannel::kOther;
}

const char* to_string(EventKind k) noexcept {
  switch (k) {
    case EventKind::kProcessStart:
      return "process_start";
    case EventKind::kProcessExit:
      return "process_exit";
    case EventKind::kBootStart:
      return "boot_start";
    case EventKind::kShutdown:
      return "shutdown";
    case EventKind::kUnexpectedShutdown:
      return "unexpected_shutdown";
    case EventKind::kLogon:
      return "logon";
    case EventKind::kSession:
      return "session";
    case EventKind::kLogCleared:
      return "log_cleared";
    case EventKind::kClockChange:
      return "clock_change";
  }
  return "unknown";
}

}  // namespace smssaudit::facts
