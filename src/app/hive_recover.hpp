// `smssaudit hive recover HIVE -o OUT [--force]`: replays a dirty hive's transaction logs and
// writes the recovered hive for other tools. Private to the app layer (cli.cpp calls it).
#pragma once

#include <iosfwd>
#include <string>

namespace smssaudit::app {

struct HiveRecoverArgs {
  std::string hive;    ///< the primary file (read-only evidence)
  std::string output;  ///< where the recovered hive goes
  bool force = false;  ///< overwrite an existing OUT (never evidence)
};

/// Runs the command. Output problems (OUT is the hive or one of its logs, OUT would be taken for
/// a log of the hive, OUT exists without --force, its folder is missing) throw FatalError with
/// kExitUsage before anything is read. Returns kExitOk when the hive is written (recovered, or
/// clean and copied), kExitNoEvidence when the input is missing, not a hive, or dirty with nothing
/// that could be applied (then nothing is written). The summary goes to `err`; `out` stays empty.
int run_hive_recover(const HiveRecoverArgs& args, std::ostream& out, std::ostream& err);

}  // namespace smssaudit::app
