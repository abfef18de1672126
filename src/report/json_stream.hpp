// JsonStream: writes a pretty-printed JSON document piece by piece, byte for byte as
// nlohmann's dump(2) would print the whole document (private to src/report).
//
// Why (issue 8): a 1 GB Security log gives ~6,700 boots; as one DOM plus its dumped string the
// "lineage" block cost ~18 MB and 0.3 s at the end of a scan. The reporter now builds one boot's
// DOM at a time and streams it; small parts are still built as DOMs and written whole.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::report::detail {

class JsonStream {
 public:
  using Json = nlohmann::ordered_json;

  explicit JsonStream(std::ostream& out) : out_(out) {}

  /// Opens an object or array as the next value (after key(), as an array element, or the root).
  void begin_object() { open('{'); }

  void begin_array() { open('['); }

  /// Closes the innermost open object or array ("{}" / "[]" when it got nothing).
  void end();

  /// The key of the next member of the innermost object.
  void key(std::string_view name);

  /// A whole value: the next array element, the value after key(), or the root.
  void value(const Json& v);

  /// key(name) then value(v).
  void member(std::string_view name, const Json& v) {
    key(name);
    value(v);
  }

 private:
  struct Level {
    char close = '}';
    bool empty = true;
  };

  void open(char bracket);
  /// Separator and indentation before a value that is not the value of a key.
  void before_value();
  void newline_indent(std::size_t depth);

  std::ostream& out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace smssaudit::report::detail
