// Baselines: what "normal" looks like per OS family, as data (rules/baselines/*.yaml), plus site
// allowlists given with --baseline. Analyses read them to derive fields such as `allowed`.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace smssaudit::facts {

struct Baseline {
  std::string id;  ///< "win10", "site:<file>"
  std::string description;
  std::string source;                 ///< file it was loaded from
  std::vector<std::string> families;  ///< OS families it describes; empty for a site baseline
  /// Allowed *Execute* entries: slot name (lower-case) -> full-match regexes (case-insensitive).
  std::map<std::string, std::vector<std::string>> execute_allow;
  std::vector<std::string> known_dlls_expected;  ///< value names every install of the family has
  std::vector<std::string> known_dlls_optional;  ///< names seen on some builds of the family
  std::vector<std::string> dll_directory;        ///< allowed KnownDLLs\DllDirectory data
  std::vector<std::string> dll_directory32;      ///< allowed KnownDLLs\DllDirectory32 data
  std::vector<std::string> subsystems_required;
  std::vector<std::string> subsystems_optional;
  std::vector<std::string> csrss_server_dlls;  ///< ServerDll module names (before ',' or ':')
  std::vector<std::string> pathext;
  std::vector<std::string> exclude_from_known_dlls;  ///< allowed ExcludeFromKnownDlls entries
  std::vector<std::string> appcert_dlls;             ///< allowed AppCertDlls data (regex)
  std::vector<std::string> pending_rename_allow;     ///< rename-queue sources allowed (regex)
};

/// OS family names, oldest first: "vista", "win7", "win8", "win81", "win10", "win11".
/// "generic" is the union baseline used when the family cannot be told.
std::string os_family_for_build(unsigned build);

/// Union of two baselines' allowlists (the site file extends the OS baseline).
Baseline merge_baselines(const Baseline& base, const Baseline& extra);

}  // namespace smssaudit::facts
