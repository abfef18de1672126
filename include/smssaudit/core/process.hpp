// Child processes: posix_spawn with RAII ownership (a ChildProcess never outlives its owner or
// stays a zombie) and exit statuses in words. Used by `batch` (one process per host) and by the
// disk-image reader (its smssaudit-imaged service).
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smssaudit::process {

/// What the child's file descriptors are: files opened on them, then descriptors duplicated onto
/// them (dup2(from, to): `to` is inherited even when `from` is close-on-exec).
struct SpawnIo {
  struct Open {
    int fd = -1;
    std::string path;
    int flags = 0;
    unsigned mode = 0;
  };

  std::vector<Open> opens;
  std::vector<std::pair<int, int>> dups;  ///< (from, to)
};

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
  /// Starts `exe` with `argv` (argv[0] included) and the environment of this process, after the
  /// file actions of `io` (applied in order: opens, then dup2s). Signal mask and SIGPIPE/SIGINT/
  /// SIGTERM dispositions are reset, as if started from a shell. Throws std::system_error when
  /// the process cannot be started (posix_spawn reports a missing or non-executable `exe` here).
  static ChildProcess spawn(const std::string& exe,
                            const std::vector<std::string>& argv,
                            const SpawnIo& io);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  /// Non-blocking: the exit status once the child has ended (it is then reaped), else nullopt.
  std::optional<ExitStatus> poll();

  /// Blocks until the child ends (it is then reaped). nullopt when there is no child.
  std::optional<ExitStatus> wait();

  /// Sends `signal` to a child that is still running.
  void kill(int signal) const noexcept;

  /// Forgets the child without killing or reaping it: for a copy inherited through fork(), whose
  /// child belongs to the parent process.
  void release() noexcept { pid_ = -1; }

  pid_t pid() const noexcept { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}

  void reset() noexcept;

  pid_t pid_ = -1;  ///< -1 once reaped or moved from
};

/// "killed by SIGSEGV" or "exited with status 3".
std::string describe(const ExitStatus& s);

}  // namespace smssaudit::process
