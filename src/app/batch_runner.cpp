// Child processes for `batch` (see batch_runner.hpp).
#include "app/batch_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace smssaudit::app {
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

using SteadyTime = std::chrono::steady_clock::time_point;

/// A job in flight.
struct Running {
  std::size_t index = 0;
  ChildProcess child;
  SteadyTime started;
  std::optional<SteadyTime> term_sent;  ///< when the timeout's SIGTERM went out
};

}  // namespace

std::string signal_name(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal); abbrev != nullptr) {
    return std::string("SIG") + abbrev;
  }
  return "signal " + std::to_string(signal);
}

ChildProcess ChildProcess::spawn(const std::string& exe,
                                 const std::vector<std::string>& argv,
                                 const std::string& stderr_path) {
  SpawnFileActions actions;
  actions.open(STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  actions.open(STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  actions.open(STDERR_FILENO, stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
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

void ChildProcess::kill(int signal) const noexcept {
  if (pid_ > 0) {
    ::kill(pid_, signal);
  }
}

namespace {

/// The job loop's state: results, children in flight and the next job to start.
class JobPool {
 public:
  JobPool(const std::vector<Job>& jobs, const RunnerOptions& options)
      : jobs_(jobs), options_(options), results_(jobs.size()) {}

  bool done() const { return next_ >= jobs_.size() && running_.empty(); }

  /// Fills the free slots in index order: the summary order never depends on timing.
  void start_jobs() {
    const std::size_t parallel = std::max<std::size_t>(1, options_.parallel);
    while (next_ < jobs_.size() && running_.size() < parallel) {
      const std::size_t index = next_++;
      const auto started = std::chrono::steady_clock::now();
      try {
        ChildProcess child =
            ChildProcess::spawn(options_.exe, jobs_[index].argv, jobs_[index].stderr_path);
        running_.push_back(Running{index, std::move(child), started, std::nullopt});
        notify(index, nullptr);
      } catch (const std::system_error& e) {
        results_[index].spawn_error = e.what();
        notify(index, nullptr);
        notify(index, &results_[index]);
      }
    }
  }

  /// Reaps the children that ended; signals the ones past their timeout.
  void reap() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = running_.begin(); it != running_.end();) {
      JobResult& result = results_[it->index];
      if (auto status = it->child.poll()) {
        result.status = status;
        result.seconds = std::chrono::duration<double>(now - it->started).count();
        const std::size_t index = it->index;
        it = running_.erase(it);
        notify(index, &result);
        continue;
      }
      enforce_timeout(*it, result, now);
      ++it;
    }
  }

  bool idle() const { return running_.empty(); }

  std::vector<JobResult> take_results() { return std::move(results_); }

 private:
  /// A hang must not hold a slot for ever: SIGTERM at the timeout, SIGKILL after the grace.
  void enforce_timeout(Running& job, JobResult& result, SteadyTime now) const {
    if (options_.timeout.count() <= 0 || now - job.started < options_.timeout) {
      return;
    }
    if (!job.term_sent) {
      result.timed_out = true;
      job.child.kill(SIGTERM);
      job.term_sent = now;
    } else if (now - *job.term_sent >= options_.grace) {
      job.child.kill(SIGKILL);
    }
  }

  void notify(std::size_t index, const JobResult* result) const {
    if (options_.on_event) {
      options_.on_event(index, result);
    }
  }

  const std::vector<Job>& jobs_;
  const RunnerOptions& options_;
  std::vector<JobResult> results_;
  std::vector<Running> running_;  ///< destroyed (children killed and reaped) on any exception
  std::size_t next_ = 0;
};

}  // namespace

std::vector<JobResult> run_jobs(const std::vector<Job>& jobs, const RunnerOptions& options) {
  JobPool pool(jobs, options);
  while (!pool.done()) {
    pool.start_jobs();
    if (pool.idle()) {
      continue;  // every remaining job failed to start
    }
    std::this_thread::sleep_for(options.poll_interval);
    pool.reap();
  }
  return pool.take_results();
}

}  // namespace smssaudit::app
