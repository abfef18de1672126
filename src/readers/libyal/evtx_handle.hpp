// RAII wrappers for libevtx (style.md 2.3), the only code that talks to libevtx. As with libregf,
// every libevtx handle is a typedef of intptr_t, so each kind gets its own move-only class and no
// raw handle leaves src/readers/libyal/. This header deliberately does not include <libevtx.h>;
// evtx_handle.cpp checks that the handle typedefs really are intptr_t.
#pragma once

#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace smssaudit::readers::libyal {

/// libevtx's opaque handle storage (libevtx/types.h: `typedef intptr_t libevtx_file_t;` etc.).
using EvtxRawHandle = std::intptr_t;

/// Owns one libevtx_error_t* and frees it exactly once. Hand out() to exactly one C call.
class EvtxError {
 public:
  EvtxError() noexcept = default;
  EvtxError(const EvtxError&) = delete;
  EvtxError& operator=(const EvtxError&) = delete;
  EvtxError(EvtxError&& other) noexcept;
  EvtxError& operator=(EvtxError&& other) noexcept;
  ~EvtxError();

  /// The out-parameter for one libevtx call (libevtx_error_t**).
  EvtxRawHandle** out() noexcept { return &raw_; }

  bool has_error() const noexcept { return raw_ != nullptr; }

  /// The outermost libevtx message (the last line of its backtrace), trimmed.
  std::string message() const;

 private:
  void reset() noexcept;

  EvtxRawHandle* raw_ = nullptr;
};

struct EvtxFileFree {
  void operator()(EvtxRawHandle* h) const noexcept;  // close, then free
};

struct EvtxRecordFree {
  void operator()(EvtxRawHandle* h) const noexcept;
};

/// A libbfio handle whose reads go to a ByteSource (evtx_handle.cpp), so libevtx can read a log
/// inside a disk image as well as a file. Holds the source by reference.
class BfioSource;

struct BfioSourceFree {
  void operator()(BfioSource* b) const noexcept;
};

/// evtx_handle.cpp's helper that builds wrappers from raw handles (the only code besides the
/// classes themselves allowed to).
class EvtxCalls;

/// One event record (libevtx_record_t), live or recovered from chunk slack. The scalar getters
/// read the record header and the already-parsed binary XML; xml() is the expensive step (it
/// renders the whole document as text), so callers decide relevance before calling it.
class EvtxRecord {
 public:
  /// Record header +8: the record number (EventRecordID as written by the event log service).
  Result<std::uint64_t> identifier() const;

  /// Record header +16: FILETIME written time (TimeCreated/@SystemTime of the live log).
  Result<std::uint64_t> written_time() const;

  /// System/EventID as a 32-bit value. libevtx 20181227 already separates classic sources'
  /// Qualifiers, but callers still mask to 16 bits (events.md 0).
  Result<std::uint32_t> event_identifier() const;

  /// System/Provider/@Name (or EventSourceName for classic sources such as "EventLog");
  /// nullopt when the record has none.
  Result<std::optional<std::string>> source_name() const;

  /// The whole event rendered as UTF-8 XML text (without the terminating NUL).
  Result<std::string> xml() const;

  /// Offset of the record in the file (for progress).
  Result<std::uint64_t> offset() const;

 private:
  friend class EvtxCalls;

  explicit EvtxRecord(EvtxRawHandle* h) noexcept : h_(h) {}

  std::unique_ptr<EvtxRawHandle, EvtxRecordFree> h_;
};

/// An open EVTX file (libevtx_file_t), always read-only.
class EvtxFile {
 public:
  /// Opens `path` with LIBEVTX_OPEN_READ; fails when libevtx refuses the file header.
  static Result<EvtxFile> open(const std::string& path);

  /// Opens a ByteSource read-only through a libbfio handle with our own I/O callbacks. The source
  /// must outlive the EvtxFile and every record read from it.
  static Result<EvtxFile> open(const ByteSource& source);

  /// File header +120 as libevtx read it (0x1 dirty, 0x2 full, 0x4 no CRC32).
  Result<std::uint32_t> flags() const;

  Result<int> record_count() const;
  Result<EvtxRecord> record(int index) const;

  /// Records libevtx carved from the unused space of chunks; may repeat live records.
  Result<int> recovered_count() const;
  Result<EvtxRecord> recovered_record(int index) const;

 private:
  friend class EvtxCalls;

  EvtxFile(EvtxRawHandle* h, std::string label) noexcept : h_(h), label_(std::move(label)) {}

  // Declared before h_: destroyed after it, since the libevtx file reads through it until closed.
  std::unique_ptr<BfioSource, BfioSourceFree> io_;
  std::unique_ptr<EvtxRawHandle, EvtxFileFree> h_;
  std::string label_;
};

}  // namespace smssaudit::readers::libyal
