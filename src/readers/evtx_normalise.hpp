// Private helpers shared by the EVTX reader and the XML normaliser (not part of the public API).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace smssaudit::readers::evtx
