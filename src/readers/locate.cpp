// Evidence locator: files and folders in, typed artifacts out, decided by content (design.md 2).
#include "smssaudit/readers/locate.hpp"

#include "evidence/read_only_file.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/image.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>

namespace smssaudit::readers {
namespace {

namespace fs = boost::filesystem;

constexpr std::array<char, 4> kRegfSignature = {'r', 'e', 'g', 'f'};

// The base block keeps the tail of the path the hive was loaded from ("...\Config\SYSTEM" or just
// "SYSTEM"); its last component names the hive whatever the file is called now.
ArtifactType hive_type_from_base_block(const std::string& path) {
  auto bb = read_base_block(path);
  if (!bb) {
    // The signature matched but the block does not parse (truncated, bad checksum handled
    // later): call it a SYSTEM hive only if its file name says so, so the reader can explain.
    const std::string name = text::to_lower(fs::path(path).filename().string());
    return name == "system" ? ArtifactType::kSystemHive : ArtifactType::kOtherHive;
  }
  if (bb->file_type != 0) {
    return ArtifactType::kHiveLog;
  }
  std::string embedded = bb->embedded_name;
  const auto slash = embedded.find_last_of("\\/");
  if (slash != std::string::npos) {
    embedded = embedded.substr(slash + 1);
  }
  if (embedded.empty()) {
    embedded = fs::path(path).filename().string();  // hives written by tools may leave it blank
  }
  if (text::iequals(embedded, "SYSTEM")) {
    return ArtifactType::kSystemHive;
  }
  if (text::iequals(embedded, "SOFTWARE")) {
    return ArtifactType::kSoftwareHive;
  }
  return ArtifactType::kOtherHive;
}

bool named_like_event_log(const std::string& path) {
  return text::iends_with(path, ".evtx") || text::iends_with(path, ".evt");
}

// RegBack and other backup copies are older states of the same hive: the live one goes first.
int hive_rank(const LocatedArtifact& a) {
  const std::string lower = text::to_lower(a.path);
  int rank = a.explicit_input ? 0 : 2;
  if (lower.find("regback") != std::string::npos) {
    rank += 1;
  }
  return rank;
}

void sort_hives(std::vector<LocatedArtifact>& hives) {
  std::stable_sort(hives.begin(), hives.end(), [](const auto& a, const auto& b) {
    const int ra = hive_rank(a);
    const int rb = hive_rank(b);
    return ra != rb ? ra < rb : a.path < b.path;
  });
}

/// Where add_file() puts what it recognises.
struct Sorted {
  HostEvidence* host = nullptr;
  std::vector<LocatedArtifact>* unrecognised = nullptr;
};

void add_file(const std::string& path, bool explicit_input, Sorted into, DiagnosticSink& sink) {
  const ArtifactType type = identify_file(path);
  LocatedArtifact a;
  a.path = path;
  a.type = type;
  a.explicit_input = explicit_input;
  switch (type) {
    case ArtifactType::kSystemHive:
      into.host->system_hives.push_back(std::move(a));
      return;
    case ArtifactType::kSoftwareHive:
      into.host->software_hives.push_back(std::move(a));
      return;
    case ArtifactType::kEventLog:
      into.host->event_logs.push_back(std::move(a));
      return;
    case ArtifactType::kOtherHive:
      // A hive named on the command line is audited as SYSTEM even when its base block names
      // another hive (or cannot be parsed): the examiner said it is evidence, and the hive
      // reader explains precisely what is wrong with it.
      if (explicit_input) {
        into.host->system_hives.push_back(std::move(a));
      }
      return;
    case ArtifactType::kHiveLog:
      return;  // logs are found beside their hive
    case ArtifactType::kUnknown:
      break;
  }
  if (explicit_input) {
    into.unrecognised->push_back(a);
  }
  if (explicit_input || named_like_event_log(path)) {
    sink.add(explicit_input ? DiagLevel::kError : DiagLevel::kWarning,
             "input.unrecognised",
             path,
             "",
             named_like_event_log(path)
                 ? "not an EVTX file (no ElfFile signature); legacy .evt logs are not supported"
                 : "neither a registry hive (regf) nor an EVTX event log (ElfFile)");
  }
}

/// Inside folders only files named like images are tried as images: a triage collection holds
/// boot sectors ($Boot) and other files a content check alone would take for a bare volume.
/// Named on the command line, any file is tried by content.
bool named_like_disk_image(const std::string& path) {
  const std::string ext = text::to_lower(fs::path(path).extension().string());
  for (const char* e : {".e01", ".vmdk", ".vhd", ".dd", ".raw", ".img", ".001", ".bin"}) {
    if (ext == e) {
      return true;
    }
  }
  return false;
}

/// A disk image: every Windows installation in it becomes a host of its own, its artifacts read
/// in place through TSK (opened lazily by the pipeline through `open`). The image's own problems
/// (unknown format, BitLocker, no Windows ...) are diagnostics naming it.
void add_image(const std::string& path,
               std::vector<HostEvidence>& hosts,
               std::vector<LocatedImage>& images,
               DiagnosticSink& sink) {
  LocatedImage& li = images.emplace_back();
  li.path = path;
  li.segments = image::find_segments(path);
  for (const auto& seg : li.segments) {
    boost::system::error_code ec;
    const auto size = fs::file_size(seg, ec);
    li.size += ec ? 0 : static_cast<std::uint64_t>(size);
  }
  auto opened = image::open_disk_image(li.segments, sink);
  if (!opened) {
    return;  // open_disk_image already named the image and the reason
  }
  li.opened = true;
  const auto disk = std::make_shared<const image::DiskImage>(std::move(*opened));
  const std::vector<image::Installation> installations = disk->installations(sink);
  li.installations = installations.size();
  for (const auto& inst : installations) {
    HostEvidence h;
    h.root = inst.label();
    h.label = fs::path(path).filename().string();
    if (installations.size() > 1) {
      h.label += " partition " + std::to_string(inst.partition_number);
    }
    for (const auto& art : disk->artifacts(inst, sink)) {
      LocatedArtifact a;
      a.path = art.file.source_name();
      a.location = evidence::ImageLocation{
          art.file.image_path, art.file.partition_offset, art.file.ntfs_path, art.file.mft_entry};
      a.open = [disk, file = art.file]() {
        return disk->open(file);
      };
      const bool is_system = text::iequals(art.file.file_name(), "SYSTEM");
      switch (art.role) {
        case image::ArtifactRole::kSystemHive:
          a.type = ArtifactType::kSystemHive;
          h.system_hives.push_back(std::move(a));
          break;
        case image::ArtifactRole::kSystemLog:
          a.type = ArtifactType::kHiveLog;
          h.hive_logs.push_back(std::move(a));
          break;
        case image::ArtifactRole::kSoftwareHive:
          a.type = ArtifactType::kSoftwareHive;
          h.software_hives.push_back(std::move(a));
          break;
        case image::ArtifactRole::kRegBackHive:
          a.type = is_system ? ArtifactType::kSystemHive : ArtifactType::kSoftwareHive;
          (is_system ? h.system_hives : h.software_hives).push_back(std::move(a));
          break;
        case image::ArtifactRole::kEventLog:
          a.type = ArtifactType::kEventLog;
          h.event_logs.push_back(std::move(a));
          break;
      }
    }
    hosts.push_back(std::move(h));
  }
}

/// Percent-decoded, lower-cased components of `rel` (a path relative to the input folder).
std::vector<std::string> decoded_components(const fs::path& rel) {
  std::vector<std::string> out;
  for (const auto& part : rel) {
    out.push_back(text::to_lower(decode_percent_component(part.string())));
  }
  return out;
}

/// Index of the `Windows` component of a `Windows/System32/config/...` or
/// `Windows/System32/winevt/Logs/...` path, if the file lies in one.
std::optional<std::size_t> windows_component(const std::vector<std::string>& comps) {
  for (std::size_t i = 0; i + 3 < comps.size(); ++i) {
    if (comps[i] != "windows" || comps[i + 1] != "system32") {
      continue;
    }
    if (comps[i + 2] == "config" ||
        (comps[i + 2] == "winevt" && i + 4 < comps.size() && comps[i + 3] == "logs")) {
      return i;
    }
  }
  return std::nullopt;
}

/// The group a file found in `input` belongs to (see locate_evidence): the volume folder of a
/// Windows tree, else the first-level subfolder, else the input folder itself.
fs::path group_root(const fs::path& input, const fs::path& file) {
  const fs::path rel = file.lexically_relative(input);
  const std::vector<std::string> comps = decoded_components(rel);
  fs::path root = input;
  if (const auto win = windows_component(comps)) {
    auto it = rel.begin();
    for (std::size_t i = 0; i < *win; ++i, ++it) {
      root /= *it;
    }
    return root;
  }
  if (comps.size() >= 2) {
    root /= *rel.begin();
  }
  return root;
}

bool is_backup_copy(const LocatedArtifact& a) {
  return text::to_lower(a.path).find("regback") != std::string::npos;
}

std::string lower_file_name(const std::string& path) {
  return text::to_lower(decode_percent_component(fs::path(path).filename().string()));
}

/// Two groups are different installations when both hold a live SYSTEM hive or both hold an event
/// log of the same name: one Windows installation has one of each.
bool groups_conflict(const HostEvidence& a, const HostEvidence& b) {
  const auto live = [](const HostEvidence& h) {
    return std::any_of(h.system_hives.begin(), h.system_hives.end(), [](const auto& x) {
      return !is_backup_copy(x);
    });
  };
  if (live(a) && live(b)) {
    return true;
  }
  for (const auto& la : a.event_logs) {
    for (const auto& lb : b.event_logs) {
      if (lower_file_name(la.path) == lower_file_name(lb.path)) {
        return true;
      }
    }
  }
  return false;
}

void append(HostEvidence& to, HostEvidence&& from) {
  auto move_all = [](std::vector<LocatedArtifact>& dst, std::vector<LocatedArtifact>& src) {
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
  };
  move_all(to.system_hives, from.system_hives);
  move_all(to.software_hives, from.software_hives);
  move_all(to.event_logs, from.event_logs);
}

/// Walks one input folder and sorts its artifacts into groups (see locate_evidence); groups that
/// are separate installations become hosts, otherwise everything joins `default_host`.
void walk_folder(const std::string& dir,
                 HostEvidence& default_host,
                 std::vector<HostEvidence>& hosts,
                 std::vector<LocatedImage>& images,
                 DiagnosticSink& sink) {
  boost::system::error_code ec;
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    boost::system::error_code sec;
    if (fs::is_regular_file(it->symlink_status(sec))) {
      files.push_back(it->path().string());
    }
  }
  if (ec) {
    sink.add(DiagLevel::kWarning,
             "input.folder_unreadable",
             dir,
             "",
             "folder could not be walked completely: " + ec.message());
  }
  std::sort(files.begin(), files.end());  // deterministic order whatever the file system says
  std::map<std::string, HostEvidence> groups;
  std::vector<LocatedArtifact> ignored;  // only command-line files are listed as unrecognised
  const fs::path input(dir);
  for (const auto& f : files) {
    if (image::is_secondary_segment(f)) {
      continue;  // the first segment stands for the whole set
    }
    if (named_like_disk_image(f) && image::looks_like_disk_image(f)) {
      add_image(f, hosts, images, sink);
      continue;
    }
    const fs::path root = group_root(input, fs::path(f));
    HostEvidence& g = groups[root.string()];
    g.root = root.string();
    add_file(f, false, Sorted{&g, &ignored}, sink);
  }
  std::erase_if(groups, [](const auto& kv) {
    const HostEvidence& g = kv.second;
    return g.system_hives.empty() && g.software_hives.empty() && g.event_logs.empty();
  });
  bool several = false;
  for (auto a = groups.begin(); a != groups.end() && !several; ++a) {
    for (auto b = std::next(a); b != groups.end() && !several; ++b) {
      several = groups_conflict(a->second, b->second);
    }
  }
  for (auto& [root, g] : groups) {
    if (!several) {
      append(default_host, std::move(g));
      continue;
    }
    // The host's own folder names it: "hostA" for hosts/hostA, "C:" reads badly, so a volume
    // folder is named after its parent when that is still inside the input.
    const fs::path rel = fs::path(root).lexically_relative(input);
    const auto first = rel.begin();
    g.label = rel.empty() || *first == "." ? input.filename().string()
                                           : decode_percent_component(first->string());
    hosts.push_back(std::move(g));
  }
}

void finish_host(HostEvidence& h) {
  sort_hives(h.system_hives);
  sort_hives(h.software_hives);
  std::sort(h.event_logs.begin(), h.event_logs.end(), [](const auto& a, const auto& b) {
    return a.path < b.path;
  });
  h.event_logs.erase(std::unique(h.event_logs.begin(),
                                 h.event_logs.end(),
                                 [](const auto& a, const auto& b) { return a.path == b.path; }),
                     h.event_logs.end());
}

}  // namespace

ArtifactType identify_file(const std::string& path) {
  if (looks_like_evtx(path)) {
    return ArtifactType::kEventLog;
  }
  auto file = evidence::ReadOnlyFile::open(path);
  if (!file) {
    return ArtifactType::kUnknown;
  }
  std::array<std::uint8_t, kRegfSignature.size()> head{};
  auto got = file->read_up_to(head);
  if (got && *got == head.size() &&
      std::memcmp(head.data(), kRegfSignature.data(), kRegfSignature.size()) == 0) {
    return hive_type_from_base_block(path);
  }
  return ArtifactType::kUnknown;
}

std::string decode_percent_component(std::string_view component) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(component.size());
  for (std::size_t i = 0; i < component.size(); ++i) {
    if (component[i] == '%' && i + 2 < component.size()) {
      const int hi = hex(component[i + 1]);
      const int lo = hex(component[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>((hi << 4) | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(component[i]);
  }
  return out;
}

LocatedEvidence locate_evidence(const std::vector<std::string>& inputs, DiagnosticSink& sink) {
  LocatedEvidence out;
  HostEvidence default_host;
  std::vector<HostEvidence> hosts;
  for (const auto& in : inputs) {
    boost::system::error_code ec;
    const fs::file_status st = fs::status(in, ec);
    if (fs::is_directory(st)) {
      walk_folder(in, default_host, hosts, out.images, sink);
    } else if (fs::exists(st) && image::looks_like_disk_image(in)) {
      add_image(in, hosts, out.images, sink);
    } else if (fs::exists(st)) {
      add_file(in, true, Sorted{&default_host, &out.unrecognised}, sink);
    } else {
      out.missing.push_back(in);  // the pipeline lists it as "missing" with the reason
    }
  }
  std::sort(
      hosts.begin(), hosts.end(), [](const auto& a, const auto& b) { return a.root < b.root; });
  out.hosts.push_back(std::move(default_host));
  for (auto& h : hosts) {
    out.hosts.push_back(std::move(h));
  }
  for (auto& h : out.hosts) {
    finish_host(h);
  }
  return out;
}

}  // namespace smssaudit::readers
