// `batch DIR`: which entries of DIR are hosts. Every immediate subfolder is one host (a triage
// folder: KAPE, Velociraptor, or flat files); every regular file directly under DIR whose content
// is a disk image is one host; split images (raw .001/.002..., EWF .E01/.E02..., VMDK extents named
// by a descriptor) count once. Everything else is ignored with a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::app {

enum class HostKind { kFolder, kEwf, kVmdk, kVhd, kVhdx, kQcow2, kRaw };

/// "folder", "ewf", "vmdk", "vhd", "vhdx", "qcow2", "raw".
const char* to_string(HostKind kind) noexcept;

/// The bytes detection looks at: the first 1024 bytes (fewer for a short file), the last 512
/// bytes (empty when the file is shorter than 512 bytes) and the file size.
struct ImageProbe {
  std::span<const unsigned char> head;
  std::span<const unsigned char> tail;
  std::uint64_t size = 0;
};

/// Disk image type by content (never by name):
/// - EWF: "EVF\x09\x0d\x0a\xff\x00" (E01) or "EVF2\x0d\x0a\x81\x00" (Ex01) at 0;
/// - VMDK: "KDMV" (sparse extent) or "COWD" (ESX sparse) at 0, or a text descriptor starting with
///   "# Disk DescriptorFile";
/// - VHD: "conectix" footer at size-512 (fixed) or at 0 (dynamic/differencing copy);
/// - VHDX: "vhdxfile" at 0;  QCOW2: "QFI\xfb" at 0;
/// - raw (size a multiple of 512): GPT header "EFI PART" at 512, an NTFS boot sector ("NTFS    "
///   at 3), or an MBR / boot sector signature 0x55 0xAA at 510.
std::optional<HostKind> detect_image(const ImageProbe& probe);

/// Reads the probe bytes of `path` and detects; nullopt for unreadable or short files.
std::optional<HostKind> detect_image_file(const std::string& path);

/// The extent files a VMDK text descriptor names (`RW 2048 SPARSE "disk-s001.vmdk"`), in order.
std::vector<std::string> vmdk_descriptor_extents(const std::string& descriptor_text);

/// One unit of a batch: a host folder or a disk image.
struct BatchHost {
  std::string name;  ///< entry name under DIR (folder or image file name)
  std::string path;  ///< what is passed to `scan` (the folder, the .001/.E01/descriptor file)
  HostKind kind = HostKind::kFolder;
  std::vector<std::string> parts;  ///< further segments or extents, listed for the summary
};

/// An entry of DIR that is not scanned, and why.
struct IgnoredEntry {
  std::string path;
  std::string reason;
};

struct HostDiscovery {
  std::vector<BatchHost> hosts;       ///< sorted by path (byte order)
  std::vector<IgnoredEntry> ignored;  ///< sorted by path
};

/// Lists the hosts of DIR. Entries equal to `exclude` (e.g. the output folder) are skipped.
HostDiscovery discover_hosts(const std::string& dir, const std::string& exclude = "");

}  // namespace smssaudit::app
