// libregf wrappers: the only translation unit (with its header) that talks to libregf/libbfio.
#include "readers/libyal/regf_handle.hpp"

#include "smssaudit/core/text.hpp"

#include <libbfio.h>
#include <libregf.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <memory>
#include <type_traits>

namespace smssaudit::readers::libyal {

// The header stores handles as RawHandle* without including <libregf.h>: that is only sound while
// libregf keeps its handles as intptr_t typedefs (libregf/types.h, libbfio/types.h).
static_assert(std::is_same_v<libregf_file_t, RawHandle>);
static_assert(std::is_same_v<libregf_key_t, RawHandle>);
static_assert(std::is_same_v<libregf_value_t, RawHandle>);
static_assert(std::is_same_v<libregf_error_t, RawHandle>);
static_assert(std::is_same_v<libbfio_handle_t, RawHandle>);

namespace {

// libregf_error_backtrace_sprint writes at most this much; trails are a few hundred bytes.
constexpr std::size_t kTrailBufferSize = 4096;

// Upper bound for a name (nk +72 / vk +2 store a u16 byte count, so 32 Ki UTF-16 units).
constexpr std::size_t kMaxNameUnits = 65536;

// Every libregf failure maps to kHiveLibrary with libregf's first message line as detail.
template <typename T>
Result<T> lib_fail(const RegfError& err, const std::string& context, RegfTrailLog* log) {
  return Unexpected{err.to_error(ErrorCode::kHiveLibrary, context, log)};
}

// libyal's getters of one scalar (a count, a time, a type): 1 on success, -1 on error.
template <typename T>
using ScalarGetter = int (*)(RawHandle*, T*, libregf_error_t**);

template <typename T>
Result<T> get_scalar(ScalarGetter<T> getter,
                     RawHandle* h,
                     const std::string& context,
                     RegfTrailLog* log) {
  T out{};
  RegfError err;
  if (getter(h, &out, err.out()) != 1) {
    return lib_fail<T>(err, context, log);
  }
  return out;
}

// libyal's size + fill pair for UTF-16 names.
using Utf16SizeGetter = int (*)(RawHandle*, std::size_t*, libregf_error_t**);
using Utf16Getter = int (*)(RawHandle*, std::uint16_t*, std::size_t, libregf_error_t**);

/// size_fn reports the unit count including the terminating NUL, fill_fn copies that many units.
/// Returns the units without the terminator, decoded to UTF-8 by our own decoder (robust against
/// unpaired surrogates in hostile hives).
Result<std::string> read_utf16_name(Utf16SizeGetter size_fn,
                                    Utf16Getter fill_fn,
                                    RawHandle* h,
                                    const std::string& context,
                                    RegfTrailLog* log) {
  auto units = get_scalar(size_fn, h, context, log);
  if (!units) {
    return Unexpected{std::move(units).error()};
  }
  if (*units == 0) {
    return std::string();
  }
  if (*units > kMaxNameUnits) {
    return fail(ErrorCode::kHiveStructure, context, "name length out of range");
  }
  // Fill call: libregf writes `units` code units including the terminating NUL.
  std::vector<std::uint16_t> buf(*units, 0);
  {
    RegfError err;
    if (fill_fn(h, buf.data(), buf.size(), err.out()) != 1) {
      return lib_fail<std::string>(err, context, log);
    }
  }
  // Re-serialise as UTF-16LE bytes so the one decoder in core/text handles every string.
  std::vector<std::uint8_t> bytes;
  bytes.reserve(buf.size() * 2);
  for (std::uint16_t u : buf) {
    bytes.push_back(static_cast<std::uint8_t>(u & 0xFF));
    bytes.push_back(static_cast<std::uint8_t>(u >> 8));
  }
  return text::utf16le_to_utf8(bytes, true);
}

// libregf's is_corrupted calls return 1 / 0 / -1: corrupted / fine / could not tell.
using CorruptionGetter = int (*)(RawHandle*, libregf_error_t**);

Result<bool> corrupted_flag(CorruptionGetter getter,
                            RawHandle* h,
                            const std::string& context,
                            RegfTrailLog* log) {
  RegfError err;
  const int rc = getter(h, err.out());
  if (rc == -1) {
    return lib_fail<bool>(err, context, log);
  }
  return rc == 1;
}

}  // namespace

// --- RegfError -----------------------------------------------------------------------------------

// Moving transfers ownership; the moved-from object frees nothing.
RegfError::RegfError(RegfError&& other) noexcept : raw_(other.raw_) {
  other.raw_ = nullptr;
}

RegfError& RegfError::operator=(RegfError&& other) noexcept {
  if (this != &other) {
    reset();
    raw_ = other.raw_;
    other.raw_ = nullptr;
  }
  return *this;
}

RegfError::~RegfError() {
  reset();
}

void RegfError::reset() noexcept {
  if (raw_ != nullptr) {
    libregf_error_free(&raw_);  // sets raw_ to NULL: freed exactly once
    raw_ = nullptr;
  }
}

// libregf_error_backtrace_sprint prints one line per layer, innermost first.
std::string RegfError::trail() const {
  if (raw_ == nullptr) {
    return "";
  }
  std::array<char, kTrailBufferSize> buf{};
  if (libregf_error_backtrace_sprint(raw_, buf.data(), buf.size()) < 0) {
    return "unknown libregf error";
  }
  buf.back() = '\0';
  return text::trim(buf.data());
}

// The first line is the innermost, most specific failure (e.g. the checksum mismatch).
std::string RegfError::message() const {
  if (raw_ == nullptr) {
    return "libregf reported a failure without an error";
  }
  const std::string all = trail();
  const std::size_t nl = all.find('\n');
  return text::trim(nl == std::string::npos ? all : all.substr(0, nl));
}

// The trail is kept out of Error::detail so that reports stay one line per problem.
Error RegfError::to_error(ErrorCode code, const std::string& context, RegfTrailLog* log) const {
  if (log != nullptr && raw_ != nullptr) {
    log->trails.push_back(context + ": " + trail());
  }
  return Error{code, context, message()};
}

// --- Deleters: libregf's free functions take T** plus an error out-parameter -------------------

void BfioHandleFree::operator()(RawHandle* h) const noexcept {
  libbfio_handle_free(&h, nullptr);
}

void RegfFileFree::operator()(RawHandle* h) const noexcept {
  // Closing an unopened file fails harmlessly; free must follow either way.
  libregf_file_close(h, nullptr);
  libregf_file_free(&h, nullptr);
}

// Keys and values are independent allocations; freeing them never touches the file.
void RegfKeyFree::operator()(RawHandle* h) const noexcept {
  libregf_key_free(&h, nullptr);
}

void RegfValueFree::operator()(RawHandle* h) const noexcept {
  libregf_value_free(&h, nullptr);
}

// --- BfioHandle ----------------------------------------------------------------------------------

namespace {

// libbfio errors are a separate (but identical) type: turn one into an Error, record its trail,
// and free both it and the half-built handle.
Unexpected bfio_failure(libbfio_error_t*& bfio_err,
                        libbfio_handle_t*& raw,
                        const std::string& label,
                        const char* what,
                        RegfTrailLog* log) {
  std::array<char, kTrailBufferSize> buf{};
  std::string msg = what;
  if (bfio_err != nullptr && libbfio_error_backtrace_sprint(bfio_err, buf.data(), buf.size()) > 0) {
    buf.back() = '\0';
    const std::string all = buf.data();
    if (log != nullptr) {
      log->trails.push_back(label + ": " + all);
    }
    msg = text::trim(all.substr(0, all.find('\n')));
  }
  libbfio_error_free(&bfio_err);
  libbfio_handle_free(&raw, nullptr);
  return fail(ErrorCode::kIo, label, msg);
}

}  // namespace

Result<BfioHandle> BfioHandle::open_file(const std::string& path, RegfTrailLog* log) {
  libbfio_handle_t* raw = nullptr;
  libbfio_error_t* bfio_err = nullptr;
  // A file-backed handle; libregf opens it read-only through libbfio_handle_open.
  if (libbfio_file_initialize(&raw, &bfio_err) != 1) {
    return bfio_failure(bfio_err, raw, path, "cannot initialise a libbfio file handle", log);
  }
  if (libbfio_file_set_name(raw, path.c_str(), path.size(), &bfio_err) != 1) {
    return bfio_failure(bfio_err, raw, path, "cannot set the libbfio file name", log);
  }
  return BfioHandle(raw);
}

namespace {

// A bounds-checked, read-only memory range for libbfio. libbfio 20170123's own memory range
// (libbfio_memory_range_read) copies the *requested* size rather than what is left of the range,
// so a hostile hive whose hbin or cell reaches past the end of the image made libregf read past
// the caller's buffer (heap-buffer-overflow found by fuzz/hive_reader_fuzz; regression input in
// tests/robustness/regressions/hive_reader/). These callbacks clamp every read to the range.
struct SafeRange {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t offset = 0;  ///< may lie past the end after a seek; reads there return 0
  bool open = false;
};

SafeRange* as_range(intptr_t* io) noexcept {
  return reinterpret_cast<SafeRange*>(io);  // NOLINT: libbfio's opaque io-handle type
}

int range_free(intptr_t** io, libbfio_error_t** /*error*/) {
  if (io != nullptr) {
    // Takes back the ownership handed to libbfio by open_memory (LIBBFIO_FLAG_IO_HANDLE_MANAGED).
    const std::unique_ptr<SafeRange> owned(as_range(*io));
    *io = nullptr;
  }
  return 1;
}

int range_clone(intptr_t** destination, intptr_t* source, libbfio_error_t** /*error*/) {
  if (destination == nullptr || source == nullptr) {
    return -1;
  }
  auto copy = std::make_unique<SafeRange>(*as_range(source));
  copy->open = false;
  *destination = reinterpret_cast<intptr_t*>(copy.release());  // NOLINT: owned by libbfio
  return 1;
}

int range_open(intptr_t* io, int access_flags, libbfio_error_t** /*error*/) {
  // Read-only: a request for write access is refused.
  if ((access_flags & LIBBFIO_ACCESS_FLAG_WRITE) != 0) {
    return -1;
  }
  as_range(io)->open = true;
  as_range(io)->offset = 0;
  return 1;
}

int range_close(intptr_t* io, libbfio_error_t** /*error*/) {
  as_range(io)->open = false;
  return 0;  // libbfio's convention: 0 on success
}

ssize_t range_read(intptr_t* io, uint8_t* buffer, size_t size, libbfio_error_t** /*error*/) {
  SafeRange& r = *as_range(io);
  if (buffer == nullptr || !r.open) {
    return -1;
  }
  if (r.offset >= r.size) {
    return 0;
  }
  const std::size_t n = std::min(size, r.size - r.offset);
  std::copy_n(r.data + r.offset, n, buffer);  // NOLINT: bounds checked above
  r.offset += n;
  return static_cast<ssize_t>(n);
}

ssize_t range_write(intptr_t* /*io*/,
                    const uint8_t* /*buffer*/,
                    size_t /*size*/,
                    libbfio_error_t** /*error*/) {
  return -1;  // evidence is never written
}

off64_t range_seek(intptr_t* io, off64_t offset, int whence, libbfio_error_t** /*error*/) {
  SafeRange& r = *as_range(io);
  off64_t base = 0;
  if (whence == SEEK_CUR) {
    base = static_cast<off64_t>(r.offset);
  } else if (whence == SEEK_END) {
    base = static_cast<off64_t>(r.size);
  } else if (whence != SEEK_SET) {
    return -1;
  }
  const bool out_of_range = offset < 0
                                ? (offset == std::numeric_limits<off64_t>::min() || base < -offset)
                                : offset > std::numeric_limits<off64_t>::max() - base;
  if (out_of_range) {
    return -1;
  }
  r.offset = static_cast<std::size_t>(base + offset);
  return base + offset;
}

int range_exists(intptr_t* /*io*/, libbfio_error_t** /*error*/) {
  return 1;
}

int range_is_open(intptr_t* io, libbfio_error_t** /*error*/) {
  return as_range(io)->open ? 1 : 0;
}

int range_get_size(intptr_t* io, size64_t* size, libbfio_error_t** /*error*/) {
  if (size == nullptr) {
    return -1;
  }
  *size = as_range(io)->size;
  return 1;
}

}  // namespace

Result<BfioHandle> BfioHandle::open_memory(std::span<const std::uint8_t> bytes, RegfTrailLog* log) {
  const std::string label = "memory image";
  libbfio_handle_t* raw = nullptr;
  libbfio_error_t* bfio_err = nullptr;
  // libbfio keeps the pointer, not a copy: the caller's bytes must outlive the handle (see the
  // header). The SafeRange is owned by libbfio from here on (freed through range_free).
  auto range = std::make_unique<SafeRange>();
  range->data = bytes.data();
  range->size = bytes.size();
  if (libbfio_handle_initialize(
          &raw,
          reinterpret_cast<intptr_t*>(range.get()),  // NOLINT: opaque
          range_free,
          range_clone,
          range_open,
          range_close,
          range_read,
          range_write,
          range_seek,
          range_exists,
          range_is_open,
          range_get_size,
          LIBBFIO_FLAG_IO_HANDLE_MANAGED | LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION,
          &bfio_err) != 1) {
    return bfio_failure(bfio_err, raw, label, "cannot initialise a libbfio memory handle", log);
  }
  static_cast<void>(range.release());  // NOLINT(bugprone-unused-return-value): libbfio owns it
  return BfioHandle(raw);
}

// --- RegfCalls -----------------------------------------------------------------------------------

class RegfCalls {
 public:
  // libregf's getters of a child object by index (sub key, value): 1 on success, -1 on error.
  using IndexGetter = int (*)(RawHandle*, int, RawHandle**, libregf_error_t**);

  // libregf's lookups of a key by UTF-8 name or backslash path: 1 found, 0 absent, -1 error.
  using Utf8Lookup =
      int (*)(RawHandle*, const std::uint8_t*, std::size_t, RawHandle**, libregf_error_t**);

  /// The child `index` of `parent`, owned by a new `Child` that shares the parent's trail log.
  template <typename Child, typename Free>
  static Result<Child> child_at(IndexGetter getter,
                                const OwnedHandle<Free>& parent,
                                int index,
                                const std::string& context) {
    RawHandle* raw = nullptr;
    RegfError err;
    if (getter(parent.get(), index, &raw, err.out()) != 1) {
      return lib_fail<Child>(err, context, parent.log());
    }
    return Child(raw, parent.log());
  }

  /// Tri-state key lookup: the key, nullopt when absent, or the libregf error (named by `name`).
  template <typename Free>
  static Result<std::optional<RegfKey>> find_key(Utf8Lookup lookup,
                                                 const OwnedHandle<Free>& parent,
                                                 std::string_view name) {
    const std::string n(name);
    return tri_state_key(
        [&](RawHandle** out, libregf_error_t** e) {
          return lookup(
              parent.get(), reinterpret_cast<const std::uint8_t*>(n.data()), n.size(), out, e);
        },
        n,
        parent.log());
  }

  /// Tri-state for any call returning 1 (key in `*out`) / 0 (none) / -1 (error).
  template <typename Call>
  static Result<std::optional<RegfKey>> tri_state_key(Call call,
                                                      const std::string& context,
                                                      RegfTrailLog* log) {
    RawHandle* raw = nullptr;
    RegfError err;
    const int rc = call(&raw, err.out());
    if (rc == 1) {
      return std::optional<RegfKey>(RegfKey(raw, log));
    }
    if (rc == 0) {
      return std::optional<RegfKey>();
    }
    return lib_fail<std::optional<RegfKey>>(err, context, log);
  }

  /// Both RegfFile factories: a new libregf file handle that `open_fn` opens read-only, kept with
  /// the libbfio handle it may read through.
  template <typename OpenFn>
  static Result<RegfFile> open_file(OpenFn open_fn,
                                    std::optional<BfioHandle> io,
                                    const std::string& label,
                                    RegfTrailLog* log) {
    libregf_file_t* raw = nullptr;
    {
      RegfError err;
      if (libregf_file_initialize(&raw, err.out()) != 1) {
        return lib_fail<RegfFile>(err, label, log);
      }
    }
    OwnedHandle<RegfFileFree> file(raw, log);
    RegfError err;
    if (open_fn(file.get(), err.out()) != 1) {
      return lib_fail<RegfFile>(err, label, log);
    }
    return RegfFile(std::move(file), std::move(io), label);
  }
};

// --- RegfFile ------------------------------------------------------------------------------------

RegfFile::RegfFile(OwnedHandle<RegfFileFree> h,
                   std::optional<BfioHandle> io,
                   std::string label) noexcept
    : io_(std::move(io)), h_(std::move(h)), label_(std::move(label)) {}

Result<RegfFile> RegfFile::open(const std::string& path, RegfTrailLog* log) {
  return RegfCalls::open_file(
      [&path](RawHandle* file, libregf_error_t** e) {
        // Read-only: evidence is never opened for writing (LIBREGF_OPEN_READ = access flag 0x01).
        return libregf_file_open(file, path.c_str(), LIBREGF_OPEN_READ, e);
      },
      std::nullopt,
      path,
      log);
}

// Same as open(), but libregf reads through `io`, which the RegfFile then owns.
Result<RegfFile> RegfFile::open_io(BfioHandle io, const std::string& label, RegfTrailLog* log) {
  RawHandle* bfio = io.h_.get();
  return RegfCalls::open_file(
      [bfio](RawHandle* file, libregf_error_t** e) {
        return libregf_file_open_file_io_handle(file, bfio, LIBREGF_OPEN_READ, e);
      },
      std::move(io),
      label,
      log);
}

// The root nk is at hive-bins offset +36 of the base block; libregf resolves it.
Result<RegfKey> RegfFile::root_key() const {
  auto root = RegfCalls::tri_state_key(
      [this](RawHandle** out, libregf_error_t** e) {
        return libregf_file_get_root_key(h_.get(), out, e);
      },
      "root key",
      h_.log());
  if (!root) {
    return Unexpected{std::move(root).error()};
  }
  if (!root->has_value()) {
    return fail(ErrorCode::kHiveStructure, "root key", "the hive has no root key");
  }
  return std::move(**root);
}

// libregf resolves each component with a case-insensitive name compare (verified by
// regf_handle_test against the win7 corpus hive).
Result<std::optional<RegfKey>> RegfFile::key_by_path(std::string_view path) const {
  return RegfCalls::find_key(libregf_file_get_key_by_utf8_path, h_, path);
}

Result<bool> RegfFile::is_corrupted() const {
  return corrupted_flag(libregf_file_is_corrupted, h_.get(), label_, h_.log());
}

// --- RegfKey -------------------------------------------------------------------------------------

// Names go through the UTF-16 getters and our decoder, which never refuses a name.
Result<std::string> RegfKey::name() const {
  return read_utf16_name(
      libregf_key_get_utf16_name_size, libregf_key_get_utf16_name, h_.get(), "key name", h_.log());
}

Result<std::uint64_t> RegfKey::last_written() const {
  return get_scalar(libregf_key_get_last_written_time, h_.get(), "key last-written time", h_.log());
}

Result<bool> RegfKey::is_corrupted() const {
  return corrupted_flag(libregf_key_is_corrupted, h_.get(), "key", h_.log());
}

Result<int> RegfKey::subkey_count() const {
  return get_scalar(libregf_key_get_number_of_sub_keys, h_.get(), "number of subkeys", h_.log());
}

// Subkeys by index, in stored (upper-case sorted) order, as regedit lists them.
Result<RegfKey> RegfKey::subkey(int index) const {
  return RegfCalls::child_at<RegfKey>(
      libregf_key_get_sub_key, h_, index, "subkey #" + std::to_string(index));
}

// libregf_key_get_sub_key_by_utf8_name: 1 found, 0 absent, -1 error.
Result<std::optional<RegfKey>> RegfKey::subkey_by_name(std::string_view name) const {
  return RegfCalls::find_key(libregf_key_get_sub_key_by_utf8_name, h_, name);
}

// Relative path below this key, backslash-separated; same tri-state as subkey_by_name.
Result<std::optional<RegfKey>> RegfKey::subkey_by_path(std::string_view path) const {
  return RegfCalls::find_key(libregf_key_get_sub_key_by_utf8_path, h_, path);
}

// nk +36: number of values (libregf validates it against the value list cell).
Result<int> RegfKey::value_count() const {
  return get_scalar(libregf_key_get_number_of_values, h_.get(), "number of values", h_.log());
}

// Values by index, in stored order (the order of the value-list cell, not sorted).
Result<RegfValue> RegfKey::value(int index) const {
  return RegfCalls::child_at<RegfValue>(
      libregf_key_get_value, h_, index, "value #" + std::to_string(index));
}

Result<std::optional<RegfValue>> RegfKey::value_by_name(std::string_view name) const {
  auto count = value_count();
  if (!count) {
    return Unexpected{std::move(count).error()};
  }
  // A value that cannot be read cannot be ruled out either: remember the first such error and
  // report "unreadable" rather than "absent" when no readable value matches.
  std::optional<Error> first_error;
  for (int i = 0; i < *count; ++i) {
    auto v = value(i);
    auto n = name_of(v);
    if (!n) {
      if (!first_error) {
        first_error = n.error();
      }
      continue;
    }
    if (text::iequals(*n, name)) {
      return std::optional<RegfValue>(std::move(v).value());
    }
  }
  if (first_error) {
    return Unexpected{*first_error};
  }
  return std::optional<RegfValue>();
}

// --- RegfValue -----------------------------------------------------------------------------------

Result<std::string> RegfValue::name() const {
  return read_utf16_name(libregf_value_get_utf16_name_size,
                         libregf_value_get_utf16_name,
                         h_.get(),
                         "value name",
                         h_.log());
}

// vk +12: value type. Unknown types are kept; decode_value keeps their raw bytes.
Result<std::uint32_t> RegfValue::type() const {
  return get_scalar(libregf_value_get_value_type, h_.get(), "value type", h_.log());
}

// vk +4 with the inline bit (31) masked off, or the db record's total for big data.
Result<std::size_t> RegfValue::data_size() const {
  return get_scalar(libregf_value_get_value_data_size, h_.get(), "value data size", h_.log());
}

Result<std::vector<std::uint8_t>> RegfValue::data(std::size_t cap, std::size_t& full_size) const {
  auto size = data_size();
  if (!size) {
    return Unexpected{std::move(size).error()};
  }
  full_size = *size;
  if (full_size == 0) {
    return std::vector<std::uint8_t>();
  }
  // libregf fills only a buffer of the full size. The size is bounded by the cell (or db
  // segments) libregf already validated against the file, so reading it whole is safe; we then
  // keep at most `cap` bytes.
  std::vector<std::uint8_t> buf(full_size);
  RegfError err;
  if (libregf_value_get_value_data(h_.get(), buf.data(), buf.size(), err.out()) != 1) {
    return lib_fail<std::vector<std::uint8_t>>(err, "value data", h_.log());
  }
  if (buf.size() > cap) {
    buf.resize(cap);
    buf.shrink_to_fit();
  }
  return buf;
}

// A value is flagged when its data cell (or a db segment) could not be read in full.
Result<bool> RegfValue::is_corrupted() const {
  return corrupted_flag(libregf_value_is_corrupted, h_.get(), "value", h_.log());
}

}  // namespace smssaudit::readers::libyal
