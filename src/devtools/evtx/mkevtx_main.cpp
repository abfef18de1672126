// smssaudit-mkevtx: builds fixture event logs (.evtx) from a YAML spec; see
// fixtures/evtx/README.md.
#include "evtx_presets.hpp"
#include "evtx_spec_loader.hpp"
#include "evtx_writer.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace ev = smssaudit::devtools::evtx;

namespace {

// Exit codes follow style.md convention 2: 2 = usage, spec error or existing output, 3 = I/O.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitIo = 3;

constexpr std::string_view kUsage =
    "usage: smssaudit-mkevtx --spec FILE --out-dir DIR [--force]\n"
    "       smssaudit-mkevtx --dump FILE\n"
    "       smssaudit-mkevtx --presets\n"
    "  --spec FILE      fixture spec (YAML, see fixtures/evtx/README.md)\n"
    "  --out-dir DIR    where the .evtx files go (created if missing)\n"
    "  --force          overwrite existing files (without it an existing file is an error)\n"
    "  --dump FILE      print the normalised dump the readers must show for each file\n"
    "  --presets        list every preset with its fields, types and defaults\n";

struct Options {
  std::string spec;
  std::string out_dir;
  std::string dump;
  bool force = false;
  bool presets = false;
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
    } else if (a == "--dump") {
      o.dump = next();
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--presets") {
      o.presets = true;
    } else {
      throw UsageError{"unknown argument '" + std::string(a) + "'"};
    }
  }
  const bool build = !o.spec.empty() || !o.out_dir.empty();
  if (static_cast<int>(build) + static_cast<int>(!o.dump.empty()) + static_cast<int>(o.presets) !=
      1)
    throw UsageError{"give exactly one of --spec/--out-dir, --dump or --presets"};
  if (build && (o.spec.empty() || o.out_dir.empty()))
    throw UsageError{"--spec and --out-dir are required together"};
  return o;
}

bool write_file(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int build(const Options& o) {
  const ev::EvtxSpec spec = ev::load_evtx_spec(o.spec);
  // Every file is encoded before anything is written, so an error leaves no half fixture.
  std::vector<std::pair<fs::path, std::vector<std::uint8_t>>> outputs;
  const fs::path dir(o.out_dir);
  for (const auto& file : spec.files) {
    try {
      outputs.emplace_back(dir / file.name, ev::write_evtx(file));
    } catch (const ev::EvtxWriteError& e) {
      std::cerr << "smssaudit-mkevtx: " << o.spec << ": " << file.name << ": " << e.what() << "\n";
      return kExitUsage;
    }
  }
  if (!o.force) {
    for (const auto& [path, bytes] : outputs) {
      if (fs::exists(path)) {
        std::cerr << "smssaudit-mkevtx: " << path.string()
                  << " exists (use --force to overwrite)\n";
        return kExitUsage;
      }
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "smssaudit-mkevtx: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return kExitIo;
  }
  for (const auto& [path, bytes] : outputs) {
    if (!write_file(path, bytes)) {
      std::cerr << "smssaudit-mkevtx: cannot write " << path.string() << "\n";
      return kExitIo;
    }
  }
  return kExitOk;
}

int dump(const Options& o) {
  const ev::EvtxSpec spec = ev::load_evtx_spec(o.dump);
  for (const auto& file : spec.files) {
    std::cout << "file=" << file.name << "\n";
    for (const auto& line : ev::expected_dump(file))
      std::cout << line << "\n";
  }
  return kExitOk;
}

int presets() {
  for (const auto& p : ev::all_presets()) {
    std::cout << p.name << ": " << p.provider << " event " << p.event_id << " v"
              << static_cast<int>(p.version) << " (" << p.channel << ")\n";
    for (const auto& f : p.fields) {
      std::cout << "  " << f.name << " " << ev::field_type_name(f.type) << " = ";
      if (f.type == ev::FieldType::kStringArray) {
        std::cout << (f.items.empty() ? "~" : "[" + std::to_string(f.items.size()) + " items]");
      } else {
        std::cout << (f.value ? "'" + *f.value + "'" : "~");
      }
      std::cout << "\n";
    }
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
    if (o.presets)
      return presets();
    return o.dump.empty() ? build(o) : dump(o);
  } catch (const UsageError& e) {
    std::cerr << "smssaudit-mkevtx: " << e.message << "\n" << kUsage;
  } catch (const ev::EvtxSpecError& e) {
    std::cerr << "smssaudit-mkevtx: spec error: " << e.what() << "\n";
  } catch (const ev::EvtxWriteError& e) {
    std::cerr << "smssaudit-mkevtx: cannot write the spec as EVTX: " << e.what() << "\n";
  } catch (const fs::filesystem_error& e) {
    std::cerr << "smssaudit-mkevtx: " << e.what() << "\n";
    return kExitIo;
  }
  return kExitUsage;
}
