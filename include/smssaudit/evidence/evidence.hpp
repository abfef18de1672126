// Evidence: one input artifact as the report lists it (path, kind, size, SHA-256, status).
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace smssaudit::evidence {

/// What an artifact is. Strings appear verbatim in reports ("inputs[].kind").
inline constexpr const char* kKindSystemHive = "system_hive";
inline constexpr const char* kKindSoftwareHive = "software_hive";
inline constexpr const char* kKindHiveLog = "hive_log";
inline constexpr const char* kKindEventLog = "event_log";
inline constexpr const char* kKindDiskImage = "disk_image";
inline constexpr const char* kKindUnknown = "unknown";

/// How the artifact was used: "ok", "partial" (read with errors), "unreadable", "missing",
/// "unrecognised" (neither a hive nor an event log), "not_used" (e.g. a second SYSTEM hive).
/// Where inside a disk image an artifact was read from (provenance for images).
struct ImageLocation {
  std::string image;                   ///< the image file (first segment of a split set)
  std::uint64_t partition_offset = 0;  ///< byte offset of the volume in the image
  std::string fs_path;                 ///< path inside the NTFS volume, '/'-separated
  std::uint64_t mft_entry = 0;         ///< MFT record number of the file
};

struct Evidence {
  std::string path;
  std::string kind;
  std::uint64_t size = 0;
  std::string sha256;  ///< lower-case hex; empty when the file could not be read
  std::string status = "ok";
  std::string host;  ///< name of the host (installation) the artifact belongs to; "" if none
  std::optional<ImageLocation> location;  ///< set for artifacts read from a disk image
};

/// Stats and hashes a file, opened read-only. Never writes, never changes access times it can
/// avoid changing (O_NOATIME is attempted and silently dropped when not permitted).
Result<Evidence> describe_file(const std::string& path, const std::string& kind);

/// Same for any ByteSource (a file inside a disk image): size and SHA-256 of its bytes; `path` is
/// the source's name. `location` is left for the caller.
Result<Evidence> describe_source(const ByteSource& source, const std::string& kind);

/// SHA-256 of a byte range, lower-case hex.
std::string sha256_hex(const void* data, std::size_t size);

}  // namespace smssaudit::evidence
