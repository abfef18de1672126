// Transaction-log writer: base-block sector of a new-format (HvLE) log; entries come later.
#include "hive_log_writer.hpp"

#include "hive_writer.hpp"

namespace smssaudit::devtools {

namespace {

void put_le32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
  for (unsigned k = 0; k < 4; ++k)
    b[off + k] = static_cast<std::uint8_t>(v >> (8U * k));
}

std::uint32_t get_le32(std::span<const std::uint8_t> b, std::size_t off) {
  return b[off] | (static_cast<std::uint32_t>(b[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24U);
}

}  // namespace

std::vector<std::uint8_t> write_log(std::span<const std::uint8_t> primary, const LogSpec& log) {
  if (primary.size() < kBaseBlockSize) {
    throw HiveWriteError("log " + log.suffix + ": primary image shorter than its base block");
  }
  std::vector<std::uint8_t> out(primary.begin(),
                                primary.begin() + static_cast<std::ptrdiff_t>(kLogSectorSize));
  // Base block +4/+8: a valid log has primary == secondary; the first HvLE entry to replay must
  // carry this number, which is >= the primary file's secondary number (registry.md §4.4).
  const std::uint32_t sequence = get_le32(primary, 4);
  put_le32(out, 4, sequence);
  put_le32(out, 8, sequence);
  put_le32(out, 28, kLogFileTypeNew);
  put_le32(out, 508, regf_checksum(out));
  return out;
}

}  // namespace smssaudit::devtools
