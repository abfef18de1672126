// A tiny REGF reader for the writer's tests, written from formats.md §9-10 and independent of
// src/devtools: it checks layout invariants while rebuilding the key tree.
#pragma once

#include "devtools/hive_spec.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::testing {

/// What the walker found: the tree (as a HiveSpec, so tests can list it) and every broken rule.
struct WalkResult {
  devtools::HiveSpec hive;
  std::vector<std::string> problems;   ///< empty = every checked invariant holds
  std::map<std::string, int> records;  ///< count of each cell signature reached from the root
  std::uint32_t sk_refcount = 0;
  std::size_t key_count = 0;
  std::size_t bin_count = 0;
};

class RegfWalker {
 public:
  explicit RegfWalker(std::span<const std::uint8_t> file) : f_(file) {}

  WalkResult walk() {
    if (f_.size() < 4096 || !sig(0, "regf")) {
      problem("no regf base block");
      return std::move(r_);
    }
    check_base_block();
    walk_bins();
    const std::uint32_t root = u32(36);
    r_.hive.primary_sequence = u32(4);
    r_.hive.secondary_sequence = u32(8);
    r_.hive.minor_version = u32(24);
    r_.hive.last_written = u64(12);
    if (allocated_.count(root) == 0) {
      problem("root offset is not an allocated cell");
      return std::move(r_);
    }
    if (u16(cell(root) + 2) != 0x2C)
      problem("root nk flags are not 0x2C");
    read_key(root, 0xFFFFFFFFU, r_.hive.root);
    if (r_.sk_refcount != r_.key_count) {
      problem("sk refcount " + std::to_string(r_.sk_refcount) + " != keys " +
              std::to_string(r_.key_count));
    }
    for (const std::uint32_t off : allocated_) {
      if (referenced_.count(off) == 0)
        problem("allocated cell " + hex(off) + " is unreferenced");
    }
    return std::move(r_);
  }

 private:
  std::uint16_t u16(std::size_t at) const {
    return static_cast<std::uint16_t>(f_[at] | (f_[at + 1] << 8));
  }

  std::uint32_t u32(std::size_t at) const {
    return f_[at] | (static_cast<std::uint32_t>(f_[at + 1]) << 8U) |
           (static_cast<std::uint32_t>(f_[at + 2]) << 16U) |
           (static_cast<std::uint32_t>(f_[at + 3]) << 24U);
  }

  std::uint64_t u64(std::size_t at) const {
    return u32(at) | (static_cast<std::uint64_t>(u32(at + 4)) << 32U);
  }

  bool sig(std::size_t at, const char* s) const {
    for (std::size_t k = 0; s[k] != 0; ++k) {
      if (at + k >= f_.size() || f_[at + k] != static_cast<std::uint8_t>(s[k]))
        return false;
    }
    return true;
  }

  static std::string hex(std::uint32_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s = "0x";
    for (int shift = 28; shift >= 0; shift -= 4)
      s.push_back(kDigits[(v >> shift) & 0xFU]);
    return s;
  }

  void problem(const std::string& p) { r_.problems.push_back(p); }

  // File offset of a cell's data (after its size field); records the reference.
  std::size_t cell(std::uint32_t off) {
    if (allocated_.count(off) == 0)
      problem("reference to " + hex(off) + ", not an allocated cell");
    referenced_.insert(off);
    return 4096 + off + 4;
  }

  std::size_t cell_capacity(std::uint32_t off) const {
    return static_cast<std::size_t>(-static_cast<std::int32_t>(u32(4096 + off))) - 4;
  }

  void check_base_block() {
    std::uint32_t x = 0;
    for (std::size_t at = 0; at < 508; at += 4)
      x ^= u32(at);
    if (x == 0xFFFFFFFFU)
      x = 0xFFFFFFFEU;
    if (x == 0)
      x = 1;
    if (u32(508) != x)
      problem("base block checksum mismatch");
    if (u32(20) != 1)
      problem("major version is not 1");
    if (u32(28) != 0)
      problem("file type is not 0 (primary)");
    if (u32(32) != 1)
      problem("file format is not 1");
    if (u32(44) != 1)
      problem("clustering factor is not 1");
    if (u32(40) != f_.size() - 4096)
      problem("hive-bins size != sum of bins (file size - 4096)");
  }

  void walk_bins() {
    std::size_t pos = 0;
    const std::size_t total = f_.size() - 4096;
    while (pos < total) {
      const std::size_t bin = 4096 + pos;
      ++r_.bin_count;
      if (!sig(bin, "hbin")) {
        problem("no hbin at " + hex(static_cast<std::uint32_t>(pos)));
        return;
      }
      const std::uint32_t size = u32(bin + 8);
      if (u32(bin + 4) != pos)
        problem("hbin own offset wrong at " + hex(static_cast<std::uint32_t>(pos)));
      if (size == 0 || size % 4096 != 0 || pos + size > total) {
        problem("bad hbin size at " + hex(static_cast<std::uint32_t>(pos)));
        return;
      }
      std::size_t c = pos + 32;
      while (c < pos + size) {
        const auto raw = static_cast<std::int32_t>(u32(4096 + c));
        const std::size_t len =
            static_cast<std::size_t>(raw < 0 ? -static_cast<std::int64_t>(raw) : raw);
        if (len == 0 || len % 8 != 0 || c + len > pos + size) {
          problem("bad cell size at " + hex(static_cast<std::uint32_t>(c)));
          return;
        }
        if (c % 8 != 0)
          problem("cell not 8-aligned at " + hex(static_cast<std::uint32_t>(c)));
        if (raw < 0)
          allocated_.insert(static_cast<std::uint32_t>(c));
        c += len;
      }
      if (c != pos + size)
        problem("cells do not tile bin " + hex(static_cast<std::uint32_t>(pos)));
      pos += size;
    }
  }

  std::string ascii(std::size_t at, std::size_t len) const {
    return std::string(f_.begin() + static_cast<std::ptrdiff_t>(at),
                       f_.begin() + static_cast<std::ptrdiff_t>(at + len));
  }

  static std::string upper(std::string s) {
    for (char& c : s) {
      if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 32);
    }
    return s;
  }

  std::vector<std::uint8_t> read_data(std::uint32_t size_field, std::uint32_t off_field) {
    const std::uint32_t size = size_field & 0x7FFFFFFFU;
    if ((size_field & 0x80000000U) != 0) {
      if (size > 4)
        problem("inline data larger than 4 bytes");
      std::vector<std::uint8_t> d;
      for (std::uint32_t k = 0; k < size; ++k)
        d.push_back(static_cast<std::uint8_t>(off_field >> (8 * k)));
      return d;
    }
    if (size <= 4)
      problem("data of <= 4 bytes is not inline");
    const std::size_t at = cell(off_field);
    if (size > 16344 && u32(24) >= 4) {
      ++r_.records["db"];
      if (!sig(at, "db")) {
        problem("data above 16,344 bytes without a db cell");
        return {};
      }
      const std::uint16_t segments = u16(at + 2);
      const std::size_t list = cell(u32(at + 4));
      std::vector<std::uint8_t> d;
      for (std::uint16_t k = 0; k < segments; ++k) {
        const std::uint32_t seg = u32(list + 4U * k);
        const std::size_t seg_at = cell(seg);
        const std::size_t want = std::min<std::size_t>(16344, size - d.size());
        if (cell_capacity(seg) < want)
          problem("db segment too small");
        d.insert(d.end(),
                 f_.begin() + static_cast<std::ptrdiff_t>(seg_at),
                 f_.begin() + static_cast<std::ptrdiff_t>(seg_at + want));
      }
      if (d.size() != size)
        problem("db segments do not add up to the data size");
      return d;
    }
    if (cell_capacity(off_field) < size)
      problem("data cell smaller than the data");
    return {f_.begin() + static_cast<std::ptrdiff_t>(at),
            f_.begin() + static_cast<std::ptrdiff_t>(at + size)};
  }

  // Collects {nk offset, hash} from an lh leaf or an ri of leaves.
  void read_list(std::uint32_t off,
                 std::vector<std::pair<std::uint32_t, std::uint32_t>>& out,
                 bool allow_ri) {
    const std::size_t at = cell(off);
    const std::uint16_t n = u16(at + 2);
    if (sig(at, "lh")) {
      ++r_.records["lh"];
      for (std::uint16_t k = 0; k < n; ++k)
        out.emplace_back(u32(at + 4 + 8U * k), u32(at + 8 + 8U * k));
    } else if (sig(at, "ri") && allow_ri) {
      ++r_.records["ri"];
      for (std::uint16_t k = 0; k < n; ++k)
        read_list(u32(at + 4 + 4U * k), out, false);
    } else {
      problem("unexpected subkey list signature at " + hex(off));
    }
  }

  void read_key(std::uint32_t off, std::uint32_t parent, devtools::KeySpec& key) {
    const std::size_t at = cell(off);
    ++r_.key_count;
    ++r_.records["nk"];
    if (!sig(at, "nk")) {
      problem("no nk at " + hex(off));
      return;
    }
    const std::uint16_t flags = u16(at + 2);
    if (parent != 0xFFFFFFFFU && flags != 0x20)
      problem("non-root nk flags are not 0x20");
    if (parent != 0xFFFFFFFFU && u32(at + 16) != parent)
      problem("nk parent offset wrong");
    key.last_written = u64(at + 4);
    key.name = ascii(at + 76, u16(at + 72));
    const std::uint32_t sk = u32(at + 44);
    if (sk_ == 0xFFFFFFFFU) {
      sk_ = sk;
      const std::size_t s = cell(sk);
      if (!sig(s, "sk"))
        problem("no sk cell");
      if (u32(s + 4) != sk || u32(s + 8) != sk)
        problem("lone sk does not link to itself");
      r_.sk_refcount = u32(s + 12);
    } else if (sk != sk_) {
      problem("keys do not share one sk");
    }
    if (u32(at + 48) != 0xFFFFFFFFU) {
      const std::size_t c = cell(u32(at + 48));
      std::string cls;
      for (std::size_t k = 0; k + 1 < u16(at + 74); k += 2)
        cls.push_back(static_cast<char>(f_[c + k]));
      key.class_name = cls;
    }
    // Values.
    const std::uint32_t nvalues = u32(at + 36);
    std::uint32_t max_name = 0, max_data = 0;
    if (nvalues > 0) {
      const std::size_t list = cell(u32(at + 40));
      for (std::uint32_t k = 0; k < nvalues; ++k) {
        const std::size_t vk = cell(u32(list + 4U * k));
        ++r_.records["vk"];
        if (!sig(vk, "vk")) {
          problem("no vk");
          continue;
        }
        devtools::ValueSpec v;
        v.name = ascii(vk + 20, u16(vk + 2));
        v.type = u32(vk + 12);
        if (!v.name.empty() && (u16(vk + 16) & 1U) == 0)
          problem("value name not flagged ASCII");
        v.data = read_data(u32(vk + 4), u32(vk + 8));
        max_name = std::max<std::uint32_t>(max_name, static_cast<std::uint32_t>(2 * v.name.size()));
        max_data = std::max<std::uint32_t>(max_data, static_cast<std::uint32_t>(v.data.size()));
        key.values.push_back(std::move(v));
      }
    } else if (u32(at + 40) != 0xFFFFFFFFU) {
      problem("no values but a value list offset");
    }
    if (u32(at + 60) < max_name || u32(at + 64) < max_data)
      problem("largest value fields too small");
    // Subkeys.
    const std::uint32_t nsub = u32(at + 20);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> children;
    if (nsub > 0)
      read_list(u32(at + 28), children, true);
    if (children.size() != nsub)
      problem("subkey count != list elements in " + key.name);
    std::uint32_t max_sub = 0;
    std::string previous;
    for (const auto& [child_off, hash] : children) {
      devtools::KeySpec child;
      read_key(child_off, off, child);
      const std::string up = upper(child.name);
      std::uint32_t h = 0;
      for (const char c : up)
        h = 37U * h + static_cast<std::uint8_t>(c);
      if (h != hash)
        problem("wrong lh hash for " + child.name);
      if (!previous.empty() && !(previous < up))
        problem("subkeys not sorted at " + child.name);
      previous = up;
      max_sub = std::max<std::uint32_t>(max_sub, static_cast<std::uint32_t>(2 * child.name.size()));
      key.subkeys.push_back(std::move(child));
    }
    if (u32(at + 52) < max_sub)
      problem("largest subkey name field too small");
  }

  std::span<const std::uint8_t> f_;
  WalkResult r_;
  std::set<std::uint32_t> allocated_;
  std::set<std::uint32_t> referenced_;
  std::uint32_t sk_ = 0xFFFFFFFFU;
};

inline WalkResult walk_regf(std::span<const std::uint8_t> file) {
  return RegfWalker(file).walk();
}

}  // namespace smssaudit::testing
