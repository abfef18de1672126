// Event-log facts: what the EVTX readers extract, normalised across Security, Sysmon, System and
// LocalSessionManager (issue 3). No libevtx or XML type appears here; the lineage analysis and the
// reporters work only with these.
//
// Normalisation rules (events.md):
//  - fields are taken by EventData Name, never by position;
//  - PIDs and logon ids are numbers (4688 writes zero-padded hex, Sysmon decimal);
//  - an empty or "-" value is absent, not "";
//  - times are FILETIME (100 ns since 1601-01-01 UTC), 0 = unknown.
//
// Memory (issue 8): a 1 GB Security log yields ~210,000 relevant events, all held for the lineage
// analysis. Their strings repeat heavily (one artifact path, one channel, a few hundred images,
// accounts and command lines), so they are Text: an immutable shared string the readers intern
// per file, which makes a repeated value cost one pointer instead of a heap copy per event.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace smssaudit::facts {

/// An immutable string shared between copies (copying costs a reference count, not a heap copy).
/// Reads like a std::string_view; assign or compare it with any string. "" holds no allocation.
/// One pointer wide: an event holds fourteen of them (issue 8: 8 bytes each instead of a
/// shared_ptr's 16 took ~23 MB off a 1 GB log's events).
class Text {
 public:
  Text() noexcept = default;
  Text(std::string_view s);  // NOLINT(google-explicit-*)

  Text(const std::string& s) : Text(std::string_view(s)) {}  // NOLINT(google-explicit-*)

  Text(const char* s) : Text(std::string_view(s)) {}  // NOLINT(google-explicit-*)

  Text(const Text& o) noexcept : r_(o.r_) {
    if (r_ != nullptr) {
      r_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }

  Text(Text&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}

  Text& operator=(const Text& o) noexcept {
    Text(o).swap(*this);
    return *this;
  }

  Text& operator=(Text&& o) noexcept {
    Text(std::move(o)).swap(*this);
    return *this;
  }

  ~Text() { clear(); }

  void swap(Text& o) noexcept { std::swap(r_, o.r_); }

  [[nodiscard]] std::string_view view() const noexcept {
    return r_ != nullptr ? std::string_view(r_->value) : std::string_view();
  }

  operator std::string_view() const noexcept { return view(); }  // NOLINT(google-explicit-*)

  operator const std::string&() const noexcept { return str(); }  // NOLINT(google-explicit-*)

  [[nodiscard]] const std::string& str() const noexcept;

  [[nodiscard]] bool empty() const noexcept { return r_ == nullptr; }

  void clear() noexcept {
    if (r_ != nullptr && r_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      destroy(r_);
    }
    r_ = nullptr;
  }

  [[nodiscard]] std::size_t size() const noexcept { return view().size(); }

  /// Two Texts sharing one allocation (interned together): equal without comparing characters.
  [[nodiscard]] bool same_storage(const Text& o) const noexcept { return r_ == o.r_; }

  friend bool operator==(const Text& a, const Text& b) noexcept {
    return a.r_ == b.r_ || a.view() == b.view();
  }

  friend bool operator==(const Text& a, std::string_view b) noexcept { return a.view() == b; }

  friend bool operator==(const Text& a, const std::string& b) noexcept { return a.view() == b; }

  friend bool operator==(const Text& a, const char* b) noexcept {
    return a.view() == std::string_view(b);
  }

  friend auto operator<=>(const Text& a, const Text& b) noexcept { return a.view() <=> b.view(); }

 private:
  /// The shared value and its count of Texts (atomic: events are made on reader threads and
  /// copied on others).
  struct Rep {
    explicit Rep(std::string_view s) : value(s) {}

    mutable std::atomic<std::uint32_t> refs{1};
    const std::string value;
  };

  static void destroy(const Rep* r) noexcept;

  const Rep* r_ = nullptr;
};

/// For test output (Catch2) and diagnostics.
std::ostream& operator<<(std::ostream& os, const Text& t);

/// Concatenation as with std::string ("user " + p.user_sid): a new std::string. One overload per
/// operand type, so that none needs a conversion and none is ambiguous.
std::string operator+(const Text& a, const Text& b);
std::string operator+(const Text& a, const std::string& b);
std::string operator+(const std::string& a, const Text& b);
std::string operator+(const Text& a, const char* b);
std::string operator+(const char* a, const Text& b);

/// Interns strings: equal values share one Text. One per reading thread (not thread-safe). The
/// table forgets old values when it grows past a bound, so a log full of unique strings (command
/// lines with random arguments) costs no more than without it.
class TextPool {
 public:
  Text intern(std::string_view s);

 private:
  std::unordered_map<std::string_view, Text> table_;  ///< keys view the Text's own storage
};

/// The log an event belongs to, decided by the channel recorded in the records (not the file name).
enum class LogChannel { kSecurity, kSysmon, kSystem, kLocalSessionManager, kOther };

/// Short stable name: "Security", "Sysmon", "System", "LocalSessionManager", "Other".
const char* to_string(LogChannel c) noexcept;

/// Channel from the recorded name, case-insensitive: "Security",
/// "Microsoft-Windows-Sysmon/Operational", "System",
/// "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"; anything else is kOther.
LogChannel channel_from_name(std::string_view name) noexcept;

enum class EventKind {
  kProcessStart,        ///< Security 4688, Sysmon 1
  kProcessExit,         ///< Security 4689, Sysmon 5
  kBootStart,           ///< System 12 (Kernel-General StartTime), 6005, 6009; Security 4608
  kShutdown,            ///< System 13 (Kernel-General StopTime), 6006; Security 1100
  kUnexpectedShutdown,  ///< System 6008: the previous shutdown was unexpected
  kLogon,               ///< Security 4624
  kSession,             ///< LocalSessionManager 21, 22, 23, 24, 25, 39, 40
  kLogCleared,          ///< Security 1102, System 104
  kClockChange,         ///< Security 4616
};

/// "process_start", "process_exit", "boot_start", "shutdown", "unexpected_shutdown", "logon",
/// "session", "log_cleared", "clock_change".
const char* to_string(EventKind k) noexcept;

/// Where one event came from: file, record and its System header. Findings cite these.
struct EventRef {
  Text artifact;                ///< EVTX file path as given (ByteSource::name())
  Text channel_name;            ///< System/Channel as recorded
  std::uint64_t record_id = 0;  ///< System/EventRecordID (the record header id when absent)
  std::uint64_t written = 0;    ///< System/TimeCreated/@SystemTime (FILETIME UTC)
  std::uint16_t event_id = 0;
  std::uint8_t version = 0;  ///< System/Version
  bool recovered = false;    ///< carved from chunk slack by libevtx, not a live record

  friend bool operator==(const EventRef&, const EventRef&) = default;
};

/// One normalised event. Which optional fields are set depends on `kind` (see each comment).
struct Event {
  EventKind kind = EventKind::kProcessStart;
  LogChannel channel = LogChannel::kOther;
  EventRef ref;
  /// The event's own time (FILETIME UTC): Sysmon UtcTime when present, Kernel-General 12
  /// StartTime / 13 StopTime; otherwise TimeCreated (= ref.written).
  std::uint64_t time = 0;

  // -- process start / exit --------------------------------------------------------------------
  std::optional<std::uint64_t> pid;         ///< 4688 NewProcessId, 4689/Sysmon ProcessId
  std::optional<std::uint64_t> parent_pid;  ///< 4688 ProcessId (creator), Sysmon ParentProcessId
  Text image;                               ///< 4688 NewProcessName, 4689 ProcessName, Image
  Text command_line;                        ///< absent when auditing did not record it
  Text parent_image;         ///< 4688 v2 ParentProcessName, Sysmon ParentImage ("?" dropped)
  Text parent_command_line;  ///< Sysmon ParentCommandLine
  Text process_guid;         ///< Sysmon ProcessGuid, upper-case "{...}"
  Text parent_guid;          ///< Sysmon ParentProcessGuid (all-zero GUID dropped)
  /// Account the process runs as. 4688: TargetUserSid when set (v2, not S-1-0-0), else
  /// SubjectUserSid. Sysmon: the well-known SID for User when it names one (SYSTEM -> S-1-5-18,
  /// LOCAL SERVICE -> S-1-5-19, NETWORK SERVICE -> S-1-5-20), else absent. 4624: TargetUserSid.
  Text user_sid;
  Text user_name;  ///< "DOMAIN\name" as recorded (Sysmon User; 4688 Subject/Target names)
  /// 4688 SubjectLogonId (TargetLogonId when set), Sysmon LogonId, 4624 TargetLogonId.
  std::optional<std::uint64_t> logon_id;
  /// Sysmon TerminalSessionId; LSM SessionID (39: TargetSession, 40: Session).
  std::optional<std::uint32_t> session_id;
  Text integrity;                            ///< Sysmon IntegrityLevel / 4688 v2 MandatoryLabel
  std::optional<std::uint64_t> exit_status;  ///< 4689 Status

  // -- logon (4624) ----------------------------------------------------------------------------
  std::optional<int> logon_type;  ///< LogonType; `pid` = ProcessId, `image` = ProcessName

  // -- session (LSM) ---------------------------------------------------------------------------
  Text address;                                 ///< LSM Address ("LOCAL" for the console)
  std::optional<std::uint32_t> source_session;  ///< LSM 39 Source
  Text reason;                                  ///< LSM 40 Reason

  // -- clock change (4616) ---------------------------------------------------------------------
  std::uint64_t previous_time = 0;  ///< PreviousTime
  std::uint64_t new_time = 0;       ///< NewTime

  // -- log cleared (1102, 104) -----------------------------------------------------------------
  Text cleared_channel;  ///< "Security" for 1102; System 104's Channel field
};

/// One EVTX file as read: identity, span and the relevant events, in record order.
struct EventLogFile {
  std::string path;
  std::uint64_t size = 0;    ///< bytes hashed (EvtxReadOptions::compute_sha256), else 0
  std::string sha256;        ///< lower-case hex of the whole source when asked for, else ""
  std::string channel_name;  ///< most common System/Channel among its records, "" when none
  LogChannel channel = LogChannel::kOther;
  bool header_dirty = false;     ///< file header flag 0x1 (the header counters are stale)
  std::uint64_t records = 0;     ///< live records read
  std::uint64_t recovered = 0;   ///< records recovered from slack and read
  std::uint64_t unreadable = 0;  ///< records libevtx or the XML parser rejected
  std::uint64_t first_time = 0;  ///< earliest TimeCreated over all readable records
  std::uint64_t last_time = 0;   ///< latest TimeCreated
  std::uint64_t first_record_id = 0;
  std::uint64_t last_record_id = 0;
  std::map<std::uint16_t, std::uint64_t> relevant_counts;  ///< event id -> normalised events
  std::vector<Event> events;  ///< relevant events only, in record order
};

}  // namespace smssaudit::facts
