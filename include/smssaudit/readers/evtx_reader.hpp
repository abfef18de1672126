// EVTX reader: opens one Windows event log with libevtx (through src/readers/libyal only), keeps
// the records that matter for smss lineage and normalises them into facts::Event (events.md).
// Never throws on evidence; every problem is an Error (nothing readable) or a Diagnostic naming the
// file, with counts rather than one line per bad record.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/facts/events.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace smssaudit::readers {

/// True when the file starts with "ElfFile\0" (file header +0). A cheap content check for the
/// evidence locator; it says nothing about the rest of the file.
bool looks_like_evtx(const std::string& path);

/// Same for any ByteSource (a file inside a disk image).
bool looks_like_evtx(const ByteSource& source);

/// True for the (provider, event id) pairs the analyzer normalises (design.md 3.2): Security
/// auditing 4688/4689/4608/4624/4616; Eventlog 1100/1102/104; Sysmon 1/5; Kernel-General 12/13;
/// classic "EventLog" 6005/6006/6008/6009; LocalSessionManager 21-25/39/40. The provider is
/// compared case-insensitively. Kernel-General is required for 12/13 because other providers
/// (Hyper-V-Netvsc, ...) reuse those ids.
bool is_relevant_event(std::string_view provider, std::uint16_t event_id) noexcept;

/// What the XML step found in one rendered record.
struct XmlNormalisation {
  bool well_formed = false;           ///< pugixml parsed it and it has an Event/System element
  std::string problem;                ///< why not, for diagnostics
  std::string provider;               ///< System/Provider/@Name (or EventSourceName)
  std::string channel_name;           ///< System/Channel, "" when absent
  std::uint64_t time_created = 0;     ///< TimeCreated/@SystemTime as FILETIME, 0 when absent
  std::optional<facts::Event> event;  ///< set only for a relevant event
};

/// The XML -> Event step on its own. `ref_defaults` supplies what the XML may lack (artifact,
/// recovered flag, and the record header's id and written time, used only when the XML has no
/// EventRecordID / TimeCreated); everything else in Event::ref comes from System.
XmlNormalisation normalise_event_xml_detailed(std::string_view xml,
                                              const facts::EventRef& ref_defaults);

/// Same, returning only the event: nullopt for irrelevant or ill-formed XML.
std::optional<facts::Event> normalise_event_xml(std::string_view xml,
                                                const facts::EventRef& ref_defaults);

/// Event times as written in EVTX XML, to FILETIME (UTC): "2019-02-13T18:01:41.593830000Z"
/// (SystemTime, Kernel-General StartTime, 4616 times; 0-9 fraction digits, beyond 7 truncated,
/// trailing Z optional) and Sysmon's "2019-02-16 10:02:21.934". nullopt when malformed.
std::optional<std::uint64_t> parse_event_time(std::string_view text) noexcept;

/// The file-level structure as our own read-only scan of the header and chunk headers sees it;
/// libevtx silently skips damaged chunks, so this is how damage is noticed and named.
struct EvtxLayout {
  std::uint64_t file_size = 0;
  bool signature_ok = false;               ///< +0 "ElfFile\0"
  std::uint16_t header_chunks = 0;         ///< +42 number of chunks the header declares
  std::uint32_t flags = 0;                 ///< +120 (0x1 dirty, 0x2 full, 0x4 no CRC32)
  bool header_crc_ok = false;              ///< +124 CRC32 of bytes 0..119
  std::uint32_t chunks_in_file = 0;        ///< whole 64 KiB chunks after the 4 KiB header
  std::uint32_t chunks_valid = 0;          ///< with the "ElfChnk\0" signature
  std::uint32_t chunks_empty = 0;          ///< all zero bytes (allocated, never used: normal)
  std::uint32_t chunks_bad_magic = 0;      ///< neither: overwritten or damaged
  std::uint32_t chunk_header_crc_bad = 0;  ///< chunk +124 vs CRC32 of 0..119 and 128..511
  std::uint32_t chunk_data_crc_bad = 0;    ///< chunk +52 vs CRC32 of 512..free-space offset

  // Structure checks of the header and each valid chunk (readers/evtx_chunk_check.hpp), made the
  // same way by both engines.
  /// +24 next record identifier.
  std::uint64_t header_next_record_id = 0;
  /// Chunks whose header fields contradict the chunk (offsets, number/id ranges, tables).
  std::uint32_t chunk_header_bad = 0;
  /// "chunk N: ..." for the first such chunk.
  std::string first_chunk_header_problem;
  /// Chunks whose live record chain breaks before the last record offset.
  std::uint32_t record_chain_broken = 0;
  /// "chunk N: ..." for the first such chunk.
  std::string first_record_chain_problem;
  /// Highest chunk +32 (last record identifier) among chunks with a consistent id range.
  std::uint64_t max_chunk_record_id = 0;
  /// Some chunk had a consistent id range (max_chunk_record_id is meaningful).
  bool chunk_record_ids_seen = false;

  /// The header declares more chunks than the file holds.
  bool truncated() const noexcept { return file_size < 4096ULL + 65536ULL * header_chunks; }

  /// The header's next record id lies beyond every record id the chunks declare (a clean header
  /// says last id + 1, a dirty one an older value): edited or damaged. Not judged when the file is
  /// truncated, since the missing chunks held the newer ids.
  bool next_record_id_beyond_chunks() const noexcept {
    return chunk_record_ids_seen && !truncated() && max_chunk_record_id < ~std::uint64_t{0} &&
           header_next_record_id > max_chunk_record_id + 1;
  }
};

/// Reads the 4 KiB header and every chunk header of `path` (read-only). Fails when the file
/// cannot be opened or is shorter than the header.
Result<EvtxLayout> read_evtx_layout(const std::string& path);

/// Same for any ByteSource. Fails when the source is shorter than the header or a read fails.
Result<EvtxLayout> read_evtx_layout(const ByteSource& source);

/// Counters of one read, for tests and `-v` output: they show the relevance pre-filter at work.
struct EvtxReadStats {
  std::uint64_t live_records = 0;          ///< libevtx_file_get_number_of_records
  std::uint64_t recovered_records = 0;     ///< libevtx_file_get_number_of_recovered_records
  std::uint64_t recovered_duplicates = 0;  ///< recovered records whose id a live record has
  std::uint64_t unreadable_live = 0;
  std::uint64_t unreadable_recovered = 0;
  std::uint64_t rendered = 0;        ///< records whose XML was rendered (relevant + probes)
  std::uint64_t channel_probes = 0;  ///< rendered only to learn a provider's channel
  std::uint64_t malformed_xml = 0;   ///< rendered records whose XML did not parse
  std::uint64_t renumbered = 0;      ///< relevant records whose XML EventRecordID != header id
};

/// Which parser reads the records. Both give the same EventLogFile (the differential test
/// tests/corpus/evtx_engine_diff_test.cpp runs both over the whole corpus).
enum class EvtxEngine {
  kLibevtx,  ///< libevtx renders each relevant record as XML; pugixml reads it (the reference)
  kNative,   ///< our chunk-parallel scanner reads the binary XML directly (src/readers/evtx_native)
};

struct EvtxReadOptions {
  /// Render and parse every record, not only the relevant ones, to check that all of them are
  /// well-formed XML. Slow (the pre-filter exists to avoid this); for validation runs and tests.
  /// Always read through libevtx.
  bool check_all_xml = false;
  /// The native engine hands a file to libevtx (diagnostic "evtx.native_fallback") when it meets
  /// something it does not reproduce exactly.
  EvtxEngine engine = EvtxEngine::kNative;
  /// Native engine worker threads; 0 = std::thread::hardware_concurrency().
  unsigned workers = 0;
  /// Called now and then while a file is read (from the reading thread that merges results, never
  /// concurrently): bytes of the file consumed so far and records seen so far. Both engines call
  /// it every 4 MiB or so and once at the end with bytes_done = the source's size. For the
  /// progress line on stderr; may be empty.
  std::function<void(std::uint64_t bytes_done, std::uint64_t records_done)> progress;
  /// Also hash the whole source (SHA-256) while it is parsed, on a thread of its own, into
  /// EventLogFile::sha256 and ::size: the values evidence::describe_file reports, so a pipeline
  /// need not read an event log twice. A source that cannot be read to its end is an error.
  bool compute_sha256 = false;
};

/// Reads one EVTX file: every live record and every record libevtx recovers from slack (flagged
/// recovered, de-duplicated against live records by record id). Relevant events are normalised
/// into facts::Event, sorted by record id. Returns an error only when nothing can be read (not
/// EVTX, cannot open); damage inside a readable file becomes diagnostics with the path as
/// Diagnostic::source, plus partial results:
///  - warnings: "evtx.truncated", "evtx.chunk_signature", "evtx.checksum", "evtx.header_flags",
///    "evtx.chunk_header" (chunk header fields contradict the chunk), "evtx.record_chain" (a
///    chunk's live records break off before its last record: the rest is carved from slack at
///    best), "evtx.header_record_id" (the header's next record id is beyond every chunk's ids),
///    "evtx.xml_malformed", and "evtx.records_unreadable" when live records are unreadable;
///  - info: "evtx.native_fallback" when the native engine handed the file to libevtx (naming the
///    chunk and the reason);
///  - info: "evtx.records_unreadable" when only carved slack fragments are (normal in a log that
///    has wrapped), "evtx.recovered", "evtx.renumbered" (an exported file: record headers are
///    renumbered and the XML keeps the original EventRecordID).
/// EventLogFile::first/last_record_id are record-header ids (the only id every record offers
/// without rendering); first/last_time prefer TimeCreated from the XML where it was rendered.
/// `stats` is optional. Reads through read_event_log(const ByteSource&, ...).
Result<facts::EventLogFile> read_event_log(const std::string& path,
                                           DiagnosticSink& sink,
                                           EvtxReadStats* stats = nullptr,
                                           const EvtxReadOptions& options = {});

/// The same for any ByteSource (a file on disk, or a log inside a disk image): both engines read
/// through source.read_at only (the native engine from several threads at once; libevtx through a
/// libbfio handle over the source). EventLogFile::path, every Event's ref.artifact, errors and
/// Diagnostic::source are source.name(). The source must stay open until this returns.
Result<facts::EventLogFile> read_event_log(const ByteSource& source,
                                           DiagnosticSink& sink,
                                           EvtxReadStats* stats = nullptr,
                                           const EvtxReadOptions& options = {});

}  // namespace smssaudit::readers
