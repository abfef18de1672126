// Evidence locator: turns what the examiner passed on the command line (files and folders) into
// typed artifacts, by content rather than by name (design.md 2): a REGF primary file is a SYSTEM or
// SOFTWARE hive by the name embedded in its base block, an EVTX file is recognised by "ElfFile".
// Transaction logs are not listed: the hive reader finds them beside their hive.
#pragma once

#include "smssaudit/core/diagnostics.hpp"

#include <string>
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

struct LocatedArtifact {
  std::string path;
  ArtifactType type = ArtifactType::kUnknown;
  bool explicit_input = false;  ///< named on the command line (not found by walking a folder)
};

struct LocatedEvidence {
  std::vector<LocatedArtifact> system_hives;    ///< best candidate first
  std::vector<LocatedArtifact> software_hives;  ///< best candidate first
  std::vector<LocatedArtifact> event_logs;      ///< sorted by path
  std::vector<LocatedArtifact> unrecognised;    ///< files named on the command line, not usable
  std::vector<std::string> missing;             ///< command-line paths that do not exist
};

/// Content check of one file; kUnknown for anything unreadable or unrecognised.
ArtifactType identify_file(const std::string& path);

/// Walks folders recursively (symlinks are not followed, so a link loop cannot hang the walk) and
/// identifies every regular file. A file named on the command line that is not a hive or an EVTX
/// file, or a *.evtx / *.evt file that is not EVTX, gets a diagnostic naming it; other unrecognised
/// files in folders are skipped silently (triage folders hold many unrelated files). A path that
/// does not exist is an error diagnostic. Never writes anything.
LocatedEvidence locate_evidence(const std::vector<std::string>& inputs, DiagnosticSink& sink);

}  // namespace smssaudit::readers
