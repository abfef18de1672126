// HiveSpec helpers: registry type names and case-insensitive lookups.
#include "hive_spec.hpp"

#include "hive_encoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace smssaudit::devtools {

namespace {

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 12> kTypeNames = {{
    {kRegNone, "REG_NONE"},
    {kRegSz, "REG_SZ"},
    {kRegExpandSz, "REG_EXPAND_SZ"},
    {kRegBinary, "REG_BINARY"},
    {kRegDword, "REG_DWORD"},
    {kRegDwordBigEndian, "REG_DWORD_BIG_ENDIAN"},
    {kRegLink, "REG_LINK"},
    {kRegMultiSz, "REG_MULTI_SZ"},
    {kRegResourceList, "REG_RESOURCE_LIST"},
    {kRegFullResourceDescriptor, "REG_FULL_RESOURCE_DESCRIPTOR"},
    {kRegResourceRequirementsList, "REG_RESOURCE_REQUIREMENTS_LIST"},
    {kRegQword, "REG_QWORD"},
}};

template <typename Vec>
auto find_ci(Vec& items, std::string_view name) -> decltype(&items.front()) {
  const std::string wanted = upcase_ascii(name);
  const auto it = std::find_if(items.begin(), items.end(), [&](const auto& item) {
    return upcase_ascii(item.name) == wanted;
  });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

std::string reg_type_name(std::uint32_t type) {
  for (const auto& [value, name] : kTypeNames) {
    if (value == type)
      return std::string(name);
  }
  return fmt::format("0x{:x}", type);
}

std::optional<std::uint32_t> reg_type_from_name(std::string_view name) {
  for (const auto& [value, type_name] : kTypeNames) {
    if (type_name == name)
      return value;
  }
  return std::nullopt;
}

KeySpec* KeySpec::find_subkey(std::string_view child_name) {
  return find_ci(subkeys, child_name);
}

const KeySpec* KeySpec::find_subkey(std::string_view child_name) const {
  return find_ci(subkeys, child_name);
}

ValueSpec* KeySpec::find_value(std::string_view value_name) {
  return find_ci(values, value_name);
}

const ValueSpec* KeySpec::find_value(std::string_view value_name) const {
  return find_ci(values, value_name);
}

}  // namespace smssaudit::devtools
