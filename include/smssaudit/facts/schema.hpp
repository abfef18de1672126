// The field vocabulary: every fact kind and its typed fields (after osquery's table specs). The
// rule loader checks every `field:` and every example against this table.
#pragma once

#include <span>
#include <string_view>

namespace smssaudit::facts {

enum class FieldType { kString, kInt, kBool };

const char* to_string(FieldType t) noexcept;

struct FieldSpec {
  std::string_view name;
  FieldType type;
  std::string_view doc;
};

struct KindSpec {
  std::string_view kind;
  std::string_view doc;
  std::span<const FieldSpec> fields;

  const FieldSpec* field(std::string_view name) const noexcept;
};

/// All kinds, sorted by name.
std::span<const KindSpec> schema() noexcept;

/// The kind's spec, or nullptr.
const KindSpec* find_kind(std::string_view kind) noexcept;

}  // namespace smssaudit::facts
