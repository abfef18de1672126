// `batch`: one child process per host (posix_spawn), N at a time, each with a timeout, so that a
// crash or a hang in one host's scan never stops the others.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smssaudit::app {

/// How a child ended: exited with a code, or was killed by a signal.
struct ExitStatus {
  bool exited = false;  ///< true: `code` is valid; false: `signal` is valid
  int code = 0;
  int signal = 0;
};

/// "SIGSEGV" for 11; "signal 64" when the number has no name.
std::string signal_name(int signal);

/// One running child process. Move-only; the destructor kills (SIGKILL) and reaps a child that
/// is still running, so no process outlives its owner and none is left a zombie.
class ChildProcess {
 public:
  /// Starts `exe` with `argv` (argv[0] included): stdin and stdout on /dev/null, stderr appended
  /// to `stderr_path`. Throws std::system_error when the process cannot be started (posix_spawn
  /// reports a missing or non-executable `exe` here).
  static ChildProcess spawn(const std::string& exe,
                            const std::vector<std::string>& argv,
                            const std::string& stderr_path);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  /// Non-blocking: the exit status once the child has ended (it is then reaped), else nullopt.
  std::optional<ExitStatus> poll();

  /// Sends `signal` to a child that is still running.
  void kill(int signal) const noexcept;

  pid_t pid() const noexcept { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}

  void reset() noexcept;

  pid_t pid_ = -1;  ///< -1 once reaped or moved from
};

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
