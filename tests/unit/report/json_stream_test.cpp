// JsonStream writes, in pieces, exactly what nlohmann's dump(2) writes for the whole document
// (src/report/json_stream.cpp). The JSON report's golden tests rely on it byte for byte.
#include "report/json_stream.hpp"

#include "support/catch.hpp"

#include <sstream>
#include <string>

namespace {

using Json = smssaudit::report::detail::JsonStream::Json;
using smssaudit::report::detail::JsonStream;

std::string whole(const Json& doc) {
  return doc.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("JsonStream writes what dump(2) writes for the same document", "[report]") {
  Json inner = Json::object();
  inner["list"] = Json::array({1, "two", nullptr, Json::object(), Json::array()});
  inner["empty_object"] = Json::object();
  inner["text"] = "line\nbreak \"quoted\" \xff";  // escaped newline, invalid UTF-8 replaced
  Json doc = Json::object();
  doc["schema"] = "x/1";
  doc["nested"] = inner;
  doc["none"] = Json::array();
  doc["items"] = Json::array({inner, 3});
  doc["last"] = false;

  std::ostringstream out;
  JsonStream w(out);
  w.begin_object();
  w.member("schema", "x/1");
  w.key("nested");
  w.begin_object();  // written member by member
  w.member("list", inner["list"]);
  w.key("empty_object");
  w.begin_object();
  w.end();
  w.member("text", inner["text"]);
  w.end();
  w.key("none");
  w.begin_array();  // nothing in it: "[]"
  w.end();
  w.key("items");
  w.begin_array();
  w.value(inner);  // written whole, re-indented to its depth
  w.value(3);
  w.end();
  w.member("last", false);
  w.end();
  CHECK(out.str() == whole(doc));
}

TEST_CASE("JsonStream writes a root array and a scalar root as dump(2) does", "[report]") {
  std::ostringstream array_out;
  JsonStream a(array_out);
  a.begin_array();
  a.value(Json::object({{"k", 1}}));
  a.begin_array();
  a.value("x");
  a.end();
  a.end();
  CHECK(array_out.str() == whole(Json::array({Json::object({{"k", 1}}), Json::array({"x"})})));

  std::ostringstream scalar_out;
  JsonStream s(scalar_out);
  s.value("only");
  CHECK(scalar_out.str() == whole(Json("only")));
}
