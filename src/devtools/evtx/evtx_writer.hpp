// The EVTX writer API: a resolved LogFileSpec in, the bytes of an .evtx file out, written the way
// Windows writes them (template-based records, chunk string tables, CRCs; formats.md Part A).
//
//   namespace ev = smssaudit::devtools::evtx;
//   const ev::EvtxSpec spec = ev::load_evtx_spec("fixtures/evtx/boot.yaml");
//   const std::vector<std::uint8_t> bytes = ev::write_evtx(spec.files.front());
//   const std::vector<std::string> dump = ev::expected_dump(spec.files.front());
#pragma once

#include "evtx_spec.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace smssaudit::devtools::evtx {

/// A file that cannot be written: a record larger than a chunk, damage naming a chunk that does
/// not exist, more than 65,535 chunks.
class EvtxWriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kFileHeaderSize = 4096;

/// The EventRecordID of every event, in order: first_record_id, then previous + 1 unless an
/// event sets its own id.
std::vector<std::uint64_t> record_ids(const LogFileSpec& file);

/// The complete file, including any damage the spec asks for. Throws EvtxWriteError.
std::vector<std::uint8_t> write_evtx(const LogFileSpec& file);

/// The normalised dump both readers must produce for this file (fixtures/evtx/README.md,
/// "Normalised dump"): one header line per record, then one indented line per data leaf.
std::vector<std::string> expected_dump(const LogFileSpec& file);

}  // namespace smssaudit::devtools::evtx
