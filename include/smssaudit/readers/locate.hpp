// Evidence locator: turns what the examiner passed on the command line (files and folders) into
// typed artifacts, by content rather than by name (design.md 2): a REGF primary file is a SYSTEM or
// SOFTWARE hive by the name embedded in its base block, an EVTX file is recognised by "ElfFile".
// Transaction logs are not listed: the hive reader finds them beside their hive.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/evidence/evidence.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::readers {

/// What a file is, decided from its first bytes.
enum class ArtifactType {
  kSystemHive,    ///< regf primary file whose embedded name ends in SYSTEM
  kSoftwareHive,  ///< ... SOFTWARE
  kOtherHive,     ///< any other primary hive (SAM, NTUSER.DAT ...), or an unparsable base block
  kHiveLog,       ///< regf with a log file type (found beside its hive, not listed alone)
  kEventLog,      ///< "ElfFile\0"
  kUnknown,
};

/// Opens an artifact that is not a regular file on disk (a file inside a disk image).
using ArtifactOpener = std::function<Result<std::unique_ptr<ByteSource>>()>;

struct LocatedArtifact {
  /// A file on disk: its path. Inside a disk image: the ByteSource name,
  /// "<image>@<partition offset>:<NTFS path>".
  std::string path;
  ArtifactType type = ArtifactType::kUnknown;
  bool explicit_input = false;  ///< named on the command line (not found by walking a folder)
  /// Set, with `open`, for an artifact inside a disk image: where it is (provenance).
  std::optional<evidence::ImageLocation> location;
  ArtifactOpener open;  ///< empty for a file on disk (read by path)
};

/// The artifacts of one Windows installation.
struct HostEvidence {
  /// Folder the host's artifacts were found under: for a triage layout, the folder holding the
  /// volume (the parent of `Windows`); for a folder of host folders, the host's folder; "" for
  /// the default host (files named on the command line and single-host folders).
  std::string root;
  /// Name to show until a ComputerName is known: the last component of `root`, percent-decoded.
  std::string label;
  std::vector<LocatedArtifact> system_hives;    ///< best candidate first
  std::vector<LocatedArtifact> software_hives;  ///< best candidate first
  std::vector<LocatedArtifact> event_logs;      ///< sorted by path
  /// Transaction logs of the first SYSTEM hive, for installations inside disk images (a hive on
  /// disk has its logs found beside it by the hive reader).
  std::vector<LocatedArtifact> hive_logs;
};

/// A disk image given as evidence (its installations are hosts). Listed in the report's inputs so
/// that an image with no usable installation is still accounted for.
struct LocatedImage {
  std::string path;                   ///< first segment
  std::vector<std::string> segments;  ///< every segment, in order
  std::uint64_t size = 0;             ///< bytes of all segments
  bool opened = false;                ///< TSK could open it
  std::size_t installations = 0;      ///< Windows installations found in it
};

struct LocatedEvidence {
  /// One entry per installation, sorted by root; the default host (root "") first. Empty only
  /// when nothing usable was found at all.
  std::vector<HostEvidence> hosts;
  std::vector<LocatedImage> images;           ///< disk images, in the order met
  std::vector<LocatedArtifact> unrecognised;  ///< files named on the command line, not usable
  std::vector<std::string> missing;           ///< command-line paths that do not exist
};

/// Decodes the percent-encoding Velociraptor applies to each path component of an upload
/// ("C%3A" -> "C:", "Microsoft-Windows-Sysmon%254Operational.evtx" -> "...%4Operational.evtx").
/// Only "%XX" with two hex digits is decoded, once, left to right; anything else is kept as is, so
/// a KAPE path (never encoded) passes unchanged.
std::string decode_percent_component(std::string_view component);

/// Content check of one file; kUnknown for anything unreadable or unrecognised.
ArtifactType identify_file(const std::string& path);

/// Walks folders recursively (symlinks are not followed, so a link loop cannot hang the walk) and
/// identifies every regular file, then groups what it found into installations:
///  - an artifact under `<volume>/Windows/System32/config/` or `.../winevt/Logs/` (matched
///    case-insensitively on percent-decoded components: KAPE `C/Windows/...`, Velociraptor
///    `uploads/auto/C%3A/Windows/...`) belongs to the group of `<volume>`'s parent folder;
///  - any other artifact to the group of the first-level subfolder of the input folder holding it
///    (the input folder itself for files directly in it).
/// When two groups of one input folder conflict — both hold a live SYSTEM hive, or both hold an
/// event log of the same file name — the folder holds several hosts and every group becomes a host
/// of its own (a folder of host folders, or a dual-boot collection). Otherwise, and for files named
/// on the command line, everything joins the default host: a SYSTEM hive in `hive/` and its logs
/// in `logs/` are one installation. A file named on the command line that is not a hive or an EVTX
/// file, or a *.evtx / *.evt file that is not EVTX, gets a diagnostic naming it; other unrecognised
/// files in folders are skipped silently (triage folders hold many unrelated files). A path that
/// does not exist is an error diagnostic. Never writes anything.
LocatedEvidence locate_evidence(const std::vector<std::string>& inputs, DiagnosticSink& sink);

}  // namespace smssaudit::readers
