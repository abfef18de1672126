// Registry value decoding from raw bytes (private to the readers layer; unit-tested directly).
#pragma once

#include "smssaudit/facts/registry.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace smssaudit::readers {

/// Largest amount of value data kept in RegValue::raw. Session Manager values are a few KiB; a
/// hostile hive could store megabytes, which would bloat reports without helping an analyst.
inline constexpr std::size_t kMaxValueData = 1U << 20;

/// Decodes one value as documented on facts::RegValue. `data` holds at most kMaxValueData bytes;
/// `stored_size` is the size the hive declares (larger means the data was capped: truncated).
/// Never throws; wrong-sized numbers get RegValue::error instead of a number.
facts::RegValue decode_value(std::string name,
                             std::uint32_t type,
                             std::span<const std::uint8_t> data,
                             std::size_t stored_size);

}  // namespace smssaudit::readers
