// Binary XML templates and the 64 KiB chunk encoder of the EVTX writer (formats.md §§2-4, §8).
#pragma once

#include "evtx_values.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace smssaudit::devtools::evtx {

inline constexpr std::size_t kChunkSize = 65536;
inline constexpr std::size_t kChunkHeaderSize = 512;  ///< header + string and template tables

/// A substitution token inside a template: value `index` of the instance, declared `type`.
/// Optional (0x0E) substitutions make a Null value drop the element or attribute.
struct Substitution {
  std::uint16_t index = 0;
  ValueType type = ValueType::kNull;
  bool optional = false;
};

/// Attribute content: literal text (when `sub` is empty) or a substitution.
struct Attribute {
  std::string name;
  std::string text;
  std::optional<Substitution> sub;
};

struct Element;

/// One piece of element content: a child element, literal text or a substitution.
struct Node {
  enum class Kind : std::uint8_t { kElement, kText, kSubstitution };
  Kind kind = Kind::kText;
  std::vector<Element> element;  ///< exactly one entry when kind == kElement
  std::string text;
  Substitution sub;
};

/// A template element. Content is written as given; an element without content is written as an
/// empty element (`/>`).
struct Element {
  std::string name;
  std::vector<Attribute> attributes;
  std::vector<Node> content;

  Element& attr(std::string attr_name, std::string literal);
  Element& attr_sub(std::string attr_name, Substitution s);
  Element& child(Element e);
  Element& text(std::string literal);
  Element& sub(Substitution s);
};

/// A template: one element tree plus its GUID, derived from the structure (formats.md §4.4:
/// one GUID per distinct structure, like a content hash).
class Template {
 public:
  explicit Template(Element root);

  const Element& root() const { return root_; }

  const std::array<std::uint8_t, 16>& guid() const { return guid_; }

 private:
  Element root_;
  std::array<std::uint8_t, 16> guid_{};
};

/// What one record holds: the outer template with its values, one of which (`fragment_index`) is
/// a nested BinXML fragment instantiating `inner` with `inner_values`.
struct RecordInput {
  std::uint64_t record_id = 0;
  std::uint64_t written_time = 0;  ///< FILETIME of the record header
  const Template* outer = nullptr;
  std::vector<EncodedValue> outer_values;  ///< the entry at fragment_index is ignored
  std::size_t fragment_index = 0;
  const Template* inner = nullptr;
  std::vector<EncodedValue> inner_values;
};

/// Builds one chunk. Names and templates are defined inline at their first use in the chunk and
/// referenced afterwards; the string table (hash % 64) and template table chain them.
class ChunkBuilder {
 public:
  /// `first_number`: the running record number (from 1 in the file) of the chunk's first record.
  explicit ChunkBuilder(std::uint64_t first_number);

  /// Appends the record when it fits in the chunk; false (chunk unchanged) when it does not.
  bool try_append(const RecordInput& record);

  std::size_t record_count() const { return record_count_; }

  /// The finished 64 KiB chunk: header fields, tables, records CRC, then header CRC.
  std::vector<std::uint8_t> finish() const;

 private:
  struct State {
    std::map<std::string, std::uint32_t> names;
    std::array<std::uint32_t, 64> string_table{};
    std::map<std::array<std::uint8_t, 16>, std::uint32_t> templates;
    std::array<std::uint32_t, 32> template_table{};
  };

  std::vector<std::uint8_t> data_;
  State state_;
  std::uint64_t first_number_;
  std::uint64_t first_id_ = 0;
  std::uint64_t last_id_ = 0;
  std::size_t record_count_ = 0;
  std::uint32_t free_ = kChunkHeaderSize;
  std::uint32_t last_record_ = 0;
};

/// zlib-compatible CRC-32 (reflected 0xEDB88320, init and final complement).
std::uint32_t crc32(const std::uint8_t* data, std::size_t size, std::uint32_t crc = 0);

/// Name hash of the chunk string table: h = h * 65599 + unit over UTF-16 units, low 16 bits.
std::uint16_t name_hash(const std::string& name);

}  // namespace smssaudit::devtools::evtx
