// Recognising disk images and their segment sets, for the evidence locator. By content first; the
// name only to find the other segments of a split raw (x.001, x.002 …) or EWF (x.E01, x.E02 …) set.
#include "evidence/read_only_file.hpp"
#include "smssaudit/readers/image.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <system_error>

namespace smssaudit::readers::image {
namespace {

constexpr std::size_t kHeadBytes = 1024;
constexpr std::size_t kFooterBytes = 512;

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

/// A name's segment number: "x.001" → 1 (digits, any width), "x.E01" → 1, "x.E02" → 2,
/// "x.EAA" → 100 …; nullopt for anything else. `stem` receives "x." and `ext` the extension.
struct SegmentName {
  std::string stem;
  std::string ext;
  std::size_t number = 0;
  bool ewf = false;
};

std::optional<SegmentName> parse_segment(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return std::nullopt;
  }
  SegmentName s{path.substr(0, dot + 1), path.substr(dot + 1), 0, false};
  const auto digit = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  };
  if (s.ext.size() >= 3 && std::all_of(s.ext.begin(), s.ext.end(), digit)) {
    s.number = std::stoul(s.ext);
    return s.number > 0 ? std::optional<SegmentName>(s) : std::nullopt;
  }
  if (s.ext.size() != 3 || (s.ext[0] != 'E' && s.ext[0] != 'e')) {
    return std::nullopt;
  }
  s.ewf = true;
  if (digit(s.ext[1]) && digit(s.ext[2])) {
    s.number =
        static_cast<std::size_t>(s.ext[1] - '0') * 10 + static_cast<std::size_t>(s.ext[2] - '0');
    return s.number > 0 ? std::optional<SegmentName>(s) : std::nullopt;
  }
  const char a = static_cast<char>(std::toupper(static_cast<unsigned char>(s.ext[1])));
  const char b = static_cast<char>(std::toupper(static_cast<unsigned char>(s.ext[2])));
  if (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z') {
    s.number = 100 + static_cast<std::size_t>((a - 'A') * 26 + (b - 'A'));
    return s;
  }
  return std::nullopt;
}

/// The name of segment `n` of the set `s` belongs to (same width, same case of the 'E').
std::string segment_name(const SegmentName& s, std::size_t n) {
  std::string ext;
  if (!s.ewf) {
    ext = std::to_string(n);
    if (ext.size() < s.ext.size()) {
      ext.insert(0, s.ext.size() - ext.size(), '0');
    }
  } else if (n < 100) {
    ext = std::string(1, s.ext[0]) + static_cast<char>('0' + n / 10) +
          static_cast<char>('0' + n % 10);
  } else {
    const std::size_t k = n - 100;
    const bool lower = s.ext[0] == 'e';
    const char base = lower ? 'a' : 'A';
    ext = std::string(1, s.ext[0]) + static_cast<char>(base + static_cast<char>(k / 26 % 26)) +
          static_cast<char>(base + static_cast<char>(k % 26));
  }
  return s.stem + ext;
}

bool has(std::span<const std::uint8_t> b, std::size_t at, const char* magic) {
  const std::size_t n = std::strlen(magic);
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

/// An MBR with at least one partition entry (boot flag 0 or 0x80, a non-zero type and start).
bool looks_like_mbr(std::span<const std::uint8_t> b) {
  if (b.size() < 512 || b[510] != 0x55 || b[511] != 0xAA) {
    return false;
  }
  for (std::size_t e = 446; e < 510; e += 16) {
    const bool flag_ok = b[e] == 0x00 || b[e] == 0x80;
    const std::uint32_t start =
        static_cast<std::uint32_t>(b[e + 8]) | static_cast<std::uint32_t>(b[e + 9]) << 8U |
        static_cast<std::uint32_t>(b[e + 10]) << 16U | static_cast<std::uint32_t>(b[e + 11]) << 24U;
    if (flag_ok && b[e + 4] != 0 && start != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> find_segments(const std::string& first) {
  std::vector<std::string> out{first};
  const auto s = parse_segment(first);
  if (!s || s->number != 1) {
    return out;
  }
  const std::size_t last = s->ewf ? 100 + 26 * 26 - 1 : 99999;
  for (std::size_t n = 2; n <= last; ++n) {
    std::string next = segment_name(*s, n);
    if (!exists(next)) {
      break;
    }
    out.push_back(std::move(next));
  }
  return out;
}

bool is_secondary_segment(const std::string& path) {
  const auto s = parse_segment(path);
  return s && s->number > 1 && exists(segment_name(*s, 1));
}

bool looks_like_disk_image(const std::string& path) {
  auto file = evidence::ReadOnlyFile::open(path);
  if (!file || file->size() < 512) {
    return false;
  }
  std::array<std::uint8_t, kHeadBytes> head{};
  auto got = file->read_at(0, head);
  if (!got) {
    return false;
  }
  const std::span<const std::uint8_t> h(head.data(), *got);
  if (has(h, 0, "EVF\x09\x0d\x0a\xff") || has(h, 0, "KDMV") || has(h, 0, "# Disk DescriptorFile") ||
      has(h, 0, "conectix") || has(h, 512, "EFI PART")) {
    return true;
  }
  if (h.size() >= 512 && h[510] == 0x55 && h[511] == 0xAA &&
      (has(h, 3, "NTFS    ") || has(h, 3, "-FVE-FS-"))) {
    return true;  // a bare NTFS (or BitLocker) volume
  }
  if (looks_like_mbr(h)) {
    return true;
  }
  std::array<std::uint8_t, kFooterBytes> foot{};
  auto tail = file->read_at(file->size() - kFooterBytes, foot);
  return tail && *tail == kFooterBytes &&
         has(std::span<const std::uint8_t>(foot.data(), foot.size()), 0, "conectix");
}

}  // namespace smssaudit::readers::image
