// `batch`: one child process per host (posix_spawn), N at a time, each with a timeout, so that a
// crash or a hang in one host's scan never stops the others.
#pragma once

#include "smssaudit/core/process.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smssaudit::app {

using process::ChildProcess;
using process::ExitStatus;
using process::signal_name;

/// One host's child process to run.
struct Job {
  std::vector<std::string> argv;  ///< argv[0] included
  std::string stderr_path;        ///< the child's stderr goes here
};

/// How one job ended.
struct JobResult {
  std::optional<ExitStatus> status;  ///< empty when the process could not be started
  bool timed_out = false;            ///< killed by the runner after the timeout
  std::string spawn_error;           ///< why it could not be started
  double seconds = 0;                ///< wall time
};

struct RunnerOptions {
  std::string exe;                  ///< the program every job runs
  std::size_t parallel = 1;         ///< children at once (at least 1)
  std::chrono::seconds timeout{0};  ///< per job; 0 = none. SIGTERM, then SIGKILL after `grace`
  std::chrono::milliseconds grace{5000};
  std::chrono::milliseconds poll_interval{50};
  /// Called (on the calling thread) when a job starts (finished = nullptr) and when it ends.
  std::function<void(std::size_t index, const JobResult* finished)> on_event;
};

/// Runs every job, at most `parallel` at a time, in order of index; returns one result per job.
std::vector<JobResult> run_jobs(const std::vector<Job>& jobs, const RunnerOptions& options);

}  // namespace smssaudit::app
