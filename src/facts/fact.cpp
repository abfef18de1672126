// Fact helpers: field rendering, lookup and identity for de-duplication.
#include "smssaudit/facts/fact.hpp"

namespace smssaudit::facts {

std::string field_to_string(const FieldValue& v) {
  struct Render {
    std::string operator()(std::monostate) const { return ""; }

    std::string operator()(bool b) const { return b ? "true" : "false"; }

    std::string operator()(std::int64_t i) const { return std::to_string(i); }

    std::string operator()(const std::string& s) const { return s; }
  };

  return std::visit(Render{}, v);
}

const FieldValue* Fact::get(const std::string& name) const {
  const auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::string Fact::identity() const {
  // Unit/record separators cannot occur in registry names or paths, so two different facts never
  // render to the same identity; the type index keeps int 1 and string "1" apart. `fields` is a
  // std::map, so the order is stable.
  std::string id = kind;
  for (const auto& [name, value] : fields) {
    id.push_back('\x1e');
    id.append(name);
    id.push_back('\x1f');
    id.append(std::to_string(value.index()));
    id.push_back('\x1f');
    id.append(field_to_string(value));
  }
  return id;
}

}  // namespace smssaudit::facts
