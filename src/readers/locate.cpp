// Evidence locator: files and folders in, typed artifacts out, decided by content (design.md 2).
#include "smssaudit/readers/locate.hpp"

#include "evidence/read_only_file.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"

#include <boost/filesystem.hpp>

#include <algorithm>
#include <array>
#include <cstring>
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

void add_file(const std::string& path,
              bool explicit_input,
              LocatedEvidence& out,
              DiagnosticSink& sink) {
  const ArtifactType type = identify_file(path);
  LocatedArtifact a{path, type, explicit_input};
  switch (type) {
    case ArtifactType::kSystemHive:
      out.system_hives.push_back(std::move(a));
      return;
    case ArtifactType::kSoftwareHive:
      out.software_hives.push_back(std::move(a));
      return;
    case ArtifactType::kEventLog:
      out.event_logs.push_back(std::move(a));
      return;
    case ArtifactType::kOtherHive:
      // A hive named on the command line is audited as SYSTEM even when its base block names
      // another hive (or cannot be parsed): the examiner said it is evidence, and the hive
      // reader explains precisely what is wrong with it.
      if (explicit_input) {
        out.system_hives.push_back(std::move(a));
      }
      return;
    case ArtifactType::kHiveLog:
      return;  // logs are found beside their hive
    case ArtifactType::kUnknown:
      break;
  }
  if (explicit_input) {
    out.unrecognised.push_back(a);
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

void walk_folder(const std::string& dir, LocatedEvidence& out, DiagnosticSink& sink) {
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
  for (const auto& f : files) {
    add_file(f, false, out, sink);
  }
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

LocatedEvidence locate_evidence(const std::vector<std::string>& inputs, DiagnosticSink& sink) {
  LocatedEvidence out;
  for (const auto& in : inputs) {
    boost::system::error_code ec;
    const fs::file_status st = fs::status(in, ec);
    if (fs::is_directory(st)) {
      walk_folder(in, out, sink);
    } else if (fs::exists(st)) {
      add_file(in, true, out, sink);
    } else {
      out.missing.push_back(in);  // the pipeline lists it as "missing" with the reason
    }
  }
  sort_hives(out.system_hives);
  sort_hives(out.software_hives);
  std::sort(out.event_logs.begin(), out.event_logs.end(), [](const auto& a, const auto& b) {
    return a.path < b.path;
  });
  out.event_logs.erase(std::unique(out.event_logs.begin(),
                                   out.event_logs.end(),
                                   [](const auto& a, const auto& b) { return a.path == b.path; }),
                       out.event_logs.end());
  return out;
}

}  // namespace smssaudit::readers
