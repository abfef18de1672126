// Normalized hive listing (see hive_listing.hpp); the Python dump scripts mirror these rules.
#include "hive_listing.hpp"

#include "hive_encoding.hpp"
#include "smssaudit/core/filetime.hpp"

#include <algorithm>

namespace smssaudit::devtools {

namespace {

std::string escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20U || u == 0x7FU) {
      out += "\\x";
      out += to_hex(std::span(&u, 1));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The core formatter gives "" for FILETIME 0 ("never set"); hivex_dump.py prints the epoch, and
// the listings must match it line for line.
std::string listing_time(std::uint64_t filetime) {
  return filetime == 0 ? "1601-01-01T00:00:00.0000000Z" : filetime_to_iso8601(filetime);
}

void list_key(const KeySpec& key,
              const std::string& path,
              const HiveSpec& spec,
              const ListingOptions& options,
              std::vector<std::string>& out) {
  out.push_back("K\t" + escape(path));
  if (options.timestamps) {
    out.push_back("T\t" + escape(path) + "\t" +
                  listing_time(key.last_written.value_or(spec.last_written)));
  }
  if (options.classes && key.class_name) {
    out.push_back("C\t" + escape(path) + "\t" + escape(*key.class_name));
  }
  for (const auto& v : key.values) {
    out.push_back("V\t" + escape(path) + "\t" + (v.name.empty() ? "@" : escape(v.name)) + "\t" +
                  reg_type_name(v.type) + "\t" + value_repr(v.type, v.data));
  }
  for (const auto& child : key.subkeys) {
    list_key(child, path + "\\" + child.name, spec, options, out);
  }
}

}  // namespace

std::string value_repr(std::uint32_t type, std::span<const std::uint8_t> data) {
  const std::string size = std::to_string(data.size()) + ":";
  if ((type == kRegDword && data.size() == 4) || (type == kRegQword && data.size() == 8)) {
    std::uint64_t v = 0;
    for (std::size_t k = data.size(); k-- > 0;)
      v = (v << 8U) | data[k];
    return size + std::to_string(v);
  }
  if (type == kRegDwordBigEndian && data.size() == 4) {
    std::uint64_t v = 0;
    for (const std::uint8_t b : data)
      v = (v << 8U) | b;
    return size + std::to_string(v);
  }
  if (type == kRegSz || type == kRegExpandSz) {
    return size + "sz:" + escape(utf16le_to_utf8(data));
  }
  return size + "hex:" + to_hex(data);
}

std::vector<std::string> normalized_listing(const HiveSpec& spec, const ListingOptions& options) {
  std::vector<std::string> out;
  list_key(spec.root, spec.root.name, spec, options, out);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace smssaudit::devtools
