// Private helpers shared by the EVTX reader and the XML normaliser (not part of the public API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smssaudit::readers {
struct XmlNormalisation;
}

namespace smssaudit::facts {
struct Event;
}

namespace smssaudit {
namespace facts {
struct EventRef;
class TextPool;
}  // namespace facts
}  // namespace smssaudit

namespace smssaudit::readers::evtx {

/// The event providers whose records the analyzer normalises (events.md 1-3).
enum class Provider {
  kSecurityAuditing,     ///< Microsoft-Windows-Security-Auditing
  kEventlog,             ///< Microsoft-Windows-Eventlog (1100, 1102, 104)
  kSysmon,               ///< Microsoft-Windows-Sysmon
  kKernelGeneral,        ///< Microsoft-Windows-Kernel-General
  kClassicEventLog,      ///< classic source "EventLog" (6005, 6006, 6008, 6009)
  kLocalSessionManager,  ///< Microsoft-Windows-TerminalServices-LocalSessionManager
  kOther,
};

/// Case-insensitive match of a provider (or classic source) name.
Provider provider_from_name(std::string_view name) noexcept;

/// The relevance table of design.md 3.2, keyed by provider and the 16-bit event id.
bool is_relevant(Provider provider, std::uint16_t event_id) noexcept;

/// System/Channel found by a plain text search, without parsing: used for records rendered only
/// to learn a provider's channel, where a malformed body must not matter. "" when absent.
std::string find_channel_in_xml(std::string_view xml);

/// "0x0000038c" / "38c" (base 16) or "3444" (base 10) to a number; nullopt for "", "-", or junk.
std::optional<std::uint64_t> parse_number(std::string_view text, int base) noexcept;

/// One record's System fields and EventData/UserData values as the XML text shows them (entities
/// decoded, attribute whitespace folded, as pugixml reports them). Both engines fill this: the
/// libevtx path from the rendered XML, the native scanner straight from the template instance; the
/// numbers and times are parsed from these texts by normalise_record_fields only, so the two
/// engines cannot disagree on a format.
struct RecordFields {
  std::string provider;     ///< Provider/@Name, or @EventSourceName when Name is empty
  std::string channel;      ///< System/Channel, trimmed
  std::string system_time;  ///< TimeCreated/@SystemTime
  std::string event_id;     ///< System/EventID text
  std::string version;      ///< System/Version text
  std::string record_id;    ///< System/EventRecordID text
  /// EventData/Data[@Name] (Name, value) in document order, then the children of the element under
  /// UserData (local name, value).
  std::vector<std::pair<std::string, std::string>> data;
};

/// True for the EventData/UserData names the fillers of normalise_record_fields read. The native
/// scanner materialises only these (fields are looked up by name, first match, so leaving the
/// others out changes nothing). Keep in step with the fill_* functions in evtx_normalise.cpp; the
/// differential test catches a name missing here.
bool is_used_field(std::string_view name) noexcept;

/// The fields -> Event step shared by both engines. Sets provider, channel_name, time_created and,
/// for a relevant record, the event; `well_formed` is set to true (the caller checked the form).
/// With a `pool`, the event's strings are interned in it (the readers keep one per thread).
XmlNormalisation normalise_record_fields(const RecordFields& fields,
                                         const facts::EventRef& ref_defaults,
                                         facts::TextPool* pool = nullptr);

/// normalise_event_xml_detailed with the event's strings interned in `pool` (may be null).
XmlNormalisation normalise_xml(std::string_view xml,
                               const facts::EventRef& ref_defaults,
                               facts::TextPool* pool);

/// Stable sort by ref.record_id (how both engines order a file's events). Sorts indices and then
/// moves each event once, so no second copy of the events is ever allocated (std::stable_sort
/// would take a buffer of half of them: tens of MB for a 1 GB log). Already sorted costs one pass.
void sort_by_record_id(std::vector<facts::Event>& events);

}  // namespace smssaudit::readers::evtx
