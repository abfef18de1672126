// Normalized, sorted text listing of a hive tree: the common ground of the reader cross-checks.
#pragma once

#include "hive_spec.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::devtools {

/// What to include beyond keys and values (not every reader exposes these).
struct ListingOptions {
  bool timestamps = false;  ///< "T\t<path>\t<ISO time>" per key (hivex exposes them)
  bool classes = false;     ///< "C\t<path>\t<class>" per key with a class (regfexport prints them)
};

/// Sorted lines, the same format tests/support/hivex_dump.py and regfexport_dump.py print:
///   K\t<path>                                   path = root name + "\" + ... (case preserved)
///   V\t<path>\t<name or @>\t<type>\t<data>      type = REG_* name or 0x<hex>
/// data is "<size>:<decimal>" for a 4-byte REG_DWORD / REG_DWORD_BIG_ENDIAN or an 8-byte
/// REG_QWORD, "<size>:sz:<text up to the first NUL>" for REG_SZ / REG_EXPAND_SZ, else
/// "<size>:hex:<lower-case hex>". Control characters in names and text print as \xNN.
std::vector<std::string> normalized_listing(const HiveSpec& spec, const ListingOptions& options);

/// The <data> field above for one value.
std::string value_repr(std::uint32_t type, std::span<const std::uint8_t> data);

}  // namespace smssaudit::devtools
