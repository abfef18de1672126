// smssaudit-ntfsplace: places directories and files in a fixture NTFS volume (a file made by
// mkntfs) with libntfs-3g. Used by scripts/mkimage; never part of an analysis.
//   smssaudit-ntfsplace VOLUME [--mkdir NTFS_DIR]... [--put NTFS_PATH=HOST_FILE]...
#include "devtools/image/ntfs_place.hpp"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

constexpr std::string_view kUsage =
    "usage: smssaudit-ntfsplace VOLUME [--mkdir NTFS_DIR]... [--put NTFS_PATH=HOST_FILE]...\n"
    "  VOLUME                  a file holding a bare NTFS volume (mkntfs -F FILE)\n"
    "  --mkdir NTFS_DIR        create a directory and its parents ('/'-separated)\n"
    "  --put NTFS_PATH=FILE    create NTFS_PATH (parents included) with FILE's bytes\n";

int run(const std::vector<std::string_view>& args) {
  if (args.empty() || args[0] == "--help") {
    std::cerr << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  auto vol = smssaudit::devtools::image::NtfsVolume::mount(std::string(args[0]));
  if (!vol) {
    std::cerr << "smssaudit-ntfsplace: " << vol.error().message() << "\n";
    return kExitIo;
  }
  for (std::size_t k = 1; k < args.size(); ++k) {
    if (k + 1 >= args.size()) {
      std::cerr << kUsage;
      return kExitUsage;
    }
    const std::string_view opt = args[k];
    const std::string_view val = args[++k];
    smssaudit::Status st = smssaudit::ok();
    if (opt == "--mkdir") {
      st = vol->make_dirs(val);
    } else if (opt == "--put") {
      const auto eq = val.find('=');
      if (eq == std::string_view::npos) {
        std::cerr << "smssaudit-ntfsplace: --put needs NTFS_PATH=HOST_FILE\n";
        return kExitUsage;
      }
      st = vol->put_file(val.substr(0, eq), std::string(val.substr(eq + 1)));
    } else {
      std::cerr << kUsage;
      return kExitUsage;
    }
    if (!st) {
      std::cerr << "smssaudit-ntfsplace: " << st.error().message() << "\n";
      return kExitIo;
    }
  }
  const auto closed = vol->close();
  if (!closed) {
    std::cerr << "smssaudit-ntfsplace: " << closed.error().message() << "\n";
    return kExitIo;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  return run(args);
}
