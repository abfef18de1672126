// EVTX file writer: events -> templates + values -> chunks -> file header, then optional damage.
#include "evtx_writer.hpp"

#include "binxml.hpp"
#include "smssaudit/core/filetime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace smssaudit::devtools::evtx {

namespace {

constexpr std::string_view kEventNs = "http://schemas.microsoft.com/win/2004/08/events/event";
constexpr std::array<char, 8> kFileMagic = {'E', 'l', 'f', 'F', 'i', 'l', 'e', '\0'};
constexpr std::uint32_t kFileHeaderFieldsSize = 128;
constexpr std::uint16_t kMajorVersion = 3;
constexpr std::uint32_t kDirtyFlag = 0x1;

// Value indexes of the System template (formats.md §6.1).
enum SystemIndex : std::uint16_t {
  kLevel = 0,
  kOpcode = 1,
  kTask = 2,
  kEventId = 3,
  kQualifiers = 4,
  kKeywords = 5,
  kTimeCreated = 6,
  kActivityId = 7,
  kProcessId = 8,
  kThreadId = 9,
  kRecordId = 10,
  kVersion = 11,
  kUserId = 12,
  kRelatedManifest = 13,
  kProviderName = 14,
  kProviderGuid = 15,
  kChannel = 16,
  kBodyManifest = 17,
  kRelatedLiteral = 18,
  kBodyLiteral = 19,
};

Substitution opt(std::uint16_t index, ValueType type) {
  return Substitution{index, type, true};
}

Element el(std::string name) {
  Element e;
  e.name = std::move(name);
  return e;
}

Element sub_element(std::string name, std::uint16_t index, ValueType type) {
  Element e = el(std::move(name));
  e.sub(opt(index, type));
  return e;
}

// <Event><System>...</System>BODY</Event>, laid out as Windows does for this provider kind.
Template outer_template(const EventSpec& ev) {
  const bool literal = ev.layout == SystemLayout::kLiteral;
  Element provider = el("Provider");
  if (literal) {
    provider.attr("Name", ev.provider);
    if (!ev.provider_guid.empty())
      provider.attr("Guid", ev.provider_guid);
  } else {
    provider.attr_sub("Name", opt(kProviderName, ValueType::kString))
        .attr_sub("Guid", opt(kProviderGuid, ValueType::kGuid));
  }
  Element event_id = sub_element("EventID", kEventId, ValueType::kUInt16);
  event_id.attr_sub("Qualifiers", opt(kQualifiers, ValueType::kUInt16));
  Element time = el("TimeCreated");
  time.attr_sub("SystemTime", opt(kTimeCreated, ValueType::kFiletime));
  Element correlation = el("Correlation");
  correlation.attr_sub("ActivityID", opt(kActivityId, ValueType::kGuid))
      .attr_sub("RelatedActivityID",
                opt(literal ? kRelatedLiteral : kRelatedManifest, ValueType::kGuid));
  Element execution = el("Execution");
  execution.attr_sub("ProcessID", opt(kProcessId, ValueType::kUInt32))
      .attr_sub("ThreadID", opt(kThreadId, ValueType::kUInt32));
  Element channel = el("Channel");
  if (literal) {
    channel.text(ev.channel);
  } else {
    channel.sub(opt(kChannel, ValueType::kString));
  }
  Element computer = el("Computer");
  computer.text(ev.computer);
  Element security = el("Security");
  security.attr_sub("UserID", opt(kUserId, ValueType::kSid));

  Element system = el("System");
  system.child(std::move(provider))
      .child(std::move(event_id))
      .child(sub_element("Version", kVersion, ValueType::kUInt8))
      .child(sub_element("Level", kLevel, ValueType::kUInt8))
      .child(sub_element("Task", kTask, ValueType::kUInt16))
      .child(sub_element("Opcode", kOpcode, ValueType::kUInt8))
      .child(sub_element("Keywords", kKeywords, ValueType::kHexInt64))
      .child(std::move(time))
      .child(sub_element("EventRecordID", kRecordId, ValueType::kUInt64))
      .child(std::move(correlation))
      .child(std::move(execution))
      .child(std::move(channel))
      .child(std::move(computer))
      .child(std::move(security));

  Element event = el("Event");
  event.attr("xmlns", std::string(kEventNs)).child(std::move(system));
  const std::uint16_t body = literal ? kBodyLiteral : kBodyManifest;
  if (ev.body == BodyKind::kUserData) {
    event.child(sub_element("UserData", body, ValueType::kBinXml));
  } else {
    event.sub(opt(body, ValueType::kBinXml));
  }
  return Template(std::move(event));
}

// The EventData / UserData fragment template; Data content is a normal substitution (§6.2).
Template inner_template(const EventSpec& ev) {
  if (ev.body == BodyKind::kClassicData) {
    Element data = sub_element("Data", 0, ValueType::kStringArray);
    Element binary = sub_element("Binary", 2, ValueType::kBinary);
    Element event_data = el("EventData");
    event_data.child(std::move(data)).child(std::move(binary));
    return Template(std::move(event_data));
  }
  const bool user_data = ev.body == BodyKind::kUserData;
  Element root = el(user_data ? ev.wrapper : "EventData");
  if (user_data) {
    for (const auto& [name, value] : ev.wrapper_attributes)
      root.attr(name, value);
  }
  for (std::size_t k = 0; k < ev.fields.size(); ++k) {
    const EventField& f = ev.fields[k];
    Element e = el(user_data ? f.name : "Data");
    if (!user_data)
      e.attr("Name", f.name);
    // A Null value goes through an optional substitution, which drops the element: libevtx
    // cannot render a Null behind a normal substitution.
    const bool null = f.value.type == ValueType::kNull;
    e.sub(Substitution{static_cast<std::uint16_t>(k), declared_type(f.type), null});
    root.child(std::move(e));
  }
  return Template(std::move(root));
}

EncodedValue uint_value(ValueType type, std::uint64_t v, std::size_t size) {
  EncodedValue e;
  e.type = type;
  for (std::size_t k = 0; k < size; ++k)
    e.bytes.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
  return e;
}

const EventField* field_named(const EventSpec& ev, std::string_view name) {
  for (const auto& f : ev.fields) {
    if (f.name == name)
      return &f;
  }
  return nullptr;
}

std::vector<EncodedValue> inner_values(const EventSpec& ev) {
  std::vector<EncodedValue> values;
  if (ev.body != BodyKind::kClassicData) {
    for (const auto& f : ev.fields)
      values.push_back(f.value);
    return values;
  }
  // Classic sources: [insertion strings, binary size, binary] (rathbunvm System 6005/6009).
  const EventField* strings = field_named(ev, "Strings");
  const EventField* binary = field_named(ev, "Binary");
  values.push_back(strings != nullptr ? strings->value : null_value());
  const std::size_t binary_size = binary != nullptr ? binary->value.bytes.size() : 0;
  values.push_back(uint_value(ValueType::kUInt32, binary_size, 4));
  values.push_back(binary != nullptr ? binary->value : null_value());
  return values;
}

std::vector<EncodedValue> outer_values(const EventSpec& ev, std::uint64_t record_id) {
  const bool literal = ev.layout == SystemLayout::kLiteral;
  std::vector<EncodedValue> v(literal ? 20 : 18);
  v[kLevel] = uint_value(ValueType::kUInt8, ev.level, 1);
  v[kOpcode] = uint_value(ValueType::kUInt8, ev.opcode, 1);
  v[kTask] = uint_value(ValueType::kUInt16, ev.task, 2);
  v[kEventId] = uint_value(ValueType::kUInt16, ev.event_id, 2);
  if (ev.qualifiers)
    v[kQualifiers] = uint_value(ValueType::kUInt16, *ev.qualifiers, 2);
  v[kKeywords] = uint_value(ValueType::kHexInt64, ev.keywords, 8);
  v[kTimeCreated] = uint_value(ValueType::kFiletime, ev.time, 8);
  v[kProcessId] = uint_value(ValueType::kUInt32, ev.process_id, 4);
  v[kThreadId] = uint_value(ValueType::kUInt32, ev.thread_id, 4);
  v[kRecordId] = uint_value(ValueType::kUInt64, record_id, 8);
  v[kVersion] = uint_value(ValueType::kUInt8, ev.version, 1);
  if (!ev.user_sid.empty())
    v[kUserId] = encode_value(FieldType::kSid, ev.user_sid);
  if (!literal) {
    v[kProviderName] = encode_value(FieldType::kString, ev.provider);
    if (!ev.provider_guid.empty())
      v[kProviderGuid] = encode_value(FieldType::kGuid, ev.provider_guid);
    v[kChannel] = encode_value(FieldType::kString, ev.channel);
  }
  return v;
}

void put_at(std::vector<std::uint8_t>& b, std::size_t off, std::uint64_t v, std::size_t size) {
  for (std::size_t k = 0; k < size; ++k)
    b[off + k] = static_cast<std::uint8_t>(v >> (8 * k));
}

std::uint32_t get_u32(const std::vector<std::uint8_t>& b, std::size_t off) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k)
    v |= static_cast<std::uint32_t>(b[off + k]) << (8 * k);
  return v;
}

std::vector<std::uint8_t> file_header(const LogFileSpec& file,
                                      std::size_t chunks,
                                      std::uint64_t next_id) {
  std::vector<std::uint8_t> h(kFileHeaderSize, 0);
  std::memcpy(h.data(), kFileMagic.data(), kFileMagic.size());
  put_at(h, 8, 0, 8);                             // first (oldest) chunk
  put_at(h, 16, chunks > 0 ? chunks - 1 : 0, 8);  // last (newest) chunk
  put_at(h, 24, next_id, 8);
  put_at(h, 32, kFileHeaderFieldsSize, 4);
  put_at(h, 36, file.minor_version, 2);
  put_at(h, 38, kMajorVersion, 2);
  put_at(h, 40, kFileHeaderSize, 2);
  put_at(h, 42, chunks, 2);
  put_at(h, 120, file.header_dirty ? kDirtyFlag : 0, 4);
  put_at(h, 124, crc32(h.data(), 120), 4);  // flags and CRC are not covered
  return h;
}

void rechecksum_chunk_header(std::vector<std::uint8_t>& bytes, std::size_t chunk) {
  const std::size_t at = kFileHeaderSize + chunk * kChunkSize;
  std::uint32_t crc = crc32(bytes.data() + at, 120);
  crc = crc32(bytes.data() + at + 128, kChunkHeaderSize - 128, crc);
  put_at(bytes, at + 124, crc, 4);
}

void check_chunk_index(std::size_t index, std::size_t chunks, std::string_view what) {
  if (index >= chunks) {
    throw EvtxWriteError(
        fmt::format("{} names chunk {} but the file has {} chunk(s)", what, index, chunks));
  }
}

void apply_damage(const Corruption& c, std::size_t chunks, std::vector<std::uint8_t>& bytes) {
  for (const std::size_t k : c.bad_records_crc) {
    check_chunk_index(k, chunks, "bad_records_crc");
    const std::size_t at = kFileHeaderSize + k * kChunkSize + 52;
    put_at(bytes, at, get_u32(bytes, at) ^ 0xFFFFFFFFU, 4);
    rechecksum_chunk_header(bytes, k);  // only the records CRC is wrong
  }
  for (const std::size_t k : c.bad_chunk_header_crc) {
    check_chunk_index(k, chunks, "bad_chunk_header_crc");
    const std::size_t at = kFileHeaderSize + k * kChunkSize + 124;
    put_at(bytes, at, get_u32(bytes, at) ^ 0xFFFFFFFFU, 4);
  }
  for (const std::size_t k : c.bad_chunk_magic) {
    check_chunk_index(k, chunks, "bad_chunk_magic");
    const std::array<char, 8> bad = {'B', 'a', 'd', 'C', 'h', 'n', 'k', '\0'};
    std::memcpy(bytes.data() + kFileHeaderSize + k * kChunkSize, bad.data(), bad.size());
  }
  if (c.bad_file_header_crc)
    put_at(bytes, 124, get_u32(bytes, 124) ^ 0xFFFFFFFFU, 4);
  if (c.truncate_to && *c.truncate_to < bytes.size())
    bytes.resize(static_cast<std::size_t>(*c.truncate_to));
}

std::string location(const EventSpec& ev, std::size_t index) {
  return ev.line > 0 ? fmt::format("event at line {}", ev.line) : fmt::format("event {}", index);
}

std::string dump_header(const EventSpec& ev, std::uint64_t record_id) {
  return fmt::format(
      "record={} time={} event_id={} qualifiers={} version={} level={} task={} opcode={} "
      "keywords=0x{:016x} provider={} guid={} channel={} computer={} pid={} tid={} user={}",
      record_id,
      filetime_to_iso8601(ev.time),
      ev.event_id,
      ev.qualifiers ? std::to_string(*ev.qualifiers) : "-",
      ev.version,
      ev.level,
      ev.task,
      ev.opcode,
      ev.keywords,
      ev.provider,
      ev.provider_guid.empty() ? "-"
                               : encode_value(FieldType::kGuid, ev.provider_guid).text.front(),
      ev.channel,
      ev.computer,
      ev.process_id,
      ev.thread_id,
      ev.user_sid.empty() ? "-" : encode_value(FieldType::kSid, ev.user_sid).text.front());
}

// The leaf path of a field: EventData/<Name>, EventData/Data (classic), UserData/<W>/<Name>.
std::string leaf_path(const EventSpec& ev, const EventField& f) {
  switch (ev.body) {
    case BodyKind::kUserData:
      return fmt::format("UserData/{}/{}", ev.wrapper, f.name);
    case BodyKind::kClassicData:
      return f.name == "Binary" ? "EventData/Binary" : "EventData/Data";
    case BodyKind::kEventData:
      break;
  }
  return "EventData/" + f.name;
}

std::vector<std::string> dump_body(const EventSpec& ev) {
  std::vector<std::string> lines;
  if (ev.body == BodyKind::kUserData) {
    auto attributes = ev.wrapper_attributes;
    std::sort(attributes.begin(), attributes.end());  // the dump lists them by name
    for (const auto& [name, value] : attributes)
      lines.push_back(fmt::format("  UserData/{}@{}={}", ev.wrapper, name, value));
  }
  for (const auto& f : ev.fields) {
    if (f.value.type == ValueType::kNull)
      continue;  // written as an optional substitution: the element is left out
    const std::string path = leaf_path(ev, f);
    if (f.value.text.empty())
      lines.push_back(fmt::format("  {}=", path));
    for (const auto& t : f.value.text)
      lines.push_back(fmt::format("  {}={}", path, t));
  }
  return lines;
}

}  // namespace

std::vector<std::uint64_t> record_ids(const LogFileSpec& file) {
  std::vector<std::uint64_t> ids;
  std::uint64_t next = file.first_record_id;
  for (const auto& ev : file.events) {
    const std::uint64_t id = ev.record_id.value_or(next);
    ids.push_back(id);
    next = id + 1;
  }
  return ids;
}

std::vector<std::uint8_t> write_evtx(const LogFileSpec& file) {
  const std::vector<std::uint64_t> ids = record_ids(file);
  std::vector<std::vector<std::uint8_t>> chunks;
  std::uint64_t number = 1;  // running record number in the file
  ChunkBuilder chunk(number);
  const auto flush = [&] {
    chunks.push_back(chunk.finish());
    chunk = ChunkBuilder(number);
  };
  for (std::size_t k = 0; k < file.events.size(); ++k) {
    const EventSpec& ev = file.events[k];
    const Template outer = outer_template(ev);
    const Template inner = inner_template(ev);
    RecordInput rec;
    rec.record_id = ids[k];
    rec.written_time = ev.time;
    rec.outer = &outer;
    rec.outer_values = outer_values(ev, ids[k]);
    rec.fragment_index = ev.layout == SystemLayout::kLiteral ? kBodyLiteral : kBodyManifest;
    rec.inner = &inner;
    rec.inner_values = inner_values(ev);
    if (file.records_per_chunk > 0 && chunk.record_count() == file.records_per_chunk)
      flush();
    if (!chunk.try_append(rec)) {
      if (chunk.record_count() == 0)
        throw EvtxWriteError(location(ev, k) + ": the record does not fit in a 64 KiB chunk");
      flush();  // would cross 65536: start a new chunk, names and templates are re-emitted
      if (!chunk.try_append(rec))
        throw EvtxWriteError(location(ev, k) + ": the record does not fit in a 64 KiB chunk");
    }
    ++number;
  }
  if (chunk.record_count() > 0)
    chunks.push_back(chunk.finish());
  if (chunks.size() > 0xFFFF)
    throw EvtxWriteError(fmt::format("{} chunks do not fit the u16 chunk count", chunks.size()));

  const std::uint64_t next_id = ids.empty() ? file.first_record_id : ids.back() + 1;
  std::vector<std::uint8_t> bytes = file_header(file, chunks.size(), next_id);
  for (const auto& c : chunks)
    bytes.insert(bytes.end(), c.begin(), c.end());
  apply_damage(file.corrupt, chunks.size(), bytes);
  return bytes;
}

std::vector<std::string> expected_dump(const LogFileSpec& file) {
  const std::vector<std::uint64_t> ids = record_ids(file);
  std::vector<std::string> lines;
  for (std::size_t k = 0; k < file.events.size(); ++k) {
    const EventSpec& ev = file.events[k];
    lines.push_back(dump_header(ev, ids[k]));
    const std::vector<std::string> body = dump_body(ev);
    lines.insert(lines.end(), body.begin(), body.end());
  }
  return lines;
}

}  // namespace smssaudit::devtools::evtx
