// Child processes (see include/smssaudit/core/process.hpp).
#include "smssaudit/core/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

namespace smssaudit::process {
namespace {

/// posix_spawn_file_actions_t, destroyed once.
class SpawnFileActions {
 public:
  SpawnFileActions() {
    if (const int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions_init");
    }
  }

  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  SpawnFileActions(SpawnFileActions&&) = delete;
  SpawnFileActions& operator=(SpawnFileActions&&) = delete;

  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions_); }

  void open(int fd, const std::string& path, int flags, mode_t mode) {
    if (const int rc = ::posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, mode);
        rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions_addopen");
    }
  }

  void dup2(int from, int to) {
    if (const int rc = ::posix_spawn_file_actions_adddup2(&actions_, from, to); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn_file_actions_adddup2");
    }
  }

  const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

/// posix_spawnattr_t with the signal mask cleared and SIGPIPE/SIGINT/SIGTERM back to their
/// defaults, so the child behaves like a process started from a shell.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    if (const int rc = ::posix_spawnattr_init(&attr_); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawnattr_init");
    }
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    ::posix_spawnattr_setsigmask(&attr_, &none);
    ::posix_spawnattr_setsigdefault(&attr_, &defaults);
    ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }

  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  SpawnAttributes(SpawnAttributes&&) = delete;
  SpawnAttributes& operator=(SpawnAttributes&&) = delete;

  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }

  const posix_spawnattr_t* get() const noexcept { return &attr_; }

 private:
  posix_spawnattr_t attr_{};
};

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

}  // namespace

std::string signal_name(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal); abbrev != nullptr) {
    return std::string("SIG") + abbrev;
  }
  return "signal " + std::to_string(signal);
}

ChildProcess ChildProcess::spawn(const std::string& exe,
                                 const std::vector<std::string>& argv,
                                 const SpawnIo& io) {
  SpawnFileActions actions;
  for (const auto& o : io.opens) {
    actions.open(o.fd, o.path, o.flags, static_cast<mode_t>(o.mode));
  }
  for (const auto& [from, to] : io.dups) {
    actions.dup2(from, to);
  }
  SpawnAttributes attributes;
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: posix_spawn's historical signature
  }
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, exe.c_str(), actions.get(), attributes.get(), args.data(), environ);
  if (rc != 0) {
    throw std::system_error(rc, std::generic_category(), "cannot start " + exe);
  }
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  reset();
}

void ChildProcess::reset() noexcept {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int wstatus = 0;
    while (::waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

std::optional<ExitStatus> ChildProcess::poll() {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  int wstatus = 0;
  const pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return decode(wstatus);
  }
  return std::nullopt;
}

std::optional<ExitStatus> ChildProcess::wait() {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  int wstatus = 0;
  while (::waitpid(pid_, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      pid_ = -1;
      return std::nullopt;
    }
  }
  pid_ = -1;
  return decode(wstatus);
}

void ChildProcess::kill(int signal) const noexcept {
  if (pid_ > 0) {
    ::kill(pid_, signal);
  }
}

std::string describe(const ExitStatus& s) {
  return s.exited ? "exited with status " + std::to_string(s.code)
                  : "killed by " + signal_name(s.signal);
}

}  // namespace smssaudit::process
