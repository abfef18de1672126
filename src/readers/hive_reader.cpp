// Hive readers: SYSTEM (Select, every ControlSetNNN, the Session Manager surface) and SOFTWARE
// (CurrentVersion). libregf does the cell walking; we add what it lacks: base-block checks, dirty
// detection, log discovery, case-insensitive value lookups and tolerant value decoding.
#include "smssaudit/readers/hive_reader.hpp"

#include "readers/hive_structure.hpp"
#include "readers/libyal/regf_handle.hpp"
#include "readers/value_decoder.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/evidence/file_source.hpp"
#include "smssaudit/facts/surface.hpp"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace smssaudit::readers {
namespace {

namespace fs = boost::filesystem;
using libyal::name_of;
using libyal::RegfFile;
using libyal::RegfKey;
using libyal::RegfTrailLog;
using libyal::RegfValue;

constexpr std::string_view kCurrentVersionPath = "Microsoft\\Windows NT\\CurrentVersion";

// Checksums and sequence numbers are quoted in hex, the way regf tools print them.
std::string hex32(std::uint32_t v) {
  return fmt::format("0x{:08x}", v);
}

// Key paths use backslashes as regedit shows them, so diagnostics can be pasted into tools.
std::string join_path(std::string_view a, std::string_view b) {
  if (a.empty()) {
    return std::string(b);
  }
  return std::string(a) + "\\" + std::string(b);
}

// The unnamed default value is shown as "(default)", as regedit does.
std::string value_location(std::string_view key_path, std::string_view value_name) {
  return join_path(key_path, value_name.empty() ? "(default)" : value_name);
}

/// Everything a reader needs after the file-level checks: the parsed base block, the logs beside
/// it and the open libregf file.
struct OpenedHive {
  facts::BaseBlock base;
  std::vector<facts::HiveLogFile> logs;
  RegfFile file;
};

/// Base block first (our own parser names the file and says why), then libregf. Dirty, truncated
/// and unexpected-name conditions become diagnostics; only "cannot read at all" is an Error.
Result<OpenedHive> open_hive(const std::string& path,
                             std::string_view expected_name,
                             DiagnosticSink& sink,
                             RegfTrailLog& trails) {
  // Our own parser first: it distinguishes "not a hive" from "truncated" before libregf, whose
  // messages say neither in plain words.
  auto base = read_base_block(path);
  if (!base) {
    return fail(std::move(base).error());
  }
  const facts::BaseBlock& bb = *base;
  if (bb.file_type != 0) {
    // REGF +28: 1/2/6 are transaction logs. libregf would open them but find no hive bins.
    return fail(ErrorCode::kHiveBaseBlock,
                path,
                "base block file type " + std::to_string(bb.file_type) +
                    " is a transaction log, not a primary hive");
  }

  // libregf re-reads the base block and the hive bins; it rejects a bad checksum outright.
  auto file = RegfFile::open(path, &trails);
  if (!file) {
    const std::string lib = file.error().detail;
    // Explain libregf's refusal with what the base block shows, most specific cause first.
    if (!bb.checksum_ok()) {
      return fail(ErrorCode::kHiveBaseBlock,
                  path,
                  "base block checksum mismatch (stored " + hex32(bb.stored_checksum) +
                      ", computed " + hex32(bb.computed_checksum) +
                      "); the hive needs its transaction logs; libregf: " + lib);
    }
    if (bb.truncated()) {
      return fail(ErrorCode::kHiveTruncated,
                  path,
                  "file is " + std::to_string(bb.file_size) +
                      " bytes but the base block declares " +
                      std::to_string(4096ULL + bb.hive_bins_size) + "; libregf: " + lib);
    }
    return fail(ErrorCode::kHiveLibrary, path, "libregf cannot open the hive: " + lib);
  }

  // Logs are listed even for a clean hive: an analyst wants to know they were collected.
  std::vector<facts::HiveLogFile> logs = find_hive_logs(path);
  if (bb.dirty()) {
    std::string why = bb.sequences_match()
                          ? std::string()
                          : "primary sequence " + std::to_string(bb.primary_sequence) +
                                " != secondary " + std::to_string(bb.secondary_sequence);
    if (!bb.checksum_ok()) {
      why += std::string(why.empty() ? "" : ", ") + "base block checksum mismatch (stored " +
             hex32(bb.stored_checksum) + ", computed " + hex32(bb.computed_checksum) + ")";
    }
    sink.add(DiagLevel::kWarning,
             "hive.dirty",
             path,
             "",
             "hive is dirty (" + why + "); the primary file may lack its newest changes (" +
                 (logs.empty() ? std::string("no transaction logs found beside it")
                               : std::to_string(logs.size()) +
                                     " transaction log(s) found: see the replay report") +
                 ")");
  }
  if (bb.truncated()) {
    sink.add(DiagLevel::kWarning,
             "hive.truncated",
             path,
             "",
             "file is " + std::to_string(bb.file_size) + " bytes but the base block declares " +
                 std::to_string(4096ULL + bb.hive_bins_size));
  }
  // REGF +48 holds the tail of the path the hive was loaded from ("...\Config\SYSTEM").
  if (!text::iends_with(bb.embedded_name, expected_name)) {
    sink.add(DiagLevel::kInfo,
             "hive.name_mismatch",
             path,
             "",
             "embedded hive name '" + text::printable(bb.embedded_name) + "' does not end with " +
                 std::string(expected_name));
  }
  return OpenedHive{std::move(base).value(), std::move(logs), std::move(file).value()};
}

// Something under a present key could not be read: the key stays present but its error lists
// every such problem ("; "-separated), and each is also a warning.
void partial_key(facts::RegKey& out,
                 const char* code,
                 const std::string& problem,
                 const std::string& source,
                 const std::string& location,
                 DiagnosticSink& sink) {
  out.error += (out.error.empty() ? "" : "; ") + problem;
  sink.add(DiagLevel::kWarning, code, source, location, problem);
}

/// Reads every value of `key` into `out`, turning per-value problems into RegValue::error plus a
/// diagnostic, so one bad value never hides its siblings.
void read_values(const RegfKey& key,
                 const std::string& location,
                 const std::string& source,
                 DiagnosticSink& sink,
                 facts::RegKey& out) {
  // Without a readable value list nothing can be said about any value: the key is partial.
  auto count = key.value_count();
  if (!count) {
    out.error = "values unreadable: " + count.error().message();
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", source, location, out.error);
    return;
  }
  for (int i = 0; i < *count; ++i) {
    // Opening the value and reading its name can each fail; both leave the value nameless, so it
    // cannot be reported as a RegValue and is described in RegKey::error instead.
    auto value = key.value(i);
    auto name = name_of(value);
    if (!name) {
      partial_key(out,
                  "hive.value_unreadable",
                  "value #" + std::to_string(i) + " unreadable: " + name.error().detail,
                  source,
                  location,
                  sink);
      continue;
    }
    const RegfValue& v = *value;
    const std::string where = value_location(location, *name);
    if (auto corrupt = v.is_corrupted(); corrupt && *corrupt) {
      sink.add(DiagLevel::kWarning,
               "hive.corrupt",
               source,
               where,
               "libregf flags this value as corrupted: its data may be incomplete");
    }
    // Type (vk +12) and data are read raw and decoded by decode_value, not by libregf's typed
    // getters: one decoder for every type, and wrong sizes become errors instead of refusals.
    auto type = v.type();
    std::size_t stored = 0;
    auto data = type ? v.data(kMaxValueData, stored)
                     : Result<std::vector<std::uint8_t>>(Unexpected{type.error()});
    if (!data) {
      facts::RegValue bad;
      bad.name = *name;
      bad.type = type ? *type : 0;
      bad.error = data.error().message();
      sink.add(DiagLevel::kWarning, "hive.value_unreadable", source, where, bad.error);
      out.values.push_back(std::move(bad));
      continue;
    }
    // Decoding never fails; problems land in RegValue::error and are echoed as diagnostics.
    facts::RegValue decoded = decode_value(*name, *type, *data, stored);
    if (!decoded.error.empty()) {
      sink.add(DiagLevel::kWarning, "hive.value_malformed", source, where, decoded.error);
    }
    if (decoded.truncated) {
      sink.add(DiagLevel::kInfo,
               "hive.value_truncated",
               source,
               where,
               "value data is " + std::to_string(stored) + " bytes; kept the first " +
                   std::to_string(kMaxValueData));
    }
    out.values.push_back(std::move(decoded));
  }
}

/// Captures one present key: last-written time, values, direct subkey names, corruption flag.
facts::RegKey capture_key(const RegfKey& key,
                          const std::string& relative_path,
                          const std::string& location,
                          const std::string& source,
                          DiagnosticSink& sink) {
  facts::RegKey out;
  out.path = relative_path;
  out.status = facts::KeyStatus::kPresent;
  // libregf 20201007 sets its corruption flag on every key that has no values (checked on the
  // corpus: ControlSet001, Services and Configuration Manager of clean hives, and an empty
  // AppCertDlls key). For such keys the flag says nothing; subkey and value reads below still
  // report real damage.
  auto value_count = key.value_count();
  bool flag_meaningful = !value_count || *value_count > 0;
  if (auto corrupt = key.is_corrupted(); flag_meaningful && corrupt && *corrupt) {
    sink.add(DiagLevel::kWarning,
             "hive.corrupt",
             source,
             location,
             "libregf flags this key as corrupted: a subkey or value list is inconsistent, so what "
             "was captured may be incomplete");
    out.error = "libregf flags the key as corrupted; values or subkeys may be missing";
  }
  // The key's last-written time dates the last change to any of its values (nk +4).
  if (auto lw = key.last_written()) {
    out.last_written = *lw;  // nk +4
  } else {
    out.error += std::string(out.error.empty() ? "" : "; ") +
                 "last-written time unreadable: " + lw.error().message();
  }
  read_values(key, location, source, sink, out);
  // Direct subkey names: analyses compare them with baselines (e.g. unexpected SubSystems).
  auto n = key.subkey_count();
  if (!n) {
    partial_key(out,
                "hive.key_unreadable",
                "subkeys unreadable: " + n.error().message(),
                source,
                location,
                sink);
    return out;
  }
  for (int i = 0; i < *n; ++i) {
    auto sub = key.subkey(i);
    auto name = name_of(sub);
    if (!name) {
      partial_key(out,
                  "hive.key_unreadable",
                  "subkey #" + std::to_string(i) + " unreadable: " + name.error().detail,
                  source,
                  location,
                  sink);
      continue;
    }
    out.subkeys.push_back(*name);
  }
  return out;
}

/// Tri-state lookup of `relative_path` under `parent`, captured as a RegKey with its status.
facts::RegKey capture_path(const RegfKey& parent,
                           const std::string& parent_location,
                           const std::string& relative_path,
                           const std::string& source,
                           DiagnosticSink& sink) {
  const std::string location = join_path(parent_location, relative_path);
  // Tri-state: an error is "unreadable" (a finding may be hidden), nullopt is "absent" (the key
  // genuinely does not exist, which is itself a fact).
  auto found = parent.subkey_by_path(relative_path);
  if (!found) {
    facts::RegKey k;
    k.path = relative_path;
    k.status = facts::KeyStatus::kUnreadable;
    k.error = found.error().detail;
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", source, location, k.error);
    return k;
  }
  if (!found->has_value()) {
    facts::RegKey k;
    k.path = relative_path;
    k.status = facts::KeyStatus::kAbsent;
    return k;
  }
  return capture_key(**found, relative_path, location, source, sink);
}

// Select values and UBR/InstallDate must be REG_DWORD; any other type is treated as missing.
std::optional<std::uint32_t> dword_of(const facts::RegKey& key, std::string_view name) {
  const facts::RegValue* v = key.find(name);
  if (v == nullptr || v->type != static_cast<std::uint32_t>(facts::RegType::kDword) || !v->number) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*v->number);
}

// First string of a string-typed value; REG_BINARY text counts too, numbers do not.
std::optional<std::string> string_of(const facts::RegKey& key, std::string_view name) {
  const facts::RegValue* v = key.find(name);
  if (v == nullptr || !(v->is_string_type() || v->binary_as_text) || v->strings.empty()) {
    return std::nullopt;
  }
  return v->strings.front();
}

/// "ControlSet001" -> 1; anything not matching ControlSet\d{3} (case-insensitive) -> nullopt.
std::optional<std::uint32_t> control_set_number(std::string_view name) {
  constexpr std::string_view kPrefix = "ControlSet";
  if (name.size() != kPrefix.size() + 3 || !text::istarts_with(name, kPrefix)) {
    return std::nullopt;
  }
  std::uint32_t n = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return n;
}

// Full libregf trails go out at debug level only: -v shows them, reports keep the first line.
void emit_trails(const RegfTrailLog& trails, const std::string& path, DiagnosticSink& sink) {
  for (const std::string& t : trails.trails) {
    sink.add(DiagLevel::kDebug, "hive.library_trail", path, "", t);
  }
}

// libregf accumulates a file-level corruption flag while it reads cells; ask once at the end.
void check_file_corruption(const RegfFile& file, const std::string& path, DiagnosticSink& sink) {
  if (auto corrupt = file.is_corrupted(); corrupt && *corrupt) {
    sink.add(DiagLevel::kWarning,
             "hive.corrupt",
             path,
             "",
             "libregf found structural corruption in the hive bins it read");
  }
}

/// An opened hive and its root key: where both readers start.
struct OpenedRoot {
  OpenedHive hive;
  RegfKey root;  ///< declared after `hive`, so it is freed before the file it was read from
};

/// The preamble both readers share: open the hive, then its root key. Failing either is fatal, so
/// the libregf trails are emitted here before the error goes back.
Result<OpenedRoot> open_root(const std::string& path,
                             std::string_view expected_name,
                             DiagnosticSink& sink,
                             RegfTrailLog& trails) {
  auto opened = open_hive(path, expected_name, sink, trails);
  if (!opened) {
    emit_trails(trails, path, sink);
    return fail(std::move(opened).error());
  }
  auto root = opened->file.root_key();
  if (!root) {
    emit_trails(trails, path, sink);
    return fail(ErrorCode::kHiveLibrary, path, "cannot read the root key: " + root.error().detail);
  }
  return OpenedRoot{std::move(opened).value(), std::move(root).value()};
}

// Windows names logs <hive>.LOG, .LOG1, .LOG2; the position here is also the report order.
constexpr std::array<std::string_view, 3> kLogSuffixes = {".LOG", ".LOG1", ".LOG2"};

// Which log of `base_name` the directory entry `name` is (case varies with the collection tool,
// so names are compared case-insensitively), as an index into kLogSuffixes.
std::optional<std::size_t> log_rank(const std::string& name, const std::string& base_name) {
  for (std::size_t rank = 0; rank < kLogSuffixes.size(); ++rank) {
    if (text::iequals(name, base_name + std::string(kLogSuffixes.at(rank)))) {
      return rank;
    }
  }
  return std::nullopt;
}

// Size and, when it has one, the base-block copy of the log `name` found beside `hive`.
facts::HiveLogFile describe_log(const fs::path& hive,
                                const fs::path& found,
                                const std::string& name) {
  facts::HiveLogFile log;
  log.path = hive.has_parent_path() ? (hive.parent_path() / name).string() : name;
  boost::system::error_code ec;
  const auto size = fs::file_size(found, ec);
  log.size = ec ? 0 : static_cast<std::uint64_t>(size);
  // A log's first sector is a base-block copy (type 1/2 old, 6 new format, registry.md 4.3/4.4).
  if (log.size >= 512) {
    if (auto bb = read_base_block(log.path)) {
      log.base = std::move(bb).value();
    }
  }
  return log;
}

/// Where the SYSTEM reader's keys sit among the root's subkeys.
struct RootLayout {
  std::optional<int> select_index;
  std::vector<std::pair<std::uint32_t, int>> control_sets;  ///< (number, subkey index) by number
};

// Root subkeys: Select plus ControlSetNNN. An offline hive has no CurrentControlSet link, so every
// ControlSetNNN is audited and Select only says which one was current (registry.md 2). Every
// readable name is appended to `names`, in stored order.
RootLayout scan_root(const RegfKey& root,
                     const std::string& path,
                     DiagnosticSink& sink,
                     std::vector<std::string>& names) {
  RootLayout layout;
  auto count = root.subkey_count();
  if (!count) {
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", path, "(root)", count.error().message());
    return layout;
  }
  for (int i = 0; i < *count; ++i) {
    auto sub = root.subkey(i);
    auto name = name_of(sub);
    if (!name) {
      sink.add(DiagLevel::kWarning,
               "hive.key_unreadable",
               path,
               "(root subkey #" + std::to_string(i) + ")",
               name.error().detail);
      continue;
    }
    names.push_back(*name);
    if (text::iequals(*name, "Select")) {
      layout.select_index = i;
    } else if (auto n = control_set_number(*name)) {
      layout.control_sets.emplace_back(*n, i);
    }
  }
  // Report control sets by number whatever their stored order; the subkey index is kept to open
  // each one without a second name lookup.
  std::stable_sort(layout.control_sets.begin(),
                   layout.control_sets.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return layout;
}

// SYSTEM\Select: Current/Default/Failed/LastKnownGood name ControlSet numbers (registry.md 2).
facts::SelectInfo read_select(const RegfKey& root,
                              int index,
                              const std::string& path,
                              DiagnosticSink& sink) {
  facts::SelectInfo select;
  auto sel = root.subkey(index);
  if (!sel) {
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", path, "Select", sel.error().message());
    return select;
  }
  const facts::RegKey k = capture_key(*sel, "Select", "Select", path, sink);
  select.key_present = true;
  select.last_written = k.last_written;
  select.current = dword_of(k, "Current");
  select.default_set = dword_of(k, "Default");
  select.failed = dword_of(k, "Failed");
  select.last_known_good = dword_of(k, "LastKnownGood");
  return select;
}

// One ControlSetNNN with every surface key captured, so a missing key is reported as absent
// rather than skipped. nullopt (after a diagnostic) when the set itself cannot be opened.
std::optional<facts::ControlSet> capture_control_set(const RegfKey& root,
                                                     int index,
                                                     std::uint32_t number,
                                                     const std::string& name,
                                                     const std::string& path,
                                                     DiagnosticSink& sink) {
  auto cs_key = root.subkey(index);
  if (!cs_key) {
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", path, name, cs_key.error().message());
    return std::nullopt;
  }
  facts::ControlSet cs;
  cs.name = name;
  cs.number = number;
  for (const facts::SurfaceKey& sk : facts::session_manager_surface()) {
    cs.keys.push_back(capture_path(*cs_key, name, std::string(sk.path), path, sink));
  }
  return cs;
}

/// Everything read_system_hive captures below the root key: root layout, Select, every
/// ControlSetNNN. Shared by the file and the in-memory (replayed image) entry points so both see
/// exactly the same facts. `path` names the hive in facts and diagnostics.
facts::SystemHive capture_system(const RegfKey& root,
                                 const RegfFile& file,
                                 const std::string& path,
                                 DiagnosticSink& sink) {
  facts::SystemHive hive;
  hive.path = path;
  // From here on nothing is fatal: each problem is scoped to a key or value.
  hive.root_readable = true;

  const RootLayout layout = scan_root(root, path, sink, hive.root_subkeys);
  if (layout.select_index) {
    hive.select = read_select(root, *layout.select_index, path, sink);
  }
  for (const auto& [number, index] : layout.control_sets) {
    const std::string name = hive.root_subkeys.at(static_cast<std::size_t>(index));
    if (auto cs = capture_control_set(root, index, number, name, path, sink)) {
      hive.control_sets.push_back(std::move(*cs));
    }
  }
  if (layout.control_sets.empty()) {
    sink.add(DiagLevel::kWarning,
             "hive.no_control_sets",
             path,
             "",
             "no ControlSetNNN key under the root: not a SYSTEM hive, or its root is damaged");
  }
  check_file_corruption(file, path, sink);
  return hive;
}

/// A hive image opened from memory and its root key.
struct OpenedImage {
  facts::BaseBlock base;
  RegfFile file;
  RegfKey root;  ///< declared after `file`, so it is freed before the file it was read from
};

/// The in-memory counterpart of open_root: our base-block parser first (not a hive, a log, or a
/// checksum libregf would refuse), then libregf through a libbfio memory range over `image`.
Result<OpenedImage> open_image_root(std::span<const std::uint8_t> image,
                                    const std::string& label,
                                    DiagnosticSink& sink,
                                    RegfTrailLog& trails) {
  auto base =
      parse_base_block(image.first(std::min<std::size_t>(image.size(), 4096)), image.size());
  if (!base) {
    Error e = std::move(base).error();
    e.context = label;
    return fail(std::move(e));
  }
  if (base->file_type != 0) {
    return fail(ErrorCode::kHiveBaseBlock,
                label,
                "base block file type " + std::to_string(base->file_type) +
                    " is a transaction log, not a primary hive");
  }
  if (!base->checksum_ok()) {
    return fail(ErrorCode::kHiveBaseBlock,
                label,
                "base block checksum mismatch (stored " + hex32(base->stored_checksum) +
                    ", computed " + hex32(base->computed_checksum) + ")");
  }
  auto io = libyal::BfioHandle::open_memory(image, &trails);
  auto file = io ? RegfFile::open_io(std::move(io).value(), label, &trails)
                 : Result<RegfFile>(Unexpected{io.error()});
  if (!file) {
    emit_trails(trails, label, sink);
    return fail(
        ErrorCode::kHiveLibrary, label, "libregf cannot open the image: " + file.error().detail);
  }
  auto root = file->root_key();
  if (!root) {
    emit_trails(trails, label, sink);
    return fail(ErrorCode::kHiveLibrary, label, "cannot read the root key: " + root.error().detail);
  }
  return OpenedImage{std::move(base).value(), std::move(file).value(), std::move(root).value()};
}

}  // namespace

std::vector<facts::HiveLogFile> find_hive_logs(const std::string& hive_path) {
  // List the directory and compare names rather than probing fixed spellings: the case of the
  // suffix varies with the collection tool.
  const fs::path hive(hive_path);
  const std::string base_name = hive.filename().string();
  // A bare file name means the current directory.
  const fs::path dir = hive.has_parent_path() ? hive.parent_path() : fs::path(".");
  std::vector<std::pair<std::size_t, facts::HiveLogFile>> found;
  boost::system::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto rank = log_rank(name, base_name);
    boost::system::error_code sec;
    if (rank && fs::is_regular_file(it->path(), sec)) {
      found.emplace_back(*rank, describe_log(hive, it->path(), name));
    }
  }
  // Stable report order: .LOG, .LOG1, .LOG2 whatever the directory order was.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.path < b.second.path;
  });
  std::vector<facts::HiveLogFile> out;
  out.reserve(found.size());
  for (auto& [rank, log] : found) {
    out.push_back(std::move(log));
  }
  return out;
}

Result<facts::SystemHive> read_system_hive(const std::string& path, DiagnosticSink& sink) {
  RegfTrailLog trails;
  auto opened = open_root(path, "SYSTEM", sink, trails);
  if (!opened) {
    return fail(std::move(opened).error());
  }
  facts::SystemHive hive = capture_system(opened->root, opened->hive.file, path, sink);
  // What libregf does not check on the keys just read (cycles, counts, big data), from the same
  // bytes through positional reads; a file that vanished since libregf opened it is skipped.
  if (auto bytes = evidence::open_file_source(path)) {
    check_system_structure(**bytes, path, sink);
  }
  hive.base = opened->hive.base;
  hive.logs = opened->hive.logs;
  emit_trails(trails, path, sink);
  return hive;
}

Result<facts::SystemHive> read_system_hive_image(std::span<const std::uint8_t> image,
                                                 const std::string& display_path,
                                                 DiagnosticSink& sink) {
  RegfTrailLog trails;
  auto opened = open_image_root(image, display_path, sink, trails);
  if (!opened) {
    return fail(std::move(opened).error());
  }
  facts::SystemHive hive = capture_system(opened->root, opened->file, display_path, sink);
  check_system_structure(image, display_path, sink);
  hive.base = opened->base;
  emit_trails(trails, display_path, sink);
  return hive;
}

namespace {

/// SOFTWARE\Microsoft\Windows NT\CurrentVersion into `hive` (shared by the file and image readers).
void capture_software(const RegfKey& root,
                      const std::string& path,
                      facts::SoftwareHive& hive,
                      DiagnosticSink& sink) {
  // SOFTWARE has the same root layout as HKLM\SOFTWARE, so the path starts at "Microsoft".
  const std::string location(kCurrentVersionPath);
  auto cv = root.subkey_by_path(kCurrentVersionPath);
  if (!cv) {
    sink.add(DiagLevel::kWarning, "hive.key_unreadable", path, location, cv.error().detail);
  } else if (!cv->has_value()) {
    sink.add(DiagLevel::kWarning,
             "hive.key_absent",
             path,
             location,
             "no CurrentVersion key: the OS build is unknown (not a SOFTWARE hive?)");
  } else {
    const facts::RegKey k = capture_key(**cv, location, location, path, sink);
    hive.current_version_present = true;
    hive.last_written = k.last_written;
    // The build drives baseline selection (facts::os_family_for_build); SystemRoot expands
    // %SystemRoot% in SYSTEM paths (registry.md 3).
    hive.product_name = string_of(k, "ProductName");
    hive.current_build = string_of(k, "CurrentBuild");
    hive.current_build_number = string_of(k, "CurrentBuildNumber");
    hive.ubr = dword_of(k, "UBR");
    hive.display_version = string_of(k, "DisplayVersion");
    hive.release_id = string_of(k, "ReleaseId");
    hive.edition_id = string_of(k, "EditionID");
    hive.installation_type = string_of(k, "InstallationType");
    hive.install_date = dword_of(k, "InstallDate");
    hive.system_root = string_of(k, "SystemRoot");
  }
}

}  // namespace

Result<facts::SoftwareHive> read_software_hive(const std::string& path, DiagnosticSink& sink) {
  RegfTrailLog trails;
  auto opened = open_root(path, "SOFTWARE", sink, trails);
  if (!opened) {
    return fail(std::move(opened).error());
  }
  facts::SoftwareHive hive;
  hive.path = path;
  hive.base = opened->hive.base;
  capture_software(opened->root, path, hive, sink);
  check_file_corruption(opened->hive.file, path, sink);
  emit_trails(trails, path, sink);
  return hive;
}

Result<facts::SoftwareHive> read_software_hive_image(std::span<const std::uint8_t> image,
                                                     const std::string& display_path,
                                                     DiagnosticSink& sink) {
  RegfTrailLog trails;
  auto opened = open_image_root(image, display_path, sink, trails);
  if (!opened) {
    return fail(std::move(opened).error());
  }
  facts::SoftwareHive hive;
  hive.path = display_path;
  hive.base = opened->base;
  capture_software(opened->root, display_path, hive, sink);
  check_file_corruption(opened->file, display_path, sink);
  emit_trails(trails, display_path, sink);
  return hive;
}

}  // namespace smssaudit::readers
