// HTML escaping for the HTML report.
#include "report/html_escape.hpp"

#include "report/report_format.hpp"
#include "smssaudit/core/text.hpp"

namespace smssaudit::report::detail {

std::string html_escape(std::string_view text) {
  // printable first: it leaves valid UTF-8 alone and turns control characters and stray bytes
  // into "\xNN", which then needs no further treatment.
  const std::string shown = text::printable(text);
  std::string out;
  out.reserve(shown.size() + shown.size() / 8);
  for (const char c : shown) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string html_escape_cut(std::string_view text, std::size_t max_chars) {
  // Cut the printable form, not the raw bytes, so "\x1b" counts as what the reader sees.
  return html_escape(truncate_display(text::printable(text), max_chars));
}

}  // namespace smssaudit::report::detail
