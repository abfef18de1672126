#include "strict_yaml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <system_error>

namespace smssaudit::rules::detail {
namespace {

// What a node holds, for "must be X, got Y" messages.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// yaml-cpp tags a quoted scalar "!" and a plain one "?": only plain scalars may be typed.
bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() != "!";
}

std::string allowed_list(std::span<const std::string_view> allowed) {
  std::string out;
  for (std::string_view key : allowed) {
    if (!out.empty()) {
      out += ", ";
    }
    out += key;
  }
  return out;
}

}  // namespace

int line_of(const YAML::Node& node) {
  // Mark() throws only for an invalid node, which IsDefined() rules out first.
  if (!node.IsDefined()) {
    return 0;
  }
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

void Problems::at_line(int line, std::string_view message) {
  // Line 0 means "no mark": still name the file so the user knows where to look.
  sink_.push_back(line > 0 ? fmt::format("{}:{}: {}", path_, line, message)
                           : fmt::format("{}: {}", path_, message));
  ++count_;
}

MapReader::MapReader(const YAML::Node& node,
                     std::string_view what,
                     std::initializer_list<std::string_view> allowed,
                     Problems& problems)
    : MapReader(node, what, std::span(allowed.begin(), allowed.size()), true, problems) {}

MapReader::MapReader(const YAML::Node& node,
                     std::string_view what,
                     std::span<const std::string_view> allowed,
                     bool check_keys,
                     Problems& problems)
    : what_(what), problems_(problems), line_(line_of(node)) {
  if (!node.IsMap()) {
    problems_.at(node, fmt::format("{} must be a mapping, got {}", what_, describe(node)));
    return;
  }
  is_map_ = true;
  for (const auto& kv : node) {
    const YAML::Node& key_node = kv.first;
    if (!key_node.IsScalar()) {
      problems_.at(key_node, fmt::format("{} keys must be plain strings", what_));
      continue;
    }
    const std::string key = key_node.Scalar();
    if (check_keys && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      problems_.at(
          key_node,
          fmt::format("unknown key '{}' in {} (allowed: {})", key, what_, allowed_list(allowed)));
      continue;
    }
    auto dup = std::find_if(
        entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
    if (dup != entries_.end()) {
      problems_.at(
          key_node,
          fmt::format(
              "duplicate key '{}' in {} (first at line {})", key, what_, line_of(dup->key_node)));
      continue;
    }
    entries_.push_back(Entry{key, key_node, kv.second});
  }
}

MapReader MapReader::any_keys(const YAML::Node& node, std::string_view what, Problems& problems) {
  return MapReader(node, what, {}, false, problems);
}

const YAML::Node* MapReader::get(std::string_view key) const {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries_.end() ? nullptr : &it->value;
}

const YAML::Node* MapReader::require(std::string_view key) const {
  const YAML::Node* value = get(key);
  if (value == nullptr && is_map_) {
    problems_.at_line(line_, fmt::format("missing required key '{}' in {}", key, what_));
  }
  return value;
}

int MapReader::key_line(std::string_view key) const {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  return it == entries_.end() ? line_ : line_of(it->key_node);
}

std::optional<std::string> read_string(const YAML::Node& node, std::string_view what, Problems& p) {
  if (!node.IsScalar()) {
    p.at(node, fmt::format("'{}' must be a string, got {}", what, describe(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> read_bool(const YAML::Node& node, std::string_view what, Problems& p) {
  if (is_plain_scalar(node)) {
    const std::string& s = node.Scalar();
    // The YAML 1.2 core schema spellings only.
    if (s == "true" || s == "True" || s == "TRUE") {
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      return false;
    }
  }
  p.at(node, fmt::format("'{}' must be true or false, got {}", what, describe(node)));
  return std::nullopt;
}

std::optional<std::int64_t> read_int(const YAML::Node& node, std::string_view what, Problems& p) {
  if (is_plain_scalar(node)) {
    std::string_view s = node.Scalar();
    if (!s.empty() && s.front() == '+') {
      s.remove_prefix(1);  // from_chars rejects a leading '+', YAML allows it
    }
    std::int64_t value = 0;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (!s.empty() && ec == std::errc() && ptr == end) {
      return value;
    }
  }
  p.at(node, fmt::format("'{}' must be an integer, got {}", what, describe(node)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> read_string_list(const YAML::Node& node,
                                                         std::string_view what,
                                                         Problems& p) {
  if (!node.IsSequence()) {
    p.at(node, fmt::format("'{}' must be a list, got {}", what, describe(node)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (const YAML::Node& item : node) {
    if (auto s = read_string(item, what, p)) {
      out.push_back(std::move(*s));
    } else {
      ok = false;
    }
  }
  if (!ok) {
    return std::nullopt;
  }
  return out;
}

std::optional<facts::FieldValue> read_typed(const YAML::Node& node,
                                            facts::FieldType type,
                                            std::string_view what,
                                            Problems& p) {
  switch (type) {
    case facts::FieldType::kString:
      if (auto s = read_string(node, what, p)) {
        return facts::FieldValue{std::move(*s)};
      }
      break;
    case facts::FieldType::kInt:
      if (auto i = read_int(node, what, p)) {
        return facts::FieldValue{*i};
      }
      break;
    case facts::FieldType::kBool:
      if (auto b = read_bool(node, what, p)) {
        return facts::FieldValue{*b};
      }
      break;
  }
  return std::nullopt;
}

std::shared_ptr<const std::regex> compile_regex(const std::string& pattern,
                                                bool icase,
                                                const YAML::Node& at,
                                                std::string_view what,
                                                Problems& p) {
  auto flags = std::regex::ECMAScript;
  if (icase) {
    flags |= std::regex::icase;
  }
  try {
    return std::make_shared<const std::regex>(pattern, flags);
  } catch (const std::regex_error& e) {
    // The one place an exception is expected: std::regex reports bad patterns no other way.
    p.at(at, fmt::format("bad regex in {} '{}': {}", what, pattern, e.what()));
    return nullptr;
  }
}

}  // namespace smssaudit::rules::detail
