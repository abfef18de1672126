// Marvin32 (the keyed hash of .NET and the Windows kernel), used by new-format ("HvLE")
// transaction-log entries for Hash-1 and Hash-2 (registry.md 4.4).
#pragma once

#include <cstdint>
#include <span>

namespace smssaudit::readers {

/// The seed of registry log entries. REGF lists it as the bytes 82 EF 4D 88 7A 4E 55 C5; as a
/// 64-bit value the low half (p0) is 0x7A4E55C5 and the high half (p1) 0x82EF4D88 (EZREG).
inline constexpr std::uint64_t kRegistryLogMarvinSeed = 0x82EF4D887A4E55C5ULL;

/// Full 64-bit Marvin32 result, (p1 << 32) | p0, compared with the little-endian u64 stored in
/// the entry. Never fold it to 32 bits: that is a different (and weaker) value.
std::uint64_t marvin32(std::span<const std::uint8_t> data, std::uint64_t seed) noexcept;

}  // namespace smssaudit::readers
