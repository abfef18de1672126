// REGF base-block validation (registry.md 4.2, formats.md 9; REGF "Base block" and the log
// "Base block" notes). Pure checks on a parsed facts::BaseBlock: no I/O, no libregf.
#include "smssaudit/readers/base_block_validation.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smssaudit::readers {
namespace {

constexpr std::uint32_t kHbinAlignment = 4096;     // REGF hive bin note 1: sizes are 4096-multiples
constexpr std::uint32_t kMaxClusteringFactor = 8;  // sector size / 512: 512 B .. 4 KiB sectors
constexpr std::uint32_t kMaxMinorVersion = 6;  // 1.3 .. 1.6 seen in the wild (1.6 = System_Delta)
constexpr std::uint32_t kMinMinorVersion = 2;  // NT 3.x wrote 1.2 hives

void add(std::vector<BaseBlockProblem>& out, const char* code, std::string message, bool fatal) {
  out.push_back(BaseBlockProblem{code, std::move(message), fatal});
}

bool type_matches(std::uint32_t type, BaseBlockRole role) noexcept {
  switch (role) {
    case BaseBlockRole::kPrimary:
      return type == 0;
    case BaseBlockRole::kOldLog:
      return type == 1 || type == 2;
    case BaseBlockRole::kNewLog:
      return type == 6;
  }
  return false;
}

const char* expected_type(BaseBlockRole role) noexcept {
  switch (role) {
    case BaseBlockRole::kPrimary:
      return "0 (primary)";
    case BaseBlockRole::kOldLog:
      return "1 or 2 (old-format log)";
    case BaseBlockRole::kNewLog:
      return "6 (new-format log)";
  }
  return "?";
}

// Sequence numbers: a primary whose numbers differ is dirty (a state, not damage); a log copy is
// only valid when both are equal (REGF old-format log base block, note 2; the new format reuses
// the same rule "in the same way ... and for the same purpose").
void check_sequences(const facts::BaseBlock& b,
                     BaseBlockRole role,
                     std::vector<BaseBlockProblem>& out) {
  if (b.sequences_match()) {
    return;
  }
  const std::string seqs = fmt::format("primary sequence (+4) {} != secondary sequence (+8) {}",
                                       b.primary_sequence,
                                       b.secondary_sequence);
  if (role == BaseBlockRole::kPrimary) {
    add(out, "dirty", seqs + ": the last write did not finish (hive is dirty)", false);
  } else {
    add(out, "log_sequence", seqs + ": the log was not completely written", true);
  }
}

// Geometry: hive-bins size (+40), clustering factor (+44), root cell (+36) and, for a primary,
// whether the file is long enough for the bins it declares.
void check_geometry(const facts::BaseBlock& b,
                    BaseBlockRole role,
                    std::vector<BaseBlockProblem>& out) {
  if (b.hive_bins_size == 0 || b.hive_bins_size % kHbinAlignment != 0) {
    add(out,
        "bins_size",
        fmt::format("hive-bins size (+40) {} is not a non-zero multiple of 4096", b.hive_bins_size),
        true);
  }
  const std::uint32_t cf = b.clustering_factor;
  if (cf == 0 || cf > kMaxClusteringFactor || (cf & (cf - 1)) != 0) {
    add(out,
        "clustering_factor",
        fmt::format("clustering factor (+44) {} is not a sector size / 512 (1, 2, 4 or 8)", cf),
        true);
  }
  if (b.hive_bins_size != 0 && b.root_cell_offset >= b.hive_bins_size) {
    add(out,
        "root_cell",
        fmt::format("root cell offset (+36) 0x{:x} lies outside the hive bins (size 0x{:x})",
                    b.root_cell_offset,
                    b.hive_bins_size),
        false);
  }
  if (role == BaseBlockRole::kPrimary && b.truncated()) {
    add(out,
        "truncated",
        fmt::format("file is {} bytes, shorter than 4096 + hive-bins size {}",
                    b.file_size,
                    b.hive_bins_size),
        false);
  }
}

}  // namespace

std::vector<BaseBlockProblem> validate_base_block(const facts::BaseBlock& b, BaseBlockRole role) {
  std::vector<BaseBlockProblem> out;
  if (!b.signature_ok) {
    add(out, "signature", "no 'regf' signature at +0", true);
    return out;  // nothing else in the block means anything
  }
  if (!b.checksum_ok()) {
    add(out,
        "checksum",
        fmt::format("checksum (+508) 0x{:08x} != computed 0x{:08x} (XOR of bytes 0-507 with "
                    "Windows' 0 -> 1 and 0xFFFFFFFF -> 0xFFFFFFFE rule)",
                    b.stored_checksum,
                    b.computed_checksum),
        true);
  }
  check_sequences(b, role, out);
  if (b.major_version != 1 || b.minor_version < kMinMinorVersion ||
      b.minor_version > kMaxMinorVersion) {
    add(out,
        "version",
        fmt::format("version (+20/+24) {}.{} is not 1.2-1.6", b.major_version, b.minor_version),
        false);
  }
  if (!type_matches(b.file_type, role)) {
    add(out,
        "file_type",
        fmt::format("file type (+28) {} where {} was expected", b.file_type, expected_type(role)),
        true);
  }
  if (b.file_format != 1) {
    add(out,
        "file_format",
        fmt::format("file format (+32) {} is not 1 (direct memory load)", b.file_format),
        true);
  }
  check_geometry(b, role, out);
  return out;
}

bool base_block_usable(const std::vector<BaseBlockProblem>& problems) noexcept {
  return std::none_of(
      problems.begin(), problems.end(), [](const BaseBlockProblem& p) { return p.fatal; });
}

}  // namespace smssaudit::readers
