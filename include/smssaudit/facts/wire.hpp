// Wire format for facts (issue 7 item 5): what an isolated parser process sends back to the scan.
// A child process parses one artifact with libregf / libevtx / the native EVTX scanner and writes
// the reader's Result plus the diagnostics it produced; the parent decodes them. The parent treats
// these bytes as untrusted (the child may have been corrupted by the evidence it parsed): decoding
// checks every length against what is left, validates every enumerator and flag, rejects trailing
// bytes, and returns an Error instead of crashing or allocating from an unchecked length.
//
// Layout, all integers little-endian:
//   "SMWF" (4 bytes) | version u16 | payload kind u8 | result tag u8 (1 value, 0 error)
//   | value (per payload kind) or Error | diagnostics (u32 count, then each) | end of buffer
// Strings are u32 length + bytes; vectors u32 count + elements; optional u8 0/1 + value.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/facts/registry.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace smssaudit::facts::wire {

/// "SMWF" read as a little-endian u32.
inline constexpr std::uint32_t kMagic = 0x46574d53U;
/// Bumped whenever the layout of any encoded type changes; a mismatch is a decode error.
inline constexpr std::uint16_t kVersion = 1;

/// What a message carries after its header.
enum class PayloadKind : std::uint8_t {
  kSystemHive = 1,
  kSoftwareHive = 2,
  kEventLogFile = 3,
};

/// One decoded message: the reader's own result (a value or the reader's Error) and the
/// diagnostics it produced, in the order it produced them.
template <typename T>
struct Message {
  Result<T> result;
  std::vector<Diagnostic> diagnostics;
};

std::vector<std::uint8_t> encode(const Result<SystemHive>& result,
                                 const std::vector<Diagnostic>& diagnostics);

std::vector<std::uint8_t> encode(const Result<SoftwareHive>& result,
                                 const std::vector<Diagnostic>& diagnostics);

std::vector<std::uint8_t> encode(const Result<EventLogFile>& result,
                                 const std::vector<Diagnostic>& diagnostics);

/// Decoders: an Error (kWireFormat, detail naming the offset and what was wrong) for bytes that
/// are not exactly one well-formed message of the expected payload kind.
Result<Message<SystemHive>> decode_system_hive(std::span<const std::uint8_t> bytes);

Result<Message<SoftwareHive>> decode_software_hive(std::span<const std::uint8_t> bytes);

/// Event strings (facts::Text) are interned through `pool`, so repeated values share storage
/// again as they do when the reader runs in-process.
Result<Message<EventLogFile>> decode_event_log_file(std::span<const std::uint8_t> bytes,
                                                    TextPool& pool);

}  // namespace smssaudit::facts::wire
