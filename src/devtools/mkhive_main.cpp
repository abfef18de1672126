// smssaudit-mkhive: builds a fixture hive (and its logs) from a YAML spec; see
// fixtures/hives/README.md.
#include "hive_listing.hpp"
#include "hive_log_writer.hpp"
#include "hive_spec_loader.hpp"
#include "hive_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace dt = smssaudit::devtools;

namespace {

// Exit codes follow style.md convention 2: 2 = usage or spec error, 3 = file I/O.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

constexpr std::string_view kUsage =
    "usage: smssaudit-mkhive --spec FILE --out-dir DIR [--force]\n"
    "       smssaudit-mkhive --list FILE [--timestamps] [--classes]\n"
    "  --spec FILE      fixture spec (YAML, see fixtures/hives/README.md)\n"
    "  --out-dir DIR    where the hive and its logs go (created if missing)\n"
    "  --force          overwrite existing files\n"
    "  --list FILE      print the normalized tree the spec describes (the cross-check format)\n";

struct Options {
  std::string spec;
  std::string out_dir;
  std::string list;
  bool force = false;
  bool timestamps = false;
  bool classes = false;
};

struct UsageError {
  std::string message;
};

Options parse_args(const std::vector<std::string_view>& args) {
  Options o;
  for (std::size_t k = 0; k < args.size(); ++k) {
    const std::string_view a = args[k];
    auto next = [&]() -> std::string {
      if (k + 1 >= args.size())
        throw UsageError{std::string(a) + " needs an argument"};
      return std::string(args[++k]);
    };
    if (a == "--spec") {
      o.spec = next();
    } else if (a == "--out-dir") {
      o.out_dir = next();
    } else if (a == "--list") {
      o.list = next();
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--timestamps") {
      o.timestamps = true;
    } else if (a == "--classes") {
      o.classes = true;
    } else {
      throw UsageError{"unknown argument '" + std::string(a) + "'"};
    }
  }
  if (!o.list.empty() && (!o.spec.empty() || !o.out_dir.empty())) {
    throw UsageError{"--list cannot be combined with --spec/--out-dir"};
  }
  if (o.list.empty() && (o.spec.empty() || o.out_dir.empty())) {
    throw UsageError{"--spec and --out-dir are required"};
  }
  return o;
}

bool write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int build(const Options& o) {
  const dt::FixtureSpec spec = dt::load_fixture_spec(o.spec);
  const std::vector<std::uint8_t> hive = dt::write_hive(spec.hive);

  // Every output is computed before anything is written, so a spec error leaves no half fixture.
  std::vector<std::pair<fs::path, std::vector<std::uint8_t>>> outputs;
  const fs::path dir(o.out_dir);
  outputs.emplace_back(dir / spec.hive_file, hive);
  for (const auto& log : spec.logs) {
    outputs.emplace_back(dir / (spec.hive_file + "." + log.suffix), dt::write_log(hive, log));
  }
  if (spec.transaction_log) {
    for (auto& log : dt::write_transaction_logs(spec.hive, *spec.transaction_log)) {
      outputs.emplace_back(dir / (spec.hive_file + "." + log.suffix), std::move(log.bytes));
    }
  }
  // Log files the spec does not ask for would be stale leftovers of an earlier spec version and
  // would make a "no logs" fixture look like it has logs, so --force removes them too.
  std::vector<fs::path> stale;
  for (const char* suffix : {"LOG", "LOG1", "LOG2"}) {
    const fs::path log = dir / (spec.hive_file + "." + suffix);
    const bool wanted = std::any_of(
        outputs.begin(), outputs.end(), [&](const auto& output) { return output.first == log; });
    if (!wanted)
      stale.push_back(log);
  }
  if (!o.force) {
    for (const auto& [path, bytes] : outputs)
      stale.push_back(path);
    for (const auto& path : stale) {
      if (fs::exists(path)) {
        std::cerr << "smssaudit-mkhive: " << path.string()
                  << " exists (use --force to overwrite)\n";
        return kExitIo;
      }
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "smssaudit-mkhive: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return kExitIo;
  }
  for (const auto& path : stale)
    fs::remove(path);  // throws filesystem_error on failure
  for (const auto& [path, bytes] : outputs) {
    if (!write_file(path, bytes)) {
      std::cerr << "smssaudit-mkhive: cannot write " << path.string() << "\n";
      return kExitIo;
    }
  }
  return kExitOk;
}

int list(const Options& o) {
  const dt::FixtureSpec spec = dt::load_fixture_spec(o.list);
  for (const auto& line : dt::normalized_listing(spec.hive, {o.timestamps, o.classes})) {
    std::cout << line << "\n";
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  try {
    const Options o = parse_args(args);
    return o.list.empty() ? build(o) : list(o);
  } catch (const UsageError& e) {
    std::cerr << "smssaudit-mkhive: " << e.message << "\n" << kUsage;
  } catch (const dt::SpecError& e) {
    std::cerr << "smssaudit-mkhive: spec error: " << e.what() << "\n";
  } catch (const dt::HiveWriteError& e) {
    std::cerr << "smssaudit-mkhive: spec cannot be written as a hive: " << e.what() << "\n";
  } catch (const fs::filesystem_error& e) {
    std::cerr << "smssaudit-mkhive: " << e.what() << "\n";
    return kExitIo;
  }
  return kExitUsage;
}
