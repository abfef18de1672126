// XML -> facts::Event: the normalisation rules of events.md for Security, Sysmon, System and
// LocalSessionManager records. Works on the XML text libevtx renders (or on hand-written XML in
// tests); fields are always looked up by EventData/@Name or UserData element name, never by
// position, because Sysmon inserts fields between schema versions without changing Version.
#include "readers/evtx_normalise.hpp"

#include "smssaudit/core/filetime.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/evtx_reader.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <tuple>
#include <utility>
#include <vector>

namespace smssaudit::readers {
namespace evtx {

Provider provider_from_name(std::string_view name) noexcept {
  // Ordered by how often each appears in a typical collection.
  constexpr std::array<std::pair<std::string_view, Provider>, 6> kProviders{{
      {"Microsoft-Windows-Security-Auditing", Provider::kSecurityAuditing},
      {"Microsoft-Windows-Sysmon", Provider::kSysmon},
      {"Microsoft-Windows-Kernel-General", Provider::kKernelGeneral},
      {"EventLog", Provider::kClassicEventLog},
      {"Microsoft-Windows-Eventlog", Provider::kEventlog},
      {"Microsoft-Windows-TerminalServices-LocalSessionManager", Provider::kLocalSessionManager},
  }};
  for (const auto& [n, p] : kProviders) {
    if (text::iequals(name, n)) {
      return p;
    }
  }
  return Provider::kOther;
}

bool is_relevant(Provider provider, std::uint16_t event_id) noexcept {
  switch (provider) {
    case Provider::kSecurityAuditing:
      return event_id == 4688 || event_id == 4689 || event_id == 4608 || event_id == 4624 ||
             event_id == 4616;
    case Provider::kEventlog:
      // 1100/1102 are written to Security, 104 to System; the provider is the same.
      return event_id == 1100 || event_id == 1102 || event_id == 104;
    case Provider::kSysmon:
      return event_id == 1 || event_id == 5;
    case Provider::kKernelGeneral:
      // Only Kernel-General: Hyper-V-Netvsc and others reuse ids 12 and 13 in System.
      return event_id == 12 || event_id == 13;
    case Provider::kClassicEventLog:
      return event_id == 6005 || event_id == 6006 || event_id == 6008 || event_id == 6009;
    case Provider::kLocalSessionManager:
      return (event_id >= 21 && event_id <= 25) || event_id == 39 || event_id == 40;
    case Provider::kOther:
      return false;
  }
  return false;
}

bool is_used_field(std::string_view name) noexcept {
  // Every name a fill_* function below passes to Fields (account() reads two each), ordered by
  // length: the native scanner asks once per EventData item of every relevant record, and a name
  // is compared only with the used names of its own length.
  static constexpr std::array<std::string_view, 39> kUsed{
      "User",
      "Image",
      "Reason",
      "Source",
      "Status",
      "Address",
      "Channel",
      "LogonId",
      "NewTime",
      "Session",
      "UtcTime",
      "StopTime",
      "LogonType",
      "ProcessId",
      "SessionID",
      "StartTime",
      "CommandLine",
      "ParentImage",
      "ProcessGuid",
      "ProcessName",
      "NewProcessId",
      "PreviousTime",
      "TargetLogonId",
      "TargetSession",
      "TargetUserSid",
      "IntegrityLevel",
      "MandatoryLabel",
      "NewProcessName",
      "SubjectLogonId",
      "SubjectUserSid",
      "TargetUserName",
      "ParentProcessId",
      "SubjectUserName",
      "TargetDomainName",
      "ParentCommandLine",
      "ParentProcessGuid",
      "ParentProcessName",
      "SubjectDomainName",
      "TerminalSessionId",
  };
  constexpr auto kShorter = [](std::string_view a, std::string_view b) {
    return a.size() < b.size();
  };
  static_assert(std::is_sorted(kUsed.begin(), kUsed.end(), kShorter));
  const auto [first, last] = std::equal_range(kUsed.begin(), kUsed.end(), name, kShorter);
  return std::find(first, last, name) != last;
}

std::string find_channel_in_xml(std::string_view xml) {
  constexpr std::string_view kOpen = "<Channel>";
  const std::size_t start = xml.find(kOpen);
  if (start == std::string_view::npos) {
    return "";
  }
  const std::size_t from = start + kOpen.size();
  const std::size_t end = xml.find('<', from);
  if (end == std::string_view::npos) {
    return "";
  }
  return text::trim(xml.substr(from, end - from));
}

void sort_by_record_id(std::vector<facts::Event>& events) {
  const auto by_id = [](const facts::Event& a, const facts::Event& b) {
    return a.ref.record_id < b.ref.record_id;
  };
  if (std::is_sorted(events.begin(), events.end(), by_id)) {
    return;
  }
  std::vector<std::size_t> order(events.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(), [&events](std::size_t a, std::size_t b) {
    return events[a].ref.record_id < events[b].ref.record_id;
  });
  // Position i receives the event at order[i]: follow each cycle with one event in hand.
  std::vector<bool> placed(events.size(), false);
  for (std::size_t start = 0; start < events.size(); ++start) {
    if (placed[start] || order[start] == start) {
      continue;
    }
    facts::Event held = std::move(events[start]);
    std::size_t j = start;
    while (order[j] != start) {
      events[j] = std::move(events[order[j]]);
      placed[j] = true;
      j = order[j];
    }
    events[j] = std::move(held);
    placed[j] = true;
  }
}

std::optional<std::uint64_t> parse_number(std::string_view text, int base) noexcept {
  // Never strtoull: it accepts signs and leading junk, depends on errno, and would read "0x" as 0.
  // from_chars with a full-consumption check rejects everything that is not exactly a number.
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  if (base == 16 && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  // "-" is how Security auditing writes an absent value; it fails from_chars like any junk.
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, base);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return v;
}

}  // namespace evtx

namespace {

using evtx::parse_number;
using evtx::Provider;
using facts::Event;
using facts::EventKind;

// FILETIME ticks per second.
constexpr std::uint64_t kTicksPerSecond = 10'000'000ULL;

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil), negative before 1970.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? static_cast<unsigned>(-3) : 9U)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Fixed-width decimal field at text[pos, pos+n); nullopt unless all digits.
std::optional<unsigned> digits(std::string_view text, std::size_t pos, std::size_t n) noexcept {
  if (pos + n > text.size()) {
    return std::nullopt;
  }
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return v;
}

/// The fraction after the seconds: up to 7 digits kept as 100 ns ticks, more digits (libevtx
/// prints 9) dropped. Returns the ticks and the position after the digits.
std::pair<std::uint64_t, std::size_t> fraction_ticks(std::string_view text, std::size_t pos) {
  std::uint64_t ticks = 0;
  std::size_t used = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    if (used < 7) {
      ticks = ticks * 10 + static_cast<std::uint64_t>(text[pos] - '0');
      ++used;
    }
    ++pos;
  }
  for (; used < 7; ++used) {
    ticks *= 10;
  }
  return {ticks, pos};
}

// ---- Field access -----------------------------------------------------------------------------

std::string_view local_name(const char* name) {
  const std::string_view n(name);
  const std::size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// Element children are matched by local name so that a prefixed export ("<e:System>") still works.
pugi::xml_node child_local(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c : parent.children()) {
    if (c.type() == pugi::node_element && local_name(c.name()) == name) {
      return c;
    }
  }
  return {};
}

/// EventData or UserData fields of one event, by name. The views point into the RecordFields the
/// record was read into, which outlives every Fields object.
class Fields {
 public:
  explicit Fields(facts::TextPool* pool) : pool_(pool) {}

  void add(std::string_view name, std::string_view value) { items_.emplace_back(name, value); }

  /// `s` as event text: interned when the reader gave a pool (one copy per distinct value).
  facts::Text make(std::string_view s) const {
    return pool_ != nullptr ? pool_->intern(s) : facts::Text(s);
  }

  /// The value as recorded ("" when the field is missing).
  std::string_view raw(std::string_view name) const {
    const auto it = std::find_if(
        items_.begin(), items_.end(), [&](const auto& item) { return item.first == name; });
    return it == items_.end() ? std::string_view() : it->second;
  }

  /// The value, or "" when missing, empty or "-" (Security auditing's "absent").
  std::string_view text_view(std::string_view name) const {
    const std::string_view v = raw(name);
    return v == "-" ? std::string_view() : v;
  }

  facts::Text text(std::string_view name) const { return make(text_view(name)); }

  std::optional<std::uint64_t> hex(std::string_view name) const {
    return parse_number(raw(name), 16);
  }

  std::optional<std::uint64_t> dec(std::string_view name) const {
    return parse_number(raw(name), 10);
  }

  std::optional<std::uint32_t> dec32(std::string_view name) const {
    const auto v = dec(name);
    if (!v || *v > 0xFFFFFFFFULL) {
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(*v);
  }

  std::uint64_t time(std::string_view name) const {
    return parse_event_time(raw(name)).value_or(0);
  }

 private:
  facts::TextPool* pool_;
  std::vector<std::pair<std::string_view, std::string_view>> items_;
};

// EventData/Data[@Name] (unnamed classic Data elements are skipped), else the children of the one
// element under UserData (LogFileCleared, EventXML, ServiceShutdown) by element name.
void collect_fields(pugi::xml_node event, evtx::RecordFields& out) {
  if (pugi::xml_node data = child_local(event, "EventData")) {
    for (pugi::xml_node d : data.children()) {
      const pugi::xml_attribute name = d.attribute("Name");
      if (d.type() == pugi::node_element && !name.empty()) {
        out.data.emplace_back(name.value(), d.child_value());
      }
    }
  }
  if (pugi::xml_node user = child_local(event, "UserData")) {
    const pugi::xml_node body =
        user.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; });
    for (pugi::xml_node d : body.children()) {
      if (d.type() == pugi::node_element) {
        out.data.emplace_back(local_name(d.name()), d.child_value());
      }
    }
  }
}

Fields fields_of(const evtx::RecordFields& r, facts::TextPool* pool) {
  Fields f(pool);
  for (const auto& [name, value] : r.data) {
    f.add(name, value);
  }
  return f;
}

/// "DOMAIN\name" from two Security fields, leaving out parts recorded as "-" or empty.
facts::Text account(const Fields& f, std::string_view domain_field, std::string_view name_field) {
  const std::string_view domain = f.text_view(domain_field);
  const std::string_view name = f.text_view(name_field);
  if (name.empty()) {
    return {};
  }
  if (domain.empty()) {
    return f.make(name);
  }
  std::string both;
  both.reserve(domain.size() + 1 + name.size());
  both.append(domain).append(1, '\\').append(name);
  return f.make(both);
}

/// GUIDs are compared as text downstream: upper-case with braces, and the all-zero GUID (Sysmon's
/// "parent unknown") is absent.
std::string normalise_guid(std::string_view raw) {
  std::string g = text::trim(raw);
  if (g.empty() || g == "-") {
    return "";
  }
  std::transform(g.begin(), g.end(), g.begin(), [](unsigned char c) {
    return static_cast<char>(std::toupper(c));
  });
  if (g.front() != '{') {
    g = "{" + g + "}";
  }
  const bool all_zero = std::all_of(
      g.begin(), g.end(), [](char c) { return c == '0' || c == '-' || c == '{' || c == '}'; });
  return all_zero ? std::string() : g;
}

/// Well-known SIDs for the service accounts Sysmon names in `User`. The account name (after the
/// backslash) is matched case-insensitively; the domain must be the NT authority in English,
/// German or French, so a local user called "SYSTEM" on some host is not mistaken for LocalSystem.
std::string well_known_sid(std::string_view user) {
  const std::size_t slash = user.rfind('\\');
  if (slash == std::string_view::npos) {
    return "";
  }
  const std::string_view domain = user.substr(0, slash);
  const std::string_view name = user.substr(slash + 1);
  // UTF-8 forms as written; text::iequals folds ASCII only, so accented spellings are listed.
  constexpr std::array<std::string_view, 5> kAuthorities{"NT AUTHORITY",
                                                         "NT-AUTORIT\xC3\x84T",
                                                         "NT-AUTORIT\xC3\xA4T",
                                                         "AUTORITE NT",
                                                         "AUTORIT\xC3\x89 NT"};
  const bool authority = std::any_of(kAuthorities.begin(),
                                     kAuthorities.end(),
                                     [&](std::string_view a) { return text::iequals(domain, a); });
  if (!authority) {
    return "";
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kNames{{
      {"SYSTEM", "S-1-5-18"},
      {"Syst\xC3\xA8me", "S-1-5-18"},
      {"SYST\xC3\x88ME", "S-1-5-18"},
      {"LOCAL SERVICE", "S-1-5-19"},
      {"LOKALER DIENST", "S-1-5-19"},
      {"SERVICE LOCAL", "S-1-5-19"},
      {"NETWORK SERVICE", "S-1-5-20"},
      {"NETZWERKDIENST", "S-1-5-20"},
      {"SERVICE R\xC3\x89SEAU", "S-1-5-20"},
  }};
  for (const auto& [n, sid] : kNames) {
    if (text::iequals(name, n)) {
      return std::string(sid);
    }
  }
  return "";
}

// Sysmon writes "?" where it does not know a parent's image or command line.
facts::Text drop_unknown(const facts::Text& value) {
  return value == "?" ? facts::Text() : value;
}

// ---- Per-provider fillers
// -------------------------------------------------------------------------

// The Subject block (Security auditing) names the account that caused the event; it is the
// fallback user for every Security event that has no more specific account.
void fill_subject(const Fields& f, Event& e) {
  e.user_sid = f.text("SubjectUserSid");
  e.user_name = account(f, "SubjectDomainName", "SubjectUserName");
  e.logon_id = f.hex("SubjectLogonId");
}

// 4688 v0/v1/v2 (events.md 1.1). v2's Target block is filled only when the new process runs
// under another logon than its creator; otherwise it is S-1-0-0 / "-" / 0x0.
void fill_4688(const Fields& f, Event& e) {
  e.kind = EventKind::kProcessStart;
  e.pid = f.hex("NewProcessId");
  e.parent_pid = f.hex("ProcessId");
  e.image = f.text("NewProcessName");
  e.command_line = f.text("CommandLine");
  e.parent_image = f.text("ParentProcessName");
  e.integrity = f.text("MandatoryLabel");
  fill_subject(f, e);
  facts::Text target_sid = f.text("TargetUserSid");
  if (!target_sid.empty() && target_sid != "S-1-0-0") {
    e.user_sid = std::move(target_sid);
    if (facts::Text name = account(f, "TargetDomainName", "TargetUserName"); !name.empty()) {
      e.user_name = std::move(name);
    }
    if (const auto target_logon = f.hex("TargetLogonId"); target_logon && *target_logon != 0) {
      e.logon_id = target_logon;
    }
  }
}

void fill_security(std::uint16_t id, const Fields& f, Event& e) {
  switch (id) {
    case 4688:
      fill_4688(f, e);
      return;
    case 4689:
      e.kind = EventKind::kProcessExit;
      fill_subject(f, e);
      e.pid = f.hex("ProcessId");
      e.image = f.text("ProcessName");
      e.exit_status = f.hex("Status");
      return;
    case 4608:
      e.kind = EventKind::kBootStart;
      return;
    case 4624:
      e.kind = EventKind::kLogon;
      e.user_sid = f.text("TargetUserSid");
      e.user_name = account(f, "TargetDomainName", "TargetUserName");
      e.logon_id = f.hex("TargetLogonId");
      if (const auto type = f.dec("LogonType"); type && *type <= 0xFFFF) {
        e.logon_type = static_cast<int>(*type);
      }
      e.pid = f.hex("ProcessId");
      e.image = f.text("ProcessName");
      return;
    default:  // 4616 (v1 adds ProcessId/ProcessName; v0 leaves them absent)
      e.kind = EventKind::kClockChange;
      fill_subject(f, e);
      e.previous_time = f.time("PreviousTime");
      e.new_time = f.time("NewTime");
      e.pid = f.hex("ProcessId");
      e.image = f.text("ProcessName");
      return;
  }
}

// 1100 shutdown of the logging service; 1102 (Security) / 104 (System) log cleared.
void fill_eventlog(std::uint16_t id, const Fields& f, Event& e) {
  if (id == 1100) {
    e.kind = EventKind::kShutdown;
    return;
  }
  e.kind = EventKind::kLogCleared;
  fill_subject(f, e);
  e.cleared_channel = id == 1102 ? f.make("Security") : f.text("Channel");
}

// Sysmon 1 / 5 (events.md 2.1): decimal PIDs, hex LogonId, UtcTime as the event's own time.
void fill_sysmon(std::uint16_t id, const Fields& f, Event& e) {
  e.kind = id == 1 ? EventKind::kProcessStart : EventKind::kProcessExit;
  if (const std::uint64_t utc = f.time("UtcTime"); utc != 0) {
    e.time = utc;
  }
  e.process_guid = f.make(normalise_guid(f.raw("ProcessGuid")));
  e.pid = f.dec("ProcessId");
  e.image = f.text("Image");
  e.user_name = f.text("User");
  // Sysmon records the account by name only; the lineage rules need SIDs, and only the service
  // accounts have a SID that is the same on every host.
  e.user_sid = f.make(well_known_sid(e.user_name));
  if (id != 1) {  // event 5 has nothing more (its User exists only in newer schemas)
    return;
  }
  e.command_line = f.text("CommandLine");
  e.logon_id = f.hex("LogonId");
  e.session_id = f.dec32("TerminalSessionId");
  e.integrity = f.text("IntegrityLevel");
  e.parent_guid = f.make(normalise_guid(f.raw("ParentProcessGuid")));
  e.parent_pid = f.dec("ParentProcessId");
  e.parent_image = drop_unknown(f.text("ParentImage"));
  e.parent_command_line = drop_unknown(f.text("ParentCommandLine"));
}

// Kernel-General 12 StartTime / 13 StopTime are the kernel's own times: better boot boundaries
// than the record's TimeCreated, which is written later by the event log service.
void fill_kernel_general(std::uint16_t id, const Fields& f, Event& e) {
  e.kind = id == 12 ? EventKind::kBootStart : EventKind::kShutdown;
  if (const std::uint64_t t = f.time(id == 12 ? "StartTime" : "StopTime"); t != 0) {
    e.time = t;
  }
}

void fill_classic_eventlog(std::uint16_t id, Event& e) {
  switch (id) {
    case 6006:
      e.kind = EventKind::kShutdown;
      return;
    case 6008:
      e.kind = EventKind::kUnexpectedShutdown;
      return;
    default:  // 6005 service started, 6009 OS version at boot
      e.kind = EventKind::kBootStart;
      return;
  }
}

// LocalSessionManager/Operational, UserData/EventXML (events.md 3.1).
void fill_lsm(std::uint16_t id, const Fields& f, Event& e) {
  e.kind = EventKind::kSession;
  if (id == 39) {
    e.session_id = f.dec32("TargetSession");
    e.source_session = f.dec32("Source");
    return;
  }
  if (id == 40) {
    e.session_id = f.dec32("Session");
    e.reason = f.text("Reason");
    return;
  }
  e.user_name = f.text("User");
  e.session_id = f.dec32("SessionID");
  e.address = f.text("Address");
}

void fill_fields(Provider provider, std::uint16_t id, const Fields& f, Event& e) {
  switch (provider) {
    case Provider::kSecurityAuditing:
      fill_security(id, f, e);
      return;
    case Provider::kEventlog:
      fill_eventlog(id, f, e);
      return;
    case Provider::kSysmon:
      fill_sysmon(id, f, e);
      return;
    case Provider::kKernelGeneral:
      fill_kernel_general(id, f, e);
      return;
    case Provider::kClassicEventLog:
      fill_classic_eventlog(id, e);
      return;
    case Provider::kLocalSessionManager:
      fill_lsm(id, f, e);
      return;
    case Provider::kOther:
      return;
  }
}

std::string_view prefix_of(std::string_view name) {
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
}

// True when `prefix` needs no declaration or is declared (xmlns:prefix) on `n` or an ancestor.
bool prefix_bound(pugi::xml_node n, std::string_view prefix) {
  if (prefix.empty() || prefix == "xml" || prefix == "xmlns") {
    return true;
  }
  for (; !n.empty(); n = n.parent()) {
    for (pugi::xml_attribute a : n.attributes()) {
      const std::string_view name(a.name());
      if (name.size() == prefix.size() + 6 && name.substr(0, 6) == "xmlns:" &&
          name.substr(6) == prefix) {
        return true;
      }
    }
  }
  return false;
}

// The unbound prefix of `n`'s own name or of one of its attributes.
std::optional<std::string> unbound_prefix_at(pugi::xml_node n) {
  if (const std::string_view p = prefix_of(n.name()); !prefix_bound(n, p)) {
    return std::string(p);
  }
  for (pugi::xml_attribute a : n.attributes()) {
    if (const std::string_view p = prefix_of(a.name()); !prefix_bound(n, p)) {
      return std::string(p);
    }
  }
  return std::nullopt;
}

// Pre-order successor without recursion: a hostile, deeply nested rendering must not exhaust the
// stack.
pugi::xml_node next_preorder(pugi::xml_node n) {
  if (!n.first_child().empty()) {
    return n.first_child();
  }
  while (!n.empty() && n.next_sibling().empty()) {
    n = n.parent();
  }
  return n.empty() ? n : n.next_sibling();
}

/// The first element or attribute prefix with no xmlns:prefix declaration on the element or an
/// ancestor. libevtx copies string values verbatim, so a value holding XML (LiveId's SOAP
/// envelopes in issue_39.evtx) renders as markup with unbound prefixes: well-formed for pugixml,
/// which ignores namespaces, but not namespace-well-formed, and the value itself is lost.
std::optional<std::string> unbound_prefix(const pugi::xml_document& doc) {
  for (pugi::xml_node n = doc.first_child(); !n.empty(); n = next_preorder(n)) {
    if (auto p = unbound_prefix_at(n)) {
      return p;
    }
  }
  return std::nullopt;
}

/// What System says, before deciding on relevance.
struct SystemHeader {
  std::optional<std::uint16_t> event_id;
  std::uint8_t version = 0;
  std::optional<std::uint64_t> record_id;
};

// The System texts as pugixml reports them.
void read_system(pugi::xml_node system, evtx::RecordFields& out) {
  const pugi::xml_node provider = child_local(system, "Provider");
  out.provider = provider.attribute("Name").value();
  if (out.provider.empty()) {
    out.provider = provider.attribute("EventSourceName").value();
  }
  out.channel = text::trim(child_local(system, "Channel").child_value());
  out.system_time = child_local(system, "TimeCreated").attribute("SystemTime").value();
  out.event_id = child_local(system, "EventID").child_value();
  out.version = child_local(system, "Version").child_value();
  out.record_id = child_local(system, "EventRecordID").child_value();
}

SystemHeader parse_system(const evtx::RecordFields& f) {
  SystemHeader h;
  // Classic sources carry Qualifiers in the upper half; the id proper is the low 16 bits.
  if (const auto id = parse_number(f.event_id, 10)) {
    h.event_id = static_cast<std::uint16_t>(*id & 0xFFFFU);
  }
  if (const auto v = parse_number(f.version, 10); v && *v <= 0xFF) {
    h.version = static_cast<std::uint8_t>(*v);
  }
  h.record_id = parse_number(f.record_id, 10);
  return h;
}

}  // namespace

// Our own parser rather than core's iso8601_to_filetime: libevtx prints 9 fraction digits,
// Sysmon separates date and time with a space, and neither must be rejected.
std::optional<std::uint64_t> parse_event_time(std::string_view text) noexcept {
  // YYYY-MM-DD?hh:mm:ss with 'T' (ISO, SystemTime) or ' ' (Sysmon UtcTime) between date and time.
  const auto y = digits(text, 0, 4);
  const auto mo = digits(text, 5, 2);
  const auto d = digits(text, 8, 2);
  const auto h = digits(text, 11, 2);
  const auto mi = digits(text, 14, 2);
  const auto s = digits(text, 17, 2);
  if (!y || !mo || !d || !h || !mi || !s || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (*y < 1601 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *s > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::uint64_t frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::tie(frac, pos) = fraction_ticks(text, pos + 1);
  }
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(*y, *mo, *d);
  const std::int64_t secs = days * 86400 + static_cast<std::int64_t>(*h) * 3600 +
                            static_cast<std::int64_t>(*mi) * 60 + static_cast<std::int64_t>(*s);
  // 1601-01-01 is 11644473600 s before the Unix epoch; the year check above keeps this >= 0.
  const std::int64_t since_1601 =
      secs + static_cast<std::int64_t>(kFiletimeUnixEpoch / kTicksPerSecond);
  if (since_1601 < 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(since_1601) * kTicksPerSecond + frac;
}

bool is_relevant_event(std::string_view provider, std::uint16_t event_id) noexcept {
  return evtx::is_relevant(evtx::provider_from_name(provider), event_id);
}

XmlNormalisation normalise_event_xml_detailed(std::string_view xml,
                                              const facts::EventRef& ref_defaults) {
  return evtx::normalise_xml(xml, ref_defaults, nullptr);
}

XmlNormalisation evtx::normalise_xml(std::string_view xml,
                                     const facts::EventRef& ref_defaults,
                                     facts::TextPool* pool) {
  XmlNormalisation out;
  // pugixml copies the buffer, so `xml` may be a temporary; parse_default decodes entities and
  // normalises line ends, which is all event values need.
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    out.problem = std::string(parsed.description()) + " at offset " + std::to_string(parsed.offset);
    return out;
  }
  if (const auto prefix = unbound_prefix(doc)) {
    out.problem = "unbound namespace prefix '" + *prefix + "' (markup inside a value)";
    return out;
  }
  const pugi::xml_node event = child_local(doc, "Event");
  const pugi::xml_node system = child_local(event, "System");
  if (!system) {
    out.problem = "no Event/System element";
    return out;
  }
  evtx::RecordFields fields;
  read_system(system, fields);
  collect_fields(event, fields);
  return evtx::normalise_record_fields(fields, ref_defaults, pool);
}

XmlNormalisation evtx::normalise_record_fields(const RecordFields& fields,
                                               const facts::EventRef& ref_defaults,
                                               facts::TextPool* pool) {
  XmlNormalisation out;
  out.well_formed = true;
  out.provider = fields.provider;
  out.channel_name = fields.channel;
  out.time_created = parse_event_time(fields.system_time).value_or(0);
  // Relevance is decided again on the fields themselves: callers (tests, the native scanner) may
  // hand us records that libevtx's pre-filter never saw.
  const SystemHeader h = parse_system(fields);
  const Provider provider = evtx::provider_from_name(out.provider);
  if (!h.event_id || !evtx::is_relevant(provider, *h.event_id)) {
    return out;
  }

  // From here on the record is ours. The reference keeps the caller's artifact and recovered flag;
  // identity and time come from System so that findings cite what Event Viewer would show.
  Event e;
  e.ref = ref_defaults;
  e.ref.channel_name =
      pool != nullptr ? pool->intern(out.channel_name) : facts::Text(out.channel_name);
  e.ref.record_id = h.record_id.value_or(ref_defaults.record_id);
  // Exported files can carry a record header time that differs from SystemTime: the XML wins.
  e.ref.written = out.time_created != 0 ? out.time_created : ref_defaults.written;
  e.ref.event_id = *h.event_id;
  e.ref.version = h.version;
  e.channel = facts::channel_from_name(out.channel_name);
  e.time = e.ref.written;
  fill_fields(provider, *h.event_id, fields_of(fields, pool), e);
  out.event = std::move(e);
  return out;
}

std::optional<facts::Event> normalise_event_xml(std::string_view xml,
                                                const facts::EventRef& ref_defaults) {
  return normalise_event_xml_detailed(xml, ref_defaults).event;
}

}  // namespace smssaudit::readers
