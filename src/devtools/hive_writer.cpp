// REGF writer: lays out cells in 8-aligned, exactly tiled bins and fills nk/vk/sk/lh/ri/db records.
#include "hive_writer.hpp"

#include "hive_encoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>

namespace smssaudit::devtools {

namespace {

constexpr std::uint32_t kNone = 0xFFFFFFFFU;  // "no list / no class" offset (formats.md §10 nk)
constexpr std::size_t kBinHeaderSize = 32;
constexpr std::uint16_t kRootFlags = 0x2C;  // HIVE_ENTRY | NO_DELETE | KEY_COMP_NAME
constexpr std::uint16_t kKeyFlags = 0x20;   // KEY_COMP_NAME: names stored as Latin-1/ASCII
constexpr std::uint16_t kValueCompName = 0x1;
constexpr std::uint32_t kInlineData = 0x80000000U;  // vk +4 bit 31: data lives in the offset field
constexpr std::size_t kNkFixedSize = 76;
constexpr std::size_t kVkFixedSize = 20;
constexpr std::size_t kMaxKeyName = 255;
constexpr std::size_t kMaxValueName = 16383;

constexpr std::size_t align_up(std::size_t v, std::size_t a) {
  return (v + a - 1) / a * a;
}

std::uint32_t u32(std::size_t v) {
  if (v > 0xFFFFFFFFULL)
    throw HiveWriteError("hive larger than 4 GiB");
  return static_cast<std::uint32_t>(v);
}

// The minimal self-relative descriptor of formats.md §10 "sk": owner BUILTIN\Administrators,
// group SYSTEM, a DACL granting KEY_ALL_ACCESS to Everyone. 76 bytes.
constexpr std::array<std::uint8_t, 76> kSecurityDescriptor = {
    0x01, 0x00, 0x04, 0x80,  // revision 1, control SELF_RELATIVE|DACL_PRESENT
    20,   0,    0,    0,    36,   0,    0,    0,    0,  0, 0, 0,
    48,   0,    0,    0,  // owner, group, sacl (none), dacl
    0x01, 0x02, 0,    0,    0,    0,    0,    5,    32, 0, 0, 0,
    0x20, 0x02, 0,    0,                                          // S-1-5-32-544
    0x01, 0x01, 0,    0,    0,    0,    0,    5,    18, 0, 0, 0,  // S-1-5-18
    0x02, 0x00, 28,   0,    1,    0,    0,    0,                  // ACL rev 2, size 28, 1 ACE
    0x00, 0x00, 20,   0,    0x3F, 0x00, 0x0F, 0x00,               // ALLOWED, mask 0x000F003F
    0x01, 0x01, 0,    0,    0,    0,    0,    1,    0,  0, 0, 0,  // S-1-1-0
};

// Hands out cells inside bins. Offsets are relative to the hive-bins data (file offset 4096), as
// every offset in the format is. A cell that does not fit in the current bin closes it with one
// free cell and opens a new bin, large enough for the cell when it exceeds 4 KiB.
class CellArena {
 public:
  explicit CellArena(std::uint64_t first_bin_time) : first_bin_time_(first_bin_time) {}

  std::uint32_t alloc(std::size_t payload_size) {
    const std::size_t cell_size = align_up(4 + payload_size, 8);
    if (bins_.empty() || cursor_ + cell_size > bin_end_) {
      open_bin(cell_size);
    }
    const std::size_t off = cursor_;
    put32(off, static_cast<std::uint32_t>(-static_cast<std::int64_t>(cell_size)));  // allocated
    cursor_ += cell_size;
    return u32(off);
  }

  // Writers address a cell's data, i.e. `at` counts from after the 4-byte size field.
  void put16(std::uint32_t cell, std::size_t at, std::uint16_t v) {
    bins_.at(cell + 4 + at) = static_cast<std::uint8_t>(v);
    bins_.at(cell + 5 + at) = static_cast<std::uint8_t>(v >> 8U);
  }

  void put32(std::uint32_t cell, std::size_t at, std::uint32_t v) { put32(cell + 4 + at, v); }

  void put64(std::uint32_t cell, std::size_t at, std::uint64_t v) {
    put32(cell, at, static_cast<std::uint32_t>(v));
    put32(cell, at + 4, static_cast<std::uint32_t>(v >> 32U));
  }

  void put_bytes(std::uint32_t cell, std::size_t at, std::span<const std::uint8_t> bytes) {
    const std::size_t start = cell + 4 + at;
    if (start + bytes.size() > bins_.size())
      throw HiveWriteError("cell overflow (writer bug)");
    std::copy(bytes.begin(), bytes.end(), bins_.begin() + static_cast<std::ptrdiff_t>(start));
  }

  void put_ascii(std::uint32_t cell, std::size_t at, const std::string& s) {
    for (std::size_t k = 0; k < s.size(); ++k) {
      bins_.at(cell + 4 + at + k) = static_cast<std::uint8_t>(s[k]);
    }
  }

  // Closes the last bin; the result's size is the base block's hive-bins size (+40).
  std::vector<std::uint8_t> finish() && {
    close_bin();
    return std::move(bins_);
  }

 private:
  void put32(std::size_t abs, std::uint32_t v) {
    for (unsigned k = 0; k < 4; ++k)
      bins_.at(abs + k) = static_cast<std::uint8_t>(v >> (8U * k));
  }

  void open_bin(std::size_t cell_size) {
    close_bin();
    const std::size_t start = bins_.size();
    const std::size_t size = align_up(kBinHeaderSize + cell_size, kBinGranularity);
    bins_.resize(start + size, 0);
    // hbin header (formats.md §10): signature, own offset, size, reserved, FILETIME (first bin
    // only is meaningful), spare.
    bins_[start] = 'h';
    bins_[start + 1] = 'b';
    bins_[start + 2] = 'i';
    bins_[start + 3] = 'n';
    put32(start + 4, u32(start));
    put32(start + 8, u32(size));
    if (start == 0) {
      put32(start + 20, static_cast<std::uint32_t>(first_bin_time_));
      put32(start + 24, static_cast<std::uint32_t>(first_bin_time_ >> 32U));
    }
    bin_end_ = start + size;
    cursor_ = start + kBinHeaderSize;
  }

  // Both readers reject a bin whose tail is not covered by cells (formats.md §11 pitfalls), so
  // the rest of the bin becomes one free cell (positive size). Sizes are multiples of 8, so the
  // remainder is 0 or at least 8.
  void close_bin() {
    if (bins_.empty() || cursor_ == bin_end_)
      return;
    put32(cursor_, u32(bin_end_ - cursor_));
    cursor_ = bin_end_;
  }

  std::uint64_t first_bin_time_;
  std::vector<std::uint8_t> bins_;
  std::size_t bin_end_ = 0;
  std::size_t cursor_ = 0;
};

bool is_ascii_name(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

template <typename T>
std::vector<const T*> sorted_by_upcase(const std::vector<T>& items) {
  std::vector<const T*> out;
  out.reserve(items.size());
  for (const auto& item : items)
    out.push_back(&item);
  std::stable_sort(out.begin(), out.end(), [](const T* a, const T* b) {
    return upcase_ascii(a->name) < upcase_ascii(b->name);
  });
  return out;
}

// Rejects what the format (or ASCII-only KEY_COMP_NAME storage) cannot hold, before any byte is
// laid out, so that an error names the offending key path.
void validate_key(const KeySpec& key, const std::string& path, bool is_root) {
  if ((!is_root && key.name.empty()) || key.name.size() > kMaxKeyName || !is_ascii_name(key.name) ||
      key.name.find('\\') != std::string::npos) {
    throw HiveWriteError(fmt::format(
        "invalid key name '{}' at '{}' (need 1-255 printable ASCII characters, no '\\')",
        key.name,
        path));
  }
  if (key.class_name && !is_ascii_name(*key.class_name)) {
    throw HiveWriteError(fmt::format("class name of '{}' must be printable ASCII", path));
  }
  const auto values = sorted_by_upcase(key.values);
  for (std::size_t k = 0; k < values.size(); ++k) {
    const auto& name = values[k]->name;
    if (name.size() > kMaxValueName || !is_ascii_name(name)) {
      throw HiveWriteError(fmt::format("invalid value name '{}' in '{}'", name, path));
    }
    if (k > 0 && upcase_ascii(values[k - 1]->name) == upcase_ascii(name)) {
      throw HiveWriteError(fmt::format("duplicate value '{}' in '{}'", name, path));
    }
  }
  const auto subkeys = sorted_by_upcase(key.subkeys);
  for (std::size_t k = 0; k < subkeys.size(); ++k) {
    if (k > 0 && upcase_ascii(subkeys[k - 1]->name) == upcase_ascii(subkeys[k]->name)) {
      throw HiveWriteError(fmt::format("duplicate subkey '{}' in '{}'", subkeys[k]->name, path));
    }
    validate_key(*subkeys[k], path + "\\" + subkeys[k]->name, false);
  }
}

std::size_t count_keys(const KeySpec& key) {
  std::size_t n = 1;
  for (const auto& child : key.subkeys)
    n += count_keys(child);
  return n;
}

class HiveLayout {
 public:
  HiveLayout(const HiveSpec& spec, CellArena& arena) : spec_(spec), arena_(arena) {}

  // Root nk at the first cell (0x20) and the shared sk right after it, as Windows lays out a new
  // hive; then the whole tree. Returns the root cell offset for base block +36.
  std::uint32_t emit() {
    const std::uint32_t root = arena_.alloc(kNkFixedSize + spec_.root.name.size());
    sk_ = arena_.alloc(20 + kSecurityDescriptor.size());
    write_sk(u32(count_keys(spec_.root)));
    fill_key(spec_.root, root, 0, true);
    return root;
  }

 private:
  void write_sk(std::uint32_t refcount) {
    arena_.put_ascii(sk_, 0, "sk");
    arena_.put32(sk_, 4, sk_);  // flink: a lone sk points to itself both ways
    arena_.put32(sk_, 8, sk_);  // blink
    arena_.put32(sk_, 12, refcount);
    arena_.put32(sk_, 16, u32(kSecurityDescriptor.size()));
    arena_.put_bytes(sk_, 20, kSecurityDescriptor);
  }

  // Allocates the cells a value needs and writes its vk (formats.md §10 "vk").
  std::uint32_t emit_value(const ValueSpec& value) {
    const std::uint32_t vk = arena_.alloc(kVkFixedSize + value.name.size());
    const std::size_t size = value.data.size();
    std::uint32_t size_field = u32(size);
    std::uint32_t offset_field = 0;
    if (size <= 4) {
      // Inline: the data occupies the offset field from its first byte.
      size_field |= kInlineData;
      std::array<std::uint8_t, 4> inline_bytes{};
      std::copy(value.data.begin(), value.data.end(), inline_bytes.begin());
      offset_field = inline_bytes[0] | (static_cast<std::uint32_t>(inline_bytes[1]) << 8U) |
                     (static_cast<std::uint32_t>(inline_bytes[2]) << 16U) |
                     (static_cast<std::uint32_t>(inline_bytes[3]) << 24U);
    } else if (size > kBigDataSegment && spec_.minor_version >= 4) {
      offset_field = emit_big_data(value.data);
    } else {
      // Versions 1.3 keep large data in one plain cell (formats.md §10 "db").
      offset_field = arena_.alloc(size);
      arena_.put_bytes(offset_field, 0, value.data);
    }
    arena_.put_ascii(vk, 0, "vk");
    arena_.put16(vk, 2, static_cast<std::uint16_t>(value.name.size()));
    arena_.put32(vk, 4, size_field);
    arena_.put32(vk, 8, offset_field);
    arena_.put32(vk, 12, value.type);
    arena_.put16(vk, 16, value.name.empty() ? 0 : kValueCompName);
    arena_.put_ascii(vk, kVkFixedSize, value.name);
    return vk;
  }

  // db cell: "db", u16 segment count, u32 offset of the segment list; each segment holds at most
  // 16,344 bytes and so sits in a 16,352-byte cell (formats.md §10 "db").
  std::uint32_t emit_big_data(const std::vector<std::uint8_t>& data) {
    const std::size_t segments = (data.size() + kBigDataSegment - 1) / kBigDataSegment;
    if (segments > 0xFFFF)
      throw HiveWriteError("value data too large for a db cell");
    const std::uint32_t db = arena_.alloc(8);
    const std::uint32_t list = arena_.alloc(4 * segments);
    for (std::size_t k = 0; k < segments; ++k) {
      const std::size_t begin = k * kBigDataSegment;
      const std::size_t len = std::min(kBigDataSegment, data.size() - begin);
      const std::uint32_t seg = arena_.alloc(len);
      arena_.put_bytes(seg, 0, std::span(data).subspan(begin, len));
      arena_.put32(list, 4 * k, seg);
    }
    arena_.put_ascii(db, 0, "db");
    arena_.put16(db, 2, static_cast<std::uint16_t>(segments));
    arena_.put32(db, 4, list);
    return db;
  }

  // One lh leaf: "lh", u16 count, then {nk offset, hash of the upper-cased name} per element.
  std::uint32_t emit_lh(std::span<const std::pair<std::uint32_t, const KeySpec*>> children) {
    const std::uint32_t lh = arena_.alloc(4 + 8 * children.size());
    arena_.put_ascii(lh, 0, "lh");
    arena_.put16(lh, 2, static_cast<std::uint16_t>(children.size()));
    for (std::size_t k = 0; k < children.size(); ++k) {
      arena_.put32(lh, 4 + 8 * k, children[k].first);
      arena_.put32(lh, 8 + 8 * k, lh_hash(children[k].second->name));
    }
    return lh;
  }

  // Subkey index: one lh leaf, or an ri over evenly filled lh leaves for very wide keys. The
  // concatenation of the leaves stays sorted because `children` is sorted.
  std::uint32_t emit_subkey_list(
      const std::vector<std::pair<std::uint32_t, const KeySpec*>>& children) {
    if (children.size() <= kMaxLeafEntries)
      return emit_lh(children);
    const std::size_t leaves = (children.size() + kMaxLeafEntries - 1) / kMaxLeafEntries;
    const std::size_t per_leaf = (children.size() + leaves - 1) / leaves;
    std::vector<std::uint32_t> leaf_cells;
    for (std::size_t begin = 0; begin < children.size(); begin += per_leaf) {
      const std::size_t len = std::min(per_leaf, children.size() - begin);
      leaf_cells.push_back(emit_lh(std::span(children).subspan(begin, len)));
    }
    const std::uint32_t ri = arena_.alloc(4 + 4 * leaf_cells.size());
    arena_.put_ascii(ri, 0, "ri");
    arena_.put16(ri, 2, static_cast<std::uint16_t>(leaf_cells.size()));
    for (std::size_t k = 0; k < leaf_cells.size(); ++k)
      arena_.put32(ri, 4 + 4 * k, leaf_cells[k]);
    return ri;
  }

  void fill_key(const KeySpec& key, std::uint32_t nk, std::uint32_t parent, bool is_root) {
    std::uint32_t class_cell = kNone;
    std::vector<std::uint8_t> class_bytes;
    if (key.class_name) {
      class_bytes = utf16le(*key.class_name);
      class_cell = arena_.alloc(class_bytes.size());
      arena_.put_bytes(class_cell, 0, class_bytes);
    }

    // Values: Windows keeps value lists unsorted; sorting them too makes the output independent of
    // spec order. The "largest" fields are exact here (formats.md §10 nk +60/+64).
    std::uint32_t value_list = kNone;
    std::size_t max_value_name = 0;
    std::size_t max_value_data = 0;
    const auto values = sorted_by_upcase(key.values);
    if (!values.empty()) {
      std::vector<std::uint32_t> vks;
      for (const ValueSpec* v : values) {
        vks.push_back(emit_value(*v));
        max_value_name = std::max(max_value_name, 2 * v->name.size());
        max_value_data = std::max(max_value_data, v->data.size());
      }
      value_list = arena_.alloc(4 * vks.size());
      for (std::size_t k = 0; k < vks.size(); ++k)
        arena_.put32(value_list, 4 * k, vks[k]);
    }

    std::uint32_t subkey_list = kNone;
    std::size_t max_subkey_name = 0;
    std::size_t max_subkey_class = 0;
    const auto subkeys = sorted_by_upcase(key.subkeys);
    if (!subkeys.empty()) {
      std::vector<std::pair<std::uint32_t, const KeySpec*>> children;
      for (const KeySpec* child : subkeys) {
        const std::uint32_t child_nk = arena_.alloc(kNkFixedSize + child->name.size());
        fill_key(*child, child_nk, nk, false);
        children.emplace_back(child_nk, child);
        max_subkey_name = std::max(max_subkey_name, 2 * child->name.size());
        max_subkey_class =
            std::max(max_subkey_class, child->class_name ? 2 * child->class_name->size() : 0);
      }
      subkey_list = emit_subkey_list(children);
    }

    // nk record (formats.md §10 "nk").
    arena_.put_ascii(nk, 0, "nk");
    arena_.put16(nk, 2, is_root ? kRootFlags : kKeyFlags);
    arena_.put64(nk, 4, key.last_written.value_or(spec_.last_written));
    arena_.put32(nk, 12, 0);
    arena_.put32(nk, 16, parent);
    arena_.put32(nk, 20, u32(subkeys.size()));
    arena_.put32(nk, 24, 0);  // volatile subkeys: none on disk
    arena_.put32(nk, 28, subkey_list);
    arena_.put32(nk, 32, kNone);
    arena_.put32(nk, 36, u32(values.size()));
    arena_.put32(nk, 40, value_list);
    arena_.put32(nk, 44, sk_);
    arena_.put32(nk, 48, class_cell);
    arena_.put32(nk, 52, u32(max_subkey_name));
    arena_.put32(nk, 56, u32(max_subkey_class));
    arena_.put32(nk, 60, u32(max_value_name));
    arena_.put32(nk, 64, u32(max_value_data));
    arena_.put32(nk, 68, 0);
    arena_.put16(nk, 72, static_cast<std::uint16_t>(key.name.size()));
    arena_.put16(nk, 74, static_cast<std::uint16_t>(class_bytes.size()));
    arena_.put_ascii(nk, kNkFixedSize, key.name);
  }

  const HiveSpec& spec_;
  CellArena& arena_;
  std::uint32_t sk_ = kNone;
};

void put_le32(std::vector<std::uint8_t>& b, std::size_t off, std::uint32_t v) {
  for (unsigned k = 0; k < 4; ++k)
    b[off + k] = static_cast<std::uint8_t>(v >> (8U * k));
}

}  // namespace

std::uint32_t regf_checksum(std::span<const std::uint8_t> block) {
  if (block.size() < 508)
    throw HiveWriteError("base block shorter than 508 bytes");
  std::uint32_t sum = 0;
  for (std::size_t off = 0; off < 508; off += 4) {
    sum ^= block[off] | (static_cast<std::uint32_t>(block[off + 1]) << 8U) |
           (static_cast<std::uint32_t>(block[off + 2]) << 16U) |
           (static_cast<std::uint32_t>(block[off + 3]) << 24U);
  }
  if (sum == 0xFFFFFFFFU)
    return 0xFFFFFFFEU;
  if (sum == 0)
    return 1;
  return sum;
}

std::vector<std::uint8_t> write_hive(const HiveSpec& spec) {
  if (spec.minor_version < 3 || spec.minor_version > 6) {
    throw HiveWriteError("minor version must be 3..6, got " + std::to_string(spec.minor_version));
  }
  validate_key(spec.root, spec.root.name, true);
  if (spec.root.name.empty())
    throw HiveWriteError("root key name must not be empty");

  CellArena arena(spec.last_written);
  const std::uint32_t root = HiveLayout(spec, arena).emit();
  std::vector<std::uint8_t> bins = std::move(arena).finish();

  // Base block (formats.md §9).
  std::vector<std::uint8_t> file(kBaseBlockSize, 0);
  file[0] = 'r';
  file[1] = 'e';
  file[2] = 'g';
  file[3] = 'f';
  put_le32(file, 4, spec.primary_sequence);
  put_le32(file, 8, spec.secondary_sequence);
  put_le32(file, 12, static_cast<std::uint32_t>(spec.last_written));
  put_le32(file, 16, static_cast<std::uint32_t>(spec.last_written >> 32U));
  put_le32(file, 20, 1);  // major
  put_le32(file, 24, spec.minor_version);
  put_le32(file, 28, 0);  // file type: primary
  put_le32(file, 32, 1);  // file format: direct memory load
  put_le32(file, 36, root);
  put_le32(file, 40, u32(bins.size()));
  put_le32(file, 44, 1);  // clustering factor
  // +48: 64 bytes of UTF-16LE; Windows keeps the tail of a long path, so keep the last 31 units
  // and leave room for a terminating NUL.
  std::vector<std::uint8_t> name = utf16le(spec.embedded_name);
  constexpr std::size_t kNameBytes = 62;
  if (name.size() > kNameBytes) {
    name.erase(name.begin(), name.end() - static_cast<std::ptrdiff_t>(kNameBytes));
  }
  std::copy(name.begin(), name.end(), file.begin() + 48);
  put_le32(file, 508, regf_checksum(file));

  file.insert(file.end(), bins.begin(), bins.end());
  return file;
}

}  // namespace smssaudit::devtools
