// Native EVTX scanner, chunk level (see binxml.hpp). The parser is written from formats.md Part A;
// where libevtx's behaviour matters (what counts as unreadable, how a value is shown as text) the
// differential test tests/corpus/evtx_engine_diff_test.cpp is the judge.
#include "readers/evtx_native/binxml.hpp"

#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/evtx_reader.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace smssaudit::readers::evtx_native {
namespace {

// Binary XML tokens (formats.md 4.1); the 0x40 bit means "more follows" / "has attributes".
constexpr std::uint8_t kTokEof = 0x00;
constexpr std::uint8_t kTokOpen = 0x01;
constexpr std::uint8_t kTokCloseStart = 0x02;
constexpr std::uint8_t kTokCloseEmpty = 0x03;
constexpr std::uint8_t kTokEnd = 0x04;
constexpr std::uint8_t kTokValue = 0x05;
constexpr std::uint8_t kTokAttribute = 0x06;
constexpr std::uint8_t kTokCdata = 0x07;
constexpr std::uint8_t kTokCharRef = 0x08;
constexpr std::uint8_t kTokEntityRef = 0x09;
constexpr std::uint8_t kTokPiTarget = 0x0A;
constexpr std::uint8_t kTokPiData = 0x0B;
constexpr std::uint8_t kTokInstance = 0x0C;
constexpr std::uint8_t kTokSubst = 0x0D;
constexpr std::uint8_t kTokOptSubst = 0x0E;
constexpr std::uint8_t kTokFragment = 0x0F;
constexpr std::uint8_t kTokMore = 0x40;

// Value types (formats.md 5).
constexpr std::uint8_t kTypeNull = 0x00;
constexpr std::uint8_t kTypeString = 0x01;
constexpr std::uint8_t kTypeAnsi = 0x02;
constexpr std::uint8_t kTypeInt8 = 0x03;
constexpr std::uint8_t kTypeUInt64 = 0x0A;
constexpr std::uint8_t kTypeGuid = 0x0F;
constexpr std::uint8_t kTypeSizeT = 0x10;
constexpr std::uint8_t kTypeFiletime = 0x11;
constexpr std::uint8_t kTypeSystemtime = 0x12;
constexpr std::uint8_t kTypeSid = 0x13;
constexpr std::uint8_t kTypeHex32 = 0x14;
constexpr std::uint8_t kTypeHex64 = 0x15;
constexpr std::uint8_t kTypeBinXml = 0x21;

// Template definition header: next offset, GUID, data size (formats.md 4.4).
constexpr std::uint32_t kDefinitionHeader = 24;

std::uint16_t rd16(std::span<const std::uint8_t> c, std::size_t off) {
  return static_cast<std::uint16_t>(c[off] | (c[off + 1] << 8U));
}

std::uint32_t rd32(std::span<const std::uint8_t> c, std::size_t off) {
  return static_cast<std::uint32_t>(c[off]) | (static_cast<std::uint32_t>(c[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(c[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(c[off + 3]) << 24U);
}

std::uint64_t rd64(std::span<const std::uint8_t> c, std::size_t off) {
  return static_cast<std::uint64_t>(rd32(c, off)) |
         (static_cast<std::uint64_t>(rd32(c, off + 4)) << 32U);
}

std::string_view local_name(std::string_view n) {
  const std::size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

/// Writes `cp` as UTF-8 at `w` (room for 4 bytes) and returns the end of what it wrote. Inlined
/// (as next_code_point) because it runs once per character of every string a relevant record holds:
/// as calls, the two cost the scanner 10 % more instructions (callgrind: 708 M against 645 M).
[[gnu::always_inline]] inline char* put_utf8(char* w, std::uint32_t cp) {
  auto put = [&w](std::uint32_t byte) {
    *w++ = static_cast<char>(byte);
  };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0U | (cp >> 6U));
    put(0x80U | (cp & 0x3FU));
  } else if (cp < 0x10000) {
    put(0xE0U | (cp >> 12U));
    put(0x80U | ((cp >> 6U) & 0x3FU));
    put(0x80U | (cp & 0x3FU));
  } else {
    put(0xF0U | (cp >> 18U));
    put(0x80U | ((cp >> 12U) & 0x3FU));
    put(0x80U | ((cp >> 6U) & 0x3FU));
    put(0x80U | (cp & 0x3FU));
  }
  return w;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  const std::size_t mark = out.size();
  out.resize(mark + 4);
  char* const begin = out.data() + mark;
  out.resize(mark + static_cast<std::size_t>(put_utf8(begin, cp) - begin));
}

/// One step through a UTF-16LE text as value_text reads it: a code point, the end (the last unit
/// or a NUL), or an unpaired surrogate (value_text then gives nullopt). `i` is the unit index.
enum class Utf16Step : std::uint8_t { kCodePoint, kEnd, kUnpaired };

[[gnu::always_inline]] inline Utf16Step next_code_point(std::span<const std::uint8_t> b,
                                                        std::size_t& i,
                                                        std::uint32_t& cp) {
  const std::size_t units = b.size() / 2;
  if (i >= units) {
    return Utf16Step::kEnd;
  }
  cp = rd16(b, 2 * i);
  ++i;
  if (cp < 0xD800 || cp > 0xDFFF) {
    return cp == 0 ? Utf16Step::kEnd : Utf16Step::kCodePoint;
  }
  if (cp > 0xDBFF || i >= units) {
    return Utf16Step::kUnpaired;  // a low surrogate first, or a high one at the end
  }
  const std::uint32_t lo = rd16(b, 2 * i);
  if (lo < 0xDC00 || lo > 0xDFFF) {
    return Utf16Step::kUnpaired;
  }
  ++i;
  cp = 0x10000 + ((cp - 0xD800) << 10U) + (lo - 0xDC00);
  return Utf16Step::kCodePoint;
}

// ---- Text as pugixml reports it -------------------------------------------------------------
// libevtx writes string values into the XML without escaping them; pugixml (parse_default) then
// decodes entities, folds line ends (and, in attributes, whitespace) and drops whitespace-only
// text. These helpers give the same text without the detour; anything whose outcome depends on how
// pugixml recovers from markup ('<' in a value) is reported as unsupported instead.

/// The characters that make attribute() look twice: markup, entities and foldable space.
bool is_attribute_special(char ch) {
  return ch == '<' || ch == '"' || ch == '&' || ch == '\r' || ch == '\n' || ch == '\t';
}

bool is_xml_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

// Decodes the five predefined entities; "&#" (a character reference) is not reproduced here.
bool decode_entities(std::string& s) {
  if (s.find('&') == std::string::npos) {
    return true;
  }
  static constexpr std::array<std::pair<std::string_view, char>, 5> kEntities{
      {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    if (s.compare(i, 2, "&#") == 0) {
      return false;
    }
    const std::string_view rest = std::string_view(s).substr(i);
    const auto* hit = std::find_if(kEntities.begin(), kEntities.end(), [&](const auto& e) {
      return rest.substr(0, e.first.size()) == e.first;
    });
    if (hit == kEntities.end()) {
      out.push_back(s[i++]);
    } else {
      out.push_back(hit->second);
      i += hit->first.size();
    }
  }
  s = std::move(out);
  return true;
}

// PCDATA: "\r\n" and "\r" become "\n".
void fold_eol(std::string& s) {
  if (s.find('\r') == std::string::npos) {
    return;
  }
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
      }
    } else {
      out.push_back(s[i]);
    }
  }
  s = std::move(out);
}

// Attribute values: "\r\n" becomes one space, any other \r \n \t a space.
void fold_attribute_space(std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
      ++i;
    }
    out.push_back(ch == '\r' || ch == '\n' || ch == '\t' ? ' ' : ch);
  }
  s = std::move(out);
}

// The renderers below append to `out` and return false for bytes they do not reproduce (which
// may leave a partial text: append_value_text takes it back). Appending, rather than returning a
// string, keeps a relevant record's field texts to one buffer each (issue 8).

using Sink = std::back_insert_iterator<std::string>;

void append_sid(std::span<const std::uint8_t> b, std::string& out) {
  std::uint64_t authority = 0;
  for (std::size_t i = 2; i < 8; ++i) {
    authority = (authority << 8U) | b[i];
  }
  fmt::format_to(Sink(out), FMT_COMPILE("S-{}-{}"), b[0], authority);
  for (std::size_t i = 0; i < b[1]; ++i) {
    fmt::format_to(Sink(out), FMT_COMPILE("-{}"), rd32(b, 8 + 4 * i));
  }
}

void append_guid(std::span<const std::uint8_t> b, std::string& out) {
  fmt::format_to(
      Sink(out),
      FMT_COMPILE("{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}"),
      rd32(b, 0),
      rd16(b, 4),
      rd16(b, 6),
      b[8],
      b[9],
      b[10],
      b[11],
      b[12],
      b[13],
      b[14],
      b[15]);
}

bool append_integer(std::uint8_t type, std::span<const std::uint8_t> b, std::string& out) {
  // Int8 .. UInt64: 1, 1, 2, 2, 4, 4, 8, 8 bytes; odd types are signed.
  static constexpr std::array<std::size_t, 8> kSizes{1, 1, 2, 2, 4, 4, 8, 8};
  const std::size_t size = kSizes[type - kTypeInt8];
  if (b.size() != size) {
    return false;
  }
  std::uint64_t u = 0;
  for (std::size_t i = size; i > 0; --i) {
    u = (u << 8U) | b[i - 1];
  }
  const bool is_signed = ((type - kTypeInt8) % 2) == 0;
  if (!is_signed) {
    fmt::format_to(Sink(out), FMT_COMPILE("{}"), u);
    return true;
  }
  const unsigned bits = static_cast<unsigned>(size * 8);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  const auto v = size == 8 ? static_cast<std::int64_t>(u)
                           : static_cast<std::int64_t>(u ^ sign) - static_cast<std::int64_t>(sign);
  fmt::format_to(Sink(out), FMT_COMPILE("{}"), v);
  return true;
}

bool append_systemtime(std::span<const std::uint8_t> b, std::string& out) {
  if (b.size() != 16) {
    return false;
  }
  fmt::format_to(Sink(out),
                 FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000000Z"),
                 rd16(b, 0),
                 rd16(b, 2),
                 rd16(b, 6),
                 rd16(b, 8),
                 rd16(b, 10),
                 rd16(b, 12),
                 rd16(b, 14));
  return true;
}

bool append_hex(std::span<const std::uint8_t> b, std::string& out) {
  if (b.size() == 4) {
    fmt::format_to(Sink(out), FMT_COMPILE("0x{:08x}"), rd32(b, 0));
    return true;
  }
  if (b.size() == 8) {
    fmt::format_to(Sink(out), FMT_COMPILE("0x{:016x}"), rd64(b, 0));
    return true;
  }
  return false;
}

bool append_ansi(std::span<const std::uint8_t> b, std::string& out) {
  for (const std::uint8_t ch : b) {
    if (ch == 0) {
      break;
    }
    if (ch >= 0x80) {
      return false;  // codepage conversion not reproduced
    }
    out.push_back(static_cast<char>(ch));
  }
  return true;
}

/// UTF-16LE appended as UTF-8 up to the first NUL; false on an unpaired surrogate. Written through
/// a pointer into room for the worst case (3 bytes per unit; a surrogate pair takes 4 for 2
/// units): this runs for every string of every relevant record, and a capacity check per byte
/// (push_back) was a tenth of the scanner's instructions.
bool append_utf16(std::span<const std::uint8_t> bytes, std::string& out) {
  const std::size_t mark = out.size();
  out.resize(mark + 3 * (bytes.size() / 2));
  char* const begin = out.data() + mark;
  char* w = begin;
  std::size_t i = 0;
  std::uint32_t cp = 0;
  Utf16Step step = Utf16Step::kCodePoint;
  while ((step = next_code_point(bytes, i, cp)) == Utf16Step::kCodePoint) {
    w = put_utf8(w, cp);
  }
  out.resize(mark + static_cast<std::size_t>(w - begin));
  return step == Utf16Step::kEnd;
}

void append_filetime(std::uint64_t ft, std::string& out) {
  constexpr std::uint64_t kTicksPerSecond = 10'000'000ULL;
  constexpr std::int64_t kSecondsPerDay = 86400;
  // 10000-01-01 in FILETIME ticks: beyond it the text would not be a four-digit year.
  constexpr std::uint64_t kYear10000 = 2650467744000000000ULL;
  if (ft >= kYear10000) {
    return;
  }
  const std::uint64_t ticks = ft % kTicksPerSecond;
  const auto secs = static_cast<std::int64_t>(ft / kTicksPerSecond);
  const std::int64_t rem = secs % kSecondsPerDay;
  // civil_from_days (H. Hinnant) on days since 1970-01-01; 1601-01-01 is 134774 days earlier.
  constexpr std::int64_t kDays1601To1970 = 134774;
  const std::int64_t z = secs / kSecondsPerDay - kDays1601To1970 + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  fmt::format_to(Sink(out),
                 FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}00Z"),
                 y,
                 m,
                 d,
                 rem / 3600,
                 (rem / 60) % 60,
                 rem % 60,
                 ticks);
}

bool append_any_value(std::span<const std::uint8_t> chunk, const Value& v, std::string& out) {
  const std::span<const std::uint8_t> b = chunk.subspan(v.offset, v.size);
  switch (v.type) {
    case kTypeNull:
      return true;
    case kTypeString:
      return append_utf16(b, out);
    case kTypeAnsi:
      return append_ansi(b, out);
    case kTypeGuid:
      if (b.size() != 16) {
        return false;
      }
      append_guid(b, out);
      return true;
    case kTypeSizeT:
    case kTypeHex32:
    case kTypeHex64:
      return append_hex(b, out);
    case kTypeFiletime:
      if (b.size() != 8) {
        return false;
      }
      append_filetime(rd64(b, 0), out);
      return true;
    case kTypeSystemtime:
      return append_systemtime(b, out);
    case kTypeSid:
      if (b.size() < 8 || b.size() != 8 + 4 * static_cast<std::size_t>(b[1])) {
        return false;
      }
      append_sid(b, out);
      return true;
    default:
      break;
  }
  if (v.type >= kTypeInt8 && v.type <= kTypeUInt64) {
    return append_integer(v.type, b, out);
  }
  return false;  // reals, bool, binary, handles, arrays: not reproduced
}

}  // namespace

// ---- Public value helpers ---------------------------------------------------------------------

bool utf16_to_utf8(std::span<const std::uint8_t> bytes, std::string& out) {
  out.clear();
  return append_utf16(bytes, out);
}

std::string filetime_text(std::uint64_t ft) {
  std::string s;
  append_filetime(ft, s);
  return s;
}

bool append_value_text(std::span<const std::uint8_t> chunk, const Value& v, std::string& out) {
  const std::size_t mark = out.size();
  if (!append_any_value(chunk, v, out)) {
    out.resize(mark);
    return false;
  }
  return true;
}

std::optional<std::string> value_text(std::span<const std::uint8_t> chunk, const Value& v) {
  std::string s;
  if (!append_value_text(chunk, v, s)) {
    return std::nullopt;
  }
  return s;
}

// ---- Template compilation -----------------------------------------------------------------------

/// A bounded reader over the chunk: every read checks [pos, end); a failed read sets `bad` and
/// returns 0, so parsing code checks `bad` once per construct rather than after every field.
struct ChunkParser::Cursor {
  std::span<const std::uint8_t> c;
  std::uint32_t pos = 0;
  std::uint32_t end = 0;
  bool bad = false;

  bool has(std::uint32_t n) {
    if (bad || pos > end || end - pos < n) {
      bad = true;
      return false;
    }
    return true;
  }

  std::uint8_t peek() { return has(1) ? c[pos] : 0; }

  std::uint8_t u8() {
    if (!has(1)) {
      return 0;
    }
    return c[pos++];
  }

  std::uint16_t u16() {
    if (!has(2)) {
      return 0;
    }
    const std::uint16_t v = rd16(c, pos);
    pos += 2;
    return v;
  }

  std::uint32_t u32() {
    if (!has(4)) {
      return 0;
    }
    const std::uint32_t v = rd32(c, pos);
    pos += 4;
    return v;
  }

  void skip(std::uint32_t n) {
    if (has(n)) {
      pos += n;
    }
  }
};

namespace {

/// Compiles one template definition (formats.md 4.2-4.4). Recursion is bounded by
/// kMaxElementDepth; the node count by kMaxTemplateNodes.
class TemplateCompiler {
 public:
  TemplateCompiler(std::span<const std::uint8_t> c, Template& t) : c_(c), t_(t) {}

  void run(std::uint32_t def_offset) {
    if (def_offset < kChunkHeaderSize || def_offset > kChunkSize - kDefinitionHeader) {
      return fail("definition offset outside the chunk");
    }
    const std::uint32_t size = rd32(c_, def_offset + 20);
    const std::uint64_t end = std::uint64_t{def_offset} + kDefinitionHeader + size;
    if (end > kChunkSize) {
      return fail("definition larger than its chunk");
    }
    t_.data_end = static_cast<std::uint32_t>(end);
    cur_.c = c_;
    cur_.pos = def_offset + kDefinitionHeader;
    cur_.end = t_.data_end;
    if (cur_.u8() != kTokFragment) {
      return fail("definition does not start with a fragment header");
    }
    cur_.skip(3);
    t_.roots = parse_content(0, /*in_root=*/true);
    if (cur_.bad && t_.problem.empty()) {
      return fail("definition runs past its end");
    }
    if (t_.problem.empty()) {
      t_.ok = true;
      plan();
    }
  }

 private:
  void fail(std::string why) {
    cur_.bad = true;
    if (t_.problem.empty()) {
      t_.problem = std::move(why);
    }
  }

  /// A name reference: inline when the offset points just past itself (formats.md 4.3).
  std::string name() {
    const std::uint32_t off = cur_.u32();
    if (cur_.bad) {
      return {};
    }
    const bool inline_here = off == cur_.pos;
    if (off > kChunkSize - 8) {
      fail("name offset outside the chunk");
      return {};
    }
    const std::uint32_t count = rd16(c_, off + 6);
    if (std::uint64_t{off} + 8 + 2ULL * count > kChunkSize) {
      fail("name runs past the chunk");
      return {};
    }
    std::string out;
    if (!utf16_to_utf8(c_.subspan(off + 8, 2ULL * count), out)) {
      fail("name is not UTF-16");
      return {};
    }
    if (inline_here) {
      cur_.skip(8 + 2 * count + 2);
    }
    return out;
  }

  std::uint32_t add_text(std::string s) {
    t_.texts.push_back(std::move(s));
    return static_cast<std::uint32_t>(t_.texts.size() - 1);
  }

  /// One value token (text, substitution, CDATA, reference) into `parts`; false when the next
  /// token is none of these.
  bool value_token(std::vector<Part>& parts) {
    const std::uint8_t tok = cur_.peek();
    const std::uint8_t base = tok & static_cast<std::uint8_t>(~kTokMore);
    if (tok == kTokSubst || tok == kTokOptSubst) {
      cur_.u8();
      Part p;
      p.kind = Part::Kind::kSubstitution;
      p.optional = tok == kTokOptSubst;
      p.index = cur_.u16();
      t_.max_substitution = std::max<std::int32_t>(t_.max_substitution, p.index);
      cur_.u8();  // declared type: the value descriptor's type wins (formats.md 5)
      parts.push_back(p);
      return true;
    }
    if (base == kTokValue || base == kTokCdata) {
      cur_.u8();
      if (base == kTokValue && cur_.u8() != kTypeString) {
        fail("value text of a type other than string");
        return false;
      }
      const std::uint16_t count = cur_.u16();
      std::string s;
      if (!cur_.has(2U * count) || !utf16_to_utf8(c_.subspan(cur_.pos, 2ULL * count), s)) {
        fail("value text runs past the definition");
        return false;
      }
      cur_.skip(2U * count);
      parts.push_back(Part{Part::Kind::kText, false, 0, add_text(std::move(s))});
      return true;
    }
    if (base == kTokCharRef) {
      cur_.u8();
      std::string s;
      append_utf8(s, cur_.u16());
      parts.push_back(Part{Part::Kind::kText, false, 0, add_text(std::move(s))});
      return true;
    }
    if (base == kTokEntityRef) {
      cur_.u8();
      parts.push_back(Part{Part::Kind::kText, false, 0, add_text("&" + name() + ";")});
      return true;
    }
    return false;
  }

  /// The attributes of `n`, appended to t_.attributes with their values in t_.parts (attribute
  /// values hold no elements, so their parts are contiguous as they are read).
  void attributes(Node& n) {
    cur_.u32();  // attribute list size: the tokens themselves delimit the list
    n.attributes_begin = static_cast<std::uint32_t>(t_.attributes.size());
    while (!cur_.bad) {
      const std::uint8_t tok = cur_.peek();
      if ((tok & static_cast<std::uint8_t>(~kTokMore)) != kTokAttribute) {
        break;
      }
      cur_.u8();
      Attribute a;
      a.name = name();
      a.value.begin = static_cast<std::uint32_t>(t_.parts.size());
      while (!cur_.bad && value_token(t_.parts)) {
      }
      a.value.size = static_cast<std::uint32_t>(t_.parts.size()) - a.value.begin;
      t_.attributes.push_back(std::move(a));
      if (tok == kTokAttribute) {
        break;  // 0x06 marks the last attribute
      }
    }
    n.attributes_size = static_cast<std::uint32_t>(t_.attributes.size()) - n.attributes_begin;
  }

  /// One element: its Part goes on the stack (its parent's run), its content into t_.parts.
  void element(int depth) {
    if (depth >= kMaxElementDepth) {
      return fail("elements nested too deeply");
    }
    if (t_.nodes.size() >= kMaxTemplateNodes) {
      return fail("too many elements in one template");
    }
    const std::uint8_t tok = cur_.u8();
    Node n;
    n.dependency = cur_.u16();
    const std::uint32_t data_size = cur_.u32();
    if (cur_.bad || data_size > cur_.end - cur_.pos) {
      return fail("element larger than its template");
    }
    n.name = name();
    if ((tok & kTokMore) != 0) {
      attributes(n);
    }
    const auto index = static_cast<std::uint32_t>(t_.nodes.size());
    t_.nodes.push_back(std::move(n));
    stack_.push_back(Part{Part::Kind::kElement, false, 0, index});
    const std::uint8_t close = cur_.u8();
    if (close == kTokCloseEmpty) {
      return;
    }
    if (close != kTokCloseStart) {
      return fail(fmt::format("unexpected token 0x{:02x} after an element start", close));
    }
    const PartRange content = parse_content(depth + 1, /*in_root=*/false);
    t_.nodes[index].content = content;
  }

  /// Content until the end token (or end of stream at the root), moved to t_.parts as one run.
  /// While it is read, the content's parts sit on stack_ above those of the enclosing elements.
  PartRange parse_content(int depth, bool in_root) {
    const std::size_t base = stack_.size();
    while (!cur_.bad) {
      const std::uint8_t tok = cur_.peek();
      if (cur_.bad) {
        break;
      }
      if ((tok & static_cast<std::uint8_t>(~kTokMore)) == kTokOpen) {
        element(depth);
      } else if ((tok == kTokEnd && !in_root) || (tok == kTokEof && in_root)) {
        cur_.u8();
        break;
      } else if (tok == kTokPiTarget) {
        cur_.u8();
        name();
      } else if (tok == kTokPiData) {
        cur_.u8();
        cur_.skip(2U * cur_.u16());
      } else if (!value_token(stack_)) {
        fail(fmt::format("unexpected token 0x{:02x} in a template", tok));
        break;
      }
    }
    const PartRange run{static_cast<std::uint32_t>(t_.parts.size()),
                        static_cast<std::uint32_t>(stack_.size() - base)};
    t_.parts.insert(
        t_.parts.end(), stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return run;
  }

  std::int32_t child(std::int32_t parent, std::string_view want) const {
    if (parent < 0) {
      return -1;
    }
    for (const Part& p : t_.content_of(static_cast<std::size_t>(parent))) {
      if (p.kind == Part::Kind::kElement && local_name(t_.nodes[p.target].name) == want) {
        return static_cast<std::int32_t>(p.target);
      }
    }
    return -1;
  }

  void plan() {
    SystemPlan& pl = t_.plan;
    for (const Part& p : t_.parts_of(t_.roots)) {
      if (p.kind == Part::Kind::kElement) {
        if (local_name(t_.nodes[p.target].name) == "Event") {
          pl.event = static_cast<std::int32_t>(p.target);
        }
        break;  // the document element is the first one
      }
    }
    const std::int32_t system = child(pl.event, "System");
    pl.has_event = system >= 0;
    pl.provider = child(system, "Provider");
    pl.event_id = child(system, "EventID");
    pl.channel = child(system, "Channel");
    pl.time_created = child(system, "TimeCreated");
    pl.version = child(system, "Version");
    pl.record_id = child(system, "EventRecordID");
  }

  std::span<const std::uint8_t> c_;
  Template& t_;
  ChunkParser::Cursor cur_;
  /// Parts of the contents being read, innermost element's on top (parse_content).
  std::vector<Part> stack_;
};

}  // namespace

const Template& ChunkParser::compile(std::uint32_t def_offset) {
  auto [it, inserted] = templates_.try_emplace(def_offset);
  if (inserted) {
    it->second = std::make_unique<Template>();
    TemplateCompiler(c_, *it->second).run(def_offset);
  }
  return *it->second;
}

const Template& ChunkParser::template_at(std::uint32_t def_offset) {
  return compile(def_offset);
}

// ---- Template instances -------------------------------------------------------------------------

bool ChunkParser::parse_instance(Cursor& cur, Instance& out, int depth) {
  if (depth >= kMaxFragmentDepth) {
    return false;
  }
  if (cur.u8() != kTokInstance) {
    return false;
  }
  cur.u8();   // always 1
  cur.u32();  // template id (GUID bytes 0-3)
  const std::uint32_t def_offset = cur.u32();
  if (cur.bad) {
    return false;
  }
  // Inline definition: it follows right here; a reference points at one defined earlier. A
  // definition may not contain its own instance (the offsets would have to coincide).
  const bool inline_def = def_offset == cur.pos;
  const Template& t = compile(def_offset);
  if (!t.ok) {
    return false;
  }
  if (inline_def) {
    cur.pos = t.data_end;
  }
  const std::uint32_t n = cur.u32();
  if (cur.bad || n > kMaxValues || !cur.has(4 * n)) {
    return false;
  }
  out.tmpl = &t;
  out.values.resize(n);
  std::uint64_t data = std::uint64_t{cur.pos} + 4ULL * n;
  for (std::uint32_t i = 0; i < n; ++i) {
    Value& v = out.values[i];
    v.size = rd16(c_, cur.pos + 4 * i);
    v.type = c_[cur.pos + 4 * i + 2];
    v.offset = static_cast<std::uint32_t>(data);
    data += v.size;
  }
  if (data > kChunkSize) {
    return false;
  }
  cur.pos = static_cast<std::uint32_t>(data);
  return true;
}

// A fragment: optional header 0F 01 01 00, then one template instance.
bool ChunkParser::parse_fragment(std::uint32_t offset,
                                 std::uint32_t end,
                                 Instance& out,
                                 int depth) {
  Cursor cur{c_, offset, end, false};
  if (cur.peek() == kTokFragment) {
    cur.skip(4);
  }
  if (cur.bad || cur.peek() != kTokInstance) {
    return false;
  }
  cur.end = static_cast<std::uint32_t>(kChunkSize);  // instance values may run to the trailer
  return parse_instance(cur, out, depth);
}

// ---- Field evaluation -----------------------------------------------------------------------

namespace {

/// What check_markup asks of a String (UTF-16) or AnsiString value, answered on its bytes without
/// rendering it: kUnrenderable where value_text gives nullopt (an unpaired surrogate, a byte past
/// ASCII), else kMarkup when the text up to the first NUL holds '<'. Both walk the text with
/// next_code_point, as append_utf16 does, so they agree with value_text by construction.
enum class StringScan : std::uint8_t { kPlain, kMarkup, kUnrenderable };

StringScan scan_ansi(std::span<const std::uint8_t> b) {
  bool markup = false;
  for (const std::uint8_t ch : b) {
    if (ch == 0) {
      break;
    }
    if (ch >= 0x80) {
      return StringScan::kUnrenderable;
    }
    markup = markup || ch == '<';
  }
  return markup ? StringScan::kMarkup : StringScan::kPlain;
}

StringScan scan_utf16(std::span<const std::uint8_t> b) {
  bool markup = false;
  std::size_t i = 0;
  std::uint32_t cp = 0;
  Utf16Step step = Utf16Step::kCodePoint;
  while ((step = next_code_point(b, i, cp)) == Utf16Step::kCodePoint) {
    markup = markup || cp == '<';
  }
  if (step == Utf16Step::kUnpaired) {
    return StringScan::kUnrenderable;
  }
  return markup ? StringScan::kMarkup : StringScan::kPlain;
}

/// Record-level evaluation over one parsed instance tree: System texts, EventData/UserData.
class Evaluator {
 public:
  Evaluator(std::span<const std::uint8_t> c, RecordView& rv, ChunkParser& parser)
      : c_(c), rv_(rv), parser_(parser) {}

  void unsupported(std::string why) {
    if (rv_.status == RecordView::Status::kOk) {
      rv_.status = RecordView::Status::kUnsupported;
      rv_.problem = std::move(why);
    }
  }

  /// The attribute's value as pugixml reports it; "" when absent.
  std::string attribute(const Instance& in, std::int32_t node, std::string_view want) {
    if (node < 0) {
      return {};
    }
    for (const Attribute& a : in.tmpl->attributes_of(static_cast<std::size_t>(node))) {
      if (a.name != want) {
        continue;
      }
      std::string s;
      for (const Part& p : in.tmpl->parts_of(a.value)) {
        append_part(in, p, s);
      }
      if (std::none_of(s.begin(), s.end(), is_attribute_special)) {
        return s;  // the usual case: pugixml reports the text as it is
      }
      if (s.find('<') != std::string::npos || s.find('"') != std::string::npos) {
        unsupported("markup character in an attribute value");
      }
      if (!decode_entities(s)) {
        unsupported("character reference in an attribute value");
      }
      fold_attribute_space(s);
      return s;
    }
    return {};
  }

  /// pugixml's child_value(): the first non-blank text run among the element's children.
  std::string child_value(const Instance& in, std::int32_t node) {
    if (node < 0) {
      return {};
    }
    std::string run;
    for (const Part& p : in.tmpl->content_of(static_cast<std::size_t>(node))) {
      if (is_element_part(in, p)) {
        if (finish_run(run)) {
          return run;
        }
        run.clear();
        continue;
      }
      append_part(in, p, run);
    }
    return finish_run(run) ? run : std::string();
  }

  /// Children elements of `node`, expanding BinXml values into their fragments' elements.
  using ElementRef = std::pair<const Instance*, std::uint32_t>;

  void children(const Instance& in,
                std::span<const Part> content,
                std::vector<ElementRef>& out,
                int depth) {
    for (const Part& p : content) {
      if (p.kind == Part::Kind::kElement) {
        out.emplace_back(&in, p.target);
      } else if (p.kind == Part::Kind::kSubstitution && is_element_part(in, p)) {
        const Instance* nested = nested_instance(in, p.index, depth);
        if (nested != nullptr) {
          children(*nested, nested->tmpl->parts_of(nested->tmpl->roots), out, depth + 1);
        }
      }
    }
  }

  /// EventData/Data[@Name] and UserData/*/* into fields.data (normalise's collect_fields).
  void collect(const Instance& top, std::int32_t event) {
    std::vector<ElementRef> kids;
    children(top, top.tmpl->content_of(static_cast<std::size_t>(event)), kids, 0);
    const ElementRef* data = find(kids, "EventData");
    if (data != nullptr) {
      std::vector<ElementRef> items;
      children(*data->first, content(*data), items, 0);
      for (const ElementRef& d : items) {
        const auto idx = static_cast<std::int32_t>(d.second);
        if (has_attribute(*d.first, idx, "Name")) {
          std::string name = attribute(*d.first, idx, "Name");
          if (evtx::is_used_field(name)) {
            rv_.fields.data.emplace_back(std::move(name), child_value(*d.first, idx));
          }
        }
      }
    }
    const ElementRef* user = find(kids, "UserData");
    if (user != nullptr) {
      std::vector<ElementRef> bodies;
      children(*user->first, content(*user), bodies, 0);
      if (!bodies.empty()) {
        std::vector<ElementRef> items;
        children(*bodies.front().first, content(bodies.front()), items, 0);
        for (const ElementRef& d : items) {
          const std::string_view name = local_name(node(d).name);
          if (evtx::is_used_field(name)) {
            rv_.fields.data.emplace_back(
                std::string(name), child_value(*d.first, static_cast<std::int32_t>(d.second)));
          }
        }
      }
    }
  }

  /// libevtx renders every string value into the XML verbatim: one holding '<' turns into markup
  /// (issue_39.evtx), and how pugixml then reads the record is not reproduced here.
  void check_markup(const Instance& in, int depth) {
    for (std::size_t i = 0; i < in.values.size(); ++i) {
      const Value& v = in.values[i];
      if (v.type == kTypeString || v.type == kTypeAnsi) {
        const auto bytes = c_.subspan(v.offset, v.size);
        const StringScan scan = v.type == kTypeString ? scan_utf16(bytes) : scan_ansi(bytes);
        if (scan == StringScan::kUnrenderable) {
          unsupported("string value that is not valid UTF-16 or ASCII");
        } else if (scan == StringScan::kMarkup) {
          unsupported("string value holding '<' (libevtx renders it as markup)");
        }
      } else if (v.type == kTypeBinXml) {
        if (const Instance* nested = nested_instance(in, static_cast<std::uint16_t>(i), depth)) {
          check_markup(*nested, depth + 1);
        }
      }
    }
  }

  const Instance* nested_instance(const Instance& in, std::uint16_t index, int depth);

 private:
  static const Node& node(const ElementRef& r) { return r.first->tmpl->nodes[r.second]; }

  static std::span<const Part> content(const ElementRef& r) {
    return r.first->tmpl->content_of(r.second);
  }

  static const ElementRef* find(const std::vector<ElementRef>& kids, std::string_view want) {
    const auto it = std::find_if(kids.begin(), kids.end(), [&](const ElementRef& r) {
      return local_name(node(r).name) == want;
    });
    return it == kids.end() ? nullptr : &*it;
  }

  static bool has_attribute(const Instance& in, std::int32_t n, std::string_view want) {
    const auto attrs = in.tmpl->attributes_of(static_cast<std::size_t>(n));
    return std::any_of(
        attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.name == want; });
  }

  bool is_element_part(const Instance& in, const Part& p) const {
    if (p.kind == Part::Kind::kElement) {
      return true;
    }
    return p.kind == Part::Kind::kSubstitution && p.index < in.values.size() &&
           in.values[p.index].type == kTypeBinXml;
  }

  // Text of one part appended to `s`; a substitution index past the values is unreadable.
  void append_part(const Instance& in, const Part& p, std::string& s) {
    if (p.kind == Part::Kind::kText) {
      s += in.tmpl->texts[p.target];
      return;
    }
    if (p.kind != Part::Kind::kSubstitution) {
      return;
    }
    if (p.index >= in.values.size()) {
      return;  // libevtx shows nothing for a missing value
    }
    if (!append_value_text(c_, in.values[p.index], s)) {
      unsupported(fmt::format("value type 0x{:02x} in a field", in.values[p.index].type));
    }
  }

  // A PCDATA run as pugixml keeps it; false when pugixml would drop it (blank).
  bool finish_run(std::string& run) {
    if (std::all_of(run.begin(), run.end(), is_xml_space)) {
      return false;
    }
    if (run.find('<') != std::string::npos) {
      unsupported("'<' in element text");
    }
    if (!decode_entities(run)) {
      unsupported("character reference in element text");
    }
    fold_eol(run);
    return true;
  }

  std::span<const std::uint8_t> c_;
  RecordView& rv_;
  ChunkParser& parser_;
  std::vector<std::unique_ptr<Instance>> nested_;
};

const Instance* Evaluator::nested_instance(const Instance& in, std::uint16_t index, int depth) {
  const Value& v = in.values[index];
  auto inst = std::make_unique<Instance>();
  if (!parser_.take_nested()) {
    unsupported("too many nested template instances in one record");
    return nullptr;
  }
  if (!parser_.parse_fragment(v.offset, v.offset + v.size, *inst, depth + 1)) {
    unsupported("BinXml value that is not a template instance");
    return nullptr;
  }
  nested_.push_back(std::move(inst));
  return nested_.back().get();
}

/// System/EventID as libevtx reads it: the integer value of its one substitution.
std::optional<std::uint16_t> event_id_of(std::span<const std::uint8_t> c,
                                         const Instance& in,
                                         std::int32_t node,
                                         RecordView& rv) {
  const auto content = in.tmpl->content_of(static_cast<std::size_t>(node));
  if (content.size() != 1 || content[0].kind != Part::Kind::kSubstitution) {
    if (!content.empty()) {
      rv.status = RecordView::Status::kUnsupported;
      rv.problem = "EventID is not a single substitution";
    }
    return std::nullopt;
  }
  const std::uint16_t index = content[0].index;
  if (index >= in.values.size()) {
    return std::nullopt;
  }
  const Value& v = in.values[index];
  const bool integer = (v.type >= kTypeInt8 && v.type <= kTypeUInt64) || v.type == kTypeHex32 ||
                       v.type == kTypeHex64;
  if (v.type == kTypeNull) {
    return std::nullopt;
  }
  if (!integer || v.size == 0 || v.size > 8) {
    rv.status = RecordView::Status::kUnsupported;
    rv.problem = fmt::format("EventID of value type 0x{:02x}", v.type);
    return std::nullopt;
  }
  std::uint64_t u = 0;
  for (std::size_t i = v.size; i > 0; --i) {
    u = (u << 8U) | c[v.offset + i - 1];
  }
  return static_cast<std::uint16_t>(u & 0xFFFFU);
}

/// libevtx reads every value of a record, not only the ones the analyzer needs: a fixed-size value
/// of the wrong size, or a BinXml value that is no readable fragment, makes the whole record
/// unreadable there (measured on slack records whose nested templates were overwritten).
std::size_t natural_size(std::uint8_t type) {
  switch (type) {
    case 0x03:
    case 0x04:
      return 1;
    case 0x05:
    case 0x06:
      return 2;
    case 0x07:
    case 0x08:
    case 0x0B:
    case 0x0D:
    case kTypeHex32:
      return 4;
    case 0x09:
    case kTypeUInt64:
    case 0x0C:
    case kTypeFiletime:
    case kTypeHex64:
      return 8;
    case kTypeGuid:
    case kTypeSystemtime:
      return 16;
    default:
      return 0;  // variable size
  }
}

}  // namespace

bool ChunkParser::values_readable(const Instance& in, int depth) {
  // Every substitution the template makes must have its value (libevtx fails otherwise).
  if (in.tmpl->max_substitution >= static_cast<std::int64_t>(in.values.size())) {
    return false;
  }
  for (const Value& v : in.values) {
    const std::size_t natural = natural_size(v.type);
    if (natural != 0 && v.size != natural) {
      return false;
    }
    if (v.type == kTypeSid && (v.size < 8 || v.size != 8 + 4 * c_[v.offset + 1])) {
      return false;
    }
    if (v.type == kTypeBinXml) {
      Instance& nested = scratch_[static_cast<std::size_t>(std::min(depth + 1, kMaxFragmentDepth))];
      if (!take_nested() || !parse_fragment(v.offset, v.offset + v.size, nested, depth + 1) ||
          !values_readable(nested, depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

void ChunkParser::provider_of(const Instance& top, RecordView& rv) {
  const std::int32_t node = top.tmpl->plan.provider;
  // The fast path: Name is one String substitution; compare its raw bytes with the last record's.
  std::string_view raw;
  if (node >= 0) {
    for (const Attribute& a : top.tmpl->attributes_of(static_cast<std::size_t>(node))) {
      const auto value = top.tmpl->parts_of(a.value);
      if (a.name == "Name" && value.size() == 1 && value[0].kind == Part::Kind::kSubstitution &&
          value[0].index < top.values.size()) {
        const Value& v = top.values[value[0].index];
        if (v.type == kTypeString && v.size >= 2 && rd16(c_, v.offset) != 0) {
          raw = std::string_view(reinterpret_cast<const char*>(c_.data() + v.offset), v.size);
        }
      }
    }
  }
  if (raw.empty() || !provider_cached_ || raw != provider_raw_) {
    Evaluator ev(c_, rv, *this);
    provider_text_ = ev.attribute(top, node, "Name");
    if (provider_text_.empty()) {
      provider_text_ = ev.attribute(top, node, "EventSourceName");
    }
    provider_key_ = text::to_lower(provider_text_);
    provider_class_ = evtx::provider_from_name(provider_text_);
    provider_raw_.assign(raw);
    provider_cached_ = !raw.empty() && rv.status == RecordView::Status::kOk;
  }
  rv.provider = provider_text_;
  rv.provider_key = provider_key_;
  rv.relevant = evtx::is_relevant(provider_class_, rv.event_id);
}

RecordView ChunkParser::read_record(std::uint32_t offset, std::uint32_t size, bool want_channel) {
  RecordView rv;
  rv.header_id = rd64(c_, offset + 8);
  rv.written = rd64(c_, offset + 16);
  auto unreadable = [&rv](const char* why) {
    rv.status = RecordView::Status::kUnreadable;
    rv.problem = why;
    return rv;
  };
  if (size < kRecordHeaderSize + 4) {
    return unreadable("record too small to hold binary XML");
  }
  nested_budget_ = kMaxNestedPerRecord;
  Instance& top = scratch_[0];
  if (!parse_fragment(offset + kRecordHeaderSize, offset + size - 4, top, 0)) {
    return unreadable("binary XML is not a readable template instance");
  }
  if (!values_readable(top, 0)) {
    return unreadable("a value does not match its type or a nested fragment is unreadable");
  }
  const SystemPlan& pl = top.tmpl->plan;
  if (!pl.has_event || pl.event_id < 0) {
    return unreadable("no Event/System/EventID element");
  }
  const auto eid = event_id_of(c_, top, pl.event_id, rv);
  if (rv.status != RecordView::Status::kOk) {
    return rv;
  }
  if (!eid) {
    return unreadable("EventID has no value");
  }
  rv.event_id = *eid;
  Evaluator ev(c_, rv, *this);
  provider_of(top, rv);
  if (rv.status != RecordView::Status::kOk) {
    return rv;
  }
  if (!rv.relevant) {
    if (want_channel) {
      rv.fields.channel = text::trim(ev.child_value(top, pl.channel));
    }
    return rv;
  }
  ev.check_markup(top, 0);
  evtx::RecordFields& f = rv.fields;
  f.provider = std::string(rv.provider);
  f.channel = text::trim(ev.child_value(top, pl.channel));
  f.system_time = ev.attribute(top, pl.time_created, "SystemTime");
  f.event_id = ev.child_value(top, pl.event_id);
  f.version = ev.child_value(top, pl.version);
  f.record_id = ev.child_value(top, pl.record_id);
  ev.collect(top, pl.event);
  return rv;
}

}  // namespace smssaudit::readers::evtx_native
