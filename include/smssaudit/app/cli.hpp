// Command-line front end: `scan`, `batch`, `rules list|show|validate`, `hive recover`. Exit codes
// per design.md 4.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace smssaudit::app {

/// Exit codes (design.md 4).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;    ///< a finding at or above --fail-on
inline constexpr int kExitUsage = 2;       ///< usage, rule or output error (before any analysis)
inline constexpr int kExitNoEvidence = 3;  ///< no usable evidence
/// `batch` only: at least one host's scan did not finish (crashed, killed by a signal, timed out,
/// could not be started, or exited with an unexpected code). Worst of all batch outcomes.
inline constexpr int kExitHostFailed = 4;

/// What the process is attached to. run_cli(argc, argv) reads it from the real file descriptors
/// and environment; tests pass their own to exercise terminal behaviour without a terminal.
struct TerminalInfo {
  bool stdout_is_terminal = false;
  bool stderr_is_terminal = false;
  bool no_color = false;      ///< NO_COLOR is set to a non-empty value (https://no-color.org)
  bool dumb = false;          ///< TERM=dumb: no escape sequences in auto mode
  unsigned stderr_width = 0;  ///< columns of the stderr terminal; 0 = unknown (80 is assumed)

  /// The real process: isatty(1), isatty(2), NO_COLOR, TERM and the terminal width of fd 2.
  static TerminalInfo detect();
};

/// Runs the CLI with the given streams (tests pass string streams). Never throws. Terminal facts
/// are taken from the real process (TerminalInfo::detect()).
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// Same, with the terminal facts given.
int run_cli(int argc,
            const char* const* argv,
            std::ostream& out,
            std::ostream& err,
            const TerminalInfo& terminal);

/// Same with std::cout / std::cerr.
int run_cli(int argc, char** argv);

/// One option or positional argument of one command, as --help shows it.
struct OptionHelp {
  std::string command;  ///< e.g. "scan", "rules show", "" for the top level
  std::string name;     ///< e.g. "--fail-on", "EVIDENCE"
  std::string description;
};

/// Every option of every command (hidden ones included), for the documentation test.
std::vector<OptionHelp> option_help();

/// The names of every command and subcommand, e.g. {"scan", "batch", "rules list", ...}.
std::vector<std::string> command_names();

}  // namespace smssaudit::app
