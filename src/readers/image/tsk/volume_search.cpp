// Finding the Windows installations of an image: partition table (MBR, GPT) or bare volume, then
// each NTFS volume holding Windows\System32\config\SYSTEM. What cannot be read becomes a
// diagnostic and the search goes on (sleuthkit's TskAuto keeps going the same way).
#include "readers/image/tsk/image_state.hpp"
#include "readers/image/tsk/path_lookup.hpp"
#include "smssaudit/core/text.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <span>
#include <system_error>

namespace smssaudit::readers::image::detail {
namespace {

constexpr std::uint64_t kMiB = 1048576;
constexpr std::uint64_t kSectorSize = 512;
constexpr std::size_t kMaxProbes = 4096;  // 1 MiB steps: the first 4 GiB of unpartitioned space
constexpr std::uint64_t kMaxGptEntryBytes = kMiB;
constexpr TSK_INUM_T kNtfsVolumeEntry = 3;  // $Volume

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
    }
    t[i] = c;
  }
  return t;
}

/// CRC-32 (IEEE 802.3, as GPT uses it).
std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  static constexpr std::array<std::uint32_t, 256> kTable = make_crc_table();
  std::uint32_t c = 0xFFFFFFFFU;
  for (const std::uint8_t b : bytes) {
    c = kTable[(c ^ b) & 0xFFU] ^ (c >> 8U);
  }
  return c ^ 0xFFFFFFFFU;
}

std::uint64_t le(std::span<const std::uint8_t> b, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v |= static_cast<std::uint64_t>(b[at + i]) << (8U * i);
  }
  return v;
}

/// `width` lower-case hex digits of v, most significant first.
std::string hex_digits(std::uint64_t v, std::size_t width, const char* digits) {
  std::string out(width, '0');
  for (std::size_t i = width; i > 0; --i) {
    out[i - 1] = digits[v & 15U];
    v >>= 4U;
  }
  return out;
}

std::string hex32(std::uint64_t v) {
  return "0x" + hex_digits(v, 8, "0123456789abcdef");
}

bool has_oem(std::span<const std::uint8_t> boot, const char* oem) {
  return boot.size() >= 11 && std::memcmp(boot.data() + 3, oem, 8) == 0;
}

Result<std::vector<std::uint8_t>> read_image(const ImageState& st,
                                             std::uint64_t offset,
                                             std::size_t len) {
  std::vector<std::uint8_t> buf(len);
  tsk::clear_error();
  const ssize_t n = tsk_img_read(
      st.img.get(), static_cast<TSK_OFF_T>(offset), reinterpret_cast<char*>(buf.data()), len);
  if (n < 0) {
    return fail(ErrorCode::kIo,
                st.path,
                "cannot read " + std::to_string(len) + " bytes at offset " +
                    std::to_string(offset) + ": " + tsk::take_error());
  }
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::string volume_label(TSK_FS_INFO* fs) {
  tsk::clear_error();
  const tsk::File f(tsk_fs_file_open_meta(fs, nullptr, kNtfsVolumeEntry));
  if (!f) {
    tsk::clear_error();
    return {};
  }
  const TSK_FS_ATTR* a = tsk_fs_file_attr_get_type(f.get(), TSK_FS_ATTR_TYPE_NTFS_VNAME, 0, 0);
  if (a == nullptr || a->size <= 0 || a->size > 1024) {
    tsk::clear_error();
    return {};
  }
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(a->size));
  const ssize_t n = tsk_fs_attr_read(
      a, 0, reinterpret_cast<char*>(buf.data()), buf.size(), TSK_FS_FILE_READ_FLAG_NONE);
  if (n <= 0) {
    tsk::clear_error();
    return {};
  }
  return text::utf16le_to_utf8(
      std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)), true);
}

/// The serial as fsstat prints it: the boot-sector bytes, most significant first.
std::string volume_serial(const TSK_FS_INFO* fs) {
  std::string out;
  const std::size_t used = std::min<std::size_t>(fs->fs_id_used, TSK_FS_INFO_FS_ID_LEN);
  for (std::size_t i = used; i > 0; --i) {
    out += hex_digits(fs->fs_id[i - 1], 2, "0123456789ABCDEF");
  }
  return out;
}

/// A volume to look at: from the partition table, the whole image, or the boot-sector scan.
struct Candidate {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  unsigned number = 0;
  std::string description;
};

class Search {
 public:
  Search(ImageState& st, DiagnosticSink& sink) : st_(st), sink_(sink) {}

  std::vector<Installation> run() {
    tsk::clear_error();
    const tsk::Vs vs(tsk_vs_open(st_.img.get(), 0, TSK_VS_TYPE_DETECT));
    if (vs) {
      recognised_ = true;
      if (vs->vstype == TSK_VS_TYPE_GPT) {
        check_gpt(*vs);
      }
      from_table(*vs);
    } else {
      const std::string vs_error = tsk::take_error();
      if (!try_volume(Candidate{0, image_size(), 0, "bare volume"})) {
        if (has_table_signature()) {
          note(DiagLevel::kWarning,
               "image.partition_table_damaged",
               "",
               "the partition table cannot be read (" + vs_error +
                   "); searching for NTFS volumes at 1 MiB boundaries");
        }
        scan_for_volumes();
      }
    }
    if (found_.empty()) {
      if (recognised_) {
        note(DiagLevel::kError,
             "image.no_windows",
             "",
             "no NTFS volume with Windows\\System32\\config\\SYSTEM");
      } else if (starts_with_zeros()) {
        // libewf hands back zeros for chunks it cannot locate (an E01 cut short loses its table
        // sections), so a damaged container looks like an empty disk.
        note(DiagLevel::kError,
             "image.unrecognised",
             "",
             "the image reads as zeros where a partition table or volume should be: a truncated "
             "or damaged " +
                 std::string(tsk_img_type_toname(st_.img->itype)) + " image, or an empty disk");
      } else {
        note(DiagLevel::kError,
             "image.unrecognised",
             "",
             "neither a partition table nor a file system was recognised (unknown image format, "
             "encrypted, or not a disk image)");
      }
    }
    return std::move(found_);
  }

 private:
  std::uint64_t image_size() const { return static_cast<std::uint64_t>(st_.img->size); }

  void note(DiagLevel level, const char* code, std::string location, std::string message) {
    sink_.add(level, code, st_.path, std::move(location), std::move(message));
  }

  bool starts_with_zeros() const {
    auto head =
        read_image(st_, 0, static_cast<std::size_t>(std::min<std::uint64_t>(kMiB, image_size())));
    return !head || std::all_of(head->begin(), head->end(), [](std::uint8_t b) { return b == 0; });
  }

  bool has_table_signature() const {
    auto head = read_image(st_, 0, 2 * kSectorSize);
    if (!head || head->size() < 2 * kSectorSize) {
      return false;
    }
    const auto& b = *head;
    return (b[510] == 0x55 && b[511] == 0xAA) || std::memcmp(b.data() + 512, "EFI PART", 8) == 0;
  }

  void from_table(const TSK_VS_INFO& vs) {
    unsigned number = 0;
    for (TSK_PNUM_T i = 0; i < vs.part_count; ++i) {
      const TSK_VS_PART_INFO* p = tsk_vs_part_get(&vs, i);
      if (p == nullptr || (p->flags & TSK_VS_PART_FLAG_ALLOC) == 0) {
        continue;
      }
      ++number;
      const Candidate c{static_cast<std::uint64_t>(vs.offset) + p->start * vs.block_size,
                        p->len * vs.block_size,
                        number,
                        p->desc != nullptr ? p->desc : ""};
      if (c.offset + c.size > image_size()) {
        const bool starts_past = c.offset >= image_size();
        note(DiagLevel::kWarning,
             "image.partition_past_end",
             "partition " + std::to_string(number),
             "partition " + std::to_string(number) + " (" + c.description + ") at offset " +
                 std::to_string(c.offset) + ", " + std::to_string(c.size) +
                 " bytes, extends past the end of the image (" + std::to_string(image_size()) +
                 " bytes)" + (starts_past ? ": not read" : ": read as far as it goes"));
        if (starts_past) {
          continue;
        }
      }
      try_volume(c);
    }
  }

  void check_gpt(const TSK_VS_INFO& vs) {
    const std::uint64_t bs = vs.block_size;
    auto h = read_image(st_, static_cast<std::uint64_t>(vs.offset) + bs, bs);
    if (!h || h->size() < 92 || std::memcmp(h->data(), "EFI PART", 8) != 0) {
      return;
    }
    std::vector<std::uint8_t>& hdr = *h;
    const std::uint64_t hsize = le(hdr, 12, 4);
    if (hsize < 92 || hsize > hdr.size()) {
      note(DiagLevel::kWarning,
           "image.partition_table_damaged",
           "GPT header",
           "GPT header size " + std::to_string(hsize) + " is invalid");
      return;
    }
    const std::uint64_t stored = le(hdr, 16, 4);
    std::fill(hdr.begin() + 16, hdr.begin() + 20, std::uint8_t{0});
    const std::uint32_t computed = crc32(std::span<const std::uint8_t>(hdr.data(), hsize));
    if (stored != computed) {
      note(DiagLevel::kWarning,
           "image.partition_table_damaged",
           "GPT header",
           "GPT header CRC mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
               "): the partitions are taken from the table as it reads");
    }
    const std::uint64_t bytes = le(hdr, 80, 4) * le(hdr, 84, 4);
    if (bytes == 0 || bytes > kMaxGptEntryBytes) {
      return;
    }
    auto entries = read_image(st_, le(hdr, 72, 8) * bs, static_cast<std::size_t>(bytes));
    if (entries && entries->size() == bytes && crc32(*entries) != le(hdr, 88, 4)) {
      note(DiagLevel::kWarning,
           "image.partition_table_damaged",
           "GPT partition entries",
           "GPT partition entry array CRC mismatch (stored " + hex32(le(hdr, 88, 4)) +
               ", computed " + hex32(crc32(*entries)) + ")");
    }
  }

  /// Looks at one volume; true when something was recognised there (a file system, BitLocker).
  bool try_volume(const Candidate& c) {
    const std::string where = "offset " + std::to_string(c.offset);
    auto boot = read_image(st_, c.offset, kSectorSize);
    if (!boot) {
      note(DiagLevel::kWarning, "image.volume_unreadable", where, boot.error().detail);
      return false;
    }
    if (has_oem(*boot, "-FVE-FS-")) {
      recognised_ = true;
      note(DiagLevel::kError,
           "image.bitlocker",
           where,
           "BitLocker-encrypted volume at offset " + std::to_string(c.offset) +
               ": cannot be read without the key");
      return true;
    }
    tsk::clear_error();
    tsk::Fs fs(
        tsk_fs_open_img(st_.img.get(), static_cast<TSK_OFF_T>(c.offset), TSK_FS_TYPE_DETECT));
    if (!fs) {
      const std::string err = tsk::take_error();
      if (c.number != 0) {  // a bare-volume miss is reported by run() as a whole
        note(DiagLevel::kInfo,
             "image.volume_unreadable",
             where,
             "partition " + std::to_string(c.number) + " (" + c.description +
                 "): no file system TSK recognises: " + err);
      }
      return false;
    }
    recognised_ = true;
    if (!TSK_FS_TYPE_ISNTFS(fs->ftype)) {
      note(DiagLevel::kDebug,
           "image.volume_skipped",
           where,
           std::string(tsk_fs_type_toname(fs->ftype)) + " volume, not NTFS: skipped");
      return true;
    }
    TSK_FS_INFO* raw = fs.get();
    if (const auto it = st_.volumes.find(c.offset); it != st_.volumes.end()) {
      raw = it->second.get();
    } else {
      st_.volumes.emplace(c.offset, std::move(fs));
    }
    add_if_windows(c, raw);
    return true;
  }

  void add_if_windows(const Candidate& c, TSK_FS_INFO* fs) {
    const std::string where = "offset " + std::to_string(c.offset);
    auto sys = resolve_path(st_, fs, c.offset, "Windows/System32/config/SYSTEM");
    if (!sys) {
      note(DiagLevel::kWarning, "image.volume_unreadable", where, sys.error().message());
      return;
    }
    if (!*sys || (*sys)->is_directory) {
      note(DiagLevel::kInfo,
           "image.volume_without_windows",
           where,
           "NTFS volume at offset " + std::to_string(c.offset) +
               " has no Windows\\System32\\config\\SYSTEM");
      return;
    }
    Installation inst;
    inst.image_path = st_.path;
    inst.offset = c.offset;
    inst.size = std::min(c.size, image_size() - c.offset);
    inst.partition_number = c.number;
    inst.description = c.description;
    inst.volume_label = volume_label(fs);
    inst.volume_serial = volume_serial(fs);
    inst.system_hive = std::move(**sys);
    found_.push_back(std::move(inst));
  }

  /// No partition table and no file system at offset 0: look for NTFS (and BitLocker) boot
  /// sectors where partitioning tools put volumes (sector 63, then every MiB).
  void scan_for_volumes() {
    std::uint64_t off = 63 * kSectorSize;
    for (std::size_t probes = 0; off + kSectorSize <= image_size() && probes < kMaxProbes;
         ++probes) {
      auto b = read_image(st_, off, kSectorSize);
      std::uint64_t next = off < kMiB ? kMiB : off + kMiB;
      if (b && b->size() == kSectorSize && (*b)[510] == 0x55 && (*b)[511] == 0xAA &&
          (has_oem(*b, "NTFS    ") || has_oem(*b, "-FVE-FS-"))) {
        const std::uint64_t vol = le(*b, 0x28, 8) * le(*b, 0x0B, 2);
        try_volume(Candidate{off, vol, 0, "NTFS volume found by boot-sector scan"});
        next = std::max(next, (off + vol + kMiB - 1) / kMiB * kMiB);
      }
      off = next;
    }
  }

  ImageState& st_;
  DiagnosticSink& sink_;
  std::vector<Installation> found_;
  bool recognised_ = false;
};

}  // namespace

Result<TSK_FS_INFO*> volume_at(ImageState& state, std::uint64_t offset) {
  if (const auto it = state.volumes.find(offset); it != state.volumes.end()) {
    return it->second.get();
  }
  const std::string where = state.path + "@" + std::to_string(offset);
  tsk::clear_error();
  tsk::Fs fs(
      tsk_fs_open_img(state.img.get(), static_cast<TSK_OFF_T>(offset), TSK_FS_TYPE_NTFS_DETECT));
  if (!fs) {
    return fail(ErrorCode::kIo, where, "no NTFS volume at this offset: " + tsk::take_error());
  }
  TSK_FS_INFO* raw = fs.get();
  state.volumes.emplace(offset, std::move(fs));
  return raw;
}

std::vector<Installation> find_installations(ImageState& state, DiagnosticSink& sink) {
  return Search(state, sink).run();
}

}  // namespace smssaudit::readers::image::detail
