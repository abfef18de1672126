// Wire format for facts: encoder and bounds-checked decoder (see wire.hpp for the layout).
#include "smssaudit/facts/wire.hpp"

#include "smssaudit/core/byte_codec.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace smssaudit::facts::wire {
// Named (not anonymous): the conversion is declared only, and an undefined function with internal
// linkage is an error for clang even when only overload resolution looks at it.
namespace detail {

/// Converts to anything: T{AnyField{}, ...} compiles for up to as many initialisers as T has
/// members (C++20 aggregates), which counts them without reflection.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT(google-explicit-constructor): declared only, never called
};

template <typename T, typename... A>
constexpr std::size_t member_count() {
  if constexpr (requires { T{A{}..., AnyField{}}; }) {
    return member_count<T, A..., AnyField>();
  } else {
    return sizeof...(A);
  }
}

}  // namespace detail

namespace {

using detail::member_count;

// Every encoded field is listed once in put_* and once in get_*; the unit test
// (tests/unit/facts/wire_test.cpp) sets every field to a non-default value and compares field by
// field. A field added to a fact later must be added here too: the member counts below stop the
// build until it is (and the test's comparison is extended with it).

static_assert(member_count<Error>() == 3, "Error: update codec::put_error/get_error");
static_assert(member_count<Diagnostic>() == 5, "Diagnostic: update codec::put/get_diagnostic");
static_assert(member_count<BaseBlock>() == 15, "BaseBlock: update put/get_base_block");
static_assert(member_count<HiveLogFile>() == 3, "HiveLogFile: update put/get_hive_log");
static_assert(member_count<ReplayLog>() == 11, "ReplayLog: update put/get_replay_log");
static_assert(member_count<ReplayEntry>() == 8, "ReplayEntry: update put/get_replay_entry");
static_assert(member_count<ReplayReport>() == 23, "ReplayReport: update put/get_replay");
static_assert(member_count<RegValue>() == 8, "RegValue: update put/get_value");
static_assert(member_count<RegKey>() == 6, "RegKey: update put/get_key");
static_assert(member_count<SelectInfo>() == 6, "SelectInfo: update put/get_select");
static_assert(member_count<ControlSet>() == 3, "ControlSet: update put/get_control_set");
static_assert(member_count<SystemHive>() == 8, "SystemHive: update put/get_system");
static_assert(member_count<SoftwareHive>() == 14, "SoftwareHive: update put/get_software");
static_assert(member_count<EventRef>() == 7, "EventRef: update put/get_event_ref");
static_assert(member_count<Event>() == 25, "Event: update put/get_event");
static_assert(member_count<EventLogFile>() == 15, "EventLogFile: update put/get_event_log");

// The codec of core/byte_codec.hpp: bounds-checked reads, first failure kept with its offset.
using Writer = codec::ByteWriter;
using Reader = codec::ByteReader;

// --- generic helpers --------------------------------------------------------------------------

template <typename T, typename Put>
void put_optional(Writer& w, const std::optional<T>& v, Put put) {
  w.boolean(v.has_value());
  if (v) {
    put(w, *v);
  }
}

template <typename T, typename Get>
std::optional<T> get_optional(Reader& r, Get get) {
  if (!r.boolean() || !r.ok()) {
    return std::nullopt;
  }
  return get(r);
}

template <typename T, typename Put>
void put_vector(Writer& w, const std::vector<T>& v, Put put) {
  w.count(v.size());
  for (const T& e : v) {
    put(w, e);
  }
}

/// No reserve(): the count is only known to be at most the bytes left, and an element in memory
/// is larger than its smallest encoding.
template <typename T, typename Get>
std::vector<T> get_vector(Reader& r, Get get) {
  std::vector<T> out;
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    out.push_back(get(r));
  }
  return out;
}

void put_string(Writer& w, const std::string& s) {
  w.str(s);
}

std::string get_string(Reader& r) {
  return r.str();
}

void put_u32(Writer& w, std::uint32_t v) {
  w.u32(v);
}

std::uint32_t get_u32(Reader& r) {
  return r.u32();
}

void put_u64(Writer& w, std::uint64_t v) {
  w.u64(v);
}

std::uint64_t get_u64(Reader& r) {
  return r.u64();
}

// --- core: Error, Diagnostic ------------------------------------------------------------------

using codec::get_diagnostic;
using codec::get_error;
using codec::put_diagnostic;
using codec::put_error;

// --- registry ---------------------------------------------------------------------------------

void put_base_block(Writer& w, const BaseBlock& b) {
  w.boolean(b.signature_ok);
  w.u32(b.primary_sequence);
  w.u32(b.secondary_sequence);
  w.u64(b.last_written);
  w.u32(b.major_version);
  w.u32(b.minor_version);
  w.u32(b.file_type);
  w.u32(b.file_format);
  w.u32(b.root_cell_offset);
  w.u32(b.hive_bins_size);
  w.u32(b.clustering_factor);
  w.str(b.embedded_name);
  w.u32(b.stored_checksum);
  w.u32(b.computed_checksum);
  w.u64(b.file_size);
}

BaseBlock get_base_block(Reader& r) {
  BaseBlock b;
  b.signature_ok = r.boolean();
  b.primary_sequence = r.u32();
  b.secondary_sequence = r.u32();
  b.last_written = r.u64();
  b.major_version = r.u32();
  b.minor_version = r.u32();
  b.file_type = r.u32();
  b.file_format = r.u32();
  b.root_cell_offset = r.u32();
  b.hive_bins_size = r.u32();
  b.clustering_factor = r.u32();
  b.embedded_name = r.str();
  b.stored_checksum = r.u32();
  b.computed_checksum = r.u32();
  b.file_size = r.u64();
  return b;
}

void put_hive_log(Writer& w, const HiveLogFile& l) {
  w.str(l.path);
  w.u64(l.size);
  put_optional(w, l.base, put_base_block);
}

HiveLogFile get_hive_log(Reader& r) {
  HiveLogFile l;
  l.path = r.str();
  l.size = r.u64();
  l.base = get_optional<BaseBlock>(r, get_base_block);
  return l;
}

void put_replay_log(Writer& w, const ReplayLog& l) {
  w.str(l.path);
  w.str(l.name);
  w.u64(l.size);
  w.enumeration(l.format);
  w.boolean(l.usable);
  w.boolean(l.used);
  w.u32(l.base_primary_sequence);
  w.u32(l.first_sequence);
  w.u32(l.last_sequence);
  w.u32(l.valid_entries);
  w.str(l.reason);
}

ReplayLog get_replay_log(Reader& r) {
  ReplayLog l;
  l.path = r.str();
  l.name = r.str();
  l.size = r.u64();
  l.format = r.enumeration(LogFormat::kNew, "log format");
  l.usable = r.boolean();
  l.used = r.boolean();
  l.base_primary_sequence = r.u32();
  l.first_sequence = r.u32();
  l.last_sequence = r.u32();
  l.valid_entries = r.u32();
  l.reason = r.str();
  return l;
}

void put_replay_entry(Writer& w, const ReplayEntry& e) {
  w.str(e.log);
  w.u64(e.offset);
  w.u32(e.sequence);
  w.u32(e.page_count);
  w.u32(e.hive_bins_size);
  w.u64(e.target_offset);
  w.boolean(e.applied);
  w.str(e.reason);
}

ReplayEntry get_replay_entry(Reader& r) {
  ReplayEntry e;
  e.log = r.str();
  e.offset = r.u64();
  e.sequence = r.u32();
  e.page_count = r.u32();
  e.hive_bins_size = r.u32();
  e.target_offset = r.u64();
  e.applied = r.boolean();
  e.reason = r.str();
  return e;
}

void put_replay(Writer& w, const ReplayReport& p) {
  w.boolean(p.dirty);
  w.str(p.dirty_reason);
  w.boolean(p.primary_base_block_valid);
  put_vector(w, p.base_block_problems, put_string);
  w.enumeration(p.format);
  put_vector(w, p.logs, put_replay_log);
  put_vector(w, p.entries, put_replay_entry);
  w.boolean(p.performed);
  w.boolean(p.recovered);
  w.boolean(p.base_block_restored);
  w.str(p.base_block_source);
  w.boolean(p.sequence_gap);
  w.str(p.sequence_gap_note);
  w.u32(p.entries_applied);
  w.u32(p.entries_skipped);
  w.u32(p.bins_healed);
  w.u32(p.primary_sequence_before);
  w.u32(p.secondary_sequence_before);
  w.u32(p.primary_sequence_after);
  w.u32(p.secondary_sequence_after);
  w.u32(p.hive_bins_size_before);
  w.u32(p.hive_bins_size_after);
  w.str(p.summary);
}

ReplayReport get_replay(Reader& r) {
  ReplayReport p;
  p.dirty = r.boolean();
  p.dirty_reason = r.str();
  p.primary_base_block_valid = r.boolean();
  p.base_block_problems = get_vector<std::string>(r, get_string);
  p.format = r.enumeration(LogFormat::kNew, "log format");
  p.logs = get_vector<ReplayLog>(r, get_replay_log);
  p.entries = get_vector<ReplayEntry>(r, get_replay_entry);
  p.performed = r.boolean();
  p.recovered = r.boolean();
  p.base_block_restored = r.boolean();
  p.base_block_source = r.str();
  p.sequence_gap = r.boolean();
  p.sequence_gap_note = r.str();
  p.entries_applied = r.u32();
  p.entries_skipped = r.u32();
  p.bins_healed = r.u32();
  p.primary_sequence_before = r.u32();
  p.secondary_sequence_before = r.u32();
  p.primary_sequence_after = r.u32();
  p.secondary_sequence_after = r.u32();
  p.hive_bins_size_before = r.u32();
  p.hive_bins_size_after = r.u32();
  p.summary = r.str();
  return p;
}

void put_value(Writer& w, const RegValue& v) {
  w.str(v.name);
  w.u32(v.type);
  w.count(v.raw.size());
  for (const std::uint8_t b : v.raw) {
    w.u8(b);
  }
  put_vector(w, v.strings, put_string);
  put_optional(w, v.number, put_u64);
  w.boolean(v.binary_as_text);
  w.boolean(v.truncated);
  w.str(v.error);
}

RegValue get_value(Reader& r) {
  RegValue v;
  v.name = r.str();
  v.type = r.u32();
  const std::string_view raw = r.view();
  v.raw.assign(raw.begin(), raw.end());
  v.strings = get_vector<std::string>(r, get_string);
  v.number = get_optional<std::uint64_t>(r, get_u64);
  v.binary_as_text = r.boolean();
  v.truncated = r.boolean();
  v.error = r.str();
  return v;
}

void put_key(Writer& w, const RegKey& k) {
  w.str(k.path);
  w.enumeration(k.status);
  w.u64(k.last_written);
  put_vector(w, k.values, put_value);
  put_vector(w, k.subkeys, put_string);
  w.str(k.error);
}

RegKey get_key(Reader& r) {
  RegKey k;
  k.path = r.str();
  k.status = r.enumeration(KeyStatus::kUnreadable, "key status");
  k.last_written = r.u64();
  k.values = get_vector<RegValue>(r, get_value);
  k.subkeys = get_vector<std::string>(r, get_string);
  k.error = r.str();
  return k;
}

void put_select(Writer& w, const SelectInfo& s) {
  w.boolean(s.key_present);
  w.u64(s.last_written);
  put_optional(w, s.current, put_u32);
  put_optional(w, s.default_set, put_u32);
  put_optional(w, s.failed, put_u32);
  put_optional(w, s.last_known_good, put_u32);
}

SelectInfo get_select(Reader& r) {
  SelectInfo s;
  s.key_present = r.boolean();
  s.last_written = r.u64();
  s.current = get_optional<std::uint32_t>(r, get_u32);
  s.default_set = get_optional<std::uint32_t>(r, get_u32);
  s.failed = get_optional<std::uint32_t>(r, get_u32);
  s.last_known_good = get_optional<std::uint32_t>(r, get_u32);
  return s;
}

void put_control_set(Writer& w, const ControlSet& c) {
  w.str(c.name);
  w.u32(c.number);
  put_vector(w, c.keys, put_key);
}

ControlSet get_control_set(Reader& r) {
  ControlSet c;
  c.name = r.str();
  c.number = r.u32();
  c.keys = get_vector<RegKey>(r, get_key);
  return c;
}

void put_system(Writer& w, const SystemHive& h) {
  w.str(h.path);
  put_base_block(w, h.base);
  put_vector(w, h.logs, put_hive_log);
  put_optional(w, h.replay, put_replay);
  w.boolean(h.root_readable);
  put_select(w, h.select);
  put_vector(w, h.control_sets, put_control_set);
  put_vector(w, h.root_subkeys, put_string);
}

SystemHive get_system(Reader& r) {
  SystemHive h;
  h.path = r.str();
  h.base = get_base_block(r);
  h.logs = get_vector<HiveLogFile>(r, get_hive_log);
  h.replay = get_optional<ReplayReport>(r, get_replay);
  h.root_readable = r.boolean();
  h.select = get_select(r);
  h.control_sets = get_vector<ControlSet>(r, get_control_set);
  h.root_subkeys = get_vector<std::string>(r, get_string);
  return h;
}

void put_software(Writer& w, const SoftwareHive& s) {
  w.str(s.path);
  put_base_block(w, s.base);
  w.boolean(s.current_version_present);
  w.u64(s.last_written);
  put_optional(w, s.product_name, put_string);
  put_optional(w, s.current_build, put_string);
  put_optional(w, s.current_build_number, put_string);
  put_optional(w, s.ubr, put_u32);
  put_optional(w, s.display_version, put_string);
  put_optional(w, s.release_id, put_string);
  put_optional(w, s.edition_id, put_string);
  put_optional(w, s.installation_type, put_string);
  put_optional(w, s.install_date, put_u32);
  put_optional(w, s.system_root, put_string);
}

SoftwareHive get_software(Reader& r) {
  SoftwareHive s;
  s.path = r.str();
  s.base = get_base_block(r);
  s.current_version_present = r.boolean();
  s.last_written = r.u64();
  s.product_name = get_optional<std::string>(r, get_string);
  s.current_build = get_optional<std::string>(r, get_string);
  s.current_build_number = get_optional<std::string>(r, get_string);
  s.ubr = get_optional<std::uint32_t>(r, get_u32);
  s.display_version = get_optional<std::string>(r, get_string);
  s.release_id = get_optional<std::string>(r, get_string);
  s.edition_id = get_optional<std::string>(r, get_string);
  s.installation_type = get_optional<std::string>(r, get_string);
  s.install_date = get_optional<std::uint32_t>(r, get_u32);
  s.system_root = get_optional<std::string>(r, get_string);
  return s;
}

// --- events -----------------------------------------------------------------------------------

/// Event strings go through the pool on the way in (see decode_event_log_file).
struct EventReader {
  Reader& r;
  TextPool& pool;

  Text text() {
    const std::string_view s = r.view();
    return s.empty() ? Text() : pool.intern(s);
  }
};

void put_event_ref(Writer& w, const EventRef& e) {
  w.str(e.artifact.view());
  w.str(e.channel_name.view());
  w.u64(e.record_id);
  w.u64(e.written);
  w.u16(e.event_id);
  w.u8(e.version);
  w.boolean(e.recovered);
}

EventRef get_event_ref(EventReader& er) {
  EventRef e;
  e.artifact = er.text();
  e.channel_name = er.text();
  e.record_id = er.r.u64();
  e.written = er.r.u64();
  e.event_id = er.r.u16();
  e.version = er.r.u8();
  e.recovered = er.r.boolean();
  return e;
}

void put_event(Writer& w, const Event& e) {
  w.enumeration(e.kind);
  w.enumeration(e.channel);
  put_event_ref(w, e.ref);
  w.u64(e.time);
  put_optional(w, e.pid, put_u64);
  put_optional(w, e.parent_pid, put_u64);
  for (const Text* t : {&e.image,
                        &e.command_line,
                        &e.parent_image,
                        &e.parent_command_line,
                        &e.process_guid,
                        &e.parent_guid,
                        &e.user_sid,
                        &e.user_name}) {
    w.str(t->view());
  }
  put_optional(w, e.logon_id, put_u64);
  put_optional(w, e.session_id, put_u32);
  w.str(e.integrity.view());
  put_optional(w, e.exit_status, put_u64);
  put_optional(w, e.logon_type, [](Writer& wr, int v) { wr.u32(static_cast<std::uint32_t>(v)); });
  w.str(e.address.view());
  put_optional(w, e.source_session, put_u32);
  w.str(e.reason.view());
  w.u64(e.previous_time);
  w.u64(e.new_time);
  w.str(e.cleared_channel.view());
}

Event get_event(EventReader& er) {
  Reader& r = er.r;
  Event e;
  e.kind = r.enumeration(EventKind::kClockChange, "event kind");
  e.channel = r.enumeration(LogChannel::kOther, "log channel");
  e.ref = get_event_ref(er);
  e.time = r.u64();
  e.pid = get_optional<std::uint64_t>(r, get_u64);
  e.parent_pid = get_optional<std::uint64_t>(r, get_u64);
  for (Text* t : {&e.image,
                  &e.command_line,
                  &e.parent_image,
                  &e.parent_command_line,
                  &e.process_guid,
                  &e.parent_guid,
                  &e.user_sid,
                  &e.user_name}) {
    *t = er.text();
  }
  e.logon_id = get_optional<std::uint64_t>(r, get_u64);
  e.session_id = get_optional<std::uint32_t>(r, get_u32);
  e.integrity = er.text();
  e.exit_status = get_optional<std::uint64_t>(r, get_u64);
  e.logon_type = get_optional<int>(r, [](Reader& rd) { return static_cast<int>(rd.u32()); });
  e.address = er.text();
  e.source_session = get_optional<std::uint32_t>(r, get_u32);
  e.reason = er.text();
  e.previous_time = r.u64();
  e.new_time = r.u64();
  e.cleared_channel = er.text();
  return e;
}

void put_event_log(Writer& w, const EventLogFile& f) {
  w.str(f.path);
  w.u64(f.size);
  w.str(f.sha256);
  w.str(f.channel_name);
  w.enumeration(f.channel);
  w.boolean(f.header_dirty);
  w.u64(f.records);
  w.u64(f.recovered);
  w.u64(f.unreadable);
  w.u64(f.first_time);
  w.u64(f.last_time);
  w.u64(f.first_record_id);
  w.u64(f.last_record_id);
  w.count(f.relevant_counts.size());
  for (const auto& [id, n] : f.relevant_counts) {
    w.u16(id);
    w.u64(n);
  }
  put_vector(w, f.events, put_event);
}

EventLogFile get_event_log(EventReader& er) {
  Reader& r = er.r;
  EventLogFile f;
  f.path = r.str();
  f.size = r.u64();
  f.sha256 = r.str();
  f.channel_name = r.str();
  f.channel = r.enumeration(LogChannel::kOther, "log channel");
  f.header_dirty = r.boolean();
  f.records = r.u64();
  f.recovered = r.u64();
  f.unreadable = r.u64();
  f.first_time = r.u64();
  f.last_time = r.u64();
  f.first_record_id = r.u64();
  f.last_record_id = r.u64();
  const std::size_t counts = r.count();
  for (std::size_t i = 0; i < counts && r.ok(); ++i) {
    const std::uint16_t id = r.u16();
    const std::uint64_t n = r.u64();
    if (r.ok() && !f.relevant_counts.emplace(id, n).second) {
      r.fail("duplicate event id " + std::to_string(id) + " in relevant_counts");
    }
  }
  const std::size_t n = r.count();
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    f.events.push_back(get_event(er));
  }
  return f;
}

// --- messages ---------------------------------------------------------------------------------

template <typename T, typename Put>
std::vector<std::uint8_t> encode_message(PayloadKind kind,
                                         const Result<T>& result,
                                         const std::vector<Diagnostic>& diagnostics,
                                         Put put) {
  Writer w;
  w.u32(kMagic);
  w.u16(kVersion);
  w.u8(static_cast<std::uint8_t>(kind));
  w.boolean(result.has_value());
  if (result) {
    put(w, *result);
  } else {
    put_error(w, result.error());
  }
  put_vector(w, diagnostics, put_diagnostic);
  return w.take();
}

Error wire_error(const std::string& problem) {
  return Error{ErrorCode::kWireFormat, "parser result", problem};
}

template <typename T, typename Get>
Result<Message<T>> decode_message(std::span<const std::uint8_t> bytes, PayloadKind kind, Get get) {
  Reader r(bytes);
  const std::uint32_t magic = r.u32();
  if (r.ok() && magic != kMagic) {
    r.fail("bad magic");
  }
  const std::uint16_t version = r.u16();
  if (r.ok() && version != kVersion) {
    r.fail("unsupported version " + std::to_string(version));
  }
  const std::uint8_t got_kind = r.u8();
  if (r.ok() && got_kind != static_cast<std::uint8_t>(kind)) {
    r.fail("payload kind " + std::to_string(got_kind) + ", expected " +
           std::to_string(static_cast<unsigned>(kind)));
  }
  const bool has_value = r.boolean();
  std::optional<T> value;
  std::optional<Error> error;
  if (r.ok() && has_value) {
    value = get(r);
  } else if (r.ok()) {
    error = get_error(r);
  }
  std::vector<Diagnostic> diagnostics = get_vector<Diagnostic>(r, get_diagnostic);
  if (r.ok() && r.remaining() != 0) {
    r.fail("trailing bytes");
  }
  if (!r.ok()) {
    return fail(wire_error(r.problem()));
  }
  if (value) {
    return Message<T>{Result<T>(std::move(*value)), std::move(diagnostics)};
  }
  return Message<T>{Result<T>(fail(std::move(*error))), std::move(diagnostics)};
}

}  // namespace

std::vector<std::uint8_t> encode(const Result<SystemHive>& result,
                                 const std::vector<Diagnostic>& diagnostics) {
  return encode_message(PayloadKind::kSystemHive, result, diagnostics, put_system);
}

std::vector<std::uint8_t> encode(const Result<SoftwareHive>& result,
                                 const std::vector<Diagnostic>& diagnostics) {
  return encode_message(PayloadKind::kSoftwareHive, result, diagnostics, put_software);
}

std::vector<std::uint8_t> encode(const Result<EventLogFile>& result,
                                 const std::vector<Diagnostic>& diagnostics) {
  return encode_message(PayloadKind::kEventLogFile, result, diagnostics, put_event_log);
}

Result<Message<SystemHive>> decode_system_hive(std::span<const std::uint8_t> bytes) {
  return decode_message<SystemHive>(bytes, PayloadKind::kSystemHive, get_system);
}

Result<Message<SoftwareHive>> decode_software_hive(std::span<const std::uint8_t> bytes) {
  return decode_message<SoftwareHive>(bytes, PayloadKind::kSoftwareHive, get_software);
}

Result<Message<EventLogFile>> decode_event_log_file(std::span<const std::uint8_t> bytes,
                                                    TextPool& pool) {
  return decode_message<EventLogFile>(bytes, PayloadKind::kEventLogFile, [&pool](Reader& r) {
    EventReader er{r, pool};
    return get_event_log(er);
  });
}

}  // namespace smssaudit::facts::wire
