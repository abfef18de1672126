// libevtx wrappers: the only translation unit in the project that includes <libevtx.h> (and
// <libbfio.h> for EVTX: the ByteSource-backed I/O handle).
#include "readers/libyal/evtx_handle.hpp"

#include "smssaudit/core/text.hpp"

#include <libbfio.h>
#include <libevtx.h>

#include <array>
#include <cstdio>
#include <type_traits>
#include <vector>

namespace smssaudit::readers::libyal {

// The header stores handles as EvtxRawHandle* without including <libevtx.h>: sound only while
// libevtx keeps its handles as intptr_t typedefs (libevtx/types.h, libevtx/error.h).
static_assert(std::is_same_v<libevtx_file_t, EvtxRawHandle>);
static_assert(std::is_same_v<libevtx_record_t, EvtxRawHandle>);
static_assert(std::is_same_v<libevtx_error_t, EvtxRawHandle>);
static_assert(std::is_same_v<libbfio_handle_t, EvtxRawHandle>);
static_assert(std::is_same_v<libbfio_error_t, EvtxRawHandle>);

namespace {

// libevtx_error_backtrace_sprint output is a few hundred bytes per failure.
constexpr std::size_t kTrailBufferSize = 4096;

// A rendered event is a few KiB; 16 MiB guards against a hostile size field making us allocate
// gigabytes (an EVTX chunk is 64 KiB, but templates can expand it).
constexpr std::size_t kMaxXmlBytes = std::size_t{16} << 20U;

// Every libevtx failure is an I/O-level error naming what was being read; libevtx's innermost
// message is the detail.
template <typename T>
Result<T> lib_fail(const EvtxError& err, const std::string& context) {
  return fail(ErrorCode::kIo, context, err.message());
}

template <typename T>
using ScalarGetter = int (*)(EvtxRawHandle*, T*, libevtx_error_t**);

// libevtx getters of one scalar: 1 on success, -1 on error.
template <typename T>
Result<T> get_scalar(ScalarGetter<T> getter, EvtxRawHandle* h, const char* context) {
  T out{};
  EvtxError err;
  if (getter(h, &out, err.out()) != 1) {
    return lib_fail<T>(err, context);
  }
  return out;
}

using Utf8SizeGetter = int (*)(EvtxRawHandle*, std::size_t*, libevtx_error_t**);
using Utf8Getter = int (*)(EvtxRawHandle*, std::uint8_t*, std::size_t, libevtx_error_t**);

/// libevtx's size + fill pair for UTF-8 strings. Returns nullopt when libevtx says "not
/// available" (0). The size includes the NUL; a size of 0 means an empty value with no NUL to copy
/// (events.md 0), so the buffer is zero-initialised and never filled in that case.
Result<std::optional<std::string>> read_utf8(Utf8SizeGetter size_fn,
                                             Utf8Getter fill_fn,
                                             EvtxRawHandle* h,
                                             const char* context) {
  std::size_t size = 0;
  {
    EvtxError err;
    const int rc = size_fn(h, &size, err.out());
    if (rc == -1) {
      return lib_fail<std::optional<std::string>>(err, context);
    }
    if (rc == 0) {
      return std::optional<std::string>();
    }
  }
  if (size <= 1) {
    return std::optional<std::string>(std::string());
  }
  if (size > kMaxXmlBytes) {
    return fail(ErrorCode::kIo, context, "string size out of range");
  }
  std::vector<std::uint8_t> buf(size, 0);
  EvtxError err;
  if (fill_fn(h, buf.data(), buf.size(), err.out()) != 1) {
    return lib_fail<std::optional<std::string>>(err, context);
  }
  // Stop at the first NUL: the size includes the terminator, and a damaged record must not carry
  // trailing garbage into the XML parser.
  std::size_t len = 0;
  while (len < buf.size() && buf[len] != 0) {
    ++len;
  }
  return std::optional<std::string>(std::string(reinterpret_cast<const char*>(buf.data()), len));
}

}  // namespace

// --- BfioSource ----------------------------------------------------------------------------------

/// The io_handle libbfio passes to our callbacks (libbfio_handle_initialize): where the next
/// sequential read starts. libevtx reads through seek + read; ByteSource reads are positional.
struct BfioState {
  const ByteSource* source = nullptr;
  std::uint64_t offset = 0;
  bool open = false;
};

class BfioSource {
 public:
  explicit BfioSource(const ByteSource& source) { state_.source = &source; }

  BfioSource(const BfioSource&) = delete;
  BfioSource& operator=(const BfioSource&) = delete;
  BfioSource(BfioSource&&) = delete;
  BfioSource& operator=(BfioSource&&) = delete;

  ~BfioSource() {
    if (handle_ != nullptr) {
      libbfio_handle_free(&handle_, nullptr);
    }
  }

  /// Creates the libbfio handle; the error text when libbfio refuses.
  std::optional<std::string> initialize();

  libbfio_handle_t* handle() const noexcept { return handle_; }

 private:
  static BfioState& state(intptr_t* io) { return *reinterpret_cast<BfioState*>(io); }

  // Not managed by libbfio (flags 0): this object owns the state, so "free" has nothing to do.
  static int free_io(intptr_t** /*io*/, libbfio_error_t** /*error*/) { return 1; }

  // libevtx never clones its file handle; refusing keeps ownership simple.
  static int clone_io(intptr_t** /*dst*/, intptr_t* /*src*/, libbfio_error_t** /*error*/) {
    return -1;
  }

  // Evidence is never opened for writing.
  static int open_io(intptr_t* io, int flags, libbfio_error_t** /*error*/) {
    if ((flags & LIBBFIO_ACCESS_FLAG_WRITE) != 0) {
      return -1;
    }
    state(io).open = true;
    state(io).offset = 0;
    return 1;
  }

  static int close_io(intptr_t* io, libbfio_error_t** /*error*/) {
    state(io).open = false;
    return 0;
  }

  static ssize_t read_io(intptr_t* io, uint8_t* buf, size_t size, libbfio_error_t** /*error*/) {
    BfioState& st = state(io);
    auto n = st.source->read_at(st.offset, std::span<std::uint8_t>(buf, size));
    if (!n) {
      return -1;  // libbfio adds "unable to read" to the trail
    }
    st.offset += *n;
    return static_cast<ssize_t>(*n);
  }

  static ssize_t write_io(intptr_t* /*io*/,
                          const uint8_t* /*buf*/,
                          size_t /*size*/,
                          libbfio_error_t** /*error*/) {
    return -1;
  }

  static off64_t seek_io(intptr_t* io, off64_t offset, int whence, libbfio_error_t** /*error*/) {
    BfioState& st = state(io);
    std::int64_t base = 0;
    if (whence == SEEK_CUR) {
      base = static_cast<std::int64_t>(st.offset);
    } else if (whence == SEEK_END) {
      base = static_cast<std::int64_t>(st.source->size());
    } else if (whence != SEEK_SET) {
      return -1;
    }
    const std::int64_t target = base + offset;
    if (target < 0) {
      return -1;
    }
    st.offset = static_cast<std::uint64_t>(target);
    return target;
  }

  static int exists_io(intptr_t* /*io*/, libbfio_error_t** /*error*/) { return 1; }

  static int is_open_io(intptr_t* io, libbfio_error_t** /*error*/) {
    return state(io).open ? 1 : 0;
  }

  static int size_io(intptr_t* io, size64_t* size, libbfio_error_t** /*error*/) {
    *size = state(io).source->size();
    return 1;
  }

  BfioState state_;
  libbfio_handle_t* handle_ = nullptr;
};

std::optional<std::string> BfioSource::initialize() {
  libbfio_error_t* err = nullptr;
  if (libbfio_handle_initialize(&handle_,
                                reinterpret_cast<intptr_t*>(&state_),
                                free_io,
                                clone_io,
                                open_io,
                                close_io,
                                read_io,
                                write_io,
                                seek_io,
                                exists_io,
                                is_open_io,
                                size_io,
                                0,
                                &err) == 1) {
    return std::nullopt;
  }
  std::array<char, kTrailBufferSize> buf{};
  if (err != nullptr && libbfio_error_backtrace_sprint(err, buf.data(), buf.size()) < 0) {
    buf[0] = '\0';
  }
  libbfio_error_free(&err);
  buf.back() = '\0';
  return std::string("libbfio: ") + buf.data();
}

void BfioSourceFree::operator()(BfioSource* b) const noexcept {
  std::default_delete<BfioSource>{}(b);
}

// --- EvtxError -----------------------------------------------------------------------------------

EvtxError::EvtxError(EvtxError&& other) noexcept : raw_(other.raw_) {
  other.raw_ = nullptr;
}

EvtxError& EvtxError::operator=(EvtxError&& other) noexcept {
  if (this != &other) {
    reset();
    raw_ = other.raw_;
    other.raw_ = nullptr;
  }
  return *this;
}

EvtxError::~EvtxError() {
  reset();
}

void EvtxError::reset() noexcept {
  if (raw_ != nullptr) {
    libevtx_error_free(&raw_);  // sets raw_ to NULL: freed exactly once
    raw_ = nullptr;
  }
}

// libevtx prints its trail innermost first ("libevtx_file_open_read: unable to read file
// header."), so the first line is the most specific cause.
std::string EvtxError::message() const {
  if (raw_ == nullptr) {
    return "libevtx reported a failure without an error";
  }
  std::array<char, kTrailBufferSize> buf{};
  if (libevtx_error_backtrace_sprint(raw_, buf.data(), buf.size()) < 0) {
    return "unknown libevtx error";
  }
  buf.back() = '\0';
  const std::string all = buf.data();
  return text::trim(all.substr(0, all.find('\n')));
}

// --- Deleters ------------------------------------------------------------------------------------

void EvtxFileFree::operator()(EvtxRawHandle* h) const noexcept {
  // Closing an unopened file fails harmlessly; free must follow either way.
  libevtx_file_close(h, nullptr);
  libevtx_file_free(&h, nullptr);
}

// Records are independent allocations; freeing one never touches the file.
void EvtxRecordFree::operator()(EvtxRawHandle* h) const noexcept {
  libevtx_record_free(&h, nullptr);
}

// --- EvtxCalls -----------------------------------------------------------------------------------

class EvtxCalls {
 public:
  using RecordGetter = int (*)(EvtxRawHandle*, int, EvtxRawHandle**, libevtx_error_t**);

  static Result<EvtxRecord> record(RecordGetter getter,
                                   EvtxRawHandle* file,
                                   int index,
                                   const char* context) {
    EvtxRawHandle* raw = nullptr;
    EvtxError err;
    if (getter(file, index, &raw, err.out()) != 1) {
      if (raw != nullptr) {  // libevtx frees on failure, but never leak if it did not
        libevtx_record_free(&raw, nullptr);
      }
      return lib_fail<EvtxRecord>(err, std::string(context) + " #" + std::to_string(index));
    }
    return EvtxRecord(raw);
  }

  static Result<EvtxFile> open(const std::string& path) {
    libevtx_file_t* raw = nullptr;
    {
      EvtxError err;
      if (libevtx_file_initialize(&raw, err.out()) != 1) {
        return lib_fail<EvtxFile>(err, path);
      }
    }
    EvtxFile file(raw, path);
    EvtxError err;
    // Read-only: evidence is never opened for writing (LIBEVTX_OPEN_READ = access flag 0x01).
    if (libevtx_file_open(file.h_.get(), path.c_str(), LIBEVTX_OPEN_READ, err.out()) != 1) {
      return lib_fail<EvtxFile>(err, path);
    }
    return file;
  }

  static Result<EvtxFile> open(const ByteSource& source) {
    std::unique_ptr<BfioSource, BfioSourceFree> io(std::make_unique<BfioSource>(source).release());
    if (auto problem = io->initialize()) {
      return fail(ErrorCode::kIo, source.name(), *problem);
    }
    libevtx_file_t* raw = nullptr;
    {
      EvtxError err;
      if (libevtx_file_initialize(&raw, err.out()) != 1) {
        return lib_fail<EvtxFile>(err, source.name());
      }
    }
    EvtxFile file(raw, source.name());
    file.io_ = std::move(io);
    EvtxError err;
    if (libevtx_file_open_file_io_handle(
            file.h_.get(), file.io_->handle(), LIBEVTX_OPEN_READ, err.out()) != 1) {
      return lib_fail<EvtxFile>(err, source.name());
    }
    return file;
  }
};

// --- EvtxFile ------------------------------------------------------------------------------------

Result<EvtxFile> EvtxFile::open(const std::string& path) {
  return EvtxCalls::open(path);
}

Result<EvtxFile> EvtxFile::open(const ByteSource& source) {
  return EvtxCalls::open(source);
}

Result<std::uint32_t> EvtxFile::flags() const {
  return get_scalar<std::uint32_t>(libevtx_file_get_flags, h_.get(), "file flags");
}

Result<int> EvtxFile::record_count() const {
  return get_scalar<int>(libevtx_file_get_number_of_records, h_.get(), "number of records");
}

Result<EvtxRecord> EvtxFile::record(int index) const {
  return EvtxCalls::record(libevtx_file_get_record_by_index, h_.get(), index, "record");
}

Result<int> EvtxFile::recovered_count() const {
  return get_scalar<int>(
      libevtx_file_get_number_of_recovered_records, h_.get(), "number of recovered records");
}

Result<EvtxRecord> EvtxFile::recovered_record(int index) const {
  return EvtxCalls::record(
      libevtx_file_get_recovered_record_by_index, h_.get(), index, "recovered record");
}

// --- EvtxRecord ----------------------------------------------------------------------------------

Result<std::uint64_t> EvtxRecord::identifier() const {
  return get_scalar<std::uint64_t>(libevtx_record_get_identifier, h_.get(), "record identifier");
}

Result<std::uint64_t> EvtxRecord::written_time() const {
  return get_scalar<std::uint64_t>(libevtx_record_get_written_time, h_.get(), "written time");
}

Result<std::uint32_t> EvtxRecord::event_identifier() const {
  return get_scalar<std::uint32_t>(
      libevtx_record_get_event_identifier, h_.get(), "event identifier");
}

Result<std::optional<std::string>> EvtxRecord::source_name() const {
  return read_utf8(libevtx_record_get_utf8_source_name_size,
                   libevtx_record_get_utf8_source_name,
                   h_.get(),
                   "source name");
}

Result<std::uint64_t> EvtxRecord::offset() const {
  off64_t out = 0;
  EvtxError err;
  if (libevtx_record_get_offset(h_.get(), &out, err.out()) != 1 || out < 0) {
    return lib_fail<std::uint64_t>(err, "record offset");
  }
  return static_cast<std::uint64_t>(out);
}

Result<std::string> EvtxRecord::xml() const {
  auto s = read_utf8(libevtx_record_get_utf8_xml_string_size,
                     libevtx_record_get_utf8_xml_string,
                     h_.get(),
                     "XML rendering");
  if (!s) {
    return Unexpected{std::move(s).error()};
  }
  return s->value_or(std::string());
}

}  // namespace smssaudit::readers::libyal
