// REGF base block (file bytes 0-4095) parsed without libregf: libregf exposes neither the sequence
// numbers nor the Windows checksum rule, and refuses a mismatching checksum (registry.md 4.2, 4.5).
#include "evidence/read_only_file.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/hive_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace smssaudit::readers {
namespace {

constexpr std::size_t kBaseBlockSize = 4096;
constexpr std::size_t kChecksummedBytes = 508;  // checksum covers 0..507, stored at +508
constexpr std::size_t kMinimumBytes = 512;      // through the checksum field

// Every base-block field is a little-endian u32 (REGF is little-endian throughout).
std::uint32_t u32_at(std::span<const std::uint8_t> b, std::size_t off) noexcept {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

// The first bytes of a non-hive help identify it ("4d 5a" = PE, "43 52 45 47" = Win9x CREG).
std::string hex4(std::span<const std::uint8_t> b) {
  std::string out;
  for (std::size_t i = 0; i < b.size() && i < 4; ++i) {
    out += (i == 0 ? "" : " ");
    out += fmt::format("{:02x}", static_cast<unsigned>(b[i]));
  }
  return out;
}

}  // namespace

std::uint32_t base_block_checksum(std::span<const std::uint8_t> first_512_bytes) noexcept {
  if (first_512_bytes.size() < kChecksummedBytes) {
    return 0;
  }
  std::uint32_t x = 0;
  // 127 dwords: bytes 0..507 (the checksum itself at +508 is excluded).
  for (std::size_t off = 0; off < kChecksummedBytes; off += 4) {
    x ^= u32_at(first_512_bytes, off);
  }
  // Windows (WRK hivesum.c) never stores 0 or -1, so it substitutes them. libregf does not, which
  // is why a hive hitting either corner is readable by Windows but refused by libregf.
  if (x == 0xFFFFFFFFU) {
    return 0xFFFFFFFEU;
  }
  if (x == 0) {
    return 1;
  }
  return x;
}

Result<facts::BaseBlock> parse_base_block(std::span<const std::uint8_t> bytes,
                                          std::uint64_t file_size) {
  static constexpr std::array<std::uint8_t, 4> kRegf = {'r', 'e', 'g', 'f'};
  const std::size_t sig_len = std::min<std::size_t>(bytes.size(), 4);
  // A short file whose few bytes already differ from "regf" is simply not a hive; a short file
  // that starts like one (or is empty) is a truncated hive.
  if (!std::equal(
          bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(sig_len), kRegf.begin())) {
    return fail(ErrorCode::kHiveSignature,
                "",
                "not a registry hive (no 'regf' signature; starts with " + hex4(bytes) + ")");
  }
  if (bytes.size() < kMinimumBytes) {
    return fail(ErrorCode::kHiveTruncated,
                "",
                "file is " + std::to_string(bytes.size()) +
                    " bytes, shorter than the 512-byte checksummed part of a base block");
  }
  // Field offsets from registry.md 4.2 / formats.md 9.
  facts::BaseBlock b;
  b.signature_ok = true;
  b.primary_sequence = u32_at(bytes, 4);    // +4: bumped when a write starts
  b.secondary_sequence = u32_at(bytes, 8);  // +8: bumped when the write finished
  b.last_written = static_cast<std::uint64_t>(u32_at(bytes, 12)) |
                   (static_cast<std::uint64_t>(u32_at(bytes, 16)) << 32);  // +12 FILETIME
  b.major_version = u32_at(bytes, 20);
  b.minor_version = u32_at(bytes, 24);
  b.file_type = u32_at(bytes, 28);  // 0 primary, 1/2 old log, 6 new (HvLE) log
  b.file_format = u32_at(bytes, 32);
  b.root_cell_offset = u32_at(bytes, 36);  // relative to the hive bins at file offset 4096
  b.hive_bins_size = u32_at(bytes, 40);
  b.clustering_factor = u32_at(bytes, 44);
  b.embedded_name = text::utf16le_to_utf8(bytes.subspan(48, 64), true);  // +48, 64 bytes
  b.stored_checksum = u32_at(bytes, kChecksummedBytes);
  b.computed_checksum = base_block_checksum(bytes.first(kMinimumBytes));
  b.file_size = file_size;
  return b;
}

Result<facts::BaseBlock> read_base_block(const std::string& path) {
  auto file = evidence::ReadOnlyFile::open(path);
  if (!file) {
    return fail(std::move(file).error());
  }
  // Read up to 4096 bytes; a shorter file is handed to the parser, which decides what it is.
  std::array<std::uint8_t, kBaseBlockSize> buf{};
  auto got = file->read_up_to(buf);
  if (!got) {
    return fail(std::move(got).error());
  }
  auto parsed = parse_base_block(std::span<const std::uint8_t>(buf.data(), *got), file->size());
  if (!parsed) {
    Error e = std::move(parsed).error();
    e.context = path;  // name the file: parse_base_block only sees bytes
    return fail(std::move(e));
  }
  return parsed;
}

}  // namespace smssaudit::readers
