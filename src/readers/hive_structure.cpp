// Bounded native check of the SYSTEM hive cells the audit walks (see hive_structure.hpp). Offsets
// and layouts cite formats.md section 10 ("Bins, cells and records").
#include "readers/hive_structure.hpp"

#include "smssaudit/core/text.hpp"
#include "smssaudit/facts/surface.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace smssaudit::readers {
namespace {

constexpr std::uint64_t kBinsStart = 4096;        // hive bins follow the 4 KiB base block
constexpr std::uint32_t kNone = 0xFFFFFFFFU;      // nk +28 / +40: no list
constexpr std::size_t kNkFixed = 76;              // nk: name at +76, its length at +72
constexpr std::size_t kVkFixed = 20;              // vk: name at +20, its length at +2
constexpr std::size_t kMaxNameBytes = 512;        // names are at most 255 UTF-16 characters
constexpr std::uint32_t kBigDataSegment = 16344;  // db: a segment holds at most this many bytes
constexpr std::size_t kMaxListElements = 0xFFFF;  // li/lf/lh/ri: u16 element count
constexpr std::size_t kMaxValues = 65536;         // value-list entries followed per key
constexpr std::size_t kListedExamples = 3;        // problems quoted per diagnostic

std::uint16_t u16(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8U));
}

std::uint32_t u32(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24U);
}

bool has_sig(std::span<const std::uint8_t> b, std::string_view sig) {
  return b.size() >= sig.size() && std::memcmp(b.data(), sig.data(), sig.size()) == 0;
}

/// A leaf subkey list with room for its header: li, lf or lh (formats.md 10 "Subkey lists").
bool is_leaf(std::span<const std::uint8_t> b) {
  return b.size() >= 4 && (has_sig(b, "li") || has_sig(b, "lf") || has_sig(b, "lh"));
}

std::string hex(std::uint32_t v) {
  return fmt::format("0x{:x}", v);
}

std::string join_path(std::string_view a, std::string_view b) {
  return a.empty() ? std::string(b) : std::string(a) + "\\" + std::string(b);
}

/// "ControlSet" + three digits, as the hive reader's control_set_number accepts.
bool is_control_set_name(std::string_view name) {
  constexpr std::string_view kPrefix = "ControlSet";
  return name.size() == kPrefix.size() + 3 && text::istarts_with(name, kPrefix) &&
         std::all_of(name.begin() + static_cast<std::ptrdiff_t>(kPrefix.size()),
                     name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

/// A ByteSource over bytes in memory (the image variant).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::span<const std::uint8_t> bytes, std::string name)
      : bytes_(bytes), name_(std::move(name)) {}

  std::uint64_t size() const noexcept override { return bytes_.size(); }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const override {
    if (offset >= bytes_.size()) {
      return std::size_t{0};
    }
    const std::size_t n = std::min<std::size_t>(buf.size(), bytes_.size() - offset);
    std::memcpy(buf.data(), bytes_.data() + offset, n);
    return n;
  }

  const std::string& name() const noexcept override { return name_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::string name_;
};

/// One key the audit reads: its name below the parent ("" for the root; control sets match by
/// pattern), whether its values and subkey names are captured, and the keys read below it.
struct Target {
  std::string name;
  bool control_set = false;
  bool capture = false;
  std::vector<Target> children;
};

Target& child_of(Target& parent, std::string_view name) {
  for (Target& t : parent.children) {
    if (text::iequals(t.name, name)) {
      return t;
    }
  }
  parent.children.push_back(Target{std::string(name), false, false, {}});
  return parent.children.back();
}

/// root -> Select (captured) and root -> ControlSetNNN -> every surface key (captured), the same
/// keys hive_reader.cpp reads.
Target audit_targets() {
  Target root;
  root.children.push_back(Target{"Select", false, true, {}});
  Target cs{"ControlSetNNN", true, false, {}};
  for (const facts::SurfaceKey& sk : facts::session_manager_surface()) {
    Target* at = &cs;
    for (const std::string& part : text::split(sk.path, '\\')) {
      at = &child_of(*at, part);
    }
    at->capture = true;
  }
  root.children.push_back(std::move(cs));
  return root;
}

bool matches(const Target& t, std::string_view name) {
  return t.control_set ? is_control_set_name(name) : text::iequals(t.name, name);
}

/// A cell read within the bins: `capacity` is what its size field declares after the 4-byte size
/// (clamped to the bins), `data` its first bytes (at most what the caller asked for).
struct Cell {
  std::uint32_t offset = 0;
  std::uint64_t capacity = 0;
  std::vector<std::uint8_t> data;
};

/// A key on the current path: its nk offset and every list cell it owns (subkey list, ri leaves).
struct Ancestor {
  std::uint32_t nk = 0;
  std::string location;
  std::vector<std::uint32_t> lists;
};

/// Problems found at one key, one diagnostic per kind when the key is done.
struct Findings {
  std::vector<std::string> count;
  std::vector<std::string> list;
  std::vector<std::string> cycle;
  std::vector<std::string> values;
};

/// A subkey element that is a key cell, with its name (ASCII; other characters become '?').
struct Child {
  std::uint32_t nk = 0;
  std::string name;
};

std::string examples(const std::vector<std::string>& items) {
  std::vector<std::string> shown(
      items.begin(),
      items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), kListedExamples)));
  std::string s = text::join(shown, "; ");
  if (items.size() > kListedExamples) {
    s += fmt::format("; and {} more", items.size() - kListedExamples);
  }
  return s;
}

class Checker {
 public:
  Checker(const ByteSource& src,
          const std::string& source,
          DiagnosticSink& sink,
          const HiveStructureLimits& limits)
      : src_(src), source_(source), sink_(sink), limits_(limits) {}

  HiveStructureStats run() {
    // Base block: +24 minor version, +36 root cell offset, +40 hive-bins size (formats.md 9).
    std::vector<std::uint8_t> base(44, 0);
    if (src_.size() <= kBinsStart || read(0, base) != base.size()) {
      return stats_;
    }
    big_data_ = u32(base, 24) >= 4;  // db cells exist from version 1.4 on
    bins_ = std::min<std::uint64_t>(u32(base, 40), src_.size() - kBinsStart);
    const std::uint32_t root = u32(base, 36);
    if (!in_bins(root)) {
      return stats_;  // the reader has already refused the hive
    }
    auto cell = read_cell(root, kNkFixed + kMaxNameBytes);
    if (!cell || !is_key(*cell)) {
      return stats_;
    }
    const Target targets = audit_targets();
    visit(*cell, "(root)", "", targets, 0);
    return stats_;
  }

 private:
  std::size_t read(std::uint64_t offset, std::span<std::uint8_t> buf) const {
    std::size_t done = 0;
    while (done < buf.size()) {
      auto n = src_.read_at(offset + done, buf.subspan(done));
      if (!n || *n == 0) {
        break;
      }
      done += *n;
    }
    return done;
  }

  bool in_bins(std::uint32_t off) const { return std::uint64_t{off} + 4 <= bins_; }

  static bool is_key(const Cell& c) { return c.data.size() >= kNkFixed && has_sig(c.data, "nk"); }

  /// Stops the walk once, with one diagnostic, when a limit is reached.
  void stop(const std::string& why) {
    if (!stats_.limit_reached) {
      stats_.limit_reached = true;
      warn(kStructureLimit,
           "",
           "the structure check stopped early (" + why +
               "): the hive's lists are larger or deeper than any real SYSTEM hive's");
    }
  }

  /// Reads the cell at hbin-relative `off` (which must be in the bins): its size, then at most
  /// `want` bytes of data. nullopt once a limit is reached.
  std::optional<Cell> read_cell(std::uint32_t off, std::size_t want) {
    if (stats_.limit_reached) {
      return std::nullopt;
    }
    if (++stats_.cells_read > limits_.max_cells) {
      stop(fmt::format("more than {} cells", limits_.max_cells));
      return std::nullopt;
    }
    std::vector<std::uint8_t> size(4, 0);
    if (read(kBinsStart + off, size) != size.size()) {
      return std::nullopt;
    }
    // Cell size: i32, negative when allocated, counting its own 4 bytes.
    const auto declared = static_cast<std::int32_t>(u32(size, 0));
    const std::int64_t magnitude = declared < 0 ? -std::int64_t{declared} : std::int64_t{declared};
    Cell c;
    c.offset = off;
    c.capacity = std::min<std::uint64_t>(
        magnitude >= 4 ? static_cast<std::uint64_t>(magnitude - 4) : 0, bins_ - off - 4);
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(c.capacity, want));
    bytes_read_ += take + 4;
    if (bytes_read_ > limits_.max_bytes) {
      stop(fmt::format("more than {} bytes read", limits_.max_bytes));
      return std::nullopt;
    }
    c.data.assign(take, 0);
    c.data.resize(read(kBinsStart + off + 4, c.data));
    return c;
  }

  void warn(const char* code, const std::string& location, const std::string& message) {
    ++stats_.problems;
    sink_.add(DiagLevel::kWarning, code, source_, location, message);
  }

  /// What `off` is on the current path, if anything: the key itself, an ancestor or a list.
  std::optional<std::string> on_path(std::uint32_t off, std::uint32_t self) const {
    if (off == self) {
      return std::string("the key itself");
    }
    for (const Ancestor& a : path_) {
      if (off == a.nk) {
        return "its ancestor key " + a.location;
      }
      if (std::find(a.lists.begin(), a.lists.end(), off) != a.lists.end()) {
        return "a subkey list of its ancestor " + a.location;
      }
    }
    return std::nullopt;
  }

  /// One leaf list (li: 4-byte elements; lf/lh: offset + 4-byte hint or hash). Returns the
  /// element count it declares, capped by its cell.
  std::uint64_t read_leaf(const Cell& leaf,
                          std::uint32_t self,
                          std::vector<std::uint32_t>& elements,
                          Findings& f) {
    const std::size_t width = has_sig(leaf.data, "li") ? 4 : 8;
    const std::uint16_t declared = u16(leaf.data, 2);
    const std::uint64_t room = (leaf.capacity - 4) / width;
    std::uint64_t n = declared;
    if (n > room) {
      f.list.push_back(fmt::format("list {} declares {} elements but its cell holds at most {}",
                                   hex(leaf.offset),
                                   declared,
                                   room));
      n = room;
    }
    n = std::min<std::uint64_t>(n, (leaf.data.size() - 4) / width);
    std::size_t outside = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint32_t e = u32(leaf.data, 4 + static_cast<std::size_t>(i) * width);
      if (auto what = on_path(e, self)) {
        f.cycle.push_back(fmt::format("subkey element {} points at {}", i, *what));
      } else if (!in_bins(e)) {
        ++outside;
      } else {
        elements.push_back(e);
      }
    }
    if (outside > 0) {
      f.list.push_back(fmt::format(
          "{} element(s) of list {} point outside the hive bins", outside, hex(leaf.offset)));
    }
    return n;
  }

  /// ri: u16 count, then u32 offsets of li/lf/lh lists (never another ri). Returns the element
  /// count its leaves declare; each leaf read is appended to `lists`.
  std::uint64_t read_index(const Cell& index,
                           std::uint32_t self,
                           std::vector<std::uint32_t>& lists,
                           std::vector<std::uint32_t>& elements,
                           Findings& f) {
    const std::uint16_t declared = u16(index.data, 2);
    const std::uint64_t room = (index.capacity - 4) / 4;
    if (declared > room) {
      f.list.push_back(fmt::format("index list {} declares {} leaves but its cell holds at most {}",
                                   hex(index.offset),
                                   declared,
                                   room));
    }
    const std::uint64_t n = std::min<std::uint64_t>({declared, room, (index.data.size() - 4) / 4});
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < n && !stats_.limit_reached; ++i) {
      const std::uint32_t leaf = u32(index.data, 4 + static_cast<std::size_t>(i) * 4);
      auto what = on_path(leaf, self);
      if (!what && std::find(lists.begin(), lists.end(), leaf) != lists.end()) {
        what = "a list of the same index list";
      }
      if (what) {
        f.cycle.push_back(fmt::format("index list leaf {} points at {}", i, *what));
      } else if (!in_bins(leaf)) {
        f.list.push_back(fmt::format("index list leaf {} lies outside the hive bins", i));
      } else if (auto cell = read_cell(leaf, 4 + 8 * kMaxListElements)) {
        lists.push_back(leaf);
        if (is_leaf(cell->data)) {
          total += read_leaf(*cell, self, elements, f);
        } else {
          f.list.push_back(
              fmt::format("index list leaf {} ({}) is not an li/lf/lh list", i, hex(leaf)));
        }
      }
    }
    return total;
  }

  /// Checks nk +20/+28 against the subkey list and returns the elements that may be followed.
  /// `lists` receives the list cells (the list and any ri leaves) for the cycle checks below.
  std::vector<std::uint32_t> check_subkeys(const Cell& nk,
                                           std::vector<std::uint32_t>& lists,
                                           Findings& f) {
    std::vector<std::uint32_t> elements;
    const std::uint32_t count = u32(nk.data, 20);
    const std::uint32_t list = u32(nk.data, 28);
    if (list == kNone) {
      if (count != 0) {
        f.count.push_back(fmt::format("the key declares {} subkeys but has no subkey list", count));
      }
      return elements;
    }
    if (auto what = on_path(list, nk.offset)) {
      f.cycle.push_back("its subkey list " + hex(list) + " is " + *what);
      return elements;
    }
    if (!in_bins(list)) {
      f.list.push_back("its subkey list " + hex(list) + " lies outside the hive bins");
      return elements;
    }
    auto cell = read_cell(list, 4 + 8 * kMaxListElements);
    if (!cell) {
      return elements;
    }
    lists.push_back(list);
    std::uint64_t total = 0;
    if (is_leaf(cell->data)) {
      total = read_leaf(*cell, nk.offset, elements, f);
    } else if (cell->data.size() >= 4 && has_sig(cell->data, "ri")) {
      total = read_index(*cell, nk.offset, lists, elements, f);
    } else {
      f.list.push_back("its subkey list " + hex(list) + " has no li/lf/lh/ri header");
      return elements;
    }
    // A walk cut short by a limit has not seen every leaf: no verdict on the count then.
    if (total != count && !stats_.limit_reached) {
      f.count.push_back(
          fmt::format("the key declares {} subkeys but its subkey list holds {}", count, total));
    }
    return elements;
  }

  /// Reads each element's key cell and name; elements that are not key cells are findings.
  std::vector<std::pair<Child, Cell>> read_children(const std::vector<std::uint32_t>& elements,
                                                    Findings& f) {
    std::vector<std::pair<Child, Cell>> out;
    std::size_t not_keys = 0;
    for (const std::uint32_t e : elements) {
      auto cell = read_cell(e, kNkFixed + kMaxNameBytes);
      if (!cell) {
        break;
      }
      if (!is_key(*cell)) {
        ++not_keys;
        continue;
      }
      // nk +2 flags (0x20: the name is Latin-1), +72 name length in bytes, name at +76.
      const bool compressed = (u16(cell->data, 2) & 0x20U) != 0;
      const std::size_t length =
          std::min<std::size_t>(u16(cell->data, 72), cell->data.size() - kNkFixed);
      std::string name;
      const std::span<const std::uint8_t> raw(cell->data.data() + kNkFixed, length);
      if (compressed) {
        for (const std::uint8_t b : raw) {
          name.push_back(b < 0x80 ? static_cast<char>(b) : '?');
        }
      } else {
        for (std::size_t i = 0; i + 1 < raw.size(); i += 2) {
          const auto unit = static_cast<std::uint16_t>(raw[i] | (raw[i + 1] << 8U));
          name.push_back(unit < 0x80 ? static_cast<char>(unit) : '?');
        }
      }
      out.emplace_back(Child{e, std::move(name)}, std::move(*cell));
    }
    if (not_keys > 0) {
      f.list.push_back(fmt::format(
          "{} of its {} subkey elements are not key (nk) cells", not_keys, elements.size()));
    }
    return out;
  }

  /// The segments a db segment list names: returns the bytes they can hold (at most 16,344
  /// each); entries pointing back at the db cell, the list or the vk, outside the bins, or
  /// repeated are problems.
  std::uint64_t read_segments(const Cell& list,
                              std::uint16_t segments,
                              std::uint32_t db,
                              std::uint32_t vk,
                              std::vector<std::string>& problems) {
    const std::uint64_t room = list.capacity / 4;
    if (segments > room) {
      problems.push_back(
          fmt::format("the db cell declares {} segments but its segment list holds at most {}",
                      segments,
                      room));
    }
    const std::uint64_t n = std::min<std::uint64_t>(segments, list.data.size() / 4);
    std::uint64_t held = 0;
    std::size_t self = 0;
    std::size_t outside = 0;
    std::size_t repeated = 0;
    std::set<std::uint32_t> seen;
    for (std::uint64_t i = 0; i < n && !stats_.limit_reached; ++i) {
      const std::uint32_t seg = u32(list.data, static_cast<std::size_t>(i) * 4);
      if (seg == db || seg == list.offset || seg == vk) {
        ++self;
      } else if (!in_bins(seg)) {
        ++outside;
      } else if (!seen.insert(seg).second) {
        ++repeated;
      } else if (auto s = read_cell(seg, 0)) {
        held += std::min<std::uint64_t>(s->capacity, kBigDataSegment);
      }
    }
    if (self > 0) {
      problems.push_back(fmt::format(
          "{} segment(s) point at the db cell, its segment list or the value itself", self));
    }
    if (outside > 0) {
      problems.push_back(fmt::format("{} segment(s) lie outside the hive bins", outside));
    }
    if (repeated > 0) {
      problems.push_back(fmt::format("{} segment(s) repeat an earlier one", repeated));
    }
    return held;
  }

  /// db cell: u16 segment count at +2, u32 segment-list offset at +4 (formats.md 10 "db").
  void check_big_data(std::uint32_t vk,
                      const Cell& db,
                      std::uint32_t declared,
                      const std::string& where) {
    std::vector<std::string> problems;
    const std::uint16_t segments = u16(db.data, 2);
    const std::uint32_t list = u32(db.data, 4);
    if (segments == 0) {
      problems.emplace_back("the db cell declares no segments");
    }
    std::uint64_t held = 0;
    if (list == db.offset || list == vk) {
      problems.push_back("its segment list " + hex(list) + " is the " +
                         (list == vk ? "value (vk) cell" : "db cell itself"));
    } else if (!in_bins(list)) {
      problems.push_back("its segment list " + hex(list) + " lies outside the hive bins");
    } else if (auto cell = read_cell(list, std::size_t{4} * segments)) {
      held = read_segments(*cell, segments, db.offset, vk, problems);
    }
    if (stats_.limit_reached) {
      return;
    }
    if (declared > held) {
      problems.push_back(fmt::format(
          "the value declares {} bytes of data but its segments hold at most {}", declared, held));
    }
    if (!problems.empty()) {
      warn(kStructureBigData, where, "big-data (db) value: " + text::join(problems, "; "));
    }
  }

  /// vk: +2 name length, +4 data size (bit 31: inline), +8 data offset, +16 flags (0x1: ASCII).
  void check_value(std::uint32_t vk, const std::string& location) {
    auto cell = read_cell(vk, kVkFixed + kMaxNameBytes);
    if (!cell || cell->data.size() < kVkFixed || !has_sig(cell->data, "vk")) {
      return;  // libregf reports values it cannot read
    }
    const std::uint32_t size = u32(cell->data, 4);
    const std::uint32_t data = u32(cell->data, 8);
    // Big data: versions 1.4+, more than one segment's worth, stored out of line.
    if ((size & 0x80000000U) != 0 || !big_data_ || size <= kBigDataSegment || !in_bins(data)) {
      return;
    }
    auto db = read_cell(data, 8);
    if (!db || db->data.size() < 8 || !has_sig(db->data, "db")) {
      return;
    }
    std::string name;
    const std::size_t length =
        std::min<std::size_t>(u16(cell->data, 2), cell->data.size() - kVkFixed);
    for (std::size_t i = 0; i < length; ++i) {
      const std::uint8_t b = cell->data[kVkFixed + i];
      name.push_back(b >= 0x20 && b < 0x80 ? static_cast<char>(b) : '?');
    }
    check_big_data(vk, *db, size, join_path(location, name.empty() ? "(default)" : name));
  }

  /// nk +36 value count, +40 value-list offset: the list is a cell of u32 vk offsets.
  void check_values(const Cell& nk, const std::string& location, Findings& f) {
    const std::uint32_t count = u32(nk.data, 36);
    const std::uint32_t list = u32(nk.data, 40);
    if (count == 0) {
      return;
    }
    if (list == kNone || !in_bins(list)) {
      f.values.push_back(fmt::format("the key declares {} values but its value list {} {}",
                                     count,
                                     hex(list),
                                     list == kNone ? "is missing" : "lies outside the hive bins"));
      return;
    }
    const std::size_t wanted = std::min<std::size_t>(count, kMaxValues);
    auto cell = read_cell(list, 4 * wanted);
    if (!cell) {
      return;
    }
    const std::uint64_t room = cell->capacity / 4;
    if (count > room) {
      f.values.push_back(fmt::format(
          "the key declares {} values but its value list cell holds at most {}", count, room));
    }
    const std::uint64_t n = std::min<std::uint64_t>(wanted, cell->data.size() / 4);
    for (std::uint64_t i = 0; i < n && !stats_.limit_reached; ++i) {
      const std::uint32_t vk = u32(cell->data, static_cast<std::size_t>(i) * 4);
      if (in_bins(vk)) {
        check_value(vk, location);
      }
    }
  }

  void report(const std::string& location, const Findings& f) {
    if (!f.count.empty()) {
      warn(kStructureSubkeyCount, location, examples(f.count));
    }
    if (!f.list.empty()) {
      warn(kStructureSubkeyList, location, "subkey list: " + examples(f.list));
    }
    if (!f.cycle.empty()) {
      warn(kStructureCycle, location, "cyclic reference (not followed): " + examples(f.cycle));
    }
    if (!f.values.empty()) {
      warn(kStructureValueCount, location, examples(f.values));
    }
  }

  /// Checks one key, then the targets below it. `path` is relative to the root ("" for the root);
  /// `location` is how diagnostics name the key.
  void visit(const Cell& nk,
             const std::string& location,
             const std::string& path,
             const Target& target,
             std::size_t depth) {
    ++stats_.keys_checked;
    Findings f;
    std::vector<std::uint32_t> lists;
    const std::vector<std::uint32_t> elements = check_subkeys(nk, lists, f);
    if (target.capture) {
      check_values(nk, location, f);
    }
    std::vector<std::pair<Child, Cell>> children;
    if (!stats_.limit_reached) {
      children = read_children(elements, f);
    }
    report(location, f);
    if (target.children.empty() || stats_.limit_reached) {
      return;
    }
    if (depth >= limits_.max_depth) {
      stop(fmt::format("keys nested deeper than {}", limits_.max_depth));
      return;
    }
    path_.push_back(Ancestor{nk.offset, location, std::move(lists)});
    for (const auto& [child, cell] : children) {
      for (const Target& t : target.children) {
        if (matches(t, child.name) && !stats_.limit_reached) {
          const std::string child_path = join_path(path, child.name);
          visit(cell, child_path, child_path, t, depth + 1);
        }
      }
    }
    path_.pop_back();
  }

  const ByteSource& src_;
  const std::string& source_;
  DiagnosticSink& sink_;
  HiveStructureLimits limits_;
  HiveStructureStats stats_;
  std::uint64_t bins_ = 0;
  std::uint64_t bytes_read_ = 0;
  bool big_data_ = false;
  std::vector<Ancestor> path_;
};

}  // namespace

HiveStructureStats check_system_structure(const ByteSource& hive,
                                          const std::string& source,
                                          DiagnosticSink& sink,
                                          const HiveStructureLimits& limits) {
  return Checker(hive, source, sink, limits).run();
}

HiveStructureStats check_system_structure(std::span<const std::uint8_t> image,
                                          const std::string& source,
                                          DiagnosticSink& sink,
                                          const HiveStructureLimits& limits) {
  const MemorySource memory(image, source);
  return Checker(memory, source, sink, limits).run();
}

}  // namespace smssaudit::readers
