// Message templates ("BootExecute in {control_set} runs '{command}'"), private to src/rules. The
// loader validates placeholders and Rule::render_message fills them, so both must agree on what a
// placeholder is: `{` + [A-Za-z0-9_]+ + `}`. Anything else (a lone brace, "{a b}") is literal
// text, so a message can quote a registry path such as "{GUID}-like" without escaping.
#pragma once

#include <string_view>
#include <vector>

namespace smssaudit::rules::detail {

struct TemplatePart {
  std::string_view text;  ///< literal text, or the placeholder name without braces
  bool placeholder = false;
};

inline bool is_placeholder_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

inline std::vector<TemplatePart> split_template(std::string_view message) {
  std::vector<TemplatePart> parts;
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i < message.size()) {
    if (message[i] != '{') {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < message.size() && is_placeholder_char(message[j])) {
      ++j;
    }
    if (j == i + 1 || j >= message.size() || message[j] != '}') {
      ++i;  // not a placeholder: the brace stays literal
      continue;
    }
    if (i > literal_start) {
      parts.push_back({message.substr(literal_start, i - literal_start), false});
    }
    parts.push_back({message.substr(i + 1, j - i - 1), true});
    i = j + 1;
    literal_start = i;
  }
  if (literal_start < message.size()) {
    parts.push_back({message.substr(literal_start), false});
  }
  return parts;
}

}  // namespace smssaudit::rules::detail
