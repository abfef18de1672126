// Bounded native check of the SYSTEM hive cells the audit walks (issue 7 item 4). libregf resolves
// a subkey by name through whatever list an nk points at and trusts nk subkey counts, db segment
// targets and a db value's declared size; this check reads the same cells itself and reports what
// libregf lets through. Private to the readers layer (hive_reader.cpp calls it); unit-tested.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace smssaudit::readers {

/// Diagnostic codes of the structure check (all warnings; the location is the key path, or the
/// key path plus value name for big data).
inline constexpr const char* kStructureSubkeyCount = "hive.structure_subkey_count";
inline constexpr const char* kStructureSubkeyList = "hive.structure_subkey_list";
inline constexpr const char* kStructureCycle = "hive.structure_cycle";
inline constexpr const char* kStructureValueCount = "hive.structure_value_count";
inline constexpr const char* kStructureBigData = "hive.structure_big_data";
inline constexpr const char* kStructureLimit = "hive.structure_limit";

/// Bounds of one check. The walk follows only the audit's key paths (root, Select, every
/// ControlSetNNN and its facts::session_manager_surface() keys), so real hives need a few hundred
/// cells; the limits stop a hostile hive from turning the check into a scan.
struct HiveStructureLimits {
  std::size_t max_depth = 16;             ///< nested keys below the root (the surface needs 6)
  std::size_t max_cells = 100'000;        ///< cells read in all
  std::uint64_t max_bytes = 64ULL << 20;  ///< bytes read in all (one list is at most ~512 KiB)
};

/// What one check did, for tests and `-v` output.
struct HiveStructureStats {
  std::size_t keys_checked = 0;  ///< nk cells whose lists were checked
  std::size_t cells_read = 0;
  std::size_t problems = 0;    ///< warnings emitted (kStructureLimit included)
  bool limit_reached = false;  ///< the walk stopped early (kStructureLimit was emitted)
};

/// Walks root -> Select and root -> ControlSetNNN -> every surface key in the REGF bytes of
/// `hive` (a whole hive file: base block at 0, hive bins from 4096) and checks, for each key on
/// the way:
///  - nk +20 subkey count against the elements its subkey list (li/lf/lh, or ri over those)
///    holds; volatile subkeys (+24) are not in the file and are not counted
///    (kStructureSubkeyCount);
///  - the subkey list and its elements: signature, declared element count vs cell size, offsets
///    inside the hive bins, elements that are key cells (kStructureSubkeyList);
///  - a subkey list, ri leaf or element that is the key itself, an ancestor key or an ancestor's
///    list (kStructureCycle; such a branch is not followed);
///  - for captured keys: nk +36 value count against the value-list cell size
///    (kStructureValueCount), and every big-data (db) value: segment count, segment-list entries
///    that point at the db cell, the list, the vk or outside the bins, and the declared data
///    size against what the segments hold (kStructureBigData).
/// At most one warning per code and key, naming `source` and the key path. Never allocates from a
/// declared size: every read is bounded by the cell, the hive bins and `limits`.
HiveStructureStats check_system_structure(const ByteSource& hive,
                                          const std::string& source,
                                          DiagnosticSink& sink,
                                          const HiveStructureLimits& limits = {});

/// The same over a hive image in memory (e.g. a replayed image).
HiveStructureStats check_system_structure(std::span<const std::uint8_t> image,
                                          const std::string& source,
                                          DiagnosticSink& sink,
                                          const HiveStructureLimits& limits = {});

}  // namespace smssaudit::readers
