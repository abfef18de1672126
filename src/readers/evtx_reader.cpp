// EVTX reader: libevtx walks the chunks and records; we decide relevance from the event id and
// provider before rendering any XML (rendering is the expensive step), normalise the relevant
// records, and check the file structure ourselves because libevtx skips damaged chunks silently.
#include "smssaudit/readers/evtx_reader.hpp"

#include "readers/evtx_chunk_check.hpp"
#include "readers/evtx_native/native_reader.hpp"
#include "readers/evtx_native/source_sha256.hpp"
#include "readers/evtx_normalise.hpp"
#include "readers/libyal/evtx_handle.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/evidence/file_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <variant>
#include <vector>

namespace smssaudit::readers {
namespace {

using libyal::EvtxFile;
using libyal::EvtxRecord;

// EVTX file header (libevtx documentation, "Windows XML Event Log (EVTX) format"): 4096 bytes,
// followed by 64 KiB chunks.
constexpr std::size_t kFileHeaderSize = 4096;
constexpr std::size_t kChunkSize = 65536;
constexpr std::size_t kChunkHeaderSize = 512;
constexpr std::array<char, 8> kFileSignature{'E', 'l', 'f', 'F', 'i', 'l', 'e', '\0'};
constexpr std::array<char, 8> kChunkSignature{'E', 'l', 'f', 'C', 'h', 'n', 'k', '\0'};

// File header flags (+120).
constexpr std::uint32_t kFlagDirty = 0x1;
constexpr std::uint32_t kKnownFlags = 0x7;  // dirty, full, no CRC32
constexpr std::uint32_t kFlagNoCrc = 0x4;

// Diagnostics list at most this many record ids; the count carries the rest.
constexpr std::size_t kMaxListedIds = 5;

// ---- Structure scan -----------------------------------------------------------------------------

// CRC-32 (IEEE 802.3), as used by every EVTX checksum; the one function both engines use.
// Chainable: crc32_update(crc32_update(0, a), b) is the CRC of a followed by b, which the chunk
// header checksum needs (it skips bytes 120..127).
std::uint32_t crc32_update(std::uint32_t crc, std::span<const std::uint8_t> bytes) {
  return evtx_native::crc32(crc, bytes.data(), bytes.size());
}

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24U);
}

std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8U));
}

bool has_signature(std::span<const std::uint8_t> b, const std::array<char, 8>& sig) {
  return b.size() >= sig.size() && std::memcmp(b.data(), sig.data(), sig.size()) == 0;
}

// Progress is reported after every this many bytes (libevtx engine: by record offset).
constexpr std::uint64_t kProgressStep = std::uint64_t{4} << 20U;

// Reads exactly buf.size() bytes at `offset`; false when the source ends first or fails.
bool read_full(const ByteSource& source, std::uint64_t offset, std::span<std::uint8_t> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    auto n = source.read_at(offset + done, buf.subspan(done));
    if (!n || *n == 0) {
      return false;
    }
    done += *n;
  }
  return true;
}

// One chunk: signature, then the two checksums (chunk header +124 over 0..119 and 128..511;
// +52 over the records from 512 to the free-space offset at +48), then the header fields and the
// record chain (evtx_chunk_check.hpp), which the native engine checks the same way.
void scan_chunk(std::span<const std::uint8_t> c, std::uint32_t index, EvtxLayout& l) {
  if (!has_signature(c, kChunkSignature)) {
    const bool empty = std::all_of(c.begin(), c.end(), [](std::uint8_t b) { return b == 0; });
    ++(empty ? l.chunks_empty : l.chunks_bad_magic);
    return;
  }
  ++l.chunks_valid;
  note_chunk_check(check_chunk(c), index, l);
  const std::uint32_t header_crc =
      crc32_update(crc32_update(0, c.subspan(0, 120)), c.subspan(128, kChunkHeaderSize - 128));
  if (header_crc != le32(c, 124)) {
    ++l.chunk_header_crc_bad;
  }
  // A free-space offset outside the chunk cannot be checksummed: count it as a bad record area
  // rather than reading past the buffer.
  const std::uint32_t free_offset = le32(c, 48);
  if (free_offset < kChunkHeaderSize || free_offset > kChunkSize ||
      crc32_update(0, c.subspan(kChunkHeaderSize, free_offset - kChunkHeaderSize)) != le32(c, 52)) {
    ++l.chunk_data_crc_bad;
  }
}

// ---- Record walk --------------------------------------------------------------------------------

/// Everything one read accumulates besides the output file itself.
struct ReadState {
  const std::string& path;
  const EvtxReadOptions& options;
  facts::EventLogFile& out;
  EvtxReadStats& stats;
  std::uint64_t size = 0;  ///< of the source, for progress
  facts::Text artifact;    ///< path, shared by every event
  facts::TextPool pool;    ///< event strings, interned
  std::set<std::uint64_t> seen_ids;
  /// Provider (lower-case) -> the channel its records were seen in: lets unrendered records count
  /// towards the file's channel without rendering them.
  std::unordered_map<std::string, std::string> provider_channel;
  std::map<std::string, std::uint64_t> channel_counts;
  std::vector<std::uint64_t> malformed_ids;
  std::string first_malformed_problem;
  /// The first record whose XML EventRecordID differs from its header id: {header, XML}.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> renumbered_example;
};

// The file's span (first/last time and record id) covers every readable record, relevant or not:
// it is what coverage reports ("Security covers 2020-04-01 .. 2021-02-14").
void note_time_and_id(ReadState& s, std::uint64_t time, std::uint64_t record_id) {
  facts::EventLogFile& o = s.out;
  if (time != 0) {
    o.first_time = o.first_time == 0 ? time : std::min(o.first_time, time);
    o.last_time = std::max(o.last_time, time);
  }
  const bool first = o.records + o.recovered == 0;
  o.first_record_id = first ? record_id : std::min(o.first_record_id, record_id);
  o.last_record_id = first ? record_id : std::max(o.last_record_id, record_id);
}

void count_read(ReadState& s, bool recovered) {
  ++(recovered ? s.out.recovered : s.out.records);
}

/// An irrelevant record still counts towards the file's channel: through the provider's known
/// channel, or by rendering this one record once per provider (a "channel probe").
void count_channel_of_unrendered(ReadState& s, const EvtxRecord& r, const std::string& provider) {
  const std::string key = text::to_lower(provider);
  auto it = s.provider_channel.find(key);
  if (it == s.provider_channel.end()) {
    ++s.stats.channel_probes;
    ++s.stats.rendered;
    auto xml = r.xml();
    it = s.provider_channel.emplace(key, xml ? evtx::find_channel_in_xml(*xml) : std::string())
             .first;
  }
  if (!it->second.empty()) {
    ++s.channel_counts[it->second];
  }
}

void note_malformed(ReadState& s, std::uint64_t record_id, const std::string& problem) {
  ++s.stats.malformed_xml;
  ++s.out.unreadable;
  s.malformed_ids.push_back(record_id);
  if (s.first_malformed_problem.empty()) {
    s.first_malformed_problem = problem;
  }
}

/// EvtxReadOptions::check_all_xml: an irrelevant record rendered and parsed only to prove it is
/// well-formed. Returns false when it is not (it is then unreadable, like a relevant one).
bool check_xml(ReadState& s, const EvtxRecord& r, std::uint64_t record_id) {
  ++s.stats.rendered;
  auto xml = r.xml();
  const XmlNormalisation n =
      xml ? normalise_event_xml_detailed(*xml, facts::EventRef{}) : XmlNormalisation{};
  if (!n.well_formed) {
    note_malformed(s, record_id, xml ? n.problem : xml.error().detail);
    return false;
  }
  return true;
}

/// Renders and normalises one relevant record. A record whose XML cannot be rendered or parsed is
/// unreadable (counted, listed in one diagnostic) and not counted as read.
void read_relevant(ReadState& s,
                   const EvtxRecord& r,
                   const facts::EventRef& defaults,
                   const std::string& provider) {
  ++s.stats.rendered;
  auto xml = r.xml();
  XmlNormalisation n;
  if (xml) {
    n = evtx::normalise_xml(*xml, defaults, &s.pool);
  } else {
    n.problem = xml.error().detail;
  }
  if (!n.well_formed) {
    note_malformed(s, defaults.record_id, n.problem);
    return;
  }
  s.provider_channel.emplace(text::to_lower(provider), n.channel_name);
  if (!n.channel_name.empty()) {
    ++s.channel_counts[n.channel_name];
  }
  note_time_and_id(s, n.time_created != 0 ? n.time_created : defaults.written, defaults.record_id);
  count_read(s, defaults.recovered);
  if (!n.event) {
    return;  // the XML's provider or id disagreed with libevtx's: not ours after all
  }
  // Exported files (Event Viewer "Save filtered log", wevtutil epl) renumber the record headers
  // from 1 but keep the original EventRecordID in the XML; the XML id is the one to cite.
  if (n.event->ref.record_id != defaults.record_id) {
    ++s.stats.renumbered;
    if (!s.renumbered_example) {
      s.renumbered_example.emplace(defaults.record_id, n.event->ref.record_id);
    }
  }
  ++s.out.relevant_counts[n.event->ref.event_id];
  s.out.events.push_back(std::move(*n.event));
}

/// One record, live or recovered. The id, time, event id and provider come from the record header
/// and libevtx's parsed binary XML; XML text is rendered only when the pair is relevant.
void read_record(ReadState& s, const Result<EvtxRecord>& rec, bool recovered) {
  std::uint64_t& unreadable = recovered ? s.stats.unreadable_recovered : s.stats.unreadable_live;
  if (!rec) {
    ++unreadable;
    ++s.out.unreadable;
    return;
  }
  const auto id = rec->identifier();
  const auto written = rec->written_time();
  const auto event_id = rec->event_identifier();
  const auto source = rec->source_name();
  if (!id || !written || !event_id || !source) {
    ++unreadable;
    ++s.out.unreadable;
    return;
  }
  // Slack often still holds records that are also live; the live copy wins.
  if (!s.seen_ids.insert(*id).second && recovered) {
    ++s.stats.recovered_duplicates;
    return;
  }
  // Classic (pre-Vista style) sources have a source name but no provider GUID; libevtx returns the
  // Provider/@Name or EventSourceName either way, which is all the relevance table keys on.
  const std::string provider = source->value_or(std::string());
  // Classic sources keep Qualifiers in the upper 16 bits of the id (events.md 0).
  const auto eid16 = static_cast<std::uint16_t>(*event_id & 0xFFFFU);
  if (!is_relevant_event(provider, eid16)) {
    if (s.options.check_all_xml && !check_xml(s, *rec, *id)) {
      return;
    }
    count_channel_of_unrendered(s, *rec, provider);
    note_time_and_id(s, *written, *id);
    count_read(s, recovered);
    return;
  }
  facts::EventRef defaults;
  defaults.artifact = s.artifact;
  defaults.record_id = *id;
  defaults.written = *written;
  defaults.event_id = eid16;
  defaults.recovered = recovered;
  read_relevant(s, *rec, defaults, provider);
}

// Live records first, so that the de-duplication of carved records keeps the live copy.
void read_all(ReadState& s, const EvtxFile& file) {
  // A count that cannot be read means no records of that kind: the rest of the file still counts.
  const int live = file.record_count().value_or(0);
  s.stats.live_records = static_cast<std::uint64_t>(std::max(live, 0));
  std::uint64_t next_report = kProgressStep;
  for (int i = 0; i < live; ++i) {
    const Result<EvtxRecord> rec = file.record(i);
    read_record(s, rec, false);
    if (s.options.progress && rec) {
      const std::uint64_t at = rec->offset().value_or(0);
      if (at >= next_report) {
        s.options.progress(at, static_cast<std::uint64_t>(i) + 1);
        next_report = at + kProgressStep;
      }
    }
  }
  const int carved = file.recovered_count().value_or(0);
  s.stats.recovered_records = static_cast<std::uint64_t>(std::max(carved, 0));
  for (int i = 0; i < carved; ++i) {
    read_record(s, file.recovered_record(i), true);
  }
  if (s.options.progress) {
    s.options.progress(s.size, s.stats.live_records + s.stats.recovered_records);
  }
}

// ---- Diagnostics --------------------------------------------------------------------------------

void warn(DiagnosticSink& sink, const std::string& path, const char* code, std::string message) {
  sink.add(DiagLevel::kWarning, code, path, "", std::move(message));
}

void report_layout(const EvtxLayout& l, const std::string& path, DiagnosticSink& sink) {
  if (l.truncated()) {
    warn(sink,
         path,
         "evtx.truncated",
         fmt::format("file is {} bytes but its header declares {} chunks ({} bytes); records in "
                     "the missing chunks are lost",
                     l.file_size,
                     l.header_chunks,
                     kFileHeaderSize + kChunkSize * l.header_chunks));
  }
  if (l.chunks_bad_magic > 0) {
    warn(sink,
         path,
         "evtx.chunk_signature",
         fmt::format("{} of {} chunks are neither empty nor start with ElfChnk; libevtx skips "
                     "them, so their records are missing",
                     l.chunks_bad_magic,
                     l.chunks_in_file));
  }
  if (!l.header_crc_ok || l.chunk_header_crc_bad > 0 || l.chunk_data_crc_bad > 0) {
    warn(sink,
         path,
         "evtx.checksum",
         fmt::format(
             "checksum mismatch: file header {}, {} chunk header(s), {} chunk record "
             "area(s){}; the file was modified or damaged after it was written",
             l.header_crc_ok ? "ok" : "bad",
             l.chunk_header_crc_bad,
             l.chunk_data_crc_bad,
             (l.flags & kFlagNoCrc) != 0 ? " (header flag 0x4 says CRC32 is not kept)" : ""));
  }
  if (l.chunk_header_bad > 0) {
    warn(sink,
         path,
         "evtx.chunk_header",
         fmt::format("{} chunk header(s) contradict their chunk (first: {}); records there may be "
                     "missing or carved from slack only",
                     l.chunk_header_bad,
                     l.first_chunk_header_problem));
  }
  if (l.record_chain_broken > 0) {
    warn(sink,
         path,
         "evtx.record_chain",
         fmt::format("the live records of {} chunk(s) break off before the chunk's last record "
                     "(first: {}); records past the break are recovered from slack at best",
                     l.record_chain_broken,
                     l.first_record_chain_problem));
  }
  if (l.next_record_id_beyond_chunks()) {
    warn(sink,
         path,
         "evtx.header_record_id",
         fmt::format("the file header's next record id {} lies beyond the highest record id the "
                     "chunks declare ({}); the header was edited or damaged",
                     l.header_next_record_id,
                     l.max_chunk_record_id));
  }
  if ((l.flags & ~kKnownFlags) != 0) {
    warn(sink,
         path,
         "evtx.header_flags",
         fmt::format("file header flags 0x{:08x} have unknown bits set; the header may have been "
                     "edited",
                     l.flags));
  }
}

std::string id_list(const std::vector<std::uint64_t>& ids) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < ids.size() && i < kMaxListedIds; ++i) {
    parts.push_back(std::to_string(ids[i]));
  }
  return text::join(parts, ", ") + (ids.size() > kMaxListedIds ? ", ..." : "");
}

/// What report_records says something about; both engines fill it.
struct RecordReport {
  const std::string& path;
  const EvtxReadStats& stats;
  const facts::EventLogFile& out;
  const std::optional<std::pair<std::uint64_t, std::uint64_t>>& renumbered_example;
  const std::vector<std::uint64_t>& malformed_ids;
  const std::string& first_malformed_problem;
};

void report_records(const RecordReport& s, DiagnosticSink& sink) {
  const EvtxReadStats& st = s.stats;
  // Carving slack yields fragments of overwritten records; most logs that have wrapped have a few
  // that libevtx cannot read. Only unreadable live records mean the log itself is damaged.
  if (st.unreadable_live + st.unreadable_recovered > 0) {
    sink.add(st.unreadable_live > 0 ? DiagLevel::kWarning : DiagLevel::kInfo,
             "evtx.records_unreadable",
             s.path,
             "",
             fmt::format("libevtx could not read {} of {} live and {} of {} recovered record(s)",
                         st.unreadable_live,
                         st.live_records,
                         st.unreadable_recovered,
                         st.recovered_records));
  }
  if (s.renumbered_example) {
    sink.add(DiagLevel::kInfo,
             "evtx.renumbered",
             s.path,
             "",
             fmt::format("{} record(s) carry an EventRecordID different from their record header "
                         "(e.g. header {} = EventRecordID {}): the file is probably an export; "
                         "events cite the XML EventRecordID",
                         st.renumbered,
                         s.renumbered_example->first,
                         s.renumbered_example->second));
  }
  if (!s.malformed_ids.empty()) {
    warn(sink,
         s.path,
         "evtx.xml_malformed",
         fmt::format("{} relevant record(s) rendered as ill-formed XML and were skipped (record "
                     "ids {}; first problem: {})",
                     s.malformed_ids.size(),
                     id_list(s.malformed_ids),
                     s.first_malformed_problem));
  }
  if (s.out.recovered > 0) {
    sink.add(DiagLevel::kInfo,
             "evtx.recovered",
             s.path,
             "",
             fmt::format("{} record(s) recovered from chunk slack ({} more were copies of live "
                         "records)",
                         s.out.recovered,
                         st.recovered_duplicates));
  }
}

// The file's channel is what most of its records say; ties go to the alphabetically first name so
// the result never depends on hash order.
void settle_channel(ReadState& s) {
  std::uint64_t best = 0;
  for (const auto& [name, count] : s.channel_counts) {
    if (count > best) {
      best = count;
      s.out.channel_name = name;
    }
  }
  s.out.channel = facts::channel_from_name(s.out.channel_name);
}

}  // namespace

bool looks_like_evtx(const std::string& path) {
  auto source = evidence::open_file_source(path);
  return source && looks_like_evtx(**source);
}

bool looks_like_evtx(const ByteSource& source) {
  std::array<std::uint8_t, 8> head{};
  return read_full(source, 0, head) && has_signature(head, kFileSignature);
}

Result<EvtxLayout> read_evtx_layout(const std::string& path) {
  auto source = evidence::open_file_source(path);  // read-only: nothing is written near evidence
  if (!source) {
    return fail(ErrorCode::kIo, path, "cannot open the file for reading");
  }
  return read_evtx_layout(**source);
}

Result<EvtxLayout> read_evtx_layout(const ByteSource& source) {
  EvtxLayout l;
  l.file_size = source.size();
  std::vector<std::uint8_t> buf(kFileHeaderSize, 0);
  if (!read_full(source, 0, buf)) {
    return fail(ErrorCode::kIo, source.name(), "shorter than the 4096-byte EVTX file header");
  }
  const std::span<const std::uint8_t> h(buf);
  l.signature_ok = has_signature(h, kFileSignature);
  l.header_chunks = le16(h, 42);
  l.flags = le32(h, 120);
  l.header_next_record_id = le32(h, 24) | (std::uint64_t{le32(h, 28)} << 32U);  // +24
  l.header_crc_ok = crc32_update(0, h.subspan(0, 120)) == le32(h, 124);
  buf.assign(kChunkSize, 0);
  for (std::uint64_t off = kFileHeaderSize; off + kChunkSize <= l.file_size; off += kChunkSize) {
    if (!read_full(source, off, buf)) {
      break;
    }
    scan_chunk(buf, l.chunks_in_file++, l);
  }
  return l;
}

namespace {

/// The libevtx engine: libevtx walks the records, pugixml reads the rendered XML of relevant ones.
Result<facts::EventLogFile> read_with_libevtx(const ByteSource& source,
                                              DiagnosticSink& sink,
                                              EvtxReadStats& st,
                                              const EvtxReadOptions& options) {
  const std::string& path = source.name();
  auto file = EvtxFile::open(source);
  if (!file) {
    return fail(ErrorCode::kIo, path, "libevtx cannot open the file: " + file.error().detail);
  }

  // From here on the file is readable: every further problem is a diagnostic, never an error, so
  // one damaged chunk cannot hide the boots and smss creations recorded in the others.
  st = EvtxReadStats{};
  facts::EventLogFile out;
  out.path = path;
  // libevtx reads the same header flags; our scan adds what libevtx does not report.
  out.header_dirty = (file->flags().value_or(0) & kFlagDirty) != 0;
  if (auto layout = read_evtx_layout(source)) {
    report_layout(*layout, path, sink);
  }

  ReadState s{path, options, out, st, source.size(), facts::Text(path), {}, {}, {}, {}, {}, {}, {}};
  read_all(s, *file);
  // Recovered records are appended after the live ones; record ids restore the log's order.
  evtx::sort_by_record_id(out.events);
  settle_channel(s);
  report_records({path, st, out, s.renumbered_example, s.malformed_ids, s.first_malformed_problem},
                 sink);
  return out;
}

/// Either engine, without the hash.
bool native_engine(const EvtxReadOptions& options) {
  return options.engine == EvtxEngine::kNative && !options.check_all_xml;
}

// `hash` (native engine only, may be null) is fed what the native scanner read; on a fallback,
// the rest of the file is hashed on a thread of its own while libevtx parses.
Result<facts::EventLogFile> read_with_engine(const ByteSource& source,
                                             DiagnosticSink& sink,
                                             EvtxReadStats& st,
                                             const EvtxReadOptions& options,
                                             std::optional<evtx_native::Sha256Stream>& hash,
                                             std::optional<evtx_native::BackgroundHash>& rest) {
  const std::string& path = source.name();
  if (native_engine(options)) {
    auto native = evtx_native::read_native(
        source, options.workers, options.progress, hash ? &*hash : nullptr);
    if (auto* r = std::get_if<evtx_native::NativeRead>(&native)) {
      st = r->stats;
      report_layout(r->layout, path, sink);
      const std::vector<std::uint64_t> none;
      const std::string no_problem;
      report_records({path, st, r->file, r->renumbered_example, none, no_problem}, sink);
      return std::move(r->file);
    }
    if (hash) {
      rest.emplace(source, std::move(*hash));
      hash.reset();
    }
    // Said only when libevtx can read the file: a file neither engine reads is just an error.
    const auto& fb = std::get<evtx_native::NativeFallback>(native);
    auto out = read_with_libevtx(source, sink, st, options);
    if (out) {
      sink.add(
          DiagLevel::kInfo,
          "evtx.native_fallback",
          path,
          "",
          fmt::format(
              "the native EVTX scanner handed the file to libevtx at {}: {}", fb.where, fb.why));
    }
    return out;
  }
  return read_with_libevtx(source, sink, st, options);
}

}  // namespace

Result<facts::EventLogFile> read_event_log(const std::string& path,
                                           DiagnosticSink& sink,
                                           EvtxReadStats* stats,
                                           const EvtxReadOptions& options) {
  auto source = evidence::open_file_source(path);
  if (!source) {
    return fail(ErrorCode::kIo, path, "cannot open the file for reading: " + source.error().detail);
  }
  return read_event_log(**source, sink, stats, options);
}

Result<facts::EventLogFile> read_event_log(const ByteSource& source,
                                           DiagnosticSink& sink,
                                           EvtxReadStats* stats,
                                           const EvtxReadOptions& options) {
  // Our own signature check first: libevtx's refusal ("unable to read file header") does not say
  // that an .Evt (pre-Vista) log or some other file was handed to us.
  if (!looks_like_evtx(source)) {
    return fail(ErrorCode::kIo, source.name(), "not an EVTX file (no ElfFile signature)");
  }
  EvtxReadStats local_stats;
  EvtxReadStats& st = stats != nullptr ? *stats : local_stats;
  st = EvtxReadStats{};
  // The evidence hash costs ~0.6 s of CPU per GB (issue 8). The native scanner feeds it the
  // chunks it reads, so the file is read once; libevtx reads through its own handle, so with it
  // the hash reads the file beside the parse, on a thread of its own.
  std::optional<evtx_native::Sha256Stream> hash;
  std::optional<evtx_native::BackgroundHash> background;
  if (options.compute_sha256) {
    if (native_engine(options)) {
      hash.emplace();
    } else {
      background.emplace(source);
    }
  }
  auto out = read_with_engine(source, sink, st, options, hash, background);
  if (!options.compute_sha256) {
    return out;
  }
  // After a native read: the bytes past the last whole chunk. After a fallback: joins the thread.
  const Result<evtx_native::SourceDigest> digest =
      hash ? evtx_native::hash_rest(source, std::move(*hash)) : background->result();
  if (!digest) {
    return fail(digest.error());
  }
  if (out) {
    out->sha256 = digest->sha256;
    out->size = digest->size;
  }
  return out;
}

}  // namespace smssaudit::readers
