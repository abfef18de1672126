// JsonStream: nlohmann's pretty-printing (indent 2, ' ') reproduced for a document written in
// pieces. A value written whole is dumped by nlohmann and re-indented to its depth; JSON strings
// cannot hold a raw newline (it is escaped), so indenting after every '\n' is exact.
#include "report/json_stream.hpp"

namespace smssaudit::report::detail {
namespace {

constexpr std::size_t kIndent = 2;

}  // namespace

void JsonStream::newline_indent(std::size_t depth) {
  out_.put('\n');
  for (std::size_t i = 0; i < depth * kIndent; ++i) {
    out_.put(' ');
  }
}

void JsonStream::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (levels_.empty()) {
    return;  // the root
  }
  Level& l = levels_.back();
  if (!l.empty) {
    out_.put(',');
  }
  l.empty = false;
  newline_indent(levels_.size());
}

void JsonStream::open(char bracket) {
  before_value();
  out_.put(bracket);
  levels_.push_back(Level{bracket == '{' ? '}' : ']', true});
}

void JsonStream::end() {
  const Level l = levels_.back();
  levels_.pop_back();
  if (!l.empty) {
    newline_indent(levels_.size());
  }
  out_.put(l.close);
}

void JsonStream::key(std::string_view name) {
  before_value();
  out_ << Json(name).dump(-1, ' ', false, Json::error_handler_t::replace) << ": ";
  after_key_ = true;
}

void JsonStream::value(const Json& v) {
  before_value();
  // Invalid UTF-8 (file paths, embedded names) becomes U+FFFD instead of throwing halfway
  // through a report.
  const std::string text = v.dump(kIndent, ' ', false, Json::error_handler_t::replace);
  const std::string pad(levels_.size() * kIndent, ' ');
  std::size_t from = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
    out_.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    out_ << pad;
    from = nl + 1;
  }
  out_.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

}  // namespace smssaudit::report::detail
