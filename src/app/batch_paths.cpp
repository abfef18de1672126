// Output-path checks and report file names (see batch_paths.hpp).
#include "app/batch_paths.hpp"

#include "smssaudit/app/cli.hpp"
#include "smssaudit/core/error.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace smssaudit::app {
namespace {

namespace fs = boost::filesystem;

std::string errno_text(int err) {
  return std::strerror(err);  // NOLINT(concurrency-mt-unsafe): setup, single-threaded
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s;
}

/// Creates `path` exclusively and removes it again: the only exact test of "can this process
/// create this file" (access(2) says yes to root on a read-only folder, and to anyone on /proc).
/// Returns 0 or the errno of the failed create.
int probe_create(const std::string& path) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno;
  }
  ::close(fd);
  ::unlink(path.c_str());
  return 0;
}

}  // namespace

void require_writable_file(const std::string& path, bool force, std::string_view what) {
  boost::system::error_code ec;
  const std::string label = std::string(what);
  if (fs::is_directory(path, ec)) {
    throw FatalError(kExitUsage, "cannot write the " + label + " to " + path + ": it is a folder");
  }
  const bool exists = fs::exists(fs::symlink_status(path, ec));
  if (exists && !force) {
    throw FatalError(kExitUsage, path + " exists; use --force to overwrite");
  }
  const fs::path parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent, ec)) {
    throw FatalError(kExitUsage,
                     "cannot write the " + label + " to " + path + ": folder " + parent.string() +
                         " does not exist");
  }
  if (exists) {
    // --force over an existing file: it must open for writing (without truncating it yet).
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2) is variadic
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      throw FatalError(kExitUsage,
                       "cannot write the " + label + " to " + path + ": " + errno_text(err));
    }
    ::close(fd);
    return;
  }
  if (const int err = probe_create(path); err != 0) {
    throw FatalError(kExitUsage,
                     "cannot write the " + label + " to " + path + ": " + errno_text(err) +
                         " (folder " + parent.string() + ")");
  }
}

void require_output_dir(const std::string& dir, bool force) {
  boost::system::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw FatalError(kExitUsage, "output folder " + dir + " exists and is not a folder");
  }
  if (fs::is_directory(dir, ec)) {
    if (!fs::is_empty(dir, ec) && !force) {
      throw FatalError(kExitUsage,
                       "output folder " + dir +
                           " is not empty; use --force to write into it (files of the same name "
                           "are overwritten, nothing is deleted)");
    }
  } else if (!fs::create_directories(dir, ec) || ec) {
    throw FatalError(kExitUsage, "cannot create the output folder " + dir + ": " + ec.message());
  }
  const std::string probe =
      (fs::path(dir) / (".smssaudit-write-test-" + std::to_string(::getpid()))).string();
  if (const int err = probe_create(probe); err != 0) {
    throw FatalError(kExitUsage,
                     "cannot write into the output folder " + dir + ": " + errno_text(err));
  }
}

std::string sanitise_file_stem(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = std::isalnum(u) != 0 || c == '.' || c == '-' || c == '_';
    out += keep ? c : '_';
  }
  out.erase(0, out.find_first_not_of('.'));  // no hidden files, never "." or ".."
  if (out.size() > 100) {
    out.resize(100);
  }
  return out.empty() ? "host" : out;
}

std::string unique_stem(const std::string& stem, std::set<std::string>& taken) {
  std::string candidate = stem;
  for (int n = 2; taken.count(lower(candidate)) != 0; ++n) {
    candidate = stem + "-" + std::to_string(n);
  }
  taken.insert(lower(candidate));
  return candidate;
}

}  // namespace smssaudit::app
