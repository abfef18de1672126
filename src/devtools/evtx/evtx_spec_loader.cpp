// Strict YAML -> EvtxSpec: unknown keys and field names are errors, so a typo never vanishes.
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
#include <set>
#include <sstream>
#include <utility>

namespace smssaudit::devtools::evtx {

namespace {

constexpr std::string_view kDefaultComputer = "WIN10-FIX";
constexpr double kTicksPerSecond = 1e7;

constexpr std::array<std::string_view, 4> kTopKeys = {
    "description", "base_time", "computer", "files"};
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
constexpr std::array<std::string_view, 24> kEventKeys = {
    "t",          "time",       "utc_t",    "utc_time", "preset",   "data",          "record_id",
    "process_id", "thread_id",  "user_sid", "computer", "provider", "provider_guid", "channel",
    "event_id",   "qualifiers", "version",  "level",    "task",     "opcode",        "keywords",
    "user_data",  "fields",     "layout"};
constexpr std::array<std::string_view, 3> kFieldKeys = {"name", "type", "value"};
constexpr std::array<std::string_view, 3> kUserDataKeys = {"element", "xmlns", "attributes"};

// Where the loader is: file name for messages, time base and inherited defaults.
struct Context {
  std::string file;
  std::optional<std::uint64_t> base_time;
  std::string computer;
  std::string channel;  ///< explicit file channel, empty when defaulted
};

[[noreturn]] void fail(const Context& ctx, const YAML::Node& node, const std::string& detail) {
  const YAML::Mark mark = node.Mark();
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
  ev.line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
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

LogFileSpec file_of(const Context& top, const YAML::Node& node) {
  check_keys(top, node, kFileKeys, "a file");
  Context ctx = top;
  LogFileSpec file;
  file.line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!node["name"])
    fail(ctx, node, "a file needs a name");
  file.name = scalar(ctx, node["name"], "name");
  if (file.name.empty() || file.name.find('/') != std::string::npos || file.name == "." ||
      file.name == "..")
    fail(ctx, node["name"], "name must be a plain file name");
  if (node["channel"])
    ctx.channel = scalar(ctx, node["channel"], "channel");
  if (node["computer"])
    ctx.computer = scalar(ctx, node["computer"], "computer");
  if (node["first_record_id"])
    file.first_record_id = uint_of(ctx, node["first_record_id"], "first_record_id");
  if (node["records_per_chunk"])
    file.records_per_chunk =
        static_cast<std::size_t>(uint_of(ctx, node["records_per_chunk"], "records_per_chunk"));
  if (node["header_dirty"])
    file.header_dirty = bool_of(ctx, node["header_dirty"], "header_dirty");
  if (node["minor_version"])
    file.minor_version =
        static_cast<std::uint16_t>(uint_of(ctx, node["minor_version"], "minor_version", 0xFFFF));
  if (node["corrupt"])
    file.corrupt = corruption_of(ctx, node["corrupt"]);
  const YAML::Node events = node["events"];
  if (events && !events.IsSequence())
    fail(ctx, events, "events must be a list");
  if (events) {
    for (const auto& ev : events)
      file.events.push_back(event_of(ctx, ev));
  }
  // The file channel defaults from the first event; events that name none follow it.
  if (ctx.channel.empty() && !file.events.empty()) {
    const std::string first = file.events.front().channel;
    for (std::size_t k = 0; k < file.events.size(); ++k) {
      if (!events[k]["channel"])
        file.events[k].channel = first;
    }
  }
  return file;
}

EvtxSpec spec_of(const Context& top, const YAML::Node& root) {
  check_keys(top, root, kTopKeys, "the spec");
  Context ctx = top;
  EvtxSpec spec;
  if (root["description"])
    spec.description = scalar(ctx, root["description"], "description");
  if (root["base_time"])
    ctx.base_time = iso_time(ctx, root["base_time"], "base_time");
  if (root["computer"])
    ctx.computer = scalar(ctx, root["computer"], "computer");
  const YAML::Node files = root["files"];
  if (!files || !files.IsSequence() || files.size() == 0)
    fail(ctx, root, "files must be a non-empty list");
  std::set<std::string> names;
  for (const auto& f : files) {
    LogFileSpec file = file_of(ctx, f);
    if (!names.insert(file.name).second)
      fail(ctx, f["name"], fmt::format("file name '{}' is used twice", file.name));
    spec.files.push_back(std::move(file));
  }
  return spec;
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
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw EvtxSpecError(path.string(), 0, 0, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_evtx_spec(text.str(), path);
}

EvtxSpec parse_evtx_spec(std::string_view yaml_text, const std::filesystem::path& path) {
  Context ctx;
  ctx.file = path.string();
  ctx.computer = kDefaultComputer;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw EvtxSpecError(ctx.file, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  try {
    return spec_of(ctx, root);
  } catch (const YAML::Exception& e) {
    throw EvtxSpecError(ctx.file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.column + 1, e.msg);
  }
}

}  // namespace smssaudit::devtools::evtx
