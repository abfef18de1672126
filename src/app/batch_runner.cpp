// Child processes for `batch` (see batch_runner.hpp).
#include "app/batch_runner.hpp"

#include <csignal>
#include <fcntl.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace smssaudit::app {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

/// A job in flight.
struct Running {
  std::size_t index = 0;
  ChildProcess child;
  SteadyTime started;
  std::optional<SteadyTime> term_sent;  ///< when the timeout's SIGTERM went out
};

/// stdin and stdout on /dev/null, stderr appended to the job's log.
process::SpawnIo job_io(const Job& job) {
  process::SpawnIo io;
  io.opens.push_back({STDIN_FILENO, "/dev/null", O_RDONLY, 0});
  io.opens.push_back({STDOUT_FILENO, "/dev/null", O_WRONLY, 0});
  io.opens.push_back({STDERR_FILENO, job.stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644});
  return io;
}

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
            ChildProcess::spawn(options_.exe, jobs_[index].argv, job_io(jobs_[index]));
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
