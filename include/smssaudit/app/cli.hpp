// Command-line front end: `scan`, `rules list|show|validate`. Exit codes per design.md 4.
#pragma once

#include <iosfwd>

namespace smssaudit::app {

/// Exit codes (design.md 4).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;    ///< a finding at or above --fail-on
inline constexpr int kExitUsage = 2;       ///< usage or rule error
inline constexpr int kExitNoEvidence = 3;  ///< no usable evidence

/// Runs the CLI with the given streams (tests pass string streams). Never throws.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// Same with std::cout / std::cerr.
int run_cli(int argc, char** argv);

}  // namespace smssaudit::app
