// Strict YAML -> EvtxSpec: unknown keys and field names are errors, so a typo never vanishes.
// A spec is first read into raw files of event nodes (following its `base:` chain and applying
// remove/change/add), then every event is resolved: presets applied, defaults filled, values
// encoded.
#include "evtx_spec_loader.hpp"

#include "evtx_presets.hpp"
#include "smssaudit/core/filetime.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

namespace smssaudit::devtools::evtx {

namespace {

constexpr std::string_view kDefaultComputer = "WIN10-FIX";
constexpr double kTicksPerSecond = 1e7;

constexpr std::array<std::string_view, 9> kTopKeys = {
    "description", "base_time", "computer", "files", "base", "remove", "change", "add", "expect"};
constexpr std::array<std::string_view, 9> kFileKeys = {"name",
                                                       "channel",
                                                       "computer",
                                                       "first_record_id",
                                                       "records_per_chunk",
                                                       "header_dirty",
                                                       "minor_version",
                                                       "corrupt",
                                                       "events"};
constexpr std::array<std::string_view, 5> kCorruptKeys = {"truncate_to",
                                                          "bad_chunk_magic",
                                                          "bad_records_crc",
                                                          "bad_chunk_header_crc",
                                                          "bad_file_header_crc"};
constexpr std::array<std::string_view, 25> kEventKeys = {
    "t",          "time",       "utc_t",    "utc_time", "preset",   "data",          "record_id",
    "process_id", "thread_id",  "user_sid", "computer", "provider", "provider_guid", "channel",
    "event_id",   "qualifiers", "version",  "level",    "task",     "opcode",        "keywords",
    "user_data",  "fields",     "layout",   "label"};
// A derived spec's edits (README "Derived specs").
constexpr std::array<std::string_view, 2> kRemoveKeys = {"file", "label"};
constexpr std::array<std::string_view, 26> kChangeKeys = {
    "file",          "label",     "t",          "time",       "utc_t",    "utc_time", "preset",
    "data",          "record_id", "process_id", "thread_id",  "user_sid", "computer", "provider",
    "provider_guid", "channel",   "event_id",   "qualifiers", "version",  "level",    "task",
    "opcode",        "keywords",  "user_data",  "fields",     "layout"};
constexpr std::array<std::string_view, 9> kAddKeys = {"file",
                                                      "events",
                                                      "channel",
                                                      "computer",
                                                      "first_record_id",
                                                      "records_per_chunk",
                                                      "header_dirty",
                                                      "minor_version",
                                                      "corrupt"};
constexpr std::array<std::string_view, 3> kFieldKeys = {"name", "type", "value"};
constexpr std::array<std::string_view, 3> kUserDataKeys = {"element", "xmlns", "attributes"};

// Where the loader is: file name for messages, time base and inherited defaults.
struct Context {
  std::string file;
  std::optional<std::uint64_t> base_time;
  std::string computer;
  std::string channel;  ///< explicit file channel, empty when defaulted
  /// Where a node built by a derived spec's `change` (which has no position of its own) is
  /// reported: the change entry.
  std::optional<YAML::Mark> fallback;
};

YAML::Mark mark_of(const Context& ctx, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() && ctx.fallback ? *ctx.fallback : mark;
}

[[noreturn]] void fail(const Context& ctx, const YAML::Node& node, const std::string& detail) {
  const YAML::Mark mark = mark_of(ctx, node);
  if (mark.is_null())
    throw EvtxSpecError(ctx.file, 0, 0, detail);
  throw EvtxSpecError(ctx.file, mark.line + 1, mark.column + 1, detail);
}

template <std::size_t N>
void check_keys(const Context& ctx,
                const YAML::Node& node,
                const std::array<std::string_view, N>& allowed,
                std::string_view what) {
  if (!node.IsMap())
    fail(ctx, node, fmt::format("{} must be a mapping", what));
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(
          ctx,
          kv.first,
          fmt::format("unknown key '{}' in {} (allowed: {})", key, what, fmt::join(allowed, ", ")));
    }
  }
}

std::string scalar(const Context& ctx, const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar())
    fail(ctx, node, fmt::format("{} must be a scalar", what));
  return node.Scalar();
}

std::uint64_t uint_of(const Context& ctx,
                      const YAML::Node& node,
                      std::string_view what,
                      std::uint64_t max = ~0ULL) {
  const auto v = parse_uint(scalar(ctx, node, what));
  if (!v || *v > max)
    fail(ctx, node, fmt::format("{} must be an unsigned number up to {}", what, max));
  return *v;
}

bool bool_of(const Context& ctx, const YAML::Node& node, std::string_view what) {
  const std::string s = scalar(ctx, node, what);
  if (s == "true")
    return true;
  if (s == "false")
    return false;
  fail(ctx, node, fmt::format("{} must be true or false", what));
}

std::uint64_t iso_time(const Context& ctx, const YAML::Node& node, std::string_view what) {
  const auto ft = iso8601_to_filetime(scalar(ctx, node, what));
  if (!ft)
    fail(ctx, node, fmt::format("{} must be a UTC time like 2021-03-01T08:00:00.0000000Z", what));
  return *ft;
}

// `t:` seconds from base_time, or an absolute `time:`.
std::uint64_t time_of(const Context& ctx,
                      const YAML::Node& ev,
                      const char* rel_key,
                      const char* abs_key) {
  if (ev[rel_key] && ev[abs_key])
    fail(ctx, ev[abs_key], fmt::format("give either {} or {}, not both", rel_key, abs_key));
  if (ev[abs_key])
    return iso_time(ctx, ev[abs_key], abs_key);
  const YAML::Node rel = ev[rel_key];
  if (!ctx.base_time)
    fail(ctx, rel, fmt::format("{} needs a top-level base_time", rel_key));
  double seconds = 0;
  try {
    seconds = rel.as<double>();
  } catch (const YAML::Exception&) {
    fail(ctx, rel, fmt::format("{} must be a number of seconds", rel_key));
  }
  const long long ticks = std::llround(seconds * kTicksPerSecond);
  const auto magnitude = static_cast<std::uint64_t>(ticks < 0 ? -ticks : ticks);
  if (ticks < 0 && magnitude > *ctx.base_time)
    fail(ctx, rel, fmt::format("{} lies before 1601", rel_key));
  return ticks < 0 ? *ctx.base_time - magnitude : *ctx.base_time + magnitude;
}

// "2021-03-01 08:00:00.123": Sysmon's UtcTime text (milliseconds, truncated).
std::string sysmon_utc(std::uint64_t filetime) {
  std::string iso = filetime_to_iso8601(filetime);
  iso[10] = ' ';
  return iso.substr(0, 23);
}

std::vector<std::size_t> index_list(const Context& ctx,
                                    const YAML::Node& node,
                                    std::string_view what) {
  if (!node.IsSequence())
    fail(ctx, node, fmt::format("{} must be a list of chunk indexes", what));
  std::vector<std::size_t> out;
  for (const auto& item : node)
    out.push_back(static_cast<std::size_t>(uint_of(ctx, item, what, 0xFFFF)));
  return out;
}

Corruption corruption_of(const Context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, kCorruptKeys, "corrupt");
  Corruption c;
  if (node["truncate_to"])
    c.truncate_to = uint_of(ctx, node["truncate_to"], "truncate_to");
  if (node["bad_chunk_magic"])
    c.bad_chunk_magic = index_list(ctx, node["bad_chunk_magic"], "bad_chunk_magic");
  if (node["bad_records_crc"])
    c.bad_records_crc = index_list(ctx, node["bad_records_crc"], "bad_records_crc");
  if (node["bad_chunk_header_crc"])
    c.bad_chunk_header_crc = index_list(ctx, node["bad_chunk_header_crc"], "bad_chunk_header_crc");
  if (node["bad_file_header_crc"])
    c.bad_file_header_crc = bool_of(ctx, node["bad_file_header_crc"], "bad_file_header_crc");
  return c;
}

// Copies a preset's System values and layout into an event.
void apply_preset(const Preset& p, EventSpec& ev) {
  ev.preset = p.name;
  ev.layout = p.layout;
  ev.provider = p.provider;
  ev.provider_guid = p.provider_guid;
  ev.channel = p.channel;
  ev.event_id = p.event_id;
  ev.qualifiers = p.qualifiers;
  ev.version = p.version;
  ev.level = p.level;
  ev.task = p.task;
  ev.opcode = p.opcode;
  ev.keywords = p.keywords;
  ev.process_id = p.process_id;
  ev.thread_id = p.thread_id;
  ev.user_sid = p.user_sid;
  ev.body = p.body;
  ev.wrapper = p.wrapper;
  ev.wrapper_attributes = p.wrapper_attributes;
}

// Event-level System overrides (and the System part of a generic event).
void apply_system_keys(const Context& ctx, const YAML::Node& node, EventSpec& ev) {
  if (node["provider"])
    ev.provider = scalar(ctx, node["provider"], "provider");
  if (node["provider_guid"]) {
    const std::string g = scalar(ctx, node["provider_guid"], "provider_guid");
    if (!g.empty() && !parse_guid(g))
      fail(ctx, node["provider_guid"], "provider_guid must be a GUID");
    ev.provider_guid = g;
  }
  if (node["channel"])
    ev.channel = scalar(ctx, node["channel"], "channel");
  if (node["event_id"])
    ev.event_id = static_cast<std::uint16_t>(uint_of(ctx, node["event_id"], "event_id", 0xFFFF));
  if (node["qualifiers"])
    ev.qualifiers =
        static_cast<std::uint16_t>(uint_of(ctx, node["qualifiers"], "qualifiers", 0xFFFF));
  if (node["version"])
    ev.version = static_cast<std::uint8_t>(uint_of(ctx, node["version"], "version", 0xFF));
  if (node["level"])
    ev.level = static_cast<std::uint8_t>(uint_of(ctx, node["level"], "level", 0xFF));
  if (node["task"])
    ev.task = static_cast<std::uint16_t>(uint_of(ctx, node["task"], "task", 0xFFFF));
  if (node["opcode"])
    ev.opcode = static_cast<std::uint8_t>(uint_of(ctx, node["opcode"], "opcode", 0xFF));
  if (node["keywords"])
    ev.keywords = uint_of(ctx, node["keywords"], "keywords");
}

void apply_record_keys(const Context& ctx, const YAML::Node& node, EventSpec& ev) {
  if (node["record_id"])
    ev.record_id = uint_of(ctx, node["record_id"], "record_id");
  if (node["process_id"])
    ev.process_id =
        static_cast<std::uint32_t>(uint_of(ctx, node["process_id"], "process_id", 0xFFFFFFFF));
  if (node["thread_id"])
    ev.thread_id =
        static_cast<std::uint32_t>(uint_of(ctx, node["thread_id"], "thread_id", 0xFFFFFFFF));
  if (node["user_sid"]) {
    const YAML::Node sid = node["user_sid"];
    ev.user_sid = sid.IsNull() ? "" : scalar(ctx, sid, "user_sid");
    if (!ev.user_sid.empty()) {
      try {
        (void)encode_value(FieldType::kSid, ev.user_sid);
      } catch (const ValueError& e) {
        fail(ctx, sid, e.what());
      }
    }
  }
  if (node["computer"])
    ev.computer = scalar(ctx, node["computer"], "computer");
}

// Encodes one YAML value (scalar, null, or a list for StringArray) as `type`.
EncodedValue value_of(const Context& ctx,
                      const YAML::Node& node,
                      FieldType type,
                      std::string_view name) {
  try {
    if (node.IsNull())
      return null_value();
    if (node.IsSequence()) {
      if (type != FieldType::kStringArray)
        fail(ctx, node, fmt::format("field '{}' is {}, not a list", name, field_type_name(type)));
      std::vector<std::string> items;
      for (const auto& item : node)
        items.push_back(scalar(ctx, item, "a list item"));
      return encode_string_array(items);
    }
    return encode_value(type, scalar(ctx, node, name));
  } catch (const ValueError& e) {
    fail(ctx, node, fmt::format("field '{}': {}", name, e.what()));
  }
}

// Per-event placeholder values for preset defaults.
struct Placeholders {
  std::uint64_t time = 0;
  std::uint64_t utc = 0;
  std::string computer;
  std::map<std::string, std::string> values;  ///< field name -> spec text, for ${guid:Field}
};

std::string expand(const std::string& text, const Placeholders& ph) {
  if (text == "${time}")
    return filetime_to_iso8601(ph.time);
  if (text == "${utc}")
    return sysmon_utc(ph.utc);
  if (text.rfind("${guid:", 0) == 0 && text.back() == '}') {
    const std::string field = text.substr(7, text.size() - 8);
    const auto it = ph.values.find(field);
    const auto n = it == ph.values.end() ? std::nullopt : parse_uint(it->second);
    // Deterministic per process id, so a child's ParentProcessGuid matches its parent's GUID.
    return fmt::format("{{B5A3F0C1-0000-0000-0000-{:012X}}}", n.value_or(0) & 0xFFFFFFFFFFFFULL);
  }
  std::string out = text;
  const std::string token = "${computer}";
  const auto at = out.find(token);
  if (at != std::string::npos)
    out.replace(at, token.size(), ph.computer);
  return out;
}

// The preset's fields, each from `data` (by Name) or from its default.
void preset_fields(const Context& ctx,
                   const YAML::Node& node,
                   const Preset& p,
                   const Placeholders& base,
                   EventSpec& ev) {
  const YAML::Node data = node["data"];
  std::map<std::string, YAML::Node> given;
  if (data) {
    if (!data.IsMap())
      fail(ctx, data, "data must be a mapping of field name to value");
    for (const auto& kv : data) {
      const auto name = kv.first.as<std::string>();
      const bool known = std::any_of(
          p.fields.begin(), p.fields.end(), [&](const FieldDef& f) { return f.name == name; });
      if (!known)
        fail(ctx, kv.first, fmt::format("preset {} has no field '{}'", p.name, name));
      given.emplace(name, kv.second);
    }
  }
  Placeholders ph = base;
  for (const auto& f : p.fields) {
    const auto it = given.find(f.name);
    if (it != given.end() && it->second.IsScalar())
      ph.values[f.name] = it->second.Scalar();
    else if (f.value)
      ph.values[f.name] = *f.value;
  }
  for (const auto& f : p.fields) {
    const auto it = given.find(f.name);
    EventField field{f.name, f.type, {}};
    if (it != given.end()) {
      field.value = value_of(ctx, it->second, f.type, f.name);
    } else if (f.type == FieldType::kStringArray) {
      field.value = f.items.empty() ? null_value() : encode_string_array(f.items);
    } else if (f.value) {
      try {
        field.value = encode_value(f.type, expand(*f.value, ph));
      } catch (const ValueError& e) {
        fail(ctx, node, fmt::format("default of field '{}': {}", f.name, e.what()));
      }
    }
    ev.fields.push_back(std::move(field));
  }
}

void generic_fields(const Context& ctx, const YAML::Node& node, EventSpec& ev) {
  const YAML::Node fields = node["fields"];
  if (!fields)
    return;
  if (!fields.IsSequence())
    fail(ctx, fields, "fields must be a list of {name, type, value}");
  for (const auto& f : fields) {
    check_keys(ctx, f, kFieldKeys, "a field");
    if (!f["name"] || !f["type"])
      fail(ctx, f, "a field needs name and type");
    const std::string name = scalar(ctx, f["name"], "name");
    const std::string type_name = scalar(ctx, f["type"], "type");
    const auto type = parse_field_type(type_name);
    if (!type)
      fail(ctx, f["type"], fmt::format("unknown field type '{}'", type_name));
    EventField field{
        name, *type, f["value"] ? value_of(ctx, f["value"], *type, name) : null_value()};
    ev.fields.push_back(std::move(field));
  }
}

void generic_body(const Context& ctx, const YAML::Node& node, EventSpec& ev) {
  if (!node["provider"] || !node["event_id"])
    fail(ctx, node, "an event without preset needs provider and event_id (and usually fields)");
  if (node["data"])
    fail(ctx, node["data"], "data needs a preset; a generic event lists its fields");
  if (node["layout"]) {
    const std::string layout = scalar(ctx, node["layout"], "layout");
    if (layout != "manifest" && layout != "literal")
      fail(ctx, node["layout"], "layout must be manifest or literal");
    ev.layout = layout == "literal" ? SystemLayout::kLiteral : SystemLayout::kManifest;
  }
  if (node["user_data"]) {
    const YAML::Node ud = node["user_data"];
    check_keys(ctx, ud, kUserDataKeys, "user_data");
    if (!ud["element"])
      fail(ctx, ud, "user_data needs element");
    ev.body = BodyKind::kUserData;
    ev.wrapper = scalar(ctx, ud["element"], "element");
    if (ud["attributes"]) {
      for (const auto& kv : ud["attributes"])
        ev.wrapper_attributes.emplace_back(kv.first.as<std::string>(),
                                           scalar(ctx, kv.second, "attribute"));
    }
    if (ud["xmlns"])
      ev.wrapper_attributes.emplace_back("xmlns", scalar(ctx, ud["xmlns"], "xmlns"));
  }
  generic_fields(ctx, node, ev);
}

EventSpec event_of(const Context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, kEventKeys, "an event");
  EventSpec ev;
  ev.line = mark_of(ctx, node).is_null() ? 0 : mark_of(ctx, node).line + 1;
  if (!node["t"] && !node["time"])
    fail(ctx, node, "an event needs t (seconds from base_time) or time");
  ev.time = time_of(ctx, node, "t", "time");
  ev.computer = ctx.computer;
  const Preset* preset = nullptr;
  if (node["preset"]) {
    const std::string name = scalar(ctx, node["preset"], "preset");
    preset = find_preset(name);
    if (preset == nullptr)
      fail(ctx, node["preset"], fmt::format("unknown preset '{}'", name));
    if (node["fields"] || node["user_data"] || node["layout"])
      fail(ctx, node, "fields/user_data/layout are for generic events; a preset event uses data");
    apply_preset(*preset, ev);
  }
  apply_system_keys(ctx, node, ev);
  apply_record_keys(ctx, node, ev);
  if (!ctx.channel.empty() && !node["channel"])
    ev.channel = ctx.channel;
  if (preset != nullptr) {
    Placeholders ph;
    ph.time = ev.time;
    ph.utc = node["utc_t"] || node["utc_time"] ? time_of(ctx, node, "utc_t", "utc_time") : ev.time;
    ph.computer = ev.computer;
    preset_fields(ctx, node, *preset, ph, ev);
  } else {
    if (node["utc_t"] || node["utc_time"])
      fail(ctx, node, "utc_t/utc_time only apply to presets with a UtcTime field");
    generic_body(ctx, node, ev);
  }
  return ev;
}

// ---- Raw specs: files of unresolved event nodes, so a derived spec can edit them -------------

// One event as written, with the spec file it comes from (for messages). The node is held by
// pointer: assigning a YAML::Node rebinds the node it refers to inside its document, so a plain
// member would corrupt the base document when events are erased or replaced.
struct RawEvent {
  std::shared_ptr<const YAML::Node> node;
  std::string source;
  std::string label;
  std::optional<YAML::Mark> fallback;  ///< set for nodes merged by `change`
};

struct RawFile {
  LogFileSpec settings;  ///< everything but the events
  std::string channel;   ///< explicit file channel ("" = from the first event)
  std::string computer;  ///< explicit file computer ("" = top level)
  std::vector<RawEvent> events;
};

struct RawSpec {
  std::string description;
  std::optional<std::uint64_t> base_time;
  std::string computer;
  bool derived = false;  ///< built from a base: events are written in time order
  std::vector<RawFile> files;
};

std::string plain_file_name(const Context& ctx, const YAML::Node& node) {
  std::string name = scalar(ctx, node, "name");
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    fail(ctx, node, "name must be a plain file name");
  return name;
}

// The file-level keys other than name and events (shared by `files` and a derived `add`).
void apply_file_settings(const Context& ctx, const YAML::Node& node, RawFile& file) {
  if (node["channel"])
    file.channel = scalar(ctx, node["channel"], "channel");
  if (node["computer"])
    file.computer = scalar(ctx, node["computer"], "computer");
  LogFileSpec& s = file.settings;
  if (node["first_record_id"])
    s.first_record_id = uint_of(ctx, node["first_record_id"], "first_record_id");
  if (node["records_per_chunk"])
    s.records_per_chunk =
        static_cast<std::size_t>(uint_of(ctx, node["records_per_chunk"], "records_per_chunk"));
  if (node["header_dirty"])
    s.header_dirty = bool_of(ctx, node["header_dirty"], "header_dirty");
  if (node["minor_version"])
    s.minor_version =
        static_cast<std::uint16_t>(uint_of(ctx, node["minor_version"], "minor_version", 0xFFFF));
  if (node["corrupt"])
    s.corrupt = corruption_of(ctx, node["corrupt"]);
}

// Appends the events of a list, checking their keys and that labels are unique in the file.
void add_events(const Context& ctx, const YAML::Node& events, RawFile& file) {
  if (!events)
    return;
  if (!events.IsSequence())
    fail(ctx, events, "events must be a list");
  for (const auto& node : events) {
    check_keys(ctx, node, kEventKeys, "an event");
    RawEvent ev{std::make_shared<const YAML::Node>(node), ctx.file, {}, std::nullopt};
    if (node["label"]) {
      ev.label = scalar(ctx, node["label"], "label");
      if (ev.label.empty())
        fail(ctx, node["label"], "label must not be empty");
      const bool taken = std::any_of(file.events.begin(),
                                     file.events.end(),
                                     [&](const RawEvent& e) { return e.label == ev.label; });
      if (taken)
        fail(ctx,
             node["label"],
             fmt::format("label '{}' is used twice in {}", ev.label, file.settings.name));
    }
    file.events.push_back(std::move(ev));
  }
}

RawFile raw_file_of(const Context& ctx, const YAML::Node& node) {
  check_keys(ctx, node, kFileKeys, "a file");
  RawFile file;
  file.settings.line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!node["name"])
    fail(ctx, node, "a file needs a name");
  file.settings.name = plain_file_name(ctx, node["name"]);
  apply_file_settings(ctx, node, file);
  add_events(ctx, node["events"], file);
  return file;
}

RawFile& file_named(const Context& ctx, const YAML::Node& item, RawSpec& raw) {
  if (!item["file"])
    fail(ctx, item, "an edit needs file");
  const std::string name = scalar(ctx, item["file"], "file");
  for (RawFile& f : raw.files) {
    if (f.settings.name == name)
      return f;
  }
  fail(ctx, item["file"], fmt::format("the base has no file '{}'", name));
}

std::vector<RawEvent>::iterator labelled(const Context& ctx, const YAML::Node& item, RawFile& f) {
  if (!item["label"])
    fail(ctx, item, "an edit needs label");
  const std::string label = scalar(ctx, item["label"], "label");
  const auto it = std::find_if(
      f.events.begin(), f.events.end(), [&](const RawEvent& e) { return e.label == label; });
  if (it == f.events.end())
    fail(ctx,
         item["label"],
         fmt::format("no event labelled '{}' in {} of the base", label, f.settings.name));
  return it;
}

std::vector<YAML::Node> edit_list(const Context& ctx, const YAML::Node& root, const char* key) {
  std::vector<YAML::Node> out;
  const YAML::Node list = root[key];
  if (!list)
    return out;
  if (!list.IsSequence())
    fail(ctx, list, fmt::format("{} must be a list", key));
  for (const auto& item : list)
    out.push_back(item);
  return out;
}

// `data` of a changed event: the base's fields (minus those the new preset lacks, when the
// change switches presets) with the change's fields on top.
YAML::Node merged_data(const Context& ctx,
                       const YAML::Node& base,
                       const YAML::Node& change,
                       const Preset* preset) {
  const auto has_field = [preset](const std::string& name) {
    return preset == nullptr || std::any_of(preset->fields.begin(),
                                            preset->fields.end(),
                                            [&](const FieldDef& f) { return f.name == name; });
  };
  if (change["data"] && !change["data"].IsMap())
    fail(ctx, change["data"], "data must be a mapping of field name to value");
  YAML::Node out(YAML::NodeType::Map);
  if (base["data"] && base["data"].IsMap()) {
    for (const auto& kv : base["data"]) {
      const auto name = kv.first.as<std::string>();
      if (has_field(name) && !(change["data"] && change["data"][name]))
        out[name] = kv.second;
    }
  }
  if (change["data"]) {
    for (const auto& kv : change["data"]) {
      const auto name = kv.first.as<std::string>();
      if (!has_field(name))
        fail(ctx, kv.first, fmt::format("preset {} has no field '{}'", preset->name, name));
      out[name] = kv.second;
    }
  }
  return out;
}

// Keys of the base event that a change replaces: the same key, or the other form of a time.
bool replaced_by(const std::string& key, const YAML::Node& change) {
  if (key == "data" || key == "label")
    return false;
  if (key == "t" || key == "time")
    return static_cast<bool>(change["t"]) || static_cast<bool>(change["time"]);
  if (key == "utc_t" || key == "utc_time")
    return static_cast<bool>(change["utc_t"]) || static_cast<bool>(change["utc_time"]);
  return static_cast<bool>(change[key]);
}

void apply_change(const Context& ctx, const YAML::Node& item, RawSpec& raw) {
  check_keys(ctx, item, kChangeKeys, "a change");
  RawFile& file = file_named(ctx, item, raw);
  RawEvent& ev = *labelled(ctx, item, file);
  const YAML::Node& base = *ev.node;  // const: lookups must not add keys to the base
  const YAML::Node preset_node = item["preset"] ? item["preset"] : base["preset"];
  const Preset* preset = nullptr;
  if (preset_node) {
    const std::string name = scalar(ctx, preset_node, "preset");
    preset = find_preset(name);
    if (preset == nullptr)
      fail(ctx, preset_node, fmt::format("unknown preset '{}'", name));
  }
  YAML::Node merged(YAML::NodeType::Map);
  for (const auto& kv : base) {
    const auto key = kv.first.as<std::string>();
    if (!replaced_by(key, item))
      merged[key] = kv.second;
  }
  for (const auto& kv : item) {
    const auto key = kv.first.as<std::string>();
    if (key != "file" && key != "label")
      merged[key] = kv.second;
  }
  if (base["data"] || item["data"])
    merged["data"] = merged_data(ctx, base, item, preset);
  ev.node = std::make_shared<const YAML::Node>(merged);
  ev.source = ctx.file;
  ev.fallback = item.Mark();
}

void apply_add(const Context& ctx, const YAML::Node& item, RawSpec& raw) {
  check_keys(ctx, item, kAddKeys, "an add");
  if (!item["file"])
    fail(ctx, item, "an add needs file");
  const std::string name = plain_file_name(ctx, item["file"]);
  auto it = std::find_if(raw.files.begin(), raw.files.end(), [&](const RawFile& f) {
    return f.settings.name == name;
  });
  if (it == raw.files.end()) {
    RawFile file;
    file.settings.name = name;
    file.settings.line = item.Mark().is_null() ? 0 : item.Mark().line + 1;
    raw.files.push_back(std::move(file));
    it = std::prev(raw.files.end());
  }
  apply_file_settings(ctx, item, *it);
  add_events(ctx, item["events"], *it);
}

// remove, then change, then add (README "Derived specs").
void apply_edits(const Context& ctx, const YAML::Node& root, RawSpec& raw) {
  for (const YAML::Node& item : edit_list(ctx, root, "remove")) {
    check_keys(ctx, item, kRemoveKeys, "a remove");
    RawFile& file = file_named(ctx, item, raw);
    file.events.erase(labelled(ctx, item, file));
  }
  for (const YAML::Node& item : edit_list(ctx, root, "change"))
    apply_change(ctx, item, raw);
  for (const YAML::Node& item : edit_list(ctx, root, "add"))
    apply_add(ctx, item, raw);
}

// ---- Resolution ------------------------------------------------------------------------------

LogFileSpec resolve_file(const RawSpec& raw, const RawFile& rf) {
  LogFileSpec file = rf.settings;
  Context ctx;
  ctx.base_time = raw.base_time;
  ctx.computer = rf.computer.empty() ? raw.computer : rf.computer;
  ctx.channel = rf.channel;
  std::vector<std::pair<EventSpec, const RawEvent*>> events;
  for (const RawEvent& raw_ev : rf.events) {
    ctx.file = raw_ev.source;
    ctx.fallback = raw_ev.fallback;
    events.emplace_back(event_of(ctx, *raw_ev.node), &raw_ev);
  }
  // A derived spec writes each file in time order, as Windows does; ties keep the listed order.
  if (raw.derived) {
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
      return a.first.time < b.first.time;
    });
  }
  // The file channel defaults from the first event; events that name none follow it.
  if (rf.channel.empty() && !events.empty()) {
    const std::string first = events.front().first.channel;
    for (auto& [ev, source] : events) {
      if (!(*source->node)["channel"])
        ev.channel = first;
    }
  }
  for (auto& [ev, source] : events)
    file.events.push_back(std::move(ev));
  return file;
}

EvtxSpec resolve(const RawSpec& raw) {
  EvtxSpec spec;
  spec.description = raw.description;
  for (const RawFile& rf : raw.files)
    spec.files.push_back(resolve_file(raw, rf));
  return spec;
}

// ---- Loading, with base chains -------------------------------------------------------------

YAML::Node parse_yaml(std::string_view text, const std::string& file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw EvtxSpecError(file, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw EvtxSpecError(path.string(), 0, 0, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RawSpec raw_spec_of(const YAML::Node& root,
                    const std::filesystem::path& path,
                    std::vector<std::filesystem::path>& chain);

// The spec named by `base:`, relative to the deriving spec's folder (".yaml" may be left out).
RawSpec load_base(const Context& ctx,
                  const YAML::Node& node,
                  const std::filesystem::path& path,
                  std::vector<std::filesystem::path>& chain) {
  std::filesystem::path name(scalar(ctx, node, "base"));
  if (name.empty())
    fail(ctx, node, "base must name a spec");
  if (name.extension() != ".yaml")
    name += ".yaml";
  const std::filesystem::path base = path.parent_path() / name;
  const std::filesystem::path key = std::filesystem::weakly_canonical(base);
  if (std::find(chain.begin(), chain.end(), key) != chain.end()) {
    std::vector<std::string> names;
    names.reserve(chain.size());
    for (const auto& p : chain)
      names.push_back(p.filename().string());
    fail(ctx,
         node,
         fmt::format("base cycle: {} -> {}", fmt::join(names, " -> "), key.filename().string()));
  }
  std::string text;
  try {
    text = read_text(base);
  } catch (const EvtxSpecError&) {
    fail(ctx, node, fmt::format("cannot read base spec '{}'", base.string()));
  }
  return raw_spec_of(parse_yaml(text, base.string()), base, chain);
}

RawSpec raw_spec_body(const Context& ctx,
                      const YAML::Node& root,
                      const std::filesystem::path& path,
                      std::vector<std::filesystem::path>& chain) {
  check_keys(ctx, root, kTopKeys, "the spec");
  RawSpec raw;
  raw.computer = ctx.computer;
  if (root["base"]) {
    if (root["files"])
      fail(ctx, root["files"], "a spec with a base edits it through remove/change/add, not files");
    raw = load_base(ctx, root["base"], path, chain);
    raw.derived = true;
  } else {
    for (const char* key : {"remove", "change", "add"}) {
      if (root[key])
        fail(ctx, root[key], fmt::format("{} needs a base", key));
    }
    const YAML::Node files = root["files"];
    if (!files || !files.IsSequence() || files.size() == 0)
      fail(ctx, root, "files must be a non-empty list");
    std::set<std::string> names;
    for (const auto& f : files) {
      RawFile file = raw_file_of(ctx, f);
      if (!names.insert(file.settings.name).second)
        fail(ctx, f["name"], fmt::format("file name '{}' is used twice", file.settings.name));
      raw.files.push_back(std::move(file));
    }
  }
  if (root["description"])
    raw.description = scalar(ctx, root["description"], "description");
  if (root["base_time"])
    raw.base_time = iso_time(ctx, root["base_time"], "base_time");
  if (root["computer"])
    raw.computer = scalar(ctx, root["computer"], "computer");
  if (raw.derived)
    apply_edits(ctx, root, raw);
  return raw;
}

RawSpec raw_spec_of(const YAML::Node& root,
                    const std::filesystem::path& path,
                    std::vector<std::filesystem::path>& chain) {
  Context ctx;
  ctx.file = path.string();
  ctx.computer = kDefaultComputer;
  chain.push_back(std::filesystem::weakly_canonical(path));
  try {
    RawSpec raw = raw_spec_body(ctx, root, path, chain);
    chain.pop_back();
    return raw;
  } catch (const YAML::Exception& e) {
    throw EvtxSpecError(ctx.file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

}  // namespace

EvtxSpecError::EvtxSpecError(std::string file, int line, int column, const std::string& detail)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, detail)
                                  : fmt::format("{}: {}", file, detail)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      detail_(detail) {}

EvtxSpec load_evtx_spec(const std::filesystem::path& path) {
  return parse_evtx_spec(read_text(path), path);
}

EvtxSpec parse_evtx_spec(std::string_view yaml_text, const std::filesystem::path& path) {
  const YAML::Node root = parse_yaml(yaml_text, path.string());
  std::vector<std::filesystem::path> chain;
  const RawSpec raw = raw_spec_of(root, path, chain);
  try {
    return resolve(raw);
  } catch (const YAML::Exception& e) {
    throw EvtxSpecError(
        path.string(), e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

}  // namespace smssaudit::devtools::evtx
