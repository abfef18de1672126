// Progress rendering on stderr: a throttled status line, redrawn in place on a terminal.
#include "app/progress.hpp"

#include <fmt/format.h>

#include <ostream>

namespace smssaudit::app {

StatusLine::StatusLine(std::ostream& err, Options options)
    : err_(err), options_(std::move(options)) {
  if (options_.width < 20) {
    options_.width = 80;  // an unknown or absurd width: assume the classic terminal
  }
}

StatusLine::~StatusLine() {
  try {
    clear();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; stderr is gone
  }
}

void StatusLine::erase_locked() {
  if (!options_.terminal || shown_.empty()) {
    return;
  }
  // Spaces rather than an ANSI erase sequence, so that TERM=dumb terminals are served too.
  err_ << '\r' << std::string(shown_.size(), ' ') << '\r' << std::flush;
  shown_.clear();
}

void StatusLine::draw_locked(std::string_view text) {
  // Cut to the terminal width so the line never wraps (a wrapped line cannot be redrawn by '\r').
  std::string cut(text.substr(0, options_.width - 1));
  if (options_.terminal) {
    const std::size_t old = shown_.size();
    err_ << '\r' << cut;
    if (old > cut.size()) {
      err_ << std::string(old - cut.size(), ' ') << '\r' << cut;
    }
    err_ << std::flush;
    shown_ = std::move(cut);
  } else {
    err_ << cut << '\n' << std::flush;
  }
  drawn_once_ = true;
  last_draw_ = options_.clock();
}

void StatusLine::update(std::string_view text, bool force) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!force && drawn_once_ && options_.clock() - last_draw_ < options_.interval) {
    return;  // throttled: at most one draw per interval
  }
  draw_locked(text);
}

void StatusLine::message(std::string_view line) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string again = shown_;
  erase_locked();
  err_ << line << '\n';
  if (!again.empty()) {
    err_ << again;
    shown_ = again;
  }
  err_ << std::flush;
}

void StatusLine::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  erase_locked();
  drawn_once_ = false;
}

std::string format_bytes(std::uint64_t bytes) {
  const auto value = static_cast<double>(bytes);
  if (bytes >= 1000ULL * 1000 * 1000) {
    return fmt::format("{:.1f} GB", value / 1e9);
  }
  if (bytes >= 1000ULL * 1000) {
    return fmt::format("{:.1f} MB", value / 1e6);
  }
  if (bytes >= 1000ULL) {
    return fmt::format("{:.1f} kB", value / 1e3);
  }
  return fmt::format("{} B", bytes);
}

namespace {

/// 183220 -> "183,220": record counts are read at a glance.
std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

/// The last path component: a full evidence path would push the numbers off the line.
std::string_view base_name(std::string_view path) {
  const std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string format_scan_progress(const ScanProgress& progress, double seconds) {
  std::string out(base_name(progress.artifact));
  if (progress.bytes_total > 0) {
    const std::uint64_t done = std::min(progress.bytes_done, progress.bytes_total);
    const auto percent = static_cast<unsigned>(done * 100 / progress.bytes_total);
    out += fmt::format(
        "  {:>3}%  {}/{}", percent, format_bytes(done), format_bytes(progress.bytes_total));
  } else if (progress.bytes_done > 0) {
    out += "  " + format_bytes(progress.bytes_done);
  }
  if (progress.records > 0) {
    out += "  " + thousands(progress.records) + " records";
  }
  if (seconds >= 0.05 && progress.bytes_done > 0) {
    out += fmt::format("  {:.1f} MB/s", static_cast<double>(progress.bytes_done) / 1e6 / seconds);
  }
  if (progress.finished) {
    out += fmt::format("  done in {:.1f} s", seconds);
  }
  return out;
}

void ScanProgressMeter::operator()(const ScanProgress& progress) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_();
  if (progress.artifact != artifact_) {
    artifact_ = progress.artifact;  // a new artifact: its rate starts from here
    started_ = now;
  }
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const std::string text = "smssaudit: " + format_scan_progress(progress, seconds);
  if (progress.finished && !line_.terminal()) {
    line_.update(text, true);  // off a terminal every artifact gets its closing line
    return;
  }
  line_.update(text, false);
}

}  // namespace smssaudit::app
