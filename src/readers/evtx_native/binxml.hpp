// Native EVTX scanner, chunk level: binary XML templates compiled once per chunk, and the fields
// the analyzer needs read straight from each record's template instance (formats.md Part A, 4-7).
// No XML is rendered. Every offset and length is checked against the 64 KiB chunk it belongs to;
// a record that cannot be parsed is "unreadable" (as libevtx would call it), and a construct that
// is valid but that this scanner does not reproduce exactly as libevtx renders it makes the record
// "unsupported", which sends the whole file to the libevtx engine (evtx_native_reader.cpp).
#pragma once

#include "readers/evtx_normalise.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace smssaudit::readers::evtx_native {

inline constexpr std::size_t kChunkSize = 65536;
inline constexpr std::size_t kChunkHeaderSize = 512;
inline constexpr std::size_t kRecordHeaderSize = 24;

// ---- Hostile-input bounds (formats.md 7.9) -----------------------------------------------------

/// Elements nested deeper than this in one template make the template unreadable.
inline constexpr int kMaxElementDepth = 32;
/// Template instances nested through BinXml (0x21) values; the corpus nests one level.
inline constexpr int kMaxFragmentDepth = 4;
/// Nodes (elements) in one compiled template: a 64 KiB chunk holds far fewer real ones.
inline constexpr std::size_t kMaxTemplateNodes = 4096;
/// Values in one template instance (each costs a 4-byte descriptor, so 16,384 fill a chunk).
inline constexpr std::uint32_t kMaxValues = 16384;
/// Nested (BinXml) template instances parsed for one record. Real records have one (EventData);
/// without a budget, values whose fragments share bytes could make the work grow exponentially
/// with the nesting depth.
inline constexpr int kMaxNestedPerRecord = 64;

/// One piece of an element's content or an attribute's value, in document order.
struct Part {
  enum class Kind : std::uint8_t { kText, kSubstitution, kElement };
  Kind kind = Kind::kText;
  bool optional = false;     ///< 0x0E: a Null value omits the enclosing attribute
  std::uint16_t index = 0;   ///< substitution index (kSubstitution)
  std::uint32_t target = 0;  ///< text index into Template::texts, or node index (kElement)
};

/// A run of parts in Template::parts: an element's content or an attribute's value.
struct PartRange {
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
};

struct Attribute {
  std::string name;  ///< UTF-8, as written (with any prefix)
  PartRange value;
};

struct Node {
  std::string name;                    ///< UTF-8, as written (with any prefix)
  std::uint16_t dependency = 0xFFFF;   ///< optional substitution whose Null value omits the element
  std::uint32_t attributes_begin = 0;  ///< the node's attributes: a run in Template::attributes
  std::uint32_t attributes_size = 0;
  PartRange content;
};

/// Where the System fields of an <Event> template live: resolved once when the template is
/// compiled (formats.md 7.6), so a record costs a few value look-ups.
struct SystemPlan {
  bool has_event = false;      ///< the template's root is a literal <Event> with <System>
  std::int32_t event = -1;     ///< node index of Event
  std::int32_t provider = -1;  ///< System/Provider element
  std::int32_t event_id = -1;  ///< System/EventID element
  std::int32_t channel = -1;   ///< System/Channel element
  std::int32_t time_created = -1;
  std::int32_t version = -1;
  std::int32_t record_id = -1;
};

/// A compiled template definition: its element tree, with the substitutions each instance fills
/// in marked where they stand. The tree is flat (every node, attribute and part in one array each,
/// nodes pointing at runs of the others): a chunk compiles each of its templates, and per-node
/// vectors made allocation the larger part of compiling (issue 8).
struct Template {
  bool ok = false;
  std::string problem;                 ///< why not ok
  std::uint32_t data_end = 0;          ///< chunk offset just past the definition (for inline skips)
  std::vector<Node> nodes;             ///< nodes[0..] in document order
  std::vector<Attribute> attributes;   ///< every node's attributes, each node's a run
  std::vector<Part> parts;             ///< every content and attribute value, each a run
  PartRange roots;                     ///< top-level content of the fragment
  std::vector<std::string> texts;      ///< literal texts, UTF-8
  std::int32_t max_substitution = -1;  ///< highest substitution index used, -1 for none
  SystemPlan plan;

  [[nodiscard]] std::span<const Part> parts_of(PartRange r) const {
    return std::span<const Part>(parts).subspan(r.begin, r.size);
  }

  [[nodiscard]] std::span<const Part> content_of(std::size_t node) const {
    return parts_of(nodes[node].content);
  }

  [[nodiscard]] std::span<const Attribute> attributes_of(std::size_t node) const {
    return std::span<const Attribute>(attributes)
        .subspan(nodes[node].attributes_begin, nodes[node].attributes_size);
  }
};

/// A value of one template instance: type and the chunk range of its bytes.
struct Value {
  std::uint8_t type = 0;
  std::uint32_t offset = 0;
  std::uint16_t size = 0;
};

/// One template instance: its compiled template and its values.
struct Instance {
  const Template* tmpl = nullptr;
  std::vector<Value> values;
};

/// What the scanner takes from one record.
struct RecordView {
  enum class Status : std::uint8_t {
    kOk,           ///< parsed; the fields below are valid
    kUnreadable,   ///< the binary XML cannot be parsed (libevtx would fail too)
    kUnsupported,  ///< valid, but not reproduced exactly here: use the libevtx engine
  };
  Status status = Status::kOk;
  std::string problem;
  std::uint64_t header_id = 0;
  std::uint64_t written = 0;
  std::uint16_t event_id = 0;
  /// Provider/@Name or @EventSourceName, as the XML would show it, and its lower-case form. Both
  /// point into the ChunkParser and stay valid until its next read_record.
  std::string_view provider;
  std::string_view provider_key;
  bool relevant = false;
  /// Only for relevant records (and channel look-ups): the texts normalisation needs.
  evtx::RecordFields fields;
};

/// Parses and caches the templates of one chunk. Not thread-safe: one per worker and chunk.
class ChunkParser {
 public:
  explicit ChunkParser(std::span<const std::uint8_t> chunk) : c_(chunk) {}

  /// Reads the record at `offset` (its header already validated: signature, size, size copy).
  /// `want_channel` asks for the channel of an irrelevant record too.
  RecordView read_record(std::uint32_t offset, std::uint32_t size, bool want_channel);

  /// Compiles (once) the template definition at `def_offset`; also a test hook.
  const Template& template_at(std::uint32_t def_offset);

  /// A fragment at [offset, end): optional 0F 01 01 00, then one template instance. False when it
  /// is anything else or cannot be parsed. `depth` counts BinXml nesting.
  bool parse_fragment(std::uint32_t offset, std::uint32_t end, Instance& out, int depth);

  /// Takes one nested instance from the record's budget; false when it is spent.
  bool take_nested() { return nested_budget_-- > 0; }

  /// A bounded reader over the chunk (binxml.cpp).
  struct Cursor;

 private:
  /// Sets rv.provider / provider_key / relevant; a run of records of one provider (the usual
  /// case) costs one comparison of the raw UTF-16 bytes each.
  void provider_of(const Instance& top, RecordView& rv);
  bool values_readable(const Instance& in, int depth);
  bool parse_instance(Cursor& cur, Instance& out, int depth);
  const Template& compile(std::uint32_t def_offset);

  std::span<const std::uint8_t> c_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Template>> templates_;
  /// Value buffers reused from record to record, one per BinXml nesting depth.
  std::array<Instance, kMaxFragmentDepth + 1> scratch_;
  int nested_budget_ = 0;  ///< nested instances this record may still parse
  // The last provider seen: its raw UTF-16 value (when Name is one string substitution), text,
  // lower-case key and relevance class.
  std::string provider_raw_;
  bool provider_cached_ = false;
  std::string provider_text_;
  std::string provider_key_;
  evtx::Provider provider_class_ = evtx::Provider::kOther;
};

// ---- Value rendering (exposed for tests) ------------------------------------------------------

/// UTF-16LE to UTF-8, stopping at the first NUL. False on an unpaired surrogate (`out` then holds
/// no meaningful text).
bool utf16_to_utf8(std::span<const std::uint8_t> bytes, std::string& out);

/// FILETIME as libevtx prints it: "2019-02-13T18:01:41.593830000Z"; "" past year 9999.
std::string filetime_text(std::uint64_t ft);

/// The text libevtx renders for one substitution value; nullopt when this scanner does not
/// reproduce the type's rendering (arrays, EvtHandle, ...).
std::optional<std::string> value_text(std::span<const std::uint8_t> chunk, const Value& v);

/// value_text appended to `out`; false, with `out` unchanged, where value_text gives nullopt.
bool append_value_text(std::span<const std::uint8_t> chunk, const Value& v, std::string& out);

}  // namespace smssaudit::readers::evtx_native
