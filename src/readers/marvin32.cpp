// Marvin32, written from the algorithm's description (4-byte little-endian blocks mixed into two
// 32-bit lanes, a 0x80 terminator, two final mixing rounds). Checked against the .NET runtime's
// published test vectors and against every HvLE hash in the corpus logs (tests/unit/readers).
#include "readers/marvin32.hpp"

#include <bit>

namespace smssaudit::readers {
namespace {

struct Lanes {
  std::uint32_t p0;
  std::uint32_t p1;
};

// One mixing round over both lanes.
void mix(Lanes& s) noexcept {
  s.p1 ^= s.p0;
  s.p0 = std::rotl(s.p0, 20);
  s.p0 += s.p1;
  s.p1 = std::rotl(s.p1, 9);
  s.p1 ^= s.p0;
  s.p0 = std::rotl(s.p0, 27);
  s.p0 += s.p1;
  s.p1 = std::rotl(s.p1, 19);
}

std::uint32_t le32(std::span<const std::uint8_t> d, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(d[off]) | (static_cast<std::uint32_t>(d[off + 1]) << 8) |
         (static_cast<std::uint32_t>(d[off + 2]) << 16) |
         (static_cast<std::uint32_t>(d[off + 3]) << 24);
}

}  // namespace

std::uint64_t marvin32(std::span<const std::uint8_t> data, std::uint64_t seed) noexcept {
  Lanes s{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  const std::size_t whole = data.size() / 4 * 4;
  for (std::size_t off = 0; off < whole; off += 4) {
    s.p0 += le32(data, off);
    mix(s);
  }
  // The 0-3 trailing bytes are packed little-endian under a 0x80 terminator byte.
  std::uint32_t last = 0x80;
  for (std::size_t i = data.size(); i > whole; --i) {
    last = (last << 8) | data[i - 1];
  }
  s.p0 += last;
  mix(s);
  mix(s);
  return (static_cast<std::uint64_t>(s.p1) << 32) | s.p0;
}

}  // namespace smssaudit::readers
