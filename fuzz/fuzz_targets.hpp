// The body of every libFuzzer target, one function per target, shared with the regression test
// (tests/robustness/fuzz_regressions_test.cpp) so that a saved crash input is replayed through
// exactly the code the fuzzer ran. Each function takes one input and returns nothing; a bug shows
// as a sanitizer report, a crash, a hang or (rules) a trap on an escaping exception.
#pragma once

#include "fuzz_common.hpp"
#include "smssaudit/readers/base_block_validation.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/hive_replay.hpp"
#include "smssaudit/readers/locate.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdlib.h>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smssaudit::fuzz {

using Input = std::span<const std::uint8_t>;

/// REGF base-block parsing and validation (parse_base_block, validate_base_block).
inline void run_base_block(Input bytes) {
  using namespace readers;
  // The file size is what the caller knows from stat(); try the honest one and a larger one so
  // that the "file holds the declared bins" rule sees both outcomes.
  const std::uint64_t size = bytes.size();
  for (const std::uint64_t file_size : {size, size * 4096U + 4096U}) {
    auto block = parse_base_block(bytes, file_size);
    if (!block) {
      continue;
    }
    for (const auto role :
         {BaseBlockRole::kPrimary, BaseBlockRole::kOldLog, BaseBlockRole::kNewLog}) {
      const auto problems = validate_base_block(*block, role);
      static_cast<void>(base_block_usable(problems));
    }
  }
  if (bytes.size() >= 512) {
    static_cast<void>(base_block_checksum(bytes.first(512)));
  }
}

/// Transaction-log replay over a primary and up to two logs: [u32 n][primary][u32 m][LOG1][LOG2].
inline void run_replay(Input input) {
  auto rest = input;
  const auto primary = take_prefixed(rest);
  const auto log1 = take_prefixed(rest);
  const auto log2 = rest;
  std::vector<readers::LogInput> logs;
  logs.push_back(readers::LogInput{"SYSTEM.LOG1", log1, {}});
  if (!log2.empty()) {
    logs.push_back(readers::LogInput{"SYSTEM.LOG2", log2, {}});
  }
  // Hostile logs must not make the image grow without bound: cap it well under -rss_limit_mb.
  readers::ReplayOptions options;
  options.max_image_bytes = std::uint64_t{64} << 20U;
  DiagnosticSink sink;
  auto out = readers::replay_hive(primary, "SYSTEM", logs, sink, options);
  if (out) {
    static_cast<void>(readers::parse_base_block(out->image, out->image.size()));
  }
  options.sequence_gap = readers::SequenceGapPolicy::kRefuse;
  DiagnosticSink sink2;
  static_cast<void>(readers::replay_hive(primary, "SYSTEM", logs, sink2, options));
}

/// The SYSTEM hive reader on an in-memory image (libregf through a libbfio memory range).
inline void run_hive_reader(Input bytes) {
  DiagnosticSink sink;
  static_cast<void>(readers::read_system_hive_image(bytes, "SYSTEM", sink));
}

/// read_event_log on a memfd holding the input, with the given engine (single worker). With the
/// native engine, files it refuses go on to libevtx, as in a real run; with libevtx, byte 8 (after
/// "ElfFile\0") odd also turns on check_all_xml.
inline void run_evtx(Input bytes, readers::EvtxEngine engine) {
  const MemFile file(bytes);
  if (!file.ok()) {
    return;
  }
  readers::EvtxReadOptions options;
  options.engine = engine;
  options.workers = 1;
  options.check_all_xml =
      engine == readers::EvtxEngine::kLibevtx && bytes.size() > 8 && (bytes[8] & 1U) != 0;
  DiagnosticSink sink;
  readers::EvtxReadStats stats;
  static_cast<void>(readers::read_event_log(file.path(), sink, &stats, options));
  if (engine == readers::EvtxEngine::kNative) {
    static_cast<void>(readers::read_evtx_layout(file.path()));
  }
}

/// The XML -> Event normaliser and the event-time parser on arbitrary text.
inline void run_evtx_xml(Input bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()),  // NOLINT
                              bytes.size());
  facts::EventRef defaults;
  defaults.artifact = "fuzz.evtx";
  defaults.record_id = 1;
  static_cast<void>(readers::normalise_event_xml_detailed(text, defaults));
  static_cast<void>(readers::parse_event_time(text.substr(0, 64)));
}

/// The strict rule-catalogue loader, the examples checker and the site-baseline loader. Returns
/// false when an exception escaped (the loaders report problems as errors: that is a bug).
inline bool run_rules(Input bytes) {
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());  // NOLINT
  const std::vector<rules::SourceFile> files{rules::SourceFile{"fuzz/rule.yaml", text}};
  try {
    auto load = rules::load_catalog(files, {});
    if (load.ok()) {
      static_cast<void>(rules::check_examples(load.catalog));
    }
    // The same file as an overlay over itself: replacement and duplicate-id paths.
    static_cast<void>(rules::load_catalog(files, files));
    static_cast<void>(rules::load_site_baseline(files.front()));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

namespace detail {

/// Keeps the tree inside its root: no absolute paths, no "." or "..", no empty components, at
/// most 8 levels of 64 characters.
inline std::vector<std::string> safe_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size() && out.size() < 8) {
    const auto end = std::min(path.find('/', start), path.size());
    std::string c(path.substr(start, end - start));
    std::erase(c, '\0');
    if (!c.empty() && c != "." && c != "..") {
      out.push_back(c.substr(0, 64));
    }
    start = end + 1;
  }
  return out;
}

/// A fresh folder under /tmp, removed with its content on destruction.
class TempTree {
 public:
  TempTree() {
    std::string templ = "/tmp/smssaudit-locate-fuzz-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr) {
      root_ = templ;
    }
  }

  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  TempTree(TempTree&&) = delete;
  TempTree& operator=(TempTree&&) = delete;

  ~TempTree() {
    if (!root_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
    }
  }

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace detail

/// Evidence location over a folder tree built from the input: repeated
/// [u32 n][relative path][u32 m][content]. A path ending in "~" becomes a symbolic link to the
/// tree's root (a link loop); every third file is also named on the command line.
inline void run_locate(Input input) {
  namespace fs = std::filesystem;
  const detail::TempTree tree;
  if (tree.root().empty()) {
    return;
  }
  auto rest = input;
  std::vector<std::string> inputs{tree.root().string()};
  for (int files = 0; files < 16 && !rest.empty(); ++files) {
    const auto name = take_prefixed(rest);
    const auto content = take_prefixed(rest);
    const std::string_view name_text(reinterpret_cast<const char*>(name.data()),  // NOLINT
                                     name.size());
    const auto parts = detail::safe_components(name_text);
    if (parts.empty()) {
      continue;
    }
    fs::path p = tree.root();
    for (const auto& c : parts) {
      static_cast<void>(readers::decode_percent_component(c));
      p /= c;
    }
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) {
      continue;
    }
    if (name_text.ends_with('~')) {
      fs::create_directory_symlink(tree.root(), p, ec);
      continue;
    }
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()),  // NOLINT
              static_cast<std::streamsize>(content.size()));
    out.close();
    if (files % 3 == 2) {
      inputs.push_back(p.string());
    }
  }
  inputs.push_back((tree.root() / "does-not-exist").string());
  DiagnosticSink sink;
  static_cast<void>(readers::locate_evidence(inputs, sink));
}

}  // namespace smssaudit::fuzz
