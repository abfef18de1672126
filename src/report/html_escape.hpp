// HTML/SVG escaping for the HTML report (private to src/report). Every string that came from
// evidence (command lines, registry data, file names) is attacker-controlled and passes through
// here before it reaches the page.
#pragma once

#include <string>
#include <string_view>

namespace smssaudit::report::detail {

/// Text safe for HTML element content and for quoted attribute values (both `"` and `'`): `&`,
/// `<`, `>`, `"` and `'` become character references. Control characters and invalid UTF-8 bytes
/// are first made visible as `\xNN` (text::printable), so the page is always valid UTF-8 and no
/// byte of the input can end an element, an attribute or a comment early.
std::string html_escape(std::string_view text);

/// `html_escape` after cutting the text to `max_chars` code points ("…" appended when cut).
std::string html_escape_cut(std::string_view text, std::size_t max_chars);

}  // namespace smssaudit::report::detail
