// Registry fact helpers: type names, value rendering, case-insensitive lookups, rename queue.
#include "smssaudit/facts/registry.hpp"

#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace smssaudit::facts {
namespace {

// Reports show a binary value's head only; the full bytes stay in RegValue::raw.
constexpr std::size_t kDisplayBinaryBytes = 64;

// Space-separated lower-case hex, with " ..." when the data was cut for display.
std::string hex_bytes(const std::vector<std::uint8_t>& raw) {
  std::string out;
  const std::size_t n = std::min(raw.size(), kDisplayBinaryBytes);
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) {
      out.push_back(' ');
    }
    out.append(fmt::format("{:02x}", static_cast<unsigned>(raw[i])));
  }
  if (raw.size() > n) {
    out.append(" ...");
  }
  return out;
}

}  // namespace

std::string reg_type_name(std::uint32_t type) {
  // Names as regedit and the Win32 headers spell them (REGF vk +12 type codes).
  static constexpr std::array<const char*, 12> kNames = {"REG_NONE",
                                                         "REG_SZ",
                                                         "REG_EXPAND_SZ",
                                                         "REG_BINARY",
                                                         "REG_DWORD",
                                                         "REG_DWORD_BIG_ENDIAN",
                                                         "REG_LINK",
                                                         "REG_MULTI_SZ",
                                                         "REG_RESOURCE_LIST",
                                                         "REG_FULL_RESOURCE_DESCRIPTOR",
                                                         "REG_RESOURCE_REQUIREMENTS_LIST",
                                                         "REG_QWORD"};
  if (type < kNames.size()) {
    return kNames.at(type);
  }
  return fmt::format("REG_0x{:02X}", type);
}

bool RegValue::is_string_type() const noexcept {
  // By declared type only; a REG_BINARY decoded as text still reports false (see binary_as_text).
  switch (static_cast<RegType>(type)) {
    case RegType::kSz:
    case RegType::kExpandSz:
    case RegType::kLink:
    case RegType::kMultiSz:
      return true;
    default:
      return false;
  }
}

// Strings first (including REG_BINARY decoded as text), then numbers, then raw bytes.
std::string RegValue::display() const {
  if (is_string_type() || binary_as_text) {
    return text::join(strings, " | ");
  }
  if (number) {
    std::string out = std::to_string(*number);
    const bool dword = type == static_cast<std::uint32_t>(RegType::kDword) ||
                       type == static_cast<std::uint32_t>(RegType::kDwordBigEndian);
    // Flags and masks read better in hex; small counts do not need it.
    if (dword && *number > 9) {
      out.append(fmt::format(" (0x{:08x})", static_cast<unsigned long long>(*number)));
    }
    return out;
  }
  return hex_bytes(raw);
}

std::string RegValue::first_string() const {
  return strings.empty() ? std::string() : strings.front();
}

const char* to_string(KeyStatus s) noexcept {
  switch (s) {
    case KeyStatus::kPresent:
      return "present";
    case KeyStatus::kAbsent:
      return "absent";
    case KeyStatus::kUnreadable:
      return "unreadable";
  }
  return "unknown";
}

// Value names compare case-insensitively, as Windows does: Win8+ hives store "SETUPEXECUTE".
const RegValue* RegKey::find(std::string_view name) const noexcept {
  for (const RegValue& v : values) {
    if (text::iequals(v.name, name)) {
      return &v;
    }
  }
  return nullptr;
}

// Surface paths are matched the same way as registry names: ASCII case-insensitively.
const RegKey* ControlSet::key(std::string_view relative_path) const noexcept {
  for (const RegKey& k : keys) {
    if (text::iequals(k.path, relative_path)) {
      return &k;
    }
  }
  return nullptr;
}

std::vector<PendingRename> parse_pending_renames(const std::string& value_name,
                                                 const std::vector<std::string>& strings) {
  // MoveFileEx(MOVEFILE_DELAY_UNTIL_REBOOT) appends "source\0target\0"; an empty target is a
  // delete and a "!" before the target means MOVEFILE_REPLACE_EXISTING (registry.md 1.3).
  std::vector<PendingRename> out;
  for (std::size_t i = 0; i < strings.size(); i += 2) {
    PendingRename op;
    op.value_name = value_name;
    op.index = i / 2;
    op.source = strings[i];
    // A complete pair: the target decides between rename, replace-rename and delete.
    if (i + 1 < strings.size()) {
      std::string target = strings[i + 1];
      if (!target.empty() && target.front() == '!') {
        op.replace_existing = true;
        target.erase(0, 1);
      }
      op.is_delete = strings[i + 1].empty();
      op.target = std::move(target);
    } else {
      // Dangling source: the list's final empty target was eaten as the MULTI_SZ terminator.
      op.is_delete = true;
    }
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace smssaudit::facts
