// Progress on stderr (design.md 4: progress never goes to stdout): one status line redrawn in
// place on a terminal, plain throttled lines otherwise (only when forced with --progress).
#pragma once

#include "smssaudit/app/pipeline.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace smssaudit::app {

using ProgressClock = std::function<std::chrono::steady_clock::time_point()>;

/// One status line on stderr. On a terminal it is redrawn in place with '\r' at most once per
/// `interval` and erased by clear() (and by the destructor); elsewhere every update that passes
/// the throttle is written as a line of its own. Thread-safe: the pipeline may report from any
/// reading thread.
class StatusLine {
 public:
  struct Options {
    bool terminal = false;                                 ///< redraw in place with '\r'
    std::chrono::milliseconds interval{250};               ///< at most 4 redraws a second
    std::size_t width = 80;                                ///< the line is cut to width - 1 columns
    ProgressClock clock = std::chrono::steady_clock::now;  ///< injectable for tests
  };

  StatusLine(std::ostream& err, Options options);
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  StatusLine(StatusLine&&) = delete;
  StatusLine& operator=(StatusLine&&) = delete;
  ~StatusLine();

  /// Shows `text` unless the last draw was less than `interval` ago (`force` skips the check).
  void update(std::string_view text, bool force = false);

  /// Prints a permanent line (e.g. a per-host result): erases the status line first and draws it
  /// again after, so the two never mix.
  void message(std::string_view line);

  /// Erases the status line (terminal only); the next update draws again immediately.
  void clear();

  bool terminal() const noexcept { return options_.terminal; }

 private:
  void erase_locked();
  void draw_locked(std::string_view text);

  std::ostream& err_;
  Options options_;
  std::mutex mutex_;
  std::string shown_;  ///< what is on the terminal now ("" = nothing)
  bool drawn_once_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

/// "1.5 MB", "312.0 MB", "2.3 GB" (decimal units, as transfer rates are usually given).
std::string format_bytes(std::uint64_t bytes);

/// The status text of a scan: artifact, percentage, bytes, records and throughput, e.g.
/// "Security.evtx  45%  120.3 MB/267.0 MB  183,220 records  85.2 MB/s". `seconds` is the time
/// spent on this artifact so far (no rate below 0.05 s).
std::string format_scan_progress(const ScanProgress& progress, double seconds);

/// Renders ScanRequest::progress callbacks on a StatusLine: remembers when each artifact started
/// (for MB/s) and, off a terminal, writes one line per finished artifact.
class ScanProgressMeter {
 public:
  explicit ScanProgressMeter(StatusLine& line, ProgressClock clock = std::chrono::steady_clock::now)
      : line_(line), clock_(std::move(clock)) {}

  void operator()(const ScanProgress& progress);

 private:
  StatusLine& line_;
  ProgressClock clock_;
  std::mutex mutex_;
  std::string artifact_;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace smssaudit::app
