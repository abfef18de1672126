// `smssaudit batch DIR -o OUTDIR`: one scan per host folder or disk image under DIR, each in a
// child process, plus OUTDIR/summary.csv and OUTDIR/summary.json (design.md 4).
#pragma once

#include "smssaudit/app/cli.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>

namespace smssaudit::app {

struct BatchArgs {
  std::string dir;          ///< DIR: one host per immediate subfolder or disk image file
  std::string outdir;       ///< -o OUTDIR
  unsigned jobs = 1;        ///< children at once; 0 = one per CPU
  unsigned timeout = 7200;  ///< seconds per host; 0 = no limit
  bool force = false;       ///< write into a non-empty OUTDIR
  bool timeline = false;    ///< also OUTDIR/<host>.timeline.jsonl
  std::string rules_dir;    ///< passed on to each scan
  std::string baseline;     ///< passed on to each scan
  std::string fail_on = "none";
  std::string evtx_engine = "native";
  std::string scanner = "/proc/self/exe";  ///< the program run per host (`scan` subcommand)
  bool quiet = false;
  bool verbose = false;
  bool progress = false;  ///< --progress: status line even when stderr is not a terminal
};

/// Runs the batch. Setup problems throw FatalError(kExitUsage) before any host is started (DIR
/// missing, OUTDIR unusable or inside DIR, bad --fail-on, scanner not executable). The caller has
/// already loaded --rules and --baseline once, so a broken rule fails the batch, not every host.
/// Returns the worst host outcome: kExitHostFailed (4) > kExitNoEvidence (3, also when DIR holds
/// no host) > kExitFindings (1) > kExitOk (0).
int run_batch(const BatchArgs& args,
              const TerminalInfo& terminal,
              const std::string& tool_version,
              std::ostream& err);

}  // namespace smssaudit::app
