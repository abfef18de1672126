// Security 4688 v2 logs built in memory with the project's EVTX writer (src/devtools/evtx), for
// tests that need a well-formed file with one field chosen: the writer's own tests, and the
// native scanner's tests of how a value is read.
#pragma once

#include "devtools/evtx/evtx_presets.hpp"
#include "devtools/evtx/evtx_spec.hpp"
#include "devtools/evtx/evtx_values.hpp"
#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace smssaudit::testing {

/// The text of event `index`'s field `name` (the preset's value is `preset_text`).
using FieldText = std::function<std::string(
    std::size_t index, const std::string& name, const std::string& preset_text)>;

/// `events` Security 4688 v2 events one second apart, every field as the preset writes it unless
/// `text` says otherwise.
inline devtools::evtx::LogFileSpec security_4688_log(std::size_t events, const FieldText& text) {
  namespace ev = devtools::evtx;
  const ev::Preset* preset = ev::find_preset("security_4688_v2");
  REQUIRE(preset != nullptr);
  ev::LogFileSpec file;
  file.name = "Security.evtx";
  for (std::size_t k = 0; k < events; ++k) {
    ev::EventSpec e;
    e.time = 132590016000000000ULL + k * 10000000ULL;
    e.provider = preset->provider;
    e.provider_guid = preset->provider_guid;
    e.channel = "Security";
    e.computer = "WIN10-FIX";
    e.event_id = 4688;
    e.version = 2;
    e.task = 13312;
    e.keywords = 0x8020000000000000ULL;
    e.process_id = 4;
    for (const auto& f : preset->fields) {
      const std::string value = text(k, f.name, f.value.value_or(""));
      e.fields.push_back(ev::EventField{f.name, f.type, ev::encode_value(f.type, value)});
    }
    file.events.push_back(std::move(e));
  }
  return file;
}

}  // namespace smssaudit::testing
