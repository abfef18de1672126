// Disk images (design.md 2): raw and split raw, E01 (also multi-segment), VMDK and VHD, read
// through The Sleuth Kit; MBR and GPT partition tables and bare volumes. Every NTFS volume holding
// Windows\System32\config\SYSTEM is one Windows installation, whose files are read in place
// through TSK as ByteSources: nothing is ever extracted to disk, and the image is opened read-only.
//
// Names. A file inside an image is named `<image path>@<partition offset>:<NTFS path>`, e.g.
// `disk.E01@1048576:/Windows/System32/config/SYSTEM`: the image path as given (the first segment of
// a split or multi-segment image), the byte offset of the volume from the start of the image
// (0 for a bare volume), and the file's path in the volume with '/' separators and the case the
// file system stores. This is ByteSource::name() and the context of every Error about the file.
//
// Diagnostics (codes are stable; `source` is the image path, `location` the volume offset or the
// partition): errors image.open_failed, image.unrecognised, image.bitlocker, image.no_windows;
// warnings image.partition_table_damaged, image.partition_past_end, image.volume_unreadable,
// image.file_unreadable (source: `<image>@<offset>:/<dir>`); info image.volume_without_windows and
// image.volume_unreadable for a partition holding no file system TSK knows (e.g. the MSR); debug
// image.volume_skipped (a FAT or other non-NTFS volume).
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::readers::image {

namespace detail {
struct ImageState;  // the TSK handles, shared by DiskImage and every ByteSource it opened
}

/// Where a file lies inside an image: everything the report needs for provenance.
struct ImageFileRef {
  std::string image_path;              ///< first segment, as given to open_disk_image
  std::uint64_t partition_offset = 0;  ///< bytes from the start of the image to the volume
  std::string ntfs_path;               ///< "/Windows/System32/config/SYSTEM" (case as stored)
  std::uint64_t size = 0;              ///< bytes of the unnamed $DATA stream (0 for a directory)
  std::uint64_t mft_entry = 0;         ///< MFT entry number (TSK inode address)
  std::uint16_t mft_sequence = 0;      ///< sequence number of that entry
  bool is_directory = false;

  /// The last component of ntfs_path ("SYSTEM").
  [[nodiscard]] std::string file_name() const;

  /// `<image path>@<partition offset>:<NTFS path>` (see the top of this header).
  [[nodiscard]] std::string source_name() const;
};

/// One Windows installation: an NTFS volume with Windows\System32\config\SYSTEM.
struct Installation {
  std::string image_path;
  std::uint64_t offset = 0;       ///< bytes from the start of the image
  std::uint64_t size = 0;         ///< bytes of the volume (from the partition table, or the image)
  unsigned partition_number = 0;  ///< 1-based among the table's partitions; 0 for a bare volume
  std::string description;        ///< from the partition table ("Basic data partition",
                                  ///< "NTFS / exFAT (0x07)"), or "bare volume"
  std::string volume_label;       ///< $Volume name, may be empty
  std::string volume_serial;      ///< 16 hex digits as fsstat prints it, may be empty
  ImageFileRef system_hive;       ///< the Windows\System32\config\SYSTEM that qualified it

  /// `<image path>@<offset>`, the prefix of every file name in this installation.
  [[nodiscard]] std::string label() const;
};

/// What a file of an installation is to the analysis.
enum class ArtifactRole {
  kSystemHive,    ///< Windows\System32\config\SYSTEM
  kSystemLog,     ///< SYSTEM.LOG1 / SYSTEM.LOG2 beside it
  kSoftwareHive,  ///< Windows\System32\config\SOFTWARE
  kRegBackHive,   ///< Windows\System32\config\RegBack\SYSTEM or SOFTWARE (older copies)
  kEventLog,      ///< Windows\System32\winevt\Logs\*.evtx
};

const char* to_string(ArtifactRole role) noexcept;

struct InstallationArtifact {
  ArtifactRole role = ArtifactRole::kEventLog;
  ImageFileRef file;
};

/// An opened disk image. Copies share the same TSK handles (and keep them alive, as does every
/// ByteSource opened from it). All TSK calls on one image are serialised by one mutex, so a
/// DiskImage and its ByteSources may be used from several threads.
class DiskImage {
 public:
  /// First segment path, as given.
  [[nodiscard]] const std::string& path() const noexcept;
  /// Every segment, in order.
  [[nodiscard]] const std::vector<std::string>& segments() const noexcept;
  /// TSK's name of the container format: "raw", "ewf", "vmdk", "vhd".
  [[nodiscard]] std::string format() const;
  /// Media size in bytes.
  [[nodiscard]] std::uint64_t size() const noexcept;

  /// Every Windows installation of the image, in partition order. Whatever cannot be read (a
  /// damaged partition table, a BitLocker volume, a partition past the end …) becomes a diagnostic
  /// naming the image, and the rest is still searched. With no installation at all, an error
  /// diagnostic image.no_windows says so (or image.unrecognised when nothing was recognised).
  [[nodiscard]] std::vector<Installation> installations(DiagnosticSink& sink) const;

  /// The entries of directory `dir_path` ('/' or '\\' separators, ASCII case-insensitive; "" or
  /// "/" is the root), allocated names only, without "." and "..". kNotFound when the directory
  /// does not exist, kIo when it cannot be read.
  [[nodiscard]] Result<std::vector<ImageFileRef>> list(const Installation& inst,
                                                       std::string_view dir_path) const;

  /// Looks a path up case-insensitively: value = found, nullopt = absent, error = unreadable.
  [[nodiscard]] Result<std::optional<ImageFileRef>> find(const Installation& inst,
                                                         std::string_view path) const;

  /// Opens the unnamed $DATA stream of a file for reading through TSK (no copy on disk). Errors:
  /// kNotFound (absent, or a directory), kIo. The source's reads fail with kIo naming the file when
  /// TSK cannot read a sector of it (truncated image, bad chunk).
  [[nodiscard]] Result<std::unique_ptr<ByteSource>> open(const Installation& inst,
                                                         std::string_view path) const;
  [[nodiscard]] Result<std::unique_ptr<ByteSource>> open(const ImageFileRef& file) const;

  /// The artifacts of one installation, in this order: SYSTEM, SYSTEM.LOG1, SYSTEM.LOG2, SOFTWARE,
  /// RegBack\SYSTEM and RegBack\SOFTWARE, then every *.evtx of Windows\System32\winevt\Logs sorted
  /// by name. Absent files are simply not listed; unreadable directories become diagnostics.
  [[nodiscard]] std::vector<InstallationArtifact> artifacts(const Installation& inst,
                                                            DiagnosticSink& sink) const;

 private:
  friend Result<DiskImage> open_disk_image(const std::vector<std::string>& segment_paths,
                                           DiagnosticSink& sink);
  explicit DiskImage(std::shared_ptr<detail::ImageState> state);
  std::shared_ptr<detail::ImageState> state_;
};

/// Opens an image read-only from its segments (one path for a single file; for split raw or
/// multi-segment E01 either every segment in order, or just the first, the others being found
/// with find_segments). Errors (kNotFound, kIo) name the first segment; sink gets the same as an
/// image.open_failed error diagnostic.
Result<DiskImage> open_disk_image(const std::vector<std::string>& segment_paths,
                                  DiagnosticSink& sink);

/// The segment set that starts with `first`: x.001 → x.001, x.002 … (as long as they exist);
/// x.E01 → x.E01, x.E02 … x.E99, x.EAA …; anything else → {first}.
std::vector<std::string> find_segments(const std::string& first);

/// True when `path` is a later segment of a set (x.002…, x.E02…, x.EAA…) whose first segment
/// exists beside it: the locator should skip it, the first segment stands for the set.
bool is_secondary_segment(const std::string& path);

/// Detection for the evidence locator, by content: an EWF, VMDK (sparse or descriptor) or VHD
/// signature, a GPT header, or an MBR / NTFS / BitLocker boot sector (0x55AA with a partition
/// entry or a volume OEM id). Hives and event logs are never disk images.
bool looks_like_disk_image(const std::string& path);

}  // namespace smssaudit::readers::image
