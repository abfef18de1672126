// Binary XML encoder: templates written inline at first use, names through the chunk string
// table, nested EventData fragments built at their final chunk position (formats.md §8).
#include "binxml.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace smssaudit::devtools::evtx {

namespace {

// BinXML tokens (formats.md §4.1).
constexpr std::uint8_t kTokenEndOfStream = 0x00;
constexpr std::uint8_t kTokenOpenStart = 0x01;
constexpr std::uint8_t kTokenOpenStartWithAttributes = 0x41;
constexpr std::uint8_t kTokenCloseStart = 0x02;
constexpr std::uint8_t kTokenCloseEmpty = 0x03;
constexpr std::uint8_t kTokenEndElement = 0x04;
constexpr std::uint8_t kTokenValue = 0x05;
constexpr std::uint8_t kTokenAttribute = 0x06;
constexpr std::uint8_t kTokenMoreAttributes = 0x46;
constexpr std::uint8_t kTokenTemplateInstance = 0x0C;
constexpr std::uint8_t kTokenNormalSubstitution = 0x0D;
constexpr std::uint8_t kTokenOptionalSubstitution = 0x0E;
constexpr std::array<std::uint8_t, 4> kFragmentHeader = {0x0F, 0x01, 0x01, 0x00};

constexpr std::uint16_t kNoDependency = 0xFFFF;
constexpr std::array<std::uint8_t, 4> kRecordMagic = {0x2A, 0x2A, 0x00, 0x00};
constexpr std::array<char, 8> kChunkMagic = {'E', 'l', 'f', 'C', 'h', 'n', 'k', '\0'};
constexpr std::uint32_t kChunkHeaderFieldsSize = 128;
constexpr std::uint32_t kChunkFlags = 1;  // what Windows writes on every chunk (formats.md §2)
constexpr std::size_t kStringTableOffset = 128;
constexpr std::size_t kTemplateTableOffset = 384;

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k)
      c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
    table.at(n) = c;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

void fnv(std::uint64_t& h, std::string_view s) {
  for (const char c : s) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001B3ULL;
  }
  h ^= 0xFF;  // separator
  h *= 0x100000001B3ULL;
}

// A canonical text of the structure, hashed into the template GUID.
void describe(const Element& e, std::string& out) {
  out += "<" + e.name;
  for (const auto& a : e.attributes) {
    out += " " + a.name + "=";
    out += a.sub ? "$" + std::to_string(a.sub->index) + ":" +
                       std::to_string(static_cast<int>(a.sub->type)) + (a.sub->optional ? "?" : "")
                 : "'" + a.text + "'";
  }
  out += ">";
  for (const auto& n : e.content) {
    switch (n.kind) {
      case Node::Kind::kElement:
        describe(n.element.front(), out);
        break;
      case Node::Kind::kText:
        out += "'" + n.text + "'";
        break;
      case Node::Kind::kSubstitution:
        out += "$" + std::to_string(n.sub.index) + ":" +
               std::to_string(static_cast<int>(n.sub.type)) + (n.sub.optional ? "?" : "");
        break;
    }
  }
  out += "</>";
}

// The index of the optional substitution forming an element's content: Windows writes it as the
// element's dependency id (formats.md §4.2), 0xFFFF otherwise.
std::uint16_t dependency_of(const Element& e) {
  for (const auto& n : e.content) {
    if (n.kind == Node::Kind::kSubstitution && n.sub.optional)
      return n.sub.index;
  }
  return kNoDependency;
}

/// Writes BinXML bytes that will sit at chunk offset `base` onwards, defining names and templates
/// in `state` as it goes.
template <typename State>
class Encoder {
 public:
  Encoder(std::uint32_t base, State& state) : base_(base), state_(state) {}

  std::uint32_t pos() const { return base_ + static_cast<std::uint32_t>(out_.size()); }

  std::vector<std::uint8_t>& bytes() { return out_; }

  void u8(std::uint8_t v) { out_.push_back(v); }

  void u16(std::uint16_t v) { put(v, 2); }

  void u32(std::uint32_t v) { put(v, 4); }

  void u64(std::uint64_t v) { put(v, 8); }

  void raw(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }

  void patch_u32(std::size_t local, std::uint32_t v) {
    for (std::size_t k = 0; k < 4; ++k)
      out_[local + k] = static_cast<std::uint8_t>(v >> (8 * k));
  }

  void patch_u16(std::size_t local, std::uint16_t v) {
    out_[local] = static_cast<std::uint8_t>(v & 0xFF);
    out_[local + 1] = static_cast<std::uint8_t>(v >> 8);
  }

  /// A template instance with its values; `fragment` (when set) is the value index holding the
  /// nested `inner` instance.
  void instance(const Template& t,
                const std::vector<EncodedValue>& values,
                std::optional<std::size_t> fragment,
                const Template* inner,
                const std::vector<EncodedValue>* inner_values) {
    const std::uint32_t start = pos();
    u8(kTokenTemplateInstance);
    u8(0x01);
    raw(t.guid().data(), 4);  // template id = first 4 GUID bytes
    const auto known = state_.templates.find(t.guid());
    if (known != state_.templates.end()) {
      u32(known->second);
    } else {
      const std::uint32_t def = start + 10;
      u32(def);
      definition(t, def);
    }
    u32(static_cast<std::uint32_t>(values.size()));
    const std::size_t descriptors = out_.size();
    for (const auto& v : values) {
      u16(static_cast<std::uint16_t>(v.bytes.size()));
      u8(static_cast<std::uint8_t>(v.type));
      u8(0);
    }
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (fragment && *fragment == k && inner != nullptr && inner_values != nullptr) {
        // Built in place: the inline-definition rules compare absolute chunk offsets.
        const std::size_t before = out_.size();
        raw(kFragmentHeader.data(), kFragmentHeader.size());
        instance(*inner, *inner_values, std::nullopt, nullptr, nullptr);
        u8(kTokenEndOfStream);
        patch_u16(descriptors + 4 * k, static_cast<std::uint16_t>(out_.size() - before));
        out_[descriptors + 4 * k + 2] = static_cast<std::uint8_t>(ValueType::kBinXml);
      } else {
        raw(values[k].bytes.data(), values[k].bytes.size());
      }
    }
  }

 private:
  void put(std::uint64_t v, std::size_t size) {
    for (std::size_t k = 0; k < size; ++k)
      out_.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
  }

  void definition(const Template& t, std::uint32_t def) {
    // Chain into the template table: bucket = template id % 32 (Windows' own bucket function is
    // unknown, formats.md §2), next = the previous head of that bucket.
    const std::uint32_t id = static_cast<std::uint32_t>(t.guid()[0]) |
                             (static_cast<std::uint32_t>(t.guid()[1]) << 8U) |
                             (static_cast<std::uint32_t>(t.guid()[2]) << 16U) |
                             (static_cast<std::uint32_t>(t.guid()[3]) << 24U);
    auto& head = state_.template_table.at(id % 32);
    u32(head);
    raw(t.guid().data(), t.guid().size());
    const std::size_t size_field = out_.size();
    u32(0);
    raw(kFragmentHeader.data(), kFragmentHeader.size());
    element(t.root());
    u8(kTokenEndOfStream);
    patch_u32(size_field, static_cast<std::uint32_t>(out_.size() - size_field - 4));
    head = def;
    state_.templates.emplace(t.guid(), def);
  }

  void name(const std::string& n) {
    const auto known = state_.names.find(n);
    if (known != state_.names.end()) {
      u32(known->second);
      return;
    }
    const std::uint32_t at = pos() + 4;  // defined in place, right after this offset field
    u32(at);
    const std::uint16_t hash = name_hash(n);
    auto& head = state_.string_table.at(hash % 64);
    u32(head);
    u16(hash);
    const auto units = utf16le(n);
    u16(static_cast<std::uint16_t>(units.size() / 2));
    raw(units.data(), units.size());
    u16(0);
    head = at;
    state_.names.emplace(n, at);
  }

  void substitution(const Substitution& s) {
    u8(s.optional ? kTokenOptionalSubstitution : kTokenNormalSubstitution);
    u16(s.index);
    u8(static_cast<std::uint8_t>(s.type));
  }

  void value_text(const std::string& text) {
    const auto units = utf16le(text);
    u8(kTokenValue);
    u8(static_cast<std::uint8_t>(ValueType::kString));
    u16(static_cast<std::uint16_t>(units.size() / 2));
    raw(units.data(), units.size());
  }

  void element(const Element& e) {
    u8(e.attributes.empty() ? kTokenOpenStart : kTokenOpenStartWithAttributes);
    u16(dependency_of(e));
    const std::size_t size_field = out_.size();
    u32(0);
    name(e.name);
    if (!e.attributes.empty()) {
      const std::size_t list_field = out_.size();
      u32(0);
      for (std::size_t k = 0; k < e.attributes.size(); ++k) {
        const Attribute& a = e.attributes[k];
        u8(k + 1 < e.attributes.size() ? kTokenMoreAttributes : kTokenAttribute);
        name(a.name);
        if (a.sub) {
          substitution(*a.sub);
        } else {
          value_text(a.text);
        }
      }
      patch_u32(list_field, static_cast<std::uint32_t>(out_.size() - list_field - 4));
    }
    if (e.content.empty()) {
      u8(kTokenCloseEmpty);
    } else {
      u8(kTokenCloseStart);
      for (const Node& n : e.content) {
        switch (n.kind) {
          case Node::Kind::kElement:
            element(n.element.front());
            break;
          case Node::Kind::kText:
            value_text(n.text);
            break;
          case Node::Kind::kSubstitution:
            substitution(n.sub);
            break;
        }
      }
      u8(kTokenEndElement);
    }
    patch_u32(size_field, static_cast<std::uint32_t>(out_.size() - size_field - 4));
  }

  std::uint32_t base_;
  State& state_;
  std::vector<std::uint8_t> out_;
};

void put_at(std::vector<std::uint8_t>& b, std::size_t off, std::uint64_t v, std::size_t size) {
  for (std::size_t k = 0; k < size; ++k)
    b[off + k] = static_cast<std::uint8_t>(v >> (8 * k));
}

}  // namespace

Element& Element::attr(std::string attr_name, std::string literal) {
  attributes.push_back(Attribute{std::move(attr_name), std::move(literal), std::nullopt});
  return *this;
}

Element& Element::attr_sub(std::string attr_name, Substitution s) {
  attributes.push_back(Attribute{std::move(attr_name), {}, s});
  return *this;
}

Element& Element::child(Element e) {
  Node n;
  n.kind = Node::Kind::kElement;
  n.element.push_back(std::move(e));
  content.push_back(std::move(n));
  return *this;
}

Element& Element::text(std::string literal) {
  Node n;
  n.kind = Node::Kind::kText;
  n.text = std::move(literal);
  content.push_back(std::move(n));
  return *this;
}

Element& Element::sub(Substitution s) {
  Node n;
  n.kind = Node::Kind::kSubstitution;
  n.sub = s;
  content.push_back(std::move(n));
  return *this;
}

Template::Template(Element root) : root_(std::move(root)) {
  std::string text;
  describe(root_, text);
  std::uint64_t a = 0xCBF29CE484222325ULL;
  std::uint64_t b = 0x84222325CBF29CE4ULL;
  fnv(a, text);
  fnv(b, "smssaudit-mkevtx");
  fnv(b, text);
  for (std::size_t k = 0; k < 8; ++k) {
    guid_.at(k) = static_cast<std::uint8_t>(a >> (8 * k));
    guid_.at(k + 8) = static_cast<std::uint8_t>(b >> (8 * k));
  }
}

ChunkBuilder::ChunkBuilder(std::uint64_t first_number)
    : data_(kChunkSize, 0), first_number_(first_number) {}

bool ChunkBuilder::try_append(const RecordInput& record) {
  State trial = state_;  // committed only when the record fits
  Encoder<State> enc(free_, trial);
  enc.raw(kRecordMagic.data(), kRecordMagic.size());
  enc.u32(0);  // size, patched below
  enc.u64(record.record_id);
  enc.u64(record.written_time);
  enc.raw(kFragmentHeader.data(), kFragmentHeader.size());
  enc.instance(*record.outer,
               record.outer_values,
               record.fragment_index,
               record.inner,
               &record.inner_values);
  enc.u8(kTokenEndOfStream);
  // Padding to a multiple of 8, then the size copy (formats.md §3).
  const std::size_t size = (enc.bytes().size() + 4 + 7) / 8 * 8;
  enc.bytes().resize(size - 4, 0);
  enc.u32(static_cast<std::uint32_t>(size));
  enc.patch_u32(4, static_cast<std::uint32_t>(size));
  if (free_ + size > kChunkSize)
    return false;
  std::copy(enc.bytes().begin(), enc.bytes().end(), data_.begin() + free_);
  state_ = std::move(trial);
  if (record_count_ == 0)
    first_id_ = record.record_id;
  last_id_ = record.record_id;
  last_record_ = free_;
  free_ += static_cast<std::uint32_t>(size);
  ++record_count_;
  return true;
}

std::vector<std::uint8_t> ChunkBuilder::finish() const {
  std::vector<std::uint8_t> c = data_;
  std::memcpy(c.data(), kChunkMagic.data(), kChunkMagic.size());
  const std::uint64_t last_number = first_number_ + record_count_ - (record_count_ > 0 ? 1 : 0);
  put_at(c, 8, first_number_, 8);
  put_at(c, 16, last_number, 8);
  put_at(c, 24, first_id_, 8);
  put_at(c, 32, last_id_, 8);
  put_at(c, 40, kChunkHeaderFieldsSize, 4);
  put_at(c, 44, last_record_, 4);
  put_at(c, 48, free_, 4);
  put_at(c, 120, kChunkFlags, 4);
  for (std::size_t k = 0; k < state_.string_table.size(); ++k)
    put_at(c, kStringTableOffset + 4 * k, state_.string_table.at(k), 4);
  for (std::size_t k = 0; k < state_.template_table.size(); ++k)
    put_at(c, kTemplateTableOffset + 4 * k, state_.template_table.at(k), 4);
  // The header CRC covers offset 52, so the records CRC comes first (formats.md §2).
  put_at(c, 52, crc32(c.data() + kChunkHeaderSize, free_ - kChunkHeaderSize), 4);
  std::uint32_t header_crc = crc32(c.data(), 120);
  header_crc = crc32(c.data() + 128, kChunkHeaderSize - 128, header_crc);
  put_at(c, 124, header_crc, 4);
  return c;
}

std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc) {
  crc = ~crc;
  for (std::size_t k = 0; k < size; ++k)
    crc = kCrcTable.at((crc ^ data[k]) & 0xFFU) ^ (crc >> 8U);
  return ~crc;
}

std::uint16_t name_hash(const std::string& name) {
  const auto units = utf16le(name);
  std::uint32_t h = 0;
  for (std::size_t k = 0; k + 1 < units.size(); k += 2) {
    const auto unit = static_cast<std::uint32_t>(units[k] | (units[k + 1] << 8U));
    h = h * 65599U + unit;
  }
  return static_cast<std::uint16_t>(h & 0xFFFFU);
}

}  // namespace smssaudit::devtools::evtx
