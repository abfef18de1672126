// Native EVTX scanner, file level (see native_reader.hpp).
#include "readers/evtx_native/native_reader.hpp"

#include "readers/evtx_chunk_check.hpp"
#include "readers/evtx_native/binxml.hpp"
#include "readers/evtx_normalise.hpp"
#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <libdeflate.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace smssaudit::readers::evtx_native {
namespace {

constexpr std::uint32_t kFileHeaderSize = 4096;
constexpr std::uint32_t kFlagDirty = 0x1;
constexpr std::array<char, 8> kFileSignature{'E', 'l', 'f', 'F', 'i', 'l', 'e', '\0'};
constexpr std::array<char, 8> kChunkSignature{'E', 'l', 'f', 'C', 'h', 'n', 'k', '\0'};
constexpr std::array<std::uint8_t, 4> kRecordSignature{0x2A, 0x2A, 0x00, 0x00};

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
         (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
}

// ---- File access ------------------------------------------------------------------------------

/// Reads exactly buf.size() bytes at `offset`; false on a short read or an error. ByteSource reads
/// are short only at the end of the source, but a loop costs nothing and trusts no implementation.
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

// ---- Per-chunk results ------------------------------------------------------------------------

/// A provider met in a chunk's live records: the channel of its first record there (what the
/// libevtx engine's "channel probe" or first relevant record would learn) and how many of its
/// irrelevant records the chunk holds.
struct ProviderSeen {
  std::string key;  ///< lower-case provider name
  std::string first_channel;
  bool first_irrelevant = false;
  std::uint64_t irrelevant = 0;
};

/// A record of libevtx's "recovered" list, kept whole: the merge replays it after all live ones.
struct Carved {
  bool unreadable = false;
  std::uint64_t id = 0;
  std::uint64_t written = 0;
  bool relevant = false;
  std::string key;
  std::string channel;  ///< irrelevant: this record's channel; relevant: n.channel_name
  std::uint64_t time = 0;
  std::optional<facts::Event> event;
};

/// The span aggregates the libevtx engine keeps in note_time_and_id.
struct Span {
  bool any = false;
  std::uint64_t first_id = 0;
  std::uint64_t last_id = 0;
  std::uint64_t first_time = 0;
  std::uint64_t last_time = 0;

  void note(std::uint64_t time, std::uint64_t id) {
    if (time != 0) {
      first_time = first_time == 0 ? time : std::min(first_time, time);
      last_time = std::max(last_time, time);
    }
    first_id = any ? std::min(first_id, id) : id;
    last_id = any ? std::max(last_id, id) : id;
    any = true;
  }

  void merge(const Span& o) {
    if (!o.any) {
      return;
    }
    if (o.first_time != 0) {
      note(o.first_time, o.first_id);
    } else {
      note(0, o.first_id);
    }
    note(o.last_time, o.last_id);
  }
};

struct ChunkResult {
  // Layout (read_evtx_layout's counters for this chunk).
  bool empty = false;
  bool bad_magic = false;
  bool header_crc_bad = false;
  bool data_crc_bad = false;
  ChunkCheck check;  ///< header fields and record chain (evtx_chunk_check.hpp)

  std::uint64_t live_total = 0;
  std::uint64_t unreadable_live = 0;
  std::uint64_t records = 0;
  std::uint64_t rendered = 0;
  std::uint64_t renumbered = 0;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> renumbered_example;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> id_runs;  ///< readable live ids
  Span span;
  std::vector<ProviderSeen> providers;
  std::map<std::string, std::uint64_t> channel_counts;  ///< relevant records' own channels
  std::vector<facts::Event> events;
  std::map<std::uint16_t, std::uint64_t> relevant_counts;
  std::vector<Carved> carved;
  std::optional<std::string> unsupported;
  /// The chunk's bytes as read, kept until merged when the file is hashed (Shared::keep_bytes).
  std::unique_ptr<std::uint8_t[]> bytes;  // NOLINT(*-avoid-c-arrays): uninitialised 64 KiB
};

struct FileFacts {
  facts::Text path;  ///< one allocation shared by every event's ref.artifact
  std::uint16_t header_chunks = 0;
  bool dirty = false;
};

// ---- One chunk ----------------------------------------------------------------------------------

/// libevtx's record header check: not all zero, signature, 24 <= size <= room - 4, size copy.
/// Returns the size, or 0 when there is no valid record here.
std::uint32_t record_at(std::span<const std::uint8_t> c, std::uint32_t off) {
  if (off >= kChunkSize || kChunkSize - off < kRecordHeaderSize + 4) {
    return 0;
  }
  const std::uint8_t* p = c.data() + off;
  if (std::memcmp(p, kRecordSignature.data(), kRecordSignature.size()) != 0) {
    return 0;
  }
  const std::uint32_t size = le32(p + 4);
  if (size < kRecordHeaderSize || size > kChunkSize - off - 4) {
    return 0;
  }
  return le32(p + size - 4) == size ? size : 0;
}

class ChunkWorker {
 public:
  ChunkWorker(const FileFacts& f,
              std::span<const std::uint8_t> c,
              std::uint32_t index,
              facts::TextPool& pool)
      : f_(f), c_(c), index_(index), parser_(c), pool_(pool) {}

  ChunkResult run() {
    if (std::all_of(c_.begin(), c_.end(), [](std::uint8_t b) { return b == 0; })) {
      r_.empty = true;
      return std::move(r_);
    }
    std::uint32_t pos = 0;
    if (std::memcmp(c_.data(), kChunkSignature.data(), kChunkSignature.size()) != 0) {
      r_.bad_magic = true;  // libevtx still carves the whole block
    } else {
      r_.check = check_chunk(c_);
      if (!header(pos)) {
        return std::move(r_);
      }
    }
    carve_from(pos);
    return std::move(r_);
  }

 private:
  // Header checks and CRCs, then the live walk; `pos` ends where the walk stopped.
  bool header(std::uint32_t& pos) {
    if (le32(c_.data() + 40) != 128) {
      r_.unsupported = "chunk header size is not 128 (libevtx refuses the file)";
      return false;
    }
    const std::uint32_t hcrc = crc32(crc32(0, c_.data(), 120), c_.data() + 128, 384);
    r_.header_crc_bad = hcrc != le32(c_.data() + 124);
    const std::uint32_t free_offset = le32(c_.data() + 48);
    if (free_offset < kChunkHeaderSize || free_offset > kChunkSize) {
      r_.data_crc_bad = true;
      r_.unsupported = "free space offset outside the chunk (libevtx refuses the file)";
      return false;
    }
    r_.data_crc_bad = crc32(0, c_.data() + kChunkHeaderSize, free_offset - kChunkHeaderSize) !=
                      le32(c_.data() + 52);
    const std::uint32_t last_offset = le32(c_.data() + 44);
    const bool live = index_ < f_.header_chunks || f_.dirty;
    pos = kChunkHeaderSize;
    while (pos <= last_offset && r_.unsupported == std::nullopt) {
      const std::span<const std::uint8_t> head =
          c_.subspan(pos, std::min<std::size_t>(kRecordHeaderSize, kChunkSize - pos));
      const bool zero_header =
          std::all_of(head.begin(), head.end(), [](std::uint8_t b) { return b == 0; });
      const std::uint32_t size = zero_header ? 0 : record_at(c_, pos);
      if (size == 0) {
        break;
      }
      if (live) {
        live_record(pos, size);
      } else {
        carved_record(pos, size);
      }
      pos += size;
    }
    return r_.unsupported == std::nullopt;
  }

  // libevtx's slack search: a valid header whose binary XML starts like a record's.
  void carve_from(std::uint32_t pos) {
    while (pos < kChunkSize && r_.unsupported == std::nullopt) {
      const std::uint32_t size = record_at(c_, pos);
      if (size != 0) {
        const std::uint32_t xml_size = size > kRecordHeaderSize + 4 ? size - 28 : 0;
        const std::uint8_t* x = c_.data() + pos + kRecordHeaderSize;
        const bool looks_xml =
            (xml_size >= 5 && x[0] == 0x0A) ||
            (xml_size >= 4 && x[0] == 0x0F && x[1] == 0x01 && x[2] == 0x01 && x[3] == 0x00);
        if (looks_xml) {
          // Parsed like a live record: most carved records reference overwritten templates or
          // names and come out unreadable, by the same rules libevtx applies (binxml.cpp:
          // values_readable), which the differential test checks on every corpus file.
          carved_record(pos, size);
          pos += size - 4;
        }
      }
      pos += 4;
    }
  }

  facts::EventRef defaults(const RecordView& v, bool recovered) const {
    facts::EventRef d;
    d.artifact = f_.path;
    d.record_id = v.header_id;
    d.written = v.written;
    d.event_id = v.event_id;
    d.recovered = recovered;
    return d;
  }

  ProviderSeen* provider(std::string_view key) {
    for (ProviderSeen& p : r_.providers) {
      if (p.key == key) {
        return &p;
      }
    }
    return nullptr;
  }

  void note_id(std::uint64_t id) {
    if (!r_.id_runs.empty() && r_.id_runs.back().second + 1 == id) {
      r_.id_runs.back().second = id;
    } else {
      r_.id_runs.emplace_back(id, id);
    }
  }

  void live_record(std::uint32_t pos, std::uint32_t size) {
    ++r_.live_total;
    RecordView v = parser_.read_record(pos, size, false);
    if (v.status == RecordView::Status::kUnsupported) {
      r_.unsupported = fmt::format("record at chunk offset {}: {}", pos, v.problem);
      return;
    }
    if (v.status == RecordView::Status::kUnreadable) {
      ++r_.unreadable_live;
      return;
    }
    note_id(v.header_id);
    ProviderSeen* seen = provider(v.provider_key);
    if (!v.relevant) {
      if (seen == nullptr) {
        // First record of this provider in the chunk: its channel, as a probe would see it.
        std::string key(v.provider_key);  // copied before the parser reads again
        const RecordView again = parser_.read_record(pos, size, true);
        r_.providers.push_back(ProviderSeen{std::move(key), again.fields.channel, true, 0});
        seen = &r_.providers.back();
      }
      ++seen->irrelevant;
      r_.span.note(v.written, v.header_id);
      ++r_.records;
      return;
    }
    ++r_.rendered;
    XmlNormalisation n = evtx::normalise_record_fields(v.fields, defaults(v, false), &pool_);
    if (seen == nullptr) {
      r_.providers.push_back(ProviderSeen{std::string(v.provider_key), n.channel_name, false, 0});
    }
    if (!n.channel_name.empty()) {
      ++r_.channel_counts[n.channel_name];
    }
    r_.span.note(n.time_created != 0 ? n.time_created : v.written, v.header_id);
    ++r_.records;
    if (!n.event) {
      return;
    }
    if (n.event->ref.record_id != v.header_id) {
      ++r_.renumbered;
      if (!r_.renumbered_example) {
        r_.renumbered_example.emplace(v.header_id, n.event->ref.record_id);
      }
    }
    ++r_.relevant_counts[n.event->ref.event_id];
    r_.events.push_back(std::move(*n.event));
  }

  void carved_record(std::uint32_t pos, std::uint32_t size) {
    RecordView v = parser_.read_record(pos, size, true);
    if (v.status == RecordView::Status::kUnsupported) {
      r_.unsupported = fmt::format("recovered record at chunk offset {}: {}", pos, v.problem);
      return;
    }
    Carved k;
    k.unreadable = v.status == RecordView::Status::kUnreadable;
    k.id = v.header_id;
    k.written = v.written;
    k.relevant = v.relevant;
    k.key = std::string(v.provider_key);
    k.channel = v.fields.channel;
    k.time = v.written;
    if (v.relevant && !k.unreadable) {
      XmlNormalisation n = evtx::normalise_record_fields(v.fields, defaults(v, true), &pool_);
      k.channel = n.channel_name;
      k.time = n.time_created != 0 ? n.time_created : v.written;
      k.event = std::move(n.event);
    }
    r_.carved.push_back(std::move(k));
  }

  const FileFacts& f_;
  std::span<const std::uint8_t> c_;
  std::uint32_t index_;
  ChunkParser parser_;
  facts::TextPool& pool_;
  ChunkResult r_;
};

// ---- Merge --------------------------------------------------------------------------------------

/// The libevtx engine's ReadState, fed chunk by chunk in order.
class Merger {
 public:
  Merger(NativeRead& out, std::uint64_t header_chunks, std::uint32_t chunks)
      : o_(out), chunks_(chunks) {
    o_.layout.header_chunks = static_cast<std::uint16_t>(header_chunks);
  }

  void live(ChunkResult& r) {
    EvtxLayout& l = o_.layout;
    note_chunk_check(r.check, l.chunks_in_file, l);
    ++l.chunks_in_file;
    l.chunks_empty += r.empty ? 1 : 0;
    l.chunks_bad_magic += r.bad_magic ? 1 : 0;
    l.chunks_valid += !r.empty && !r.bad_magic ? 1 : 0;
    l.chunk_header_crc_bad += r.header_crc_bad ? 1 : 0;
    l.chunk_data_crc_bad += r.data_crc_bad ? 1 : 0;
    EvtxReadStats& st = o_.stats;
    st.live_records += r.live_total;
    st.unreadable_live += r.unreadable_live;
    st.rendered += r.rendered;
    st.renumbered += r.renumbered;
    o_.file.unreadable += r.unreadable_live;
    o_.file.records += r.records;
    if (!o_.renumbered_example) {
      o_.renumbered_example = r.renumbered_example;
    }
    runs_.insert(runs_.end(), r.id_runs.begin(), r.id_runs.end());
    span_.merge(r.span);
    for (ProviderSeen& p : r.providers) {
      auto [it, inserted] = provider_channel_.emplace(p.key, p.first_channel);
      if (inserted && p.first_irrelevant) {
        ++st.channel_probes;
        ++st.rendered;
      }
      if (!it->second.empty() && p.irrelevant > 0) {
        channel_counts_[it->second] += p.irrelevant;
      }
    }
    for (const auto& [name, count] : r.channel_counts) {
      channel_counts_[name] += count;
    }
    for (const auto& [id, count] : r.relevant_counts) {
      o_.file.relevant_counts[id] += count;
    }
    ++chunks_merged_;
    reserve_for(r.events.size());
    std::move(r.events.begin(), r.events.end(), std::back_inserter(o_.file.events));
    std::vector<facts::Event>().swap(r.events);  // give the chunk's storage back now
  }

  /// Records merged so far, live and recovered (for progress).
  std::uint64_t records_seen() const { return o_.stats.live_records + o_.stats.recovered_records; }

  void recovered(ChunkResult& r) {
    if (!runs_sorted_) {
      std::sort(runs_.begin(), runs_.end());
      runs_sorted_ = true;
    }
    for (Carved& k : r.carved) {
      carved(k);
    }
  }

  void finish() {
    facts::EventLogFile& f = o_.file;
    f.first_time = span_.first_time;
    f.last_time = span_.last_time;
    f.first_record_id = span_.first_id;
    f.last_record_id = span_.last_id;
    evtx::sort_by_record_id(f.events);
    std::uint64_t best = 0;
    for (const auto& [name, count] : channel_counts_) {
      if (count > best) {
        best = count;
        f.channel_name = name;
      }
    }
    f.channel = facts::channel_from_name(f.channel_name);
  }

 private:
  // The events of a whole file live in one vector. Grown by doubling, its last reallocation
  // would hold the old and the new block at once (1.5x the events at the peak); instead, once it
  // is full, it is grown to the size the chunks merged so far predict for the whole file (+1/8),
  // which for a homogeneous log is the only reallocation after the first few MiB.
  void reserve_for(std::size_t more) {
    std::vector<facts::Event>& ev = o_.file.events;
    const std::size_t need = ev.size() + more;
    if (need <= ev.capacity()) {
      return;
    }
    const std::size_t predicted =
        need / chunks_merged_ * chunks_ + need / chunks_merged_ * chunks_ / 8;
    ev.reserve(std::max({need, predicted, ev.capacity() + ev.capacity() / 2}));
  }

  bool live_has(std::uint64_t id) const {
    auto it = std::upper_bound(runs_.begin(), runs_.end(), std::make_pair(id, ~std::uint64_t{0}));
    // Runs may overlap (ids repeat across chunks): check every run starting at or before id is
    // not needed, because any run containing id starts at or before it; scan back while useful.
    while (it != runs_.begin()) {
      --it;
      if (it->second >= id) {
        return true;
      }
      if (it->first + max_run_ < id) {
        return false;
      }
    }
    return false;
  }

  void carved(Carved& k) {
    EvtxReadStats& st = o_.stats;
    ++st.recovered_records;
    if (k.unreadable) {
      ++st.unreadable_recovered;
      ++o_.file.unreadable;
      return;
    }
    if (live_has(k.id) || !recovered_seen_.insert(k.id).second) {
      ++st.recovered_duplicates;
      return;
    }
    auto [it, inserted] = provider_channel_.emplace(k.key, k.channel);
    if (!k.relevant) {
      if (inserted) {
        ++st.channel_probes;
        ++st.rendered;
      }
      if (!it->second.empty()) {
        ++channel_counts_[it->second];
      }
    } else {
      ++st.rendered;
      if (!k.channel.empty()) {
        ++channel_counts_[k.channel];
      }
    }
    span_.note(k.time, k.id);
    ++o_.file.recovered;
    if (!k.event) {
      return;
    }
    if (k.event->ref.record_id != k.id) {
      ++st.renumbered;
      if (!o_.renumbered_example) {
        o_.renumbered_example.emplace(k.id, k.event->ref.record_id);
      }
    }
    ++o_.file.relevant_counts[k.event->ref.event_id];
    o_.file.events.push_back(std::move(*k.event));
  }

 public:
  /// The longest live id run, bounding the backward scan in live_has.
  void set_max_run() {
    for (const auto& [a, b] : runs_) {
      max_run_ = std::max(max_run_, b - a);
    }
  }

 private:
  NativeRead& o_;
  std::uint32_t chunks_ = 0;         ///< chunks in the file
  std::uint32_t chunks_merged_ = 0;  ///< live parts merged so far
  Span span_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs_;
  bool runs_sorted_ = false;
  std::uint64_t max_run_ = 0;
  std::set<std::uint64_t> recovered_seen_;
  std::unordered_map<std::string, std::string> provider_channel_;
  std::map<std::string, std::uint64_t> channel_counts_;
};

// ---- Workers ------------------------------------------------------------------------------------

/// Workers never run more than this many chunks (4 MiB of input) ahead of the merge, so results
/// waiting to be merged stay bounded whatever the file size.
constexpr std::uint32_t kWindow = 64;

/// Progress is reported after every this many bytes merged (and once at the end).
constexpr std::uint64_t kProgressStep = std::uint64_t{4} << 20U;

/// The kernel is asked to read this many chunks (16 MiB) ahead of the merge, in steps of
/// kWindow chunks: evidence is rarely in the page cache, and a 64 KiB pread that waits for the
/// disk stalls a worker (issue 8). The hint is bounded, so the page cache is not flooded.
constexpr std::uint32_t kReadAheadChunks = 256;

/// Keeps the kernel's background reading kReadAheadChunks ahead of chunk `merged`.
class ReadAhead {
 public:
  ReadAhead(const ByteSource& source, std::uint32_t chunks) : source_(source), chunks_(chunks) {}

  void advance(std::uint32_t merged) {
    while (asked_ < chunks_ && asked_ < merged + kReadAheadChunks) {
      const std::uint32_t n = std::min(kWindow, chunks_ - asked_);
      source_.will_need(kFileHeaderSize + std::uint64_t{asked_} * kChunkSize,
                        std::uint64_t{n} * kChunkSize);
      asked_ += n;
    }
  }

 private:
  const ByteSource& source_;
  std::uint32_t chunks_ = 0;
  std::uint32_t asked_ = 0;  ///< chunks [0, asked_) were asked for
};

/// Chunk results travel from the workers to the merging (calling) thread: a worker fills slot i
/// and marks it ready; the merger takes the slots in chunk order, so the output is the same for
/// any number of workers.
struct Shared {
  Shared(const ByteSource& src, const FileFacts& f, std::uint32_t n, bool keep)
      : source(src), facts(f), chunks(n), keep_bytes(keep), results(n), ready(n, 0) {}

  /// A 64 KiB buffer: a spare one when there is one (guarded by m), else a new one.
  std::unique_ptr<std::uint8_t[]> take_buffer() {  // NOLINT(*-avoid-c-arrays)
    {
      const std::lock_guard lock(m);
      if (!spare.empty()) {
        auto b = std::move(spare.back());
        spare.pop_back();
        return b;
      }
    }

    return std::make_unique_for_overwrite<std::uint8_t[]>(kChunkSize);  // NOLINT(*-c-arrays)
  }

  const ByteSource& source;
  const FileFacts& facts;
  std::uint32_t chunks = 0;
  /// The merger hashes each chunk's bytes: workers hand them over in ChunkResult::bytes instead
  /// of reusing one buffer. At most kWindow chunks are in flight, so at most ~4 MiB are kept.
  bool keep_bytes = false;
  std::vector<std::unique_ptr<std::uint8_t[]>> spare;  // NOLINT(*-c-arrays); guarded by m
  std::atomic<std::uint32_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<ChunkResult> results;
  std::vector<std::uint8_t> ready;  ///< guarded by m
  std::uint32_t merged = 0;         ///< chunks merged so far; guarded by m
  std::mutex m;
  std::condition_variable chunk_done;  ///< a slot became ready (or stop)
  std::condition_variable room;        ///< the merge advanced (or stop)
};

// One worker, one chunk at a time: into its own 64 KiB buffer, or into one it hands to the merger
// with the result when the merger hashes the file.
void work(Shared& s) {
  auto own = s.take_buffer();
  facts::TextPool pool;  // per worker: no lock; a value costs at most one copy per worker
  for (std::uint32_t i = s.next.fetch_add(1); i < s.chunks; i = s.next.fetch_add(1)) {
    {
      std::unique_lock lock(s.m);
      s.room.wait(lock, [&s, i] { return i < s.merged + kWindow || s.stop.load(); });
    }
    if (s.stop.load()) {
      return;
    }
    if (!own) {
      own = s.take_buffer();
    }
    const std::span<std::uint8_t> buf(own.get(), kChunkSize);
    ChunkResult r;
    if (!read_full(s.source, kFileHeaderSize + std::uint64_t{i} * kChunkSize, buf)) {
      r.unsupported = "chunk cannot be read";
    } else {
      r = ChunkWorker(s.facts, buf, i, pool).run();
      if (s.keep_bytes) {
        r.bytes = std::move(own);
      }
    }
    const bool failed = r.unsupported.has_value();
    {
      const std::lock_guard lock(s.m);
      s.results[i] = std::move(r);
      s.ready[i] = 1;
      if (failed) {
        s.stop.store(true);
      }
    }
    s.chunk_done.notify_one();
    if (failed) {
      s.room.notify_all();
      return;
    }
  }
}

/// Runs the workers and merges their results in chunk order on the calling thread. Returns the
/// index of the first chunk the scanner does not support, if any.
std::optional<std::uint32_t> scan_and_merge(
    Shared& s, unsigned n, Merger& m, const NativeProgress& progress, Sha256Stream* hash) {
  std::optional<std::uint32_t> unsupported;
  {
    ReadAhead read_ahead(s.source, s.chunks);
    read_ahead.advance(0);
    std::vector<std::jthread> pool;
    for (unsigned k = 0; k < n; ++k) {
      pool.emplace_back([&s] { work(s); });
    }
    std::uint64_t next_report = kProgressStep;
    for (std::uint32_t i = 0; i < s.chunks; ++i) {
      read_ahead.advance(i);
      {
        std::unique_lock lock(s.m);
        s.chunk_done.wait(lock, [&s, i] { return s.ready[i] != 0 || s.stop.load(); });
        if (s.ready[i] == 0 || s.results[i].unsupported) {
          unsupported = i;
          break;
        }
      }
      // The slot is the merger's alone once ready: merged outside the lock.
      ChunkResult& r = s.results[i];
      m.live(r);
      if (hash != nullptr) {
        hash->update(std::span<const std::uint8_t>(r.bytes.get(), kChunkSize));
      }
      auto buffer = std::move(r.bytes);
      ChunkResult kept;  // only the carved records wait for the second pass
      kept.carved = std::move(r.carved);
      r = std::move(kept);
      {
        const std::lock_guard lock(s.m);
        s.merged = i + 1;
        if (buffer) {
          s.spare.push_back(std::move(buffer));
        }
      }
      s.room.notify_all();
      const std::uint64_t done = kFileHeaderSize + std::uint64_t{i + 1} * kChunkSize;
      if (progress && done >= next_report) {
        progress(done, m.records_seen());
        next_report = done + kProgressStep;
      }
    }
    if (unsupported) {
      {
        const std::lock_guard lock(s.m);
        s.stop.store(true);
      }
      s.room.notify_all();
    }
  }  // joins the workers
  if (unsupported) {
    // Every chunk before the first failing one was finished before the workers stopped.
    for (std::uint32_t i = *unsupported; i < s.chunks; ++i) {
      if (s.results[i].unsupported) {
        return i;
      }
    }
  }
  return unsupported;
}

}  // namespace

std::uint32_t crc32(std::uint32_t crc, const std::uint8_t* data, std::size_t size) noexcept {
  // libdeflate picks a carry-less-multiply (PCLMUL/VPCLMUL) CRC at run time where the CPU has one:
  // the table-driven slice-by-8 that was here cost 8 % of a 1 GB scan (issue 8).
  return libdeflate_crc32(crc, data, size);
}

std::variant<NativeRead, NativeFallback> read_native(const ByteSource& source,
                                                     unsigned workers,
                                                     const NativeProgress& progress,
                                                     Sha256Stream* hash) {
  std::array<std::uint8_t, kFileHeaderSize> h{};
  if (!read_full(source, 0, h)) {
    return NativeFallback{"file header", "cannot read the 4096-byte file header"};
  }
  // Anything libevtx might judge differently from us goes to libevtx.
  if (std::memcmp(h.data(), kFileSignature.data(), kFileSignature.size()) != 0 ||
      le32(h.data() + 32) != 128 || (h[38] | (h[39] << 8U)) != 3 ||
      (h[40] | (h[41] << 8U)) != kFileHeaderSize) {
    return NativeFallback{"file header", "unusual header size or version"};
  }
  NativeRead out;
  FileFacts facts;
  facts.path = source.name();
  facts.header_chunks = static_cast<std::uint16_t>(h[42] | (h[43] << 8U));
  const std::uint32_t flags = le32(h.data() + 120);
  facts.dirty = (flags & kFlagDirty) != 0;
  out.file.path = source.name();
  out.file.header_dirty = facts.dirty;
  out.layout.file_size = source.size();
  out.layout.signature_ok = true;
  out.layout.flags = flags;
  out.layout.header_next_record_id =
      le32(h.data() + 24) | (std::uint64_t{le32(h.data() + 28)} << 32U);  // +24
  out.layout.header_crc_ok = crc32(0, h.data(), 120) == le32(h.data() + 124);

  const std::uint64_t size = out.layout.file_size;
  const auto chunks = static_cast<std::uint32_t>(
      size > kFileHeaderSize ? (size - kFileHeaderSize) / kChunkSize : 0);
  if (hash != nullptr) {
    hash->update(h);
  }
  Shared s(source, facts, chunks, hash != nullptr);
  unsigned n = workers != 0 ? workers : std::max(1U, std::thread::hardware_concurrency());
  n = std::max(1U, std::min<unsigned>(n, std::max<std::uint32_t>(chunks, 1)));
  Merger m(out, facts.header_chunks, chunks);
  if (const auto bad = scan_and_merge(s, n, m, progress, hash)) {
    return NativeFallback{fmt::format("chunk {}", *bad), *s.results[*bad].unsupported};
  }
  // Recovered records after all live ones: de-duplication needs every live id first.
  m.set_max_run();
  for (ChunkResult& r : s.results) {
    m.recovered(r);
    std::vector<Carved>().swap(r.carved);
  }
  m.finish();
  if (progress) {
    progress(size, m.records_seen());
  }
  return out;
}

}  // namespace smssaudit::readers::evtx_native
