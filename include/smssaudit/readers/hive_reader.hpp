// Hive readers: open a SYSTEM or SOFTWARE hive with libregf (through src/readers/libyal only) and
// return plain facts. Never throws; every problem is an Error or a Diagnostic naming the file.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/facts/registry.hpp"
#include "smssaudit/readers/hive_replay.hpp"  // replay_hive_files(): the dirty-hive path

#include <cstdint>
#include <span>
#include <string>

namespace smssaudit::readers {

/// Parses a REGF base block from the first bytes of a file (at least 512 bytes are needed for the
/// checksum; fewer gives kHiveTruncated; a wrong signature gives kHiveSignature). `file_size` is
/// recorded so BaseBlock::truncated() can compare it with the hive-bins size.
Result<facts::BaseBlock> parse_base_block(std::span<const std::uint8_t> bytes,
                                          std::uint64_t file_size);

/// Reads the first 4096 bytes of `path` and parses them.
Result<facts::BaseBlock> read_base_block(const std::string& path);

/// Windows' base-block checksum: XOR of the 127 little-endian u32 at 0..507, then 0xFFFFFFFF ->
/// 0xFFFFFFFE and 0 -> 1 (registry.md 4.2).
std::uint32_t base_block_checksum(std::span<const std::uint8_t> first_512_bytes) noexcept;

/// Finds transaction logs beside a hive: <name>.LOG, .LOG1, .LOG2 (case-insensitive), with their
/// base blocks when they have one. Never opens anything for writing.
std::vector<facts::HiveLogFile> find_hive_logs(const std::string& hive_path);

/// Reads a SYSTEM hive: base block, logs, Select, every ControlSetNNN (sorted by number) with the
/// keys of facts::session_manager_surface(). Key- and value-level problems become diagnostics and
/// RegKey::status/error; the call fails only when nothing can be read (not a hive, libregf cannot
/// open it, root key unreadable).
Result<facts::SystemHive> read_system_hive(const std::string& path, DiagnosticSink& sink);

/// Same capture from a hive image in memory (e.g. ReplayOutcome::image), opened by libregf
/// through a libbfio memory range. `image` must stay alive and unchanged during the call; nothing
/// refers to it afterwards. `display_path` names the hive in facts and diagnostics. The result's
/// `base` is parsed from the image, `logs` is empty and `replay` unset: the caller (who did the
/// replay) fills them in.
Result<facts::SystemHive> read_system_hive_image(std::span<const std::uint8_t> image,
                                                 const std::string& display_path,
                                                 DiagnosticSink& sink);

/// Reads SOFTWARE\Microsoft\Windows NT\CurrentVersion (root "Microsoft\Windows NT\CurrentVersion").
Result<facts::SoftwareHive> read_software_hive(const std::string& path, DiagnosticSink& sink);

/// Same from a SOFTWARE hive image in memory (a hive read from a disk image); `image` must stay
/// alive during the call. `display_path` names the hive in facts and diagnostics.
Result<facts::SoftwareHive> read_software_hive_image(std::span<const std::uint8_t> image,
                                                     const std::string& display_path,
                                                     DiagnosticSink& sink);

}  // namespace smssaudit::readers
