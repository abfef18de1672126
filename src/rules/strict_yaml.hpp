// Strict YAML reading for the rule catalogue (private to src/rules). yaml-cpp is permissive: it
// keeps duplicate keys, converts "yes" to true and quietly hands back a default for a missing key.
// Rules are code that ships as data, so everything here reports instead of guessing, and reports
// into a shared list so that one run shows every problem at once (hayabusa), each as file:line.
#pragma once

#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/schema.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::rules::detail {

/// 1-based line of a node, 0 when yaml-cpp has no mark for it.
int line_of(const YAML::Node& node);

/// Collects "path:line: message" problems for one file into a list shared by the whole load.
class Problems {
 public:
  Problems(std::string path, std::vector<std::string>& sink)
      : path_(std::move(path)), sink_(sink) {}

  void at_line(int line, std::string_view message);

  void at(const YAML::Node& node, std::string_view message) { at_line(line_of(node), message); }

  /// Problems reported through this object so far (callers compare before/after a parse step).
  std::size_t count() const noexcept { return count_; }

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::vector<std::string>& sink_;
  std::size_t count_ = 0;
};

/// A mapping's entries by key. Construction reports a non-mapping, non-string keys, duplicate
/// keys (yaml-cpp keeps both, `node["k"]` would silently pick one) and keys outside `allowed`.
class MapReader {
 public:
  MapReader(const YAML::Node& node,
            std::string_view what,
            std::initializer_list<std::string_view> allowed,
            Problems& problems);

  /// A mapping whose keys are data (example fields, execute_allow slots): the caller checks
  /// each key itself; only non-string and duplicate keys are reported here.
  static MapReader any_keys(const YAML::Node& node, std::string_view what, Problems& problems);

  /// False when the node was not a mapping (already reported).
  bool is_map() const noexcept { return is_map_; }

  /// Value of `key`, or nullptr when absent.
  const YAML::Node* get(std::string_view key) const;

  /// Value of `key`; reports "missing required key" at the mapping's line when absent.
  const YAML::Node* require(std::string_view key) const;

  bool has(std::string_view key) const { return get(key) != nullptr; }

  /// Line of `key`'s own key node (the mapping's line when absent).
  int key_line(std::string_view key) const;

  int line() const noexcept { return line_; }

  /// Keys in document order (duplicates dropped), for callers that treat keys as data.
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::string what_;
  Problems& problems_;
  int line_ = 0;
  bool is_map_ = false;
  std::vector<Entry> entries_;

  MapReader(const YAML::Node& node,
            std::string_view what,
            std::span<const std::string_view> allowed,
            bool check_keys,
            Problems& problems);
};

// Typed scalar readers. Each reports a wrong type at the node (naming `what`) and returns nullopt.
// Booleans and integers must be plain scalars: a quoted 'true' is a string in YAML, and accepting
// it (or yaml-cpp's "yes"/"on") would make a typo in a rule mean something.
std::optional<std::string> read_string(const YAML::Node& node, std::string_view what, Problems& p);
std::optional<bool> read_bool(const YAML::Node& node, std::string_view what, Problems& p);
std::optional<std::int64_t> read_int(const YAML::Node& node, std::string_view what, Problems& p);

/// A sequence of scalars (an empty sequence is fine).
std::optional<std::vector<std::string>> read_string_list(const YAML::Node& node,
                                                         std::string_view what,
                                                         Problems& p);

/// A scalar converted to a schema field type.
std::optional<facts::FieldValue> read_typed(const YAML::Node& node,
                                            facts::FieldType type,
                                            std::string_view what,
                                            Problems& p);

/// Compiles an ECMAScript regex; reports "bad regex" with std::regex_error's text on failure.
std::shared_ptr<const std::regex> compile_regex(const std::string& pattern,
                                                bool icase,
                                                const YAML::Node& at,
                                                std::string_view what,
                                                Problems& p);

}  // namespace smssaudit::rules::detail
