// Writes small, valid REGF hives from a HiveSpec (formats.md §9-11); used only to build fixtures.
#pragma once

#include "hive_spec.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

namespace smssaudit::devtools {

/// A HiveSpec that no valid hive can represent: a non-ASCII or empty key name, two subkeys or two
/// values whose names differ only in case, an unsupported minor version.
class HiveWriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Base block size; the hive-bins data starts at this file offset (formats.md §9).
inline constexpr std::size_t kBaseBlockSize = 4096;
/// hbin sizes are multiples of this (formats.md §10 "hbin header").
inline constexpr std::size_t kBinGranularity = 4096;
/// Largest db segment; data above this uses a db cell when minor >= 4 (formats.md §10 "db").
inline constexpr std::size_t kBigDataSegment = 16344;
/// Largest lh leaf before the writer switches to an ri index of leaves (real leaves reach 967;
/// Windows splits around 500, formats.md §10 "Subkey lists").
inline constexpr std::size_t kMaxLeafEntries = 500;

/// Windows' base-block checksum: XOR of the 127 u32 words at 0..507, with 0xFFFFFFFF stored as
/// 0xFFFFFFFE and 0 stored as 1 (registry.md §4.2). `block` must hold at least 508 bytes.
std::uint32_t regf_checksum(std::span<const std::uint8_t> block);

/// The whole primary file: a 4096-byte base block followed by the hive bins. Layout choices
/// (formats.md §11): root nk first (cell 0x20, flags 0x2C), then one shared sk whose refcount is
/// the number of keys, then every key depth-first with its class, values and subkey lists; lists
/// are sorted by upper-cased name, lh elements carry the x37 hash, data <= 4 bytes is inline, data
/// above 16,344 bytes uses db segments when minor >= 4. Every bin ends with one free cell.
/// Throws HiveWriteError when the spec cannot be represented.
std::vector<std::uint8_t> write_hive(const HiveSpec& spec);

}  // namespace smssaudit::devtools
