// `smssaudit hive recover`: the replay engine (readers/hive_replay) exposed for other tools. The
// evidence is only read; the recovered image is written to a temporary file beside OUT and
// renamed into place, so a failed write never leaves a half-written hive under OUT's name.
#include "app/hive_recover.hpp"

#include "smssaudit/app/cli.hpp"
#include "smssaudit/core/error.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/hive_reader.hpp"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include <fstream>
#include <ostream>
#include <unistd.h>

namespace smssaudit::app {
namespace {

namespace fs = boost::filesystem;

constexpr std::size_t kMaxSkippedLines = 20;  // the rest is summarised in one line

bool same_file(const std::string& a, const std::string& b) {
  boost::system::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

// OUT in the hive's folder named <hive>.LOG, .LOG1 or .LOG2 would be taken for one of its logs by
// the next `scan` (find_hive_logs matches case-insensitively), even if it does not exist yet.
bool looks_like_log_of(const std::string& out, const std::string& hive) {
  boost::system::error_code ec;
  const fs::path out_dir = fs::absolute(out).parent_path();
  const fs::path hive_dir = fs::absolute(hive).parent_path();
  if (!fs::exists(out_dir, ec) || !fs::equivalent(out_dir, hive_dir, ec)) {
    return false;
  }
  const std::string name = fs::path(out).filename().string();
  const std::string base = fs::path(hive).filename().string();
  for (const char* ext : {".LOG", ".LOG1", ".LOG2"}) {
    if (text::iequals(name, base + ext)) {
      return true;
    }
  }
  return false;
}

// Every output rule, checked before the evidence is read (design.md: setup errors exit 2).
void check_recover_output(const HiveRecoverArgs& a, const std::vector<facts::HiveLogFile>& logs) {
  if (same_file(a.output, a.hive)) {
    throw FatalError(kExitUsage,
                     "refusing to write over the evidence: " + a.output + " is the hive");
  }
  for (const auto& log : logs) {
    if (same_file(a.output, log.path)) {
      throw FatalError(kExitUsage,
                       "refusing to write over the evidence: " + a.output + " is " + log.path);
    }
  }
  if (looks_like_log_of(a.output, a.hive)) {
    throw FatalError(kExitUsage,
                     "refusing to write " + a.output +
                         ": beside the hive, that name would be read as one of its logs");
  }
  boost::system::error_code ec;
  if (fs::exists(a.output, ec) && !a.force) {
    throw FatalError(kExitUsage, a.output + " exists; use --force to overwrite");
  }
  if (fs::is_directory(a.output, ec)) {
    throw FatalError(kExitUsage, a.output + " is a folder");
  }
  const fs::path parent = fs::absolute(a.output).parent_path();
  if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK) != 0) {
    throw FatalError(kExitUsage,
                     "cannot write " + a.output + ": folder " + parent.string() +
                         " does not exist or is not writable");
  }
}

// Writes to OUT.partial-<pid> in OUT's folder, then renames over OUT.
void write_image(const std::string& output, const std::vector<std::uint8_t>& image) {
  const std::string tmp = output + ".partial-" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(image.data()),  // NOLINT: ofstream takes char
            static_cast<std::streamsize>(image.size()));
    if (!f) {
      boost::system::error_code ec;
      fs::remove(tmp, ec);
      throw FatalError(kExitUsage, "cannot write " + output);
    }
  }
  boost::system::error_code ec;
  fs::rename(tmp, output, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw FatalError(kExitUsage, "cannot write " + output + ": " + ec.message());
  }
}

void print_summary(const facts::ReplayReport& rep, std::ostream& err) {
  err << "smssaudit: hive recover: " << rep.summary << '\n';
  if (rep.dirty) {
    err << "  dirty: " << rep.dirty_reason << '\n';
  }
  if (rep.sequence_gap) {
    err << "  note: " << rep.sequence_gap_note << '\n';
  }
  for (const auto& log : rep.logs) {
    err << "  log " << log.name << ": "
        << (log.used ? fmt::format("used ({})", facts::to_string(log.format))
                     : "not used: " + log.reason)
        << '\n';
  }
  std::size_t shown = 0;
  for (const auto& e : rep.entries) {
    if (e.applied) {
      continue;
    }
    if (++shown > kMaxSkippedLines) {
      continue;
    }
    err << fmt::format(
        "  skipped {} at 0x{:x} (sequence {}): {}\n", e.log, e.offset, e.sequence, e.reason);
  }
  if (shown > kMaxSkippedLines) {
    err << "  ... and " << shown - kMaxSkippedLines << " more skipped entries\n";
  }
  err << fmt::format(
      "  entries applied {}, skipped {}\n", rep.entries_applied, rep.entries_skipped);
}

}  // namespace

int run_hive_recover(const HiveRecoverArgs& a, std::ostream& /*out*/, std::ostream& err) {
  boost::system::error_code ec;
  if (!fs::is_regular_file(a.hive, ec)) {
    err << "smssaudit: " << a.hive << ": no such file\n";
    return kExitNoEvidence;
  }
  const std::vector<facts::HiveLogFile> logs = readers::find_hive_logs(a.hive);
  check_recover_output(a, logs);

  DiagnosticSink sink;
  auto replay = readers::replay_hive_files(a.hive, logs, sink);
  if (!replay) {
    err << "smssaudit: " << replay.error().message() << '\n';
    return kExitNoEvidence;
  }
  const facts::ReplayReport& rep = replay->report;
  print_summary(rep, err);
  if (rep.dirty && !rep.performed) {
    err << "smssaudit: nothing recovered from " << a.hive << "; " << a.output
        << " was not written\n";
    return kExitNoEvidence;
  }
  write_image(a.output, replay->image);
  err << fmt::format("smssaudit: wrote {} ({} bytes){}\n",
                     a.output,
                     replay->image.size(),
                     rep.dirty ? "" : ": the hive is clean, copied unchanged");
  return kExitOk;
}

}  // namespace smssaudit::app
