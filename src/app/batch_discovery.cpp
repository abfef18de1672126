// Host discovery for `batch` (see batch_discovery.hpp): folders, and disk images by content.
#include "app/batch_discovery.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>

namespace smssaudit::app {
namespace {

namespace fs = boost::filesystem;

bool bytes_at(std::span<const unsigned char> data, std::size_t offset, std::string_view sig) {
  if (data.size() < offset + sig.size()) {
    return false;
  }
  return std::equal(sig.begin(),
                    sig.end(),
                    data.begin() + static_cast<std::ptrdiff_t>(offset),
                    [](char a, unsigned char b) { return static_cast<unsigned char>(a) == b; });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return s;
}

/// Reads up to `max` bytes from `offset`.
std::vector<unsigned char> read_bytes(std::ifstream& in, std::uint64_t offset, std::size_t max) {
  std::vector<unsigned char> buf(max);
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): byte buffer for istream::read
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(max));
  buf.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return buf;
}

/// "disk.001" -> {"disk", "001"}; anything else -> nullopt. Split raw images (dd, FTK) number
/// their segments .001, .002, ...
std::optional<std::pair<std::string, std::string>> numbered_segment(const std::string& name) {
  static const std::regex segment_re(R"(^(.+)\.([0-9]{3})$)");
  std::smatch m;
  if (std::regex_match(name, m, segment_re)) {
    return std::make_pair(m[1].str(), m[2].str());
  }
  return std::nullopt;
}

/// "host.E02" -> "host": EWF segments continue .E01 as .E02 ... .E99, .EAA ...; Ex01 as .Ex02 ...
std::optional<std::string> ewf_stem(const std::string& name) {
  static const std::regex ewf_re(R"(^(.+)\.[EeLl]x?[0-9A-Za-z]{2}$)");
  std::smatch m;
  if (std::regex_match(name, m, ewf_re)) {
    return m[1].str();
  }
  return std::nullopt;
}

std::string read_text_prefix(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string text(max, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return text;
}

/// Why a loose file is not scanned: a hint for the common mistakes.
std::string ignore_reason(const std::string& path) {
  const std::string head = read_text_prefix(path, 8);
  if (head.rfind("regf", 0) == 0 || head.rfind("ElfFile", 0) == 0) {
    return "a loose hive or event log, not a disk image: put each host's files in a folder of its "
           "own";
  }
  if (head.rfind("PK\x03\x04", 0) == 0) {
    return "a zip archive, not a disk image: extract it into a host folder";
  }
  return "neither a folder nor a disk image";
}

}  // namespace

const char* to_string(HostKind kind) noexcept {
  switch (kind) {
    case HostKind::kFolder:
      return "folder";
    case HostKind::kEwf:
      return "ewf";
    case HostKind::kVmdk:
      return "vmdk";
    case HostKind::kVhd:
      return "vhd";
    case HostKind::kVhdx:
      return "vhdx";
    case HostKind::kQcow2:
      return "qcow2";
    case HostKind::kRaw:
      return "raw";
  }
  return "unknown";
}

std::optional<HostKind> detect_image(const ImageProbe& probe) {
  using namespace std::string_view_literals;
  const auto head = probe.head;
  // Container formats first: their signatures are unambiguous magic numbers at offset 0.
  if (bytes_at(head, 0, "EVF\x09\x0d\x0a\xff\x00"sv) ||
      bytes_at(head, 0, "EVF2\x0d\x0a\x81\x00"sv)) {
    return HostKind::kEwf;
  }
  if (bytes_at(head, 0, "KDMV") || bytes_at(head, 0, "COWD") ||
      bytes_at(head, 0, "# Disk DescriptorFile")) {
    return HostKind::kVmdk;
  }
  if (bytes_at(head, 0, "vhdxfile")) {
    return HostKind::kVhdx;
  }
  // VHD: the 512-byte footer ends a fixed disk; dynamic disks also copy it to offset 0.
  if (bytes_at(head, 0, "conectix") || bytes_at(probe.tail, 0, "conectix")) {
    return HostKind::kVhd;
  }
  if (bytes_at(head, 0, "QFI\xfb"sv)) {
    return HostKind::kQcow2;
  }
  // Raw: whole sectors only, then a partition table or a volume boot sector.
  if (probe.size < 512 || probe.size % 512 != 0) {
    return std::nullopt;
  }
  const bool gpt = bytes_at(head, 512, "EFI PART");               // GPT header, LBA 1
  const bool ntfs = bytes_at(head, 3, "NTFS    ");                // NTFS VBR OEM id
  const bool boot_signature = bytes_at(head, 510, "\x55\xaa"sv);  // MBR / VBR end marker
  if (gpt || ntfs || boot_signature) {
    return HostKind::kRaw;
  }
  return std::nullopt;
}

std::optional<HostKind> detect_image_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const std::uint64_t size = fs::file_size(path, ec);
  if (ec) {
    return std::nullopt;
  }
  const std::vector<unsigned char> head = read_bytes(in, 0, 1024);
  std::vector<unsigned char> tail;
  if (size >= 512) {
    tail = read_bytes(in, size - 512, 512);
  }
  return detect_image(ImageProbe{head, tail, size});
}

std::vector<std::string> vmdk_descriptor_extents(const std::string& descriptor_text) {
  // Extent lines: ACCESS SIZE TYPE "FILE" [OFFSET], e.g. RW 4192256 SPARSE "disk-s001.vmdk".
  static const std::regex extent_re(
      R"re(^\s*(RW|RDONLY|NOACCESS)\s+[0-9]+\s+[A-Za-z]+\s+"([^"]+)")re");
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < descriptor_text.size()) {
    std::size_t end = descriptor_text.find('\n', start);
    if (end == std::string::npos) {
      end = descriptor_text.size();
    }
    const std::string line = descriptor_text.substr(start, end - start);
    std::smatch m;
    if (std::regex_search(line, m, extent_re)) {
      out.push_back(m[2].str());
    }
    start = end + 1;
  }
  return out;
}

namespace {

/// DIR's entries, sorted by path (byte order): the summary order never depends on the file system.
std::vector<fs::path> sorted_entries(const std::string& dir) {
  std::vector<fs::path> entries;
  boost::system::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  std::sort(entries.begin(), entries.end(), [](const fs::path& a, const fs::path& b) {
    return a.string() < b.string();
  });
  return entries;
}

/// What DIR holds: its names (case-insensitively) and which of its files are images.
struct DirIndex {
  std::map<std::string, fs::path> by_lower_name;
  std::map<std::string, HostKind> kinds;  ///< path -> kind, images only

  std::optional<fs::path> find(const std::string& name) const {
    auto it = by_lower_name.find(lower(name));
    return it == by_lower_name.end() ? std::nullopt : std::optional<fs::path>(it->second);
  }
};

DirIndex index_entries(const std::vector<fs::path>& entries) {
  DirIndex index;
  boost::system::error_code ec;
  for (const auto& p : entries) {
    index.by_lower_name[lower(p.filename().string())] = p;
    if (fs::is_regular_file(p, ec)) {
      if (auto kind = detect_image_file(p.string())) {
        index.kinds[p.string()] = *kind;
      }
    }
  }
  return index;
}

/// The file that opens the split image `p` belongs to, if `p` is a later segment: raw
/// "disk.002" -> "disk.001"; EWF "host.E02" -> "host.E01" (or .Ex01).
std::optional<fs::path> segment_owner(const fs::path& p, const DirIndex& index) {
  const std::string name = p.filename().string();
  if (auto seg = numbered_segment(name); seg && seg->second != "001") {
    return index.find(seg->first + ".001");
  }
  auto kind = index.kinds.find(p.string());
  if (kind == index.kinds.end() || kind->second != HostKind::kEwf) {
    return std::nullopt;
  }
  const std::string ext = lower(p.extension().string());
  const auto stem = ewf_stem(name);
  if (ext == ".e01" || ext == ".ex01" || ext == ".l01" || ext == ".lx01" || !stem) {
    return std::nullopt;
  }
  if (auto first = index.find(*stem + ".e01")) {
    return first;
  }
  return index.find(*stem + ".ex01");
}

/// Segment or extent path -> the path of the file that opens its image.
std::map<std::string, std::string> find_parts(const std::vector<fs::path>& entries,
                                              const DirIndex& index) {
  std::map<std::string, std::string> part_of;
  for (const auto& p : entries) {
    if (auto owner = segment_owner(p, index)) {
      part_of[p.string()] = owner->string();
    }
    auto kind = index.kinds.find(p.string());
    if (kind == index.kinds.end() || kind->second != HostKind::kVmdk) {
      continue;
    }
    // A VMDK text descriptor names its extents; they are parts of the descriptor's image.
    const std::string text = read_text_prefix(p.string(), std::size_t{64} * 1024);
    if (text.rfind("# Disk DescriptorFile", 0) != 0) {
      continue;
    }
    for (const auto& extent : vmdk_descriptor_extents(text)) {
      auto file = index.find(fs::path(extent).filename().string());
      if (file && *file != p) {
        part_of[file->string()] = p.string();
      }
    }
  }
  return part_of;
}

}  // namespace

HostDiscovery discover_hosts(const std::string& dir, const std::string& exclude) {
  HostDiscovery out;
  const std::vector<fs::path> entries = sorted_entries(dir);
  const fs::path excluded = exclude.empty() ? fs::path() : fs::absolute(exclude).lexically_normal();
  const DirIndex index = index_entries(entries);
  const std::map<std::string, std::string> part_of = find_parts(entries, index);

  // Hosts and ignored entries, in path order; parts are attached to their image after.
  boost::system::error_code ec;
  std::map<std::string, std::size_t> host_index;
  for (const auto& p : entries) {
    const std::string& path = p.string();
    if ((!excluded.empty() && fs::absolute(p).lexically_normal() == excluded) ||
        part_of.count(path) != 0) {
      continue;
    }
    if (fs::is_directory(p, ec)) {
      out.hosts.push_back(BatchHost{p.filename().string(), path, HostKind::kFolder, {}});
    } else if (auto kind = index.kinds.find(path); kind != index.kinds.end()) {
      host_index[path] = out.hosts.size();
      out.hosts.push_back(BatchHost{p.filename().string(), path, kind->second, {}});
    } else {
      out.ignored.push_back(IgnoredEntry{
          path,
          fs::is_regular_file(p, ec) ? ignore_reason(path) : "not a regular file or a folder"});
    }
  }
  for (const auto& [part, owner] : part_of) {
    auto it = host_index.find(owner);
    if (it != host_index.end()) {
      // Split images are scanned through their first file; the reader finds the rest beside it.
      out.hosts[it->second].parts.push_back(part);  // part_of is sorted: parts stay in order
    } else {
      out.ignored.push_back(
          IgnoredEntry{part, "a segment of " + owner + ", which is not an image"});
    }
  }
  std::sort(out.ignored.begin(), out.ignored.end(), [](const auto& a, const auto& b) {
    return a.path < b.path;
  });
  return out;
}

}  // namespace smssaudit::app
