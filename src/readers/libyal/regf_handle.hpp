// RAII wrappers for libregf (style.md 2.3). Every libregf handle is a typedef of intptr_t, so the
// compiler cannot tell a key from a file: each kind gets its own move-only class here, and no raw
// handle leaves src/readers/libyal/. This header deliberately does not include <libregf.h>;
// regf_handle.cpp checks that the handle typedefs really are intptr_t.
#pragma once

#include "smssaudit/core/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::readers::libyal {

/// libregf's opaque handle storage (libregf/types.h: `typedef intptr_t libregf_key_t;` etc.).
using RawHandle = std::intptr_t;

/// Full libregf error trails collected during one read, for `-v` output. Optional: wrappers take a
/// nullable pointer and append one trail per failed call.
struct RegfTrailLog {
  std::vector<std::string> trails;
};

/// Owns one libregf_error_t* and frees it exactly once. Hand out() to exactly one C call.
class RegfError {
 public:
  RegfError() noexcept = default;
  RegfError(const RegfError&) = delete;
  RegfError& operator=(const RegfError&) = delete;
  RegfError(RegfError&& other) noexcept;
  RegfError& operator=(RegfError&& other) noexcept;
  ~RegfError();

  /// The out-parameter for one libregf call (libregf_error_t**).
  RawHandle** out() noexcept { return &raw_; }

  bool has_error() const noexcept { return raw_ != nullptr; }

  /// First line of libregf_error_backtrace_sprint: the outermost failing function's message.
  std::string message() const;

  /// The whole trail, one line per libregf layer.
  std::string trail() const;

  /// Error{code, context, message()}; records trail() in `log` when given.
  Error to_error(ErrorCode code, const std::string& context, RegfTrailLog* log) const;

 private:
  void reset() noexcept;

  RawHandle* raw_ = nullptr;
};

struct BfioHandleFree {
  void operator()(RawHandle* h) const noexcept;
};

struct RegfFileFree {
  void operator()(RawHandle* h) const noexcept;  // close, then free
};

struct RegfKeyFree {
  void operator()(RawHandle* h) const noexcept;
};

struct RegfValueFree {
  void operator()(RawHandle* h) const noexcept;
};

/// An owned libregf handle (released by `Free`) together with the trail log its failures are
/// recorded in: the state every libregf object wrapper below carries.
template <typename Free>
class OwnedHandle {
 public:
  OwnedHandle(RawHandle* h, RegfTrailLog* log) noexcept : h_(h), log_(log) {}

  RawHandle* get() const noexcept { return h_.get(); }

  RegfTrailLog* log() const noexcept { return log_; }

 private:
  std::unique_ptr<RawHandle, Free> h_;
  RegfTrailLog* log_;  ///< not owned, nullable
};

/// regf_handle.cpp's helpers that run one libregf call and wrap the handle it returns; the only
/// code (besides the classes themselves) that may construct a wrapper from a raw handle.
class RegfCalls;

/// A libbfio file-IO handle for RegfFile::open_io: a read-only file, or a memory range (a hive
/// image replayed from its transaction logs).
class BfioHandle {
 public:
  static Result<BfioHandle> open_file(const std::string& path, RegfTrailLog* log);

  /// A libbfio memory range over `bytes`, opened read-only. Ownership: libbfio keeps only the
  /// pointer, never a copy, so `bytes` must stay alive and unchanged for as long as this handle
  /// and any RegfFile (or key or value obtained from it) opened through it are alive. The caller
  /// keeps owning the bytes.
  static Result<BfioHandle> open_memory(std::span<const std::uint8_t> bytes, RegfTrailLog* log);

 private:
  friend class RegfFile;

  explicit BfioHandle(RawHandle* h) noexcept : h_(h) {}

  std::unique_ptr<RawHandle, BfioHandleFree> h_;
};

class RegfValue;

/// One key (libregf_key_t). Lookups are tri-state: value = found, nullopt = absent, error =
/// unreadable (libregf returns 1 / 0 / -1).
class RegfKey {
 public:
  /// Key name as stored, decoded from UTF-16 by text::utf16le_to_utf8 (unpaired surrogates ->
  /// U+FFFD).
  Result<std::string> name() const;

  /// nk +4: last-written FILETIME.
  Result<std::uint64_t> last_written() const;

  /// libregf_key_is_corrupted: true when libregf noticed a structural problem in this key.
  Result<bool> is_corrupted() const;

  Result<int> subkey_count() const;
  Result<RegfKey> subkey(int index) const;

  /// Case-insensitive (libregf upper-cases both sides when comparing names).
  Result<std::optional<RegfKey>> subkey_by_name(std::string_view name) const;

  /// Backslash-separated path relative to this key, case-insensitive.
  Result<std::optional<RegfKey>> subkey_by_path(std::string_view path) const;

  Result<int> value_count() const;
  Result<RegfValue> value(int index) const;

  /// Iterates the values and compares names with text::iequals ourselves: Win8+ stores
  /// "SETUPEXECUTE" and we must not depend on how libregf folds value names.
  Result<std::optional<RegfValue>> value_by_name(std::string_view name) const;

 private:
  friend class RegfCalls;

  RegfKey(RawHandle* h, RegfTrailLog* log) noexcept : h_(h, log) {}

  OwnedHandle<RegfKeyFree> h_;
};

/// One value (libregf_value_t). Data is returned raw; decoding happens in readers/value_decoder.
class RegfValue {
 public:
  Result<std::string> name() const;
  Result<std::uint32_t> type() const;  ///< vk +12
  Result<std::size_t> data_size() const;

  /// Raw data bytes, at most `cap` of them. `full_size` receives the stored size.
  Result<std::vector<std::uint8_t>> data(std::size_t cap, std::size_t& full_size) const;

  Result<bool> is_corrupted() const;

 private:
  friend class RegfCalls;

  RegfValue(RawHandle* h, RegfTrailLog* log) noexcept : h_(h, log) {}

  OwnedHandle<RegfValueFree> h_;
};

/// The name of a key or value just opened by index: opening it and reading its name can each fail,
/// and either leaves it nameless (the error is the first failure).
template <typename Child>
Result<std::string> name_of(const Result<Child>& child) {
  return child ? child->name() : Result<std::string>(Unexpected{child.error()});
}

/// An open hive (libregf_file_t), always read-only.
class RegfFile {
 public:
  /// Opens `path` with LIBREGF_OPEN_READ. Fails when libregf refuses the base block or bins.
  static Result<RegfFile> open(const std::string& path, RegfTrailLog* log);

  /// Opens through a libbfio handle (a file, or a memory range over a replayed image). The file
  /// keeps the handle alive until it is closed. `label` names the source in errors.
  static Result<RegfFile> open_io(BfioHandle io, const std::string& label, RegfTrailLog* log);

  Result<RegfKey> root_key() const;

  /// Path relative to the root key ("Microsoft\\Windows NT\\CurrentVersion"), case-insensitive.
  Result<std::optional<RegfKey>> key_by_path(std::string_view path) const;

  /// libregf_file_is_corrupted: structural corruption seen so far (not dirtiness).
  Result<bool> is_corrupted() const;

 private:
  friend class RegfCalls;

  RegfFile(OwnedHandle<RegfFileFree> h, std::optional<BfioHandle> io, std::string label) noexcept;

  // Declared before h_ so it is destroyed after the file that reads through it.
  std::optional<BfioHandle> io_;
  OwnedHandle<RegfFileFree> h_;
  std::string label_;
};

}  // namespace smssaudit::readers::libyal
