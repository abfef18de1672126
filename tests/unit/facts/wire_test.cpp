// The facts wire format (facts/wire.hpp): every field of every encoded fact survives a round trip,
// and hostile bytes (truncated, flipped, lying counts, bad enumerators) decode to an error without
// crashing. The comparisons below are written field by field, independently of wire.cpp, and the
// member counts pin the structures: a member added to a fact fails this file until it is both
// set in the samples and compared.
#include "smssaudit/facts/wire.hpp"

#include "support/catch.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace smssaudit;
using namespace smssaudit::facts;

namespace {

struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT: declared only
};

template <typename T, typename... A>
constexpr std::size_t members() {
  if constexpr (requires { T{A{}..., AnyField{}}; }) {
    return members<T, A..., AnyField>();
  } else {
    return sizeof...(A);
  }
}

// Bumping one of these means: set the new member in a sample below and compare it in same().
static_assert(members<Error>() == 3);
static_assert(members<Diagnostic>() == 5);
static_assert(members<BaseBlock>() == 15);
static_assert(members<HiveLogFile>() == 3);
static_assert(members<ReplayLog>() == 11);
static_assert(members<ReplayEntry>() == 8);
static_assert(members<ReplayReport>() == 23);
static_assert(members<RegValue>() == 8);
static_assert(members<RegKey>() == 6);
static_assert(members<SelectInfo>() == 6);
static_assert(members<ControlSet>() == 3);
static_assert(members<SystemHive>() == 8);
static_assert(members<SoftwareHive>() == 14);
static_assert(members<EventRef>() == 7);
static_assert(members<Event>() == 25);
static_assert(members<EventLogFile>() == 15);

// --- samples: every member set, and to a value no other member of the sample has --------------

/// Distinct numbers and strings, so a decoder that swaps two fields of one type is caught too.
class Gen {
 public:
  std::uint32_t u32() { return ++n_ * 7919U; }

  std::uint64_t u64() { return (static_cast<std::uint64_t>(++n_) << 33) | 0x5aU; }

  std::string str(const std::string& tag) { return tag + "-" + std::to_string(++n_) + "-\xc3\xa9"; }

 private:
  std::uint32_t n_ = 0;
};

BaseBlock sample_base(Gen& g) {
  BaseBlock b;
  b.signature_ok = true;
  b.primary_sequence = g.u32();
  b.secondary_sequence = g.u32();
  b.last_written = g.u64();
  b.major_version = g.u32();
  b.minor_version = g.u32();
  b.file_type = g.u32();
  b.file_format = g.u32();
  b.root_cell_offset = g.u32();
  b.hive_bins_size = g.u32();
  b.clustering_factor = g.u32();
  b.embedded_name = g.str("name");
  b.stored_checksum = g.u32();
  b.computed_checksum = g.u32();
  b.file_size = g.u64();
  return b;
}

ReplayReport sample_replay(Gen& g) {
  ReplayReport p;
  p.dirty = true;
  p.dirty_reason = g.str("dirty");
  p.primary_base_block_valid = true;
  p.base_block_problems = {g.str("problem"), g.str("problem")};
  p.format = LogFormat::kNew;
  ReplayLog l;
  l.path = g.str("logpath");
  l.name = g.str("logname");
  l.size = g.u64();
  l.format = LogFormat::kOld;
  l.usable = true;
  l.used = true;
  l.base_primary_sequence = g.u32();
  l.first_sequence = g.u32();
  l.last_sequence = g.u32();
  l.valid_entries = g.u32();
  l.reason = g.str("reason");
  p.logs = {l, ReplayLog{}};
  ReplayEntry e;
  e.log = g.str("entrylog");
  e.offset = g.u64();
  e.sequence = g.u32();
  e.page_count = g.u32();
  e.hive_bins_size = g.u32();
  e.target_offset = g.u64();
  e.applied = true;
  e.reason = g.str("skip");
  p.entries = {e, ReplayEntry{}};
  p.performed = true;
  p.recovered = true;
  p.base_block_restored = true;
  p.base_block_source = g.str("source");
  p.sequence_gap = true;
  p.sequence_gap_note = g.str("gap");
  p.entries_applied = g.u32();
  p.entries_skipped = g.u32();
  p.bins_healed = g.u32();
  p.primary_sequence_before = g.u32();
  p.secondary_sequence_before = g.u32();
  p.primary_sequence_after = g.u32();
  p.secondary_sequence_after = g.u32();
  p.hive_bins_size_before = g.u32();
  p.hive_bins_size_after = g.u32();
  p.summary = g.str("summary");
  return p;
}

RegValue sample_value(Gen& g) {
  RegValue v;
  v.name = g.str("value");
  v.type = g.u32();
  v.raw = {0x00, 0xff, 0x41, 0x00, 0x80};
  v.strings = {g.str("s"), "", g.str("s")};
  v.number = g.u64();
  v.binary_as_text = true;
  v.truncated = true;
  v.error = g.str("err");
  return v;
}

SystemHive sample_system(Gen& g) {
  SystemHive h;
  h.path = g.str("path");
  h.base = sample_base(g);
  HiveLogFile log;
  log.path = g.str("log");
  log.size = g.u64();
  log.base = sample_base(g);
  h.logs = {log, HiveLogFile{g.str("log2"), g.u64(), std::nullopt}};
  h.replay = sample_replay(g);
  h.root_readable = true;
  h.select.key_present = true;
  h.select.last_written = g.u64();
  h.select.current = g.u32();
  h.select.default_set = g.u32();
  h.select.failed = g.u32();
  h.select.last_known_good = g.u32();
  for (int i = 0; i < 2; ++i) {
    ControlSet cs;
    cs.name = g.str("ControlSet");
    cs.number = g.u32();
    RegKey k;
    k.path = g.str("key");
    k.status = KeyStatus::kUnreadable;
    k.last_written = g.u64();
    k.values = {sample_value(g), RegValue{}};
    k.subkeys = {g.str("sub"), g.str("sub")};
    k.error = g.str("keyerr");
    cs.keys = {k, RegKey{}};
    h.control_sets.push_back(cs);
  }
  h.root_subkeys = {g.str("root"), g.str("root")};
  return h;
}

SoftwareHive sample_software(Gen& g) {
  SoftwareHive s;
  s.path = g.str("path");
  s.base = sample_base(g);
  s.current_version_present = true;
  s.last_written = g.u64();
  s.product_name = g.str("product");
  s.current_build = g.str("build");
  s.current_build_number = g.str("buildno");
  s.ubr = g.u32();
  s.display_version = g.str("display");
  s.release_id = g.str("release");
  s.edition_id = g.str("edition");
  s.installation_type = g.str("type");
  s.install_date = g.u32();
  s.system_root = g.str("root");
  return s;
}

Event sample_event(Gen& g, const std::string& image) {
  Event e;
  e.kind = EventKind::kClockChange;
  e.channel = LogChannel::kSysmon;
  e.ref.artifact = g.str("artifact");
  e.ref.channel_name = g.str("channel");
  e.ref.record_id = g.u64();
  e.ref.written = g.u64();
  e.ref.event_id = static_cast<std::uint16_t>(g.u32());
  e.ref.version = 3;
  e.ref.recovered = true;
  e.time = g.u64();
  e.pid = g.u64();
  e.parent_pid = g.u64();
  e.image = image;
  e.command_line = g.str("cmd");
  e.parent_image = g.str("pimage");
  e.parent_command_line = g.str("pcmd");
  e.process_guid = g.str("guid");
  e.parent_guid = g.str("pguid");
  e.user_sid = g.str("sid");
  e.user_name = g.str("user");
  e.logon_id = g.u64();
  e.session_id = g.u32();
  e.integrity = g.str("integrity");
  e.exit_status = g.u64();
  e.logon_type = -7;  // negative on purpose: the int must survive the u32 encoding
  e.address = g.str("address");
  e.source_session = g.u32();
  e.reason = g.str("reason");
  e.previous_time = g.u64();
  e.new_time = g.u64();
  e.cleared_channel = g.str("cleared");
  return e;
}

EventLogFile sample_log(Gen& g) {
  EventLogFile f;
  f.path = g.str("path");
  f.size = g.u64();
  f.sha256 = g.str("sha");
  f.channel_name = g.str("channel");
  f.channel = LogChannel::kLocalSessionManager;
  f.header_dirty = true;
  f.records = g.u64();
  f.recovered = g.u64();
  f.unreadable = g.u64();
  f.first_time = g.u64();
  f.last_time = g.u64();
  f.first_record_id = g.u64();
  f.last_record_id = g.u64();
  f.relevant_counts = {{4688, g.u64()}, {65535, g.u64()}};
  f.events = {sample_event(g, "C:\\Windows\\System32\\smss.exe"),
              sample_event(g, "C:\\Windows\\System32\\smss.exe"),
              Event{}};
  return f;
}

std::vector<Diagnostic> sample_diagnostics(Gen& g) {
  return {Diagnostic{DiagLevel::kWarning, g.str("code"), g.str("src"), g.str("loc"), g.str("msg")},
          Diagnostic{DiagLevel::kError, g.str("code"), "", "", g.str("msg")}};
}

// --- independent field-by-field comparisons ---------------------------------------------------

void same(const BaseBlock& a, const BaseBlock& b) {
  CHECK(a.signature_ok == b.signature_ok);
  CHECK(a.primary_sequence == b.primary_sequence);
  CHECK(a.secondary_sequence == b.secondary_sequence);
  CHECK(a.last_written == b.last_written);
  CHECK(a.major_version == b.major_version);
  CHECK(a.minor_version == b.minor_version);
  CHECK(a.file_type == b.file_type);
  CHECK(a.file_format == b.file_format);
  CHECK(a.root_cell_offset == b.root_cell_offset);
  CHECK(a.hive_bins_size == b.hive_bins_size);
  CHECK(a.clustering_factor == b.clustering_factor);
  CHECK(a.embedded_name == b.embedded_name);
  CHECK(a.stored_checksum == b.stored_checksum);
  CHECK(a.computed_checksum == b.computed_checksum);
  CHECK(a.file_size == b.file_size);
}

void same(const ReplayReport& a, const ReplayReport& b) {
  CHECK(a.dirty == b.dirty);
  CHECK(a.dirty_reason == b.dirty_reason);
  CHECK(a.primary_base_block_valid == b.primary_base_block_valid);
  CHECK(a.base_block_problems == b.base_block_problems);
  CHECK(a.format == b.format);
  REQUIRE(a.logs.size() == b.logs.size());
  for (std::size_t i = 0; i < a.logs.size(); ++i) {
    const ReplayLog& x = a.logs[i];
    const ReplayLog& y = b.logs[i];
    CHECK(x.path == y.path);
    CHECK(x.name == y.name);
    CHECK(x.size == y.size);
    CHECK(x.format == y.format);
    CHECK(x.usable == y.usable);
    CHECK(x.used == y.used);
    CHECK(x.base_primary_sequence == y.base_primary_sequence);
    CHECK(x.first_sequence == y.first_sequence);
    CHECK(x.last_sequence == y.last_sequence);
    CHECK(x.valid_entries == y.valid_entries);
    CHECK(x.reason == y.reason);
  }
  REQUIRE(a.entries.size() == b.entries.size());
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    const ReplayEntry& x = a.entries[i];
    const ReplayEntry& y = b.entries[i];
    CHECK(x.log == y.log);
    CHECK(x.offset == y.offset);
    CHECK(x.sequence == y.sequence);
    CHECK(x.page_count == y.page_count);
    CHECK(x.hive_bins_size == y.hive_bins_size);
    CHECK(x.target_offset == y.target_offset);
    CHECK(x.applied == y.applied);
    CHECK(x.reason == y.reason);
  }
  CHECK(a.performed == b.performed);
  CHECK(a.recovered == b.recovered);
  CHECK(a.base_block_restored == b.base_block_restored);
  CHECK(a.base_block_source == b.base_block_source);
  CHECK(a.sequence_gap == b.sequence_gap);
  CHECK(a.sequence_gap_note == b.sequence_gap_note);
  CHECK(a.entries_applied == b.entries_applied);
  CHECK(a.entries_skipped == b.entries_skipped);
  CHECK(a.bins_healed == b.bins_healed);
  CHECK(a.primary_sequence_before == b.primary_sequence_before);
  CHECK(a.secondary_sequence_before == b.secondary_sequence_before);
  CHECK(a.primary_sequence_after == b.primary_sequence_after);
  CHECK(a.secondary_sequence_after == b.secondary_sequence_after);
  CHECK(a.hive_bins_size_before == b.hive_bins_size_before);
  CHECK(a.hive_bins_size_after == b.hive_bins_size_after);
  CHECK(a.summary == b.summary);
}

void same(const RegValue& a, const RegValue& b) {
  CHECK(a.name == b.name);
  CHECK(a.type == b.type);
  CHECK(a.raw == b.raw);
  CHECK(a.strings == b.strings);
  CHECK(a.number == b.number);
  CHECK(a.binary_as_text == b.binary_as_text);
  CHECK(a.truncated == b.truncated);
  CHECK(a.error == b.error);
}

void same(const SystemHive& a, const SystemHive& b) {
  CHECK(a.path == b.path);
  same(a.base, b.base);
  REQUIRE(a.logs.size() == b.logs.size());
  for (std::size_t i = 0; i < a.logs.size(); ++i) {
    CHECK(a.logs[i].path == b.logs[i].path);
    CHECK(a.logs[i].size == b.logs[i].size);
    REQUIRE(a.logs[i].base.has_value() == b.logs[i].base.has_value());
    if (a.logs[i].base) {
      same(*a.logs[i].base, *b.logs[i].base);
    }
  }
  REQUIRE(a.replay.has_value() == b.replay.has_value());
  if (a.replay) {
    same(*a.replay, *b.replay);
  }
  CHECK(a.root_readable == b.root_readable);
  CHECK(a.select.key_present == b.select.key_present);
  CHECK(a.select.last_written == b.select.last_written);
  CHECK(a.select.current == b.select.current);
  CHECK(a.select.default_set == b.select.default_set);
  CHECK(a.select.failed == b.select.failed);
  CHECK(a.select.last_known_good == b.select.last_known_good);
  REQUIRE(a.control_sets.size() == b.control_sets.size());
  for (std::size_t i = 0; i < a.control_sets.size(); ++i) {
    const ControlSet& x = a.control_sets[i];
    const ControlSet& y = b.control_sets[i];
    CHECK(x.name == y.name);
    CHECK(x.number == y.number);
    REQUIRE(x.keys.size() == y.keys.size());
    for (std::size_t k = 0; k < x.keys.size(); ++k) {
      CHECK(x.keys[k].path == y.keys[k].path);
      CHECK(x.keys[k].status == y.keys[k].status);
      CHECK(x.keys[k].last_written == y.keys[k].last_written);
      REQUIRE(x.keys[k].values.size() == y.keys[k].values.size());
      for (std::size_t v = 0; v < x.keys[k].values.size(); ++v) {
        same(x.keys[k].values[v], y.keys[k].values[v]);
      }
      CHECK(x.keys[k].subkeys == y.keys[k].subkeys);
      CHECK(x.keys[k].error == y.keys[k].error);
    }
  }
  CHECK(a.root_subkeys == b.root_subkeys);
}

void same(const SoftwareHive& a, const SoftwareHive& b) {
  CHECK(a.path == b.path);
  same(a.base, b.base);
  CHECK(a.current_version_present == b.current_version_present);
  CHECK(a.last_written == b.last_written);
  CHECK(a.product_name == b.product_name);
  CHECK(a.current_build == b.current_build);
  CHECK(a.current_build_number == b.current_build_number);
  CHECK(a.ubr == b.ubr);
  CHECK(a.display_version == b.display_version);
  CHECK(a.release_id == b.release_id);
  CHECK(a.edition_id == b.edition_id);
  CHECK(a.installation_type == b.installation_type);
  CHECK(a.install_date == b.install_date);
  CHECK(a.system_root == b.system_root);
}

void same(const Event& a, const Event& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.channel == b.channel);
  CHECK(a.ref == b.ref);  // EventRef's defaulted ==, all seven members
  CHECK(a.time == b.time);
  CHECK(a.pid == b.pid);
  CHECK(a.parent_pid == b.parent_pid);
  CHECK(a.image == b.image);
  CHECK(a.command_line == b.command_line);
  CHECK(a.parent_image == b.parent_image);
  CHECK(a.parent_command_line == b.parent_command_line);
  CHECK(a.process_guid == b.process_guid);
  CHECK(a.parent_guid == b.parent_guid);
  CHECK(a.user_sid == b.user_sid);
  CHECK(a.user_name == b.user_name);
  CHECK(a.logon_id == b.logon_id);
  CHECK(a.session_id == b.session_id);
  CHECK(a.integrity == b.integrity);
  CHECK(a.exit_status == b.exit_status);
  CHECK(a.logon_type == b.logon_type);
  CHECK(a.address == b.address);
  CHECK(a.source_session == b.source_session);
  CHECK(a.reason == b.reason);
  CHECK(a.previous_time == b.previous_time);
  CHECK(a.new_time == b.new_time);
  CHECK(a.cleared_channel == b.cleared_channel);
}

void same(const EventLogFile& a, const EventLogFile& b) {
  CHECK(a.path == b.path);
  CHECK(a.size == b.size);
  CHECK(a.sha256 == b.sha256);
  CHECK(a.channel_name == b.channel_name);
  CHECK(a.channel == b.channel);
  CHECK(a.header_dirty == b.header_dirty);
  CHECK(a.records == b.records);
  CHECK(a.recovered == b.recovered);
  CHECK(a.unreadable == b.unreadable);
  CHECK(a.first_time == b.first_time);
  CHECK(a.last_time == b.last_time);
  CHECK(a.first_record_id == b.first_record_id);
  CHECK(a.last_record_id == b.last_record_id);
  CHECK(a.relevant_counts == b.relevant_counts);
  REQUIRE(a.events.size() == b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    same(a.events[i], b.events[i]);
  }
}

void same(const Error& a, const Error& b) {
  CHECK(a.code == b.code);
  CHECK(a.context == b.context);
  CHECK(a.detail == b.detail);
}

/// Every strict prefix of a message is refused (never a crash, never a partial success).
template <typename Decode>
void check_every_truncation_fails(const std::vector<std::uint8_t>& bytes, Decode decode) {
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto r = decode(std::span<const std::uint8_t>(bytes.data(), n));
    INFO("prefix of " << n << " of " << bytes.size() << " bytes");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::kWireFormat);
  }
}

}  // namespace

TEST_CASE("wire: a SYSTEM hive with every field set survives a round trip", "[facts][wire]") {
  Gen g;
  const SystemHive h = sample_system(g);
  const std::vector<Diagnostic> diags = sample_diagnostics(g);
  const auto bytes = wire::encode(Result<SystemHive>(h), diags);
  const auto decoded = wire::decode_system_hive(bytes);
  REQUIRE(decoded.has_value());
  REQUIRE(decoded->result.has_value());
  same(h, *decoded->result);
  CHECK(decoded->diagnostics == diags);
}

TEST_CASE("wire: a SOFTWARE hive with every field set survives a round trip", "[facts][wire]") {
  Gen g;
  const SoftwareHive s = sample_software(g);
  const auto bytes = wire::encode(Result<SoftwareHive>(s), {});
  const auto decoded = wire::decode_software_hive(bytes);
  REQUIRE(decoded.has_value());
  REQUIRE(decoded->result.has_value());
  same(s, *decoded->result);
  CHECK(decoded->diagnostics.empty());

  // Absent optionals stay absent (not "" or 0).
  const auto empty =
      wire::decode_software_hive(wire::encode(Result<SoftwareHive>(SoftwareHive{}), {}));
  REQUIRE(empty.has_value());
  REQUIRE(empty->result.has_value());
  same(SoftwareHive{}, *empty->result);
  CHECK_FALSE(empty->result->product_name.has_value());
}

TEST_CASE("wire: an event log with every field set survives a round trip, strings interned",
          "[facts][wire]") {
  Gen g;
  const EventLogFile f = sample_log(g);
  const std::vector<Diagnostic> diags = sample_diagnostics(g);
  const auto bytes = wire::encode(Result<EventLogFile>(f), diags);
  TextPool pool;
  const auto decoded = wire::decode_event_log_file(bytes, pool);
  REQUIRE(decoded.has_value());
  REQUIRE(decoded->result.has_value());
  same(f, *decoded->result);
  CHECK(decoded->diagnostics == diags);
  // Equal strings share one allocation again, as they do when the reader interns them.
  const auto& events = decoded->result->events;
  REQUIRE(events.size() == 3);
  CHECK(events[0].image.same_storage(events[1].image));
  CHECK(events[2].image.empty());
}

TEST_CASE("wire: a reader's error and its diagnostics survive a round trip", "[facts][wire]") {
  Gen g;
  const Error e{ErrorCode::kHiveStructure, g.str("context"), g.str("detail")};
  const std::vector<Diagnostic> diags = sample_diagnostics(g);
  const auto sys = wire::decode_system_hive(wire::encode(Result<SystemHive>(fail(e)), diags));
  REQUIRE(sys.has_value());
  REQUIRE_FALSE(sys->result.has_value());
  same(e, sys->result.error());
  CHECK(sys->diagnostics == diags);
  TextPool pool;
  const auto log =
      wire::decode_event_log_file(wire::encode(Result<EventLogFile>(fail(e)), {}), pool);
  REQUIRE(log.has_value());
  REQUIRE_FALSE(log->result.has_value());
  same(e, log->result.error());
}

TEST_CASE("wire: every truncation of a message is a decode error", "[facts][wire]") {
  Gen g;
  const auto sys = wire::encode(Result<SystemHive>(sample_system(g)), sample_diagnostics(g));
  check_every_truncation_fails(
      sys, [](std::span<const std::uint8_t> b) { return wire::decode_system_hive(b); });
  const auto soft = wire::encode(Result<SoftwareHive>(sample_software(g)), {});
  check_every_truncation_fails(
      soft, [](std::span<const std::uint8_t> b) { return wire::decode_software_hive(b); });
  const auto log = wire::encode(Result<EventLogFile>(sample_log(g)), sample_diagnostics(g));
  TextPool pool;
  check_every_truncation_fails(log, [&pool](std::span<const std::uint8_t> b) {
    return wire::decode_event_log_file(b, pool);
  });
}

TEST_CASE("wire: wrong kind, version, magic, trailing bytes and bad flags are refused",
          "[facts][wire]") {
  Gen g;
  const auto sys = wire::encode(Result<SystemHive>(sample_system(g)), {});
  // A SYSTEM message is not a SOFTWARE one.
  const auto as_software = wire::decode_software_hive(sys);
  REQUIRE_FALSE(as_software.has_value());
  CHECK(as_software.error().detail.find("payload kind") != std::string::npos);

  auto bad = sys;
  bad[0] ^= 0xff;  // magic
  CHECK_FALSE(wire::decode_system_hive(bad).has_value());
  bad = sys;
  bad[4] = static_cast<std::uint8_t>(wire::kVersion + 1);  // version, low byte
  const auto version = wire::decode_system_hive(bad);
  REQUIRE_FALSE(version.has_value());
  CHECK(version.error().detail.find("version") != std::string::npos);
  bad = sys;
  bad.push_back(0);
  const auto trailing = wire::decode_system_hive(bad);
  REQUIRE_FALSE(trailing.has_value());
  CHECK(trailing.error().detail.find("trailing") != std::string::npos);
  bad = sys;
  bad[7] = 2;  // result tag: neither value nor error
  CHECK_FALSE(wire::decode_system_hive(bad).has_value());
}

TEST_CASE("wire: a lying length or count is refused before anything is allocated for it",
          "[facts][wire]") {
  // Header + value tag, then SystemHive::path claiming 4 GiB - 1 bytes with 4 bytes behind it.
  std::vector<std::uint8_t> bytes = {'S', 'M', 'W', 'F', wire::kVersion, 0, 1, 1};
  bytes.insert(bytes.end(), {0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd'});
  const auto r = wire::decode_system_hive(bytes);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kWireFormat);
  CHECK(r.error().detail.find("count 4294967295 exceeds") != std::string::npos);

  // An out-of-range enumerator (KeyStatus) is refused, not cast.
  Gen g;
  SystemHive h;
  ControlSet cs;
  cs.keys.push_back(RegKey{});
  cs.keys.back().status = KeyStatus::kUnreadable;
  h.control_sets.push_back(cs);
  auto good = wire::encode(Result<SystemHive>(h), {});
  REQUIRE(wire::decode_system_hive(good).has_value());
  // KeyStatus::kUnreadable is 2 and is the only u32 of value 2 followed by the key's 8-byte
  // last_written of 0 and an empty values count in this message: find it and make it 7.
  bool patched = false;
  for (std::size_t i = 0; i + 16 <= good.size(); ++i) {
    if (good[i] == 2 && good[i + 1] == 0 && good[i + 2] == 0 && good[i + 3] == 0 &&
        std::all_of(good.begin() + static_cast<std::ptrdiff_t>(i) + 4,
                    good.begin() + static_cast<std::ptrdiff_t>(i) + 16,
                    [](std::uint8_t b) { return b == 0; })) {
      good[i] = 7;
      patched = true;
      break;
    }
  }
  REQUIRE(patched);
  const auto bad_enum = wire::decode_system_hive(good);
  REQUIRE_FALSE(bad_enum.has_value());
  CHECK(bad_enum.error().detail.find("invalid key status 7") != std::string::npos);
}

TEST_CASE("wire: random bytes and byte flips never crash the decoder", "[facts][wire]") {
  std::mt19937 rng(20261124);  // deterministic
  std::uniform_int_distribution<int> byte(0, 255);
  Gen g;
  const auto log = wire::encode(Result<EventLogFile>(sample_log(g)), sample_diagnostics(g));
  TextPool pool;
  int decoded_ok = 0;
  for (int round = 0; round < 2000; ++round) {
    auto bytes = log;
    // Flip a few bytes after the header; some flips land in string contents and still decode.
    for (int k = 0; k < 3; ++k) {
      const std::size_t at = 8 + static_cast<std::size_t>(rng()) % (bytes.size() - 8);
      bytes[at] = static_cast<std::uint8_t>(byte(rng));
    }
    const auto r = wire::decode_event_log_file(bytes, pool);
    decoded_ok += r.has_value() ? 1 : 0;
  }
  CHECK(decoded_ok < 2000);  // most flips break a length, flag or enumerator
  for (int round = 0; round < 500; ++round) {
    std::vector<std::uint8_t> garbage(static_cast<std::size_t>(rng() % 512));
    for (auto& b : garbage) {
      b = static_cast<std::uint8_t>(byte(rng));
    }
    CHECK_FALSE(wire::decode_system_hive(garbage).has_value());  // no magic
    if (garbage.size() >= 8) {
      garbage[0] = 'S';
      garbage[1] = 'M';
      garbage[2] = 'W';
      garbage[3] = 'F';
      garbage[4] = wire::kVersion;
      garbage[5] = 0;
      garbage[6] = 3;
      (void)wire::decode_event_log_file(garbage, pool);  // header right, body random: no crash
    }
  }
}
