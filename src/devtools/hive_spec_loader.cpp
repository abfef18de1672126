// Fixture spec loader: strict YAML -> HiveSpec, applying base, copies, keys, late copies, delete.
#include "hive_spec_loader.hpp"

#include "hive_encoding.hpp"
#include "smssaudit/core/filetime.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

namespace smssaudit::devtools {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLastWrittenKey = "_last_written";
constexpr std::string_view kClassKey = "_class";

constexpr std::array<std::string_view, 14> kTopLevelKeys = {"description",
                                                            "hive_file",
                                                            "embedded_name",
                                                            "root",
                                                            "sequence",
                                                            "minor_version",
                                                            "last_written",
                                                            "base",
                                                            "logs",
                                                            "keys",
                                                            "delete",
                                                            "copy_control_set",
                                                            "transaction_log",
                                                            "expect"};

constexpr std::array<std::string_view, 7> kTransactionLogKeys = {
    "format", "files", "order", "entries", "keys", "delete", "corrupt"};

constexpr std::array<std::pair<std::string_view, LogCorruption>, 4> kCorruptions = {{
    {"hash", LogCorruption::kHash},
    {"size", LogCorruption::kSize},
    {"sequence_gap", LogCorruption::kSequenceGap},
    {"signature", LogCorruption::kSignature},
}};

std::string location(const std::string& file, int line, int column) {
  if (line <= 0)
    return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  if (path.empty() || path == "\\")
    return parts;  // the root key
  std::size_t start = 0;
  while (true) {
    const std::size_t end = path.find('\\', start);
    parts.emplace_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return parts;
}

// "A\B" for the parts of A\B\C: the key holding the last part, which copy and delete walk to.
std::string parent_path_of(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
    if (k > 0)
      out += '\\';
    out += parts[k];
  }
  return out;
}

// Loader state for one spec file; a `base:` spec gets its own SpecFile sharing `chain`.
class SpecFile {
 public:
  SpecFile(fs::path path, std::vector<fs::path>& chain) : path_(std::move(path)), chain_(chain) {}

  // A `transaction_log:` block as read. Its changes apply to the final primary tree, which a
  // derived spec may still change, so the stages are built once the whole chain is loaded.
  struct PendingLog {
    fs::path file;  // the spec that holds the block (messages, and keys are resolved there)
    // Shared: YAML::Node has no non-throwing move, and Loaded is moved along the base chain.
    std::shared_ptr<const YAML::Node> node;
    TransactionLogSpec settings;  // everything but the stages
  };

  struct Loaded {
    FixtureSpec spec;
    bool embedded_name_set = false;
    std::optional<PendingLog> pending_log;
  };

  Loaded load_text(std::string_view text) {
    const YAML::Node doc = parse_document(text);
    Loaded out;
    if (const auto base = doc["base"]) {
      out = load_base(base);
      out.spec.description.clear();
    }
    read_settings(doc, out);
    FixtureSpec& spec = out.spec;
    // Order matters and is documented in fixtures/hives/README.md: copies, keys, copies marked
    // after_keys, delete. A plain copy starts ControlSet002 from the base's ControlSet001 so that
    // `keys` can make the two diverge; an after_keys copy mirrors a set this spec just wrote;
    // deleting last lets a spec remove something from one control set only.
    if (const auto n = doc["copy_control_set"])
      apply_copies(n, spec.hive.root, false);
    if (const auto n = doc["keys"])
      apply_keys(n, spec.hive.root);
    if (const auto n = doc["copy_control_set"])
      apply_copies(n, spec.hive.root, true);
    if (const auto n = doc["delete"])
      apply_deletes(n, spec.hive.root);
    return out;
  }

  Loaded load_file() {
    std::ifstream in(path_, std::ios::binary);
    if (!in)
      throw SpecError(name(), 0, 0, "cannot read the spec file");
    std::ostringstream text;
    text << in.rdbuf();
    return load_text(text.str());
  }

 private:
  std::string name() const { return path_.string(); }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& detail) const {
    const YAML::Mark mark = node.Mark();
    throw SpecError(name(), mark.line + 1, mark.column + 1, detail);
  }

  // The parsed spec; unknown top-level keys are errors, so a misspelt key is never ignored.
  YAML::Node parse_document(std::string_view text) const {
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      throw SpecError(name(), e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    if (!doc.IsMap())
      fail(doc, "a spec must be a YAML mapping");
    for (const auto& entry : doc) {
      const auto key = entry.first.as<std::string>();
      if (std::find(kTopLevelKeys.begin(), kTopLevelKeys.end(), key) == kTopLevelKeys.end())
        fail(entry.first, "unknown top-level key '" + key + "'");
    }
    return doc;
  }

  // The scalar settings (file name, base-block fields, logs), each overriding the base spec's.
  void read_settings(const YAML::Node& doc, Loaded& out) const {
    FixtureSpec& spec = out.spec;
    if (const auto n = doc["description"])
      spec.description = scalar(n, "description");
    if (const auto n = doc["hive_file"]) {
      spec.hive_file = scalar(n, "hive_file");
      if (spec.hive_file.empty() || spec.hive_file.find_first_of("/\\") != std::string::npos ||
          spec.hive_file == "." || spec.hive_file == "..") {
        fail(n, "hive_file must be a plain file name");
      }
    }
    if (const auto n = doc["embedded_name"]) {
      spec.hive.embedded_name = scalar(n, "embedded_name");
      out.embedded_name_set = true;
    }
    if (const auto n = doc["root"]) {
      spec.hive.root.name = scalar(n, "root");
      check_key_name(n, spec.hive.root.name);
    }
    if (const auto n = doc["sequence"]) {
      if (!n.IsSequence() || n.size() != 2)
        fail(n, "sequence must be [primary, secondary]");
      spec.hive.primary_sequence = u32_of(n[0]);
      spec.hive.secondary_sequence = u32_of(n[1]);
    }
    if (const auto n = doc["minor_version"]) {
      spec.hive.minor_version = u32_of(n);
      if (spec.hive.minor_version != 3 && spec.hive.minor_version != 5) {
        fail(n, "minor_version must be 3 or 5");
      }
    }
    if (const auto n = doc["last_written"])
      spec.hive.last_written = filetime_of(n);
    // One way to make logs per spec; a derived spec's choice replaces the inherited one.
    const auto logs = doc["logs"];
    const auto transaction_log = doc["transaction_log"];
    if (logs && transaction_log)
      fail(transaction_log, "give either logs or transaction_log, not both");
    if (logs) {
      spec.logs = logs_of(logs);
      out.pending_log.reset();
    }
    if (transaction_log) {
      out.pending_log = PendingLog{path_,
                                   std::make_shared<const YAML::Node>(transaction_log),
                                   transaction_log_of(transaction_log)};
      spec.logs.clear();
    }
  }

  Loaded load_base(const YAML::Node& node) {
    const fs::path base = path_.parent_path() / scalar(node, "base");
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(base, ec);
    const fs::path id = ec ? base : canonical;
    if (std::find(chain_.begin(), chain_.end(), id) != chain_.end()) {
      fail(node, "base cycle: '" + base.string() + "' is already being loaded");
    }
    if (!fs::exists(base))
      fail(node, "base spec '" + base.string() + "' does not exist");
    chain_.push_back(id);
    Loaded loaded = SpecFile(base, chain_).load_file();
    chain_.pop_back();
    return loaded;
  }

  std::string scalar(const YAML::Node& node, std::string_view what) const {
    if (!node.IsScalar())
      fail(node, std::string(what) + " must be a scalar");
    return node.Scalar();
  }

  // Plain (unquoted) scalars that look like integers are integers; quoted ones are strings.
  static bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

  // Decimal or 0x-hex, optionally negative; nullopt when the text is not an integer.
  static std::optional<long double> integer_text(const std::string& s) {
    std::string_view t = s;
    bool negative = false;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
      negative = t[0] == '-';
      t.remove_prefix(1);
    }
    unsigned base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
      base = 16;
      t.remove_prefix(2);
    }
    if (t.empty())
      return std::nullopt;
    long double v = 0;
    for (const char c : t) {
      unsigned d = 0;
      if (c >= '0' && c <= '9') {
        d = static_cast<unsigned>(c - '0');
      } else if (base == 16 && c >= 'a' && c <= 'f') {
        d = static_cast<unsigned>(c - 'a' + 10);
      } else if (base == 16 && c >= 'A' && c <= 'F') {
        d = static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
      v = v * base + d;
    }
    return negative ? -v : v;
  }

  // An integer in [min, max]; negatives are stored two's complement (DaylightBias -60).
  std::uint64_t integer_of(const YAML::Node& node,
                           long double min,
                           long double max,
                           unsigned bits) const {
    if (!node.IsScalar() || is_quoted(node))
      fail(node, "expected an integer");
    const auto v = integer_text(node.Scalar());
    if (!v)
      fail(node, "expected an integer, got '" + node.Scalar() + "'");
    if (*v < min || *v > max)
      fail(node, "integer '" + node.Scalar() + "' out of range");
    if (*v < 0) {
      const auto magnitude = static_cast<std::uint64_t>(-*v);
      const std::uint64_t mask = bits == 64 ? ~0ULL : ((1ULL << bits) - 1);
      return (~magnitude + 1) & mask;
    }
    return static_cast<std::uint64_t>(*v);
  }

  std::uint32_t u32_of(const YAML::Node& node) const {
    return static_cast<std::uint32_t>(integer_of(node, 0, 4294967295.0L, 32));
  }

  std::uint64_t filetime_of(const YAML::Node& node) const {
    if (!node.IsScalar())
      fail(node, "a time must be ISO-8601 UTC or a FILETIME integer");
    if (!is_quoted(node) && integer_text(node.Scalar())) {
      return integer_of(node, 0, 18446744073709551615.0L, 64);
    }
    const auto ft = iso8601_to_filetime(node.Scalar());
    if (!ft)
      fail(node, "bad time '" + node.Scalar() + "' (want 2021-03-04T10:11:12.1234567Z)");
    return *ft;
  }

  std::vector<LogSpec> logs_of(const YAML::Node& node) const {
    if (!node.IsSequence())
      fail(node, "logs must be a list such as [LOG1, LOG2]");
    std::vector<LogSpec> logs;
    for (const auto& item : node) {
      const std::string suffix = scalar(item, "a log");
      if (suffix != "LOG" && suffix != "LOG1" && suffix != "LOG2") {
        fail(item, "log must be LOG, LOG1 or LOG2, got '" + suffix + "'");
      }
      logs.push_back(LogSpec{suffix});
    }
    return logs;
  }

  // The settings of a `transaction_log:` block (format, files, order, entries, corrupt); the
  // changes themselves are checked for shape here and applied later by log_stages().
  TransactionLogSpec transaction_log_of(const YAML::Node& node) const {
    if (!node.IsMap())
      fail(node, "transaction_log must be a mapping (fixtures/hives/README.md)");
    for (const auto& entry : node) {
      const auto k = entry.first.as<std::string>();
      if (std::find(kTransactionLogKeys.begin(), kTransactionLogKeys.end(), k) ==
          kTransactionLogKeys.end()) {
        fail(entry.first, "unknown key '" + k + "' in transaction_log");
      }
    }
    TransactionLogSpec log;
    if (const auto n = node["format"]) {
      const std::string format = scalar(n, "format");
      if (format != "new" && format != "old")
        fail(n, "format must be new (HvLE) or old (DIRT), got '" + format + "'");
      log.format = format == "new" ? LogFormat::kNew : LogFormat::kOld;
    }
    log.files = log_files_of(node, log.format);
    read_log_entries(node, log);
    if (const auto n = node["corrupt"])
      read_corruption(n, log);
    return log;
  }

  // `files` (default [LOG1, LOG2] new, [LOG1] old) reordered by `order` (entry order).
  std::vector<std::string> log_files_of(const YAML::Node& node, LogFormat format) const {
    std::vector<std::string> files;
    if (const auto n = node["files"]) {
      for (const auto& log : logs_of(n))
        files.push_back(log.suffix);
      check_log_files(n, files, format);
    } else if (format == LogFormat::kNew) {
      files = {"LOG1", "LOG2"};
    } else {
      files = {"LOG1"};
    }
    const auto order = node["order"];
    if (!order)
      return files;
    std::vector<std::string> ordered;
    for (const auto& log : logs_of(order))
      ordered.push_back(log.suffix);
    if (!std::is_permutation(ordered.begin(), ordered.end(), files.begin(), files.end()))
      fail(order, "order must list the same files as files");
    return ordered;
  }

  void check_log_files(const YAML::Node& node,
                       const std::vector<std::string>& files,
                       LogFormat format) const {
    const std::set<std::string> distinct(files.begin(), files.end());
    if (distinct.size() != files.size())
      fail(node, "a log file is listed twice");
    if (format == LogFormat::kNew && (files.empty() || files.size() > 2))
      fail(node, "a new-format transaction log has one or two files");
    if (format == LogFormat::kOld && (files.size() != 1 || files[0] == "LOG2"))
      fail(node, "an old-format transaction log is one file: [LOG1] or [LOG]");
  }

  // `entries`: a count (the changes at the top of the block are spread over that many entries)
  // or a list of {keys, delete} stages, one per entry.
  void read_log_entries(const YAML::Node& node, TransactionLogSpec& log) const {
    const auto entries = node["entries"];
    const bool staged = entries && entries.IsSequence();
    if (staged) {
      if (node["keys"] || node["delete"])
        fail(entries, "with a list of entries, give keys/delete in each entry, not at the top");
      if (entries.size() == 0)
        fail(entries, "entries must not be empty");
      for (const auto& stage : entries)
        check_stage(stage);
      log.entries = static_cast<std::uint32_t>(entries.size());
    } else {
      if (!node["keys"] && !node["delete"])
        fail(node, "transaction_log needs keys or delete (the changes only the logs hold)");
      log.entries = entries ? u32_of(entries) : static_cast<std::uint32_t>(log.files.size());
    }
    if (log.format == LogFormat::kOld && log.entries != 1)
      fail(entries, "an old-format log holds one dirty vector: entries must be 1");
    if (log.entries < log.files.size())
      fail(entries ? entries : node, "each log file needs at least one entry");
  }

  void check_stage(const YAML::Node& stage) const {
    if (!stage.IsMap() || (!stage["keys"] && !stage["delete"]))
      fail(stage, "an entry is {keys: ..., delete: ...}");
    for (const auto& entry : stage) {
      const auto k = entry.first.as<std::string>();
      if (k != "keys" && k != "delete")
        fail(entry.first, "unknown key '" + k + "' in a log entry");
    }
  }

  void read_corruption(const YAML::Node& node, TransactionLogSpec& log) const {
    if (!node.IsMap() || !node["entry"] || !node["what"] || node.size() != 2)
      fail(node, "corrupt must be {entry: N, what: hash|size|sequence_gap|signature}");
    const std::string what = scalar(node["what"], "what");
    const auto found = std::find_if(
        kCorruptions.begin(), kCorruptions.end(), [&](const auto& c) { return c.first == what; });
    if (found == kCorruptions.end())
      fail(node["what"], "corrupt what must be hash, size, sequence_gap or signature");
    log.corrupt = found->second;
    if (log.format == LogFormat::kOld && log.corrupt != LogCorruption::kSignature &&
        log.corrupt != LogCorruption::kSize) {
      fail(node["what"], "an old-format log can only be corrupted by signature or size");
    }
    log.corrupt_entry = u32_of(node["entry"]);
    if (log.corrupt_entry < 1 || log.corrupt_entry > log.entries)
      fail(node["entry"], fmt::format("corrupt entry must be 1..{}", log.entries));
  }

 public:
  // The target trees of a pending `transaction_log:` block, built on the final primary tree.
  std::vector<HiveSpec> log_stages(const YAML::Node& node, const HiveSpec& primary) const {
    std::vector<HiveSpec> stages;
    const auto entries = node["entries"];
    if (entries && entries.IsSequence()) {
      HiveSpec current = primary;
      for (const auto& stage : entries) {
        apply_changes(stage, current.root);
        stages.push_back(current);
      }
    } else {
      stages.push_back(primary);
      apply_changes(node, stages.back().root);
    }
    return stages;
  }

 private:
  void apply_changes(const YAML::Node& node, KeySpec& root) const {
    if (const auto n = node["keys"])
      apply_keys(n, root);
    if (const auto n = node["delete"])
      apply_deletes(n, root);
  }

  void check_key_name(const YAML::Node& node, const std::string& name) const {
    if (name.empty() || name.size() > 255 || !printable_ascii(name)) {
      fail(node, "key name '" + name + "' must be 1-255 printable ASCII characters");
    }
  }

  // Walks `path` from `root`; creates missing keys with the spelling given when `create`.
  KeySpec* walk(const YAML::Node& node, KeySpec& root, const std::string& path, bool create) const {
    KeySpec* key = &root;
    for (const auto& part : split_path(path)) {
      check_key_name(node, part);
      KeySpec* child = key->find_subkey(part);
      if (child == nullptr) {
        if (!create)
          return nullptr;
        key->subkeys.push_back(KeySpec::named(part));
        child = &key->subkeys.back();
      }
      key = child;
    }
    return key;
  }

  // Applies the copies whose after_keys flag equals `after_keys`.
  void apply_copies(const YAML::Node& node, KeySpec& root, bool after_keys) const {
    if (node.IsSequence()) {
      for (const auto& item : node)
        apply_copies(item, root, after_keys);
      return;
    }
    if (!node.IsMap())
      fail(node, "copy_control_set must be {from: X, to: Y} or a list of them");
    for (const auto& entry : node) {
      const auto k = entry.first.as<std::string>();
      if (k != "from" && k != "to" && k != "after_keys") {
        fail(entry.first, "unknown key '" + k + "' in copy_control_set");
      }
    }
    if (!node["from"] || !node["to"])
      fail(node, "copy_control_set needs both 'from' and 'to'");
    bool late = false;
    if (const auto flag = node["after_keys"]) {
      const std::string text = scalar(flag, "after_keys");
      if (text != "true" && text != "false")
        fail(flag, "after_keys must be true or false");
      late = text == "true";
    }
    if (late != after_keys)
      return;
    const std::string from = scalar(node["from"], "from");
    const std::string to = scalar(node["to"], "to");
    const KeySpec* source = walk(node["from"], root, from, false);
    if (source == nullptr)
      fail(node["from"], "cannot copy '" + from + "': no such key");
    KeySpec copy = *source;
    const auto to_parts = split_path(to);
    if (to_parts.empty())
      fail(node["to"], "cannot copy onto the root key");
    copy.name = to_parts.back();
    KeySpec* parent = walk(node["to"], root, parent_path_of(to_parts), true);
    // An existing target is replaced as a whole, so the copy is exact.
    if (KeySpec* existing = parent->find_subkey(copy.name)) {
      *existing = std::move(copy);
    } else {
      parent->subkeys.push_back(std::move(copy));
    }
  }

  void apply_keys(const YAML::Node& node, KeySpec& root) const {
    if (!node.IsMap())
      fail(node, "keys must map key paths to value maps");
    for (const auto& entry : node) {
      const std::string path = scalar(entry.first, "a key path");
      KeySpec* key = walk(entry.first, root, path, true);
      const YAML::Node& values = entry.second;
      if (values.IsNull())
        continue;  // a key without values
      if (!values.IsMap())
        fail(values, "key '" + path + "' must map value names to values");
      std::set<std::string> seen;
      for (const auto& v : values) {
        const std::string name = scalar(v.first, "a value name");
        if (name == kLastWrittenKey) {
          key->last_written = filetime_of(v.second);
          continue;
        }
        if (name == kClassKey) {
          key->class_name = scalar(v.second, "_class");
          if (!printable_ascii(*key->class_name))
            fail(v.second, "_class must be printable ASCII");
          continue;
        }
        ValueSpec value = value_of(v.first, v.second);
        if (!seen.insert(upcase_ascii(value.name)).second) {
          fail(v.first, fmt::format("value '{}' appears twice in '{}'", name, path));
        }
        // A later definition (or one in a derived spec) replaces an earlier one, spelling included.
        if (ValueSpec* existing = key->find_value(value.name)) {
          *existing = std::move(value);
        } else {
          key->values.push_back(std::move(value));
        }
      }
    }
  }

  void apply_deletes(const YAML::Node& node, KeySpec& root) const {
    if (!node.IsSequence())
      fail(node, "delete must be a list");
    for (const auto& item : node) {
      if (item.IsScalar()) {
        delete_key(item, root);
      } else {
        delete_value(item, root);
      }
    }
  }

  // A key-path entry removes the key with its subtree; deleting what is absent is a spec error.
  void delete_key(const YAML::Node& item, KeySpec& root) const {
    const auto parts = split_path(item.Scalar());
    if (parts.empty())
      fail(item, "cannot delete the root key");
    KeySpec* parent = walk(item, root, parent_path_of(parts), false);
    const KeySpec* victim = parent != nullptr ? parent->find_subkey(parts.back()) : nullptr;
    if (victim == nullptr)
      fail(item, "cannot delete '" + item.Scalar() + "': no such key");
    std::erase_if(parent->subkeys, [&](const KeySpec& k) { return &k == victim; });
  }

  // A {key, value} entry removes one value ("@" is the default value), which must exist.
  void delete_value(const YAML::Node& item, KeySpec& root) const {
    if (!item.IsMap())
      fail(item, "a delete entry is a key path or {key: PATH, value: NAME}");
    for (const auto& entry : item) {
      const auto k = entry.first.as<std::string>();
      if (k != "key" && k != "value")
        fail(entry.first, "unknown key '" + k + "' in delete");
    }
    if (!item["key"] || !item["value"])
      fail(item, "a value delete needs 'key' and 'value'");
    const std::string path = scalar(item["key"], "key");
    std::string value_name = scalar(item["value"], "value");
    if (value_name == "@")
      value_name.clear();
    KeySpec* key = walk(item["key"], root, path, false);
    const ValueSpec* victim = key != nullptr ? key->find_value(value_name) : nullptr;
    if (victim == nullptr) {
      fail(item["value"], "cannot delete value '" + value_name + "' of '" + path + "': absent");
    }
    std::erase_if(key->values, [&](const ValueSpec& v) { return &v == victim; });
  }

  std::vector<std::string> strings_of(const YAML::Node& node) const {
    if (!node.IsSequence())
      fail(node, "expected a list of strings");
    std::vector<std::string> out;
    for (const auto& item : node)
      out.push_back(scalar(item, "a list item"));
    return out;
  }

  std::vector<std::uint8_t> text_bytes(const YAML::Node& node, bool multi) const {
    try {
      return multi ? reg_multi_sz_bytes(strings_of(node)) : reg_sz_bytes(scalar(node, "text"));
    } catch (const std::invalid_argument& e) {
      fail(node, e.what());
    }
  }

  // REG_BINARY-style data: a hex string, or {utf16: [...]} (multi-string bytes) or {utf16: 'x'}.
  std::vector<std::uint8_t> binary_of(const YAML::Node& node) const {
    if (node.IsMap()) {
      if (node.size() != 1 || !node["utf16"])
        fail(node, "binary data map must be {utf16: ...}");
      const YAML::Node text = node["utf16"];
      return text_bytes(text, text.IsSequence());
    }
    const auto bytes = parse_hex(scalar(node, "hex data"));
    if (!bytes)
      fail(node, "bad hex data '" + node.Scalar() + "'");
    return *bytes;
  }

  ValueSpec value_of(const YAML::Node& name_node, const YAML::Node& node) const {
    ValueSpec v;
    v.name = value_name_of(name_node);
    if (node.IsNull())
      fail(node, "value '" + v.name + "' has no data");
    if (node.IsSequence() || node.IsScalar()) {
      read_shorthand(node, v);
      return v;
    }
    check_value_keys(node, v.name);
    v.type = value_type_of(node, v.name);
    const YAML::Node data = node["data"];
    const YAML::Node hex = node["hex"];
    if (data && hex)
      fail(node, "give either data or hex, not both");
    if (hex) {
      const auto bytes = parse_hex(scalar(hex, "hex"));
      if (!bytes)
        fail(hex, "bad hex data '" + hex.Scalar() + "'");
      v.data = *bytes;
      return v;
    }
    if (!data) {
      if (v.type != kRegNone)
        fail(node, "value '" + v.name + "' needs data or hex");
      return v;
    }
    v.data = data_bytes(v.type, data);
    return v;
  }

  // The stored value name: "@" is the default value (""), and names are written as ASCII.
  std::string value_name_of(const YAML::Node& name_node) const {
    std::string value_name = name_node.Scalar();
    if (value_name == "@")
      value_name.clear();
    if (value_name.size() > 16383 || !printable_ascii(value_name)) {
      fail(name_node, "value name '" + value_name + "' must be printable ASCII");
    }
    return value_name;
  }

  // Shorthand forms: a list is REG_MULTI_SZ, a plain integer REG_DWORD, any other scalar REG_SZ.
  void read_shorthand(const YAML::Node& node, ValueSpec& v) const {
    if (node.IsSequence()) {
      v.type = kRegMultiSz;
      v.data = text_bytes(node, true);
    } else if (!is_quoted(node) && integer_text(node.Scalar())) {
      v.type = kRegDword;
      v.data = le32_bytes(
          static_cast<std::uint32_t>(integer_of(node, -2147483648.0L, 4294967295.0L, 32)));
    } else {
      v.type = kRegSz;
      v.data = text_bytes(node, false);
    }
  }

  // A full value map takes only type, data and hex; anything else is most likely a typo.
  void check_value_keys(const YAML::Node& node, const std::string& value_name) const {
    for (const auto& entry : node) {
      const auto k = entry.first.as<std::string>();
      if (k != "type" && k != "data" && k != "hex") {
        fail(entry.first, fmt::format("unknown key '{}' in value '{}'", k, value_name));
      }
    }
  }

  // `type:` is a REG_* name or a raw number, so fixtures can hold types Windows never uses.
  std::uint32_t value_type_of(const YAML::Node& node, const std::string& value_name) const {
    const YAML::Node type = node["type"];
    if (!type)
      fail(node, "value '" + value_name + "' needs a type");
    const std::string type_text = scalar(type, "type");
    if (const auto named = reg_type_from_name(type_text))
      return *named;
    if (!is_quoted(type) && integer_text(type_text))
      return u32_of(type);
    fail(type, "unknown value type '" + type_text + "'");
  }

  // `data:` encoded as its type stores it; types without a text form take hex or {utf16: ...}.
  std::vector<std::uint8_t> data_bytes(std::uint32_t type, const YAML::Node& data) const {
    switch (type) {
      case kRegSz:
      case kRegExpandSz:
        return text_bytes(data, false);
      case kRegMultiSz:
        return text_bytes(data, true);
      case kRegDword:
        return le32_bytes(
            static_cast<std::uint32_t>(integer_of(data, -2147483648.0L, 4294967295.0L, 32)));
      case kRegDwordBigEndian:
        return be32_bytes(
            static_cast<std::uint32_t>(integer_of(data, -2147483648.0L, 4294967295.0L, 32)));
      case kRegQword:
        return le64_bytes(integer_of(data, -9223372036854775808.0L, 18446744073709551615.0L, 64));
      default:
        return binary_of(data);
    }
  }

  fs::path path_;
  std::vector<fs::path>& chain_;
};

FixtureSpec finish(SpecFile::Loaded loaded, std::vector<fs::path>& chain) {
  // Windows writes the hive's own file name at +48 ("SYSTEM" in the corpus primaries).
  if (!loaded.embedded_name_set)
    loaded.spec.hive.embedded_name = loaded.spec.hive_file;
  if (loaded.pending_log) {
    // The logged changes go on top of the finished primary tree, resolved in the spec that
    // wrote them (its file names any error).
    const auto& pending = *loaded.pending_log;
    TransactionLogSpec log = pending.settings;
    log.stages = SpecFile(pending.file, chain).log_stages(*pending.node, loaded.spec.hive);
    loaded.spec.transaction_log = std::move(log);
  }
  return std::move(loaded.spec);
}

fs::path chain_id(const fs::path& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path : canonical;
}

}  // namespace

SpecError::SpecError(std::string file, int line, int column, const std::string& detail)
    : std::runtime_error(location(file, line, column) + ": " + detail),
      file_(std::move(file)),
      line_(line),
      column_(column),
      detail_(detail) {}

std::vector<std::string> FixtureSpec::log_suffixes() const {
  if (transaction_log)
    return transaction_log->files;
  std::vector<std::string> out;
  for (const auto& log : logs)
    out.push_back(log.suffix);
  return out;
}

FixtureSpec load_fixture_spec(const fs::path& path) {
  std::vector<fs::path> chain{chain_id(path)};
  return finish(SpecFile(path, chain).load_file(), chain);
}

FixtureSpec parse_fixture_spec(std::string_view yaml_text, const fs::path& path) {
  std::vector<fs::path> chain{chain_id(path)};
  return finish(SpecFile(path, chain).load_text(yaml_text), chain);
}

}  // namespace smssaudit::devtools
