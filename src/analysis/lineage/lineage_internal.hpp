// Private to src/analysis/lineage: the stages of analyze_lineage and the types passed between
// them. Stage order (lineage.cpp): sort events -> split boots -> per boot: process table, roles
// and sessions, facts::Boot, rule facts -> log-event facts -> coverage.
#pragma once

#include "smssaudit/analysis/lineage.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/lineage.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::analysis::lineage_detail {

using facts::Event;

inline constexpr std::uint64_t kTicksPerMs = 10'000;
inline constexpr std::uint64_t kTicksPerSecond = 10'000'000;

// ---- helpers (lineage_util.cpp) ------------------------------------------------------------

/// Lower-cased last path component ("C:\Windows\System32\smss.exe" -> "smss.exe").
std::string file_name(std::string_view path);

/// Lower-cased program file name with ".exe" added when it has no extension: how smss itself
/// resolves a BootExecute token ("autochk" runs autochk.exe).
std::string program_file_name(std::string_view token);

bool is_smss(std::string_view image);

/// csrss.exe, wininit.exe or winlogon.exe: what a session child smss is expected to start.
bool is_session_process(std::string_view image);

/// The arguments of a command line after its program token ("" when none), trimmed.
std::string command_arguments(std::string_view command_line);

/// The session-child form of events.md 2.3: two 8-digit hex values, then optionally the Win11
/// tail ("winlogon.exe {GUID}"). Not anchored after the second value on purpose (pitfall 12).
bool child_arguments_ok(const std::string& arguments);

/// When an event is put into a boot: Sysmon by TimeCreated (its UtcTime can be hours off, and
/// boot-time events are buffered, events.md 5.4), everything else by Event::time.
std::uint64_t placement_time(const Event& e);

/// When an event happened for ordering inside a boot: Event::time (Sysmon UtcTime), else written.
std::uint64_t order_time(const Event& e);

/// Tie-break between channels at the same instant (events.md 5.6).
int channel_priority(facts::LogChannel c);

/// (placement time, channel priority, record id): the global order of all events.
bool placement_less(const Event* a, const Event* b);

/// Evidence for a fact built from one event record.
facts::EvidenceRef evidence_of(const Event& e, const std::map<std::string, std::string>& sha);

/// Signed milliseconds b - a.
std::int64_t ms_between(std::uint64_t a, std::uint64_t b);

// ---- boots (boot_split.cpp) ----------------------------------------------------------------

struct BootSlot {
  std::uint64_t start = 0;
  std::string start_basis;
  const Event* start_event = nullptr;  ///< the marker the start comes from
  std::optional<std::uint64_t> end;
  std::string end_basis;
  const Event* end_event = nullptr;
  bool unexpected_end = false;
  std::vector<const Event*> markers;  ///< boot-start markers merged into this boot
  std::vector<const Event*> events;   ///< every event placed in this boot, in placement order
};

/// Splits the placement-ordered events into boots (see boot_split.cpp for the merge windows).
std::vector<BootSlot> split_boots(const std::vector<const Event*>& sorted);

// ---- process table (process_table.cpp) -----------------------------------------------------

/// One process instance of a boot, with the views it was built from.
struct Instance {
  facts::ProcessInstance p;  ///< p.parent indexes the boot's full table
  const Event* security_start = nullptr;
  const Event* sysmon_start = nullptr;
  const Event* exit = nullptr;        ///< the exit that closed it (first one)
  std::vector<std::size_t> children;  ///< indices into the table, in start order
};

/// Every process created in one boot, 4688 and Sysmon 1 views merged, parents linked and exits
/// applied. Ordered by (start, channel priority, record id).
std::vector<Instance> build_process_table(const std::vector<const Event*>& boot_events);

/// Milliseconds from start to exit, measured on one clock when possible (Sysmon 5 against the
/// Sysmon 1 UtcTime, 4689 against the 4688 time); absent without exit or when negative.
std::optional<std::int64_t> lifetime_ms(const Instance& in);

// ---- roles, sessions, boots (roles.cpp) ----------------------------------------------------

struct SmssInfo {
  std::size_t instance = 0;  ///< index into the table
  facts::SmssRole role = facts::SmssRole::kOther;
  facts::SessionLink session;
};

/// One analysed boot: the slot, its full process table and the smss instances in it. The table
/// lives only while the boot is analysed (lineage.cpp drops it once the boot's facts are made).
struct BootWork {
  BootSlot slot;
  std::vector<Instance> table;
  std::size_t process_starts = 0;                ///< table.size(), kept after the table is gone
  std::vector<SmssInfo> smss;                    ///< in start order
  std::vector<std::optional<std::size_t>> kept;  ///< table index -> facts::Boot::processes index
  std::uint64_t last_process_event = 0;  ///< latest process start/exit time seen in the boot
};

/// Roles (master, session child, other) and session links for every smss of the boot.
void classify_smss(BootWork& work);

/// The reporters' view of a boot: only the smss family is kept (see roles.cpp).
facts::Boot make_boot(BootWork& work, std::size_t index);

// ---- coverage (coverage.cpp) ---------------------------------------------------------------

facts::LineageCoverage build_coverage(const std::vector<const facts::EventLogFile*>& logs,
                                      const std::vector<const Event*>& sorted,
                                      const std::vector<BootWork>& boots);

std::vector<facts::CoverageGap> coverage_gaps(const std::vector<const facts::EventLogFile*>& logs,
                                              const facts::LineageCoverage& coverage,
                                              const std::vector<BootWork>& boots);

// ---- rule facts (lineage_facts.cpp) --------------------------------------------------------

struct FactContext {
  const LineageInput* input = nullptr;
  bool security_exits = false;  ///< any 4689 in the logs
  bool sysmon_exits = false;    ///< any Sysmon 5 in the logs
  /// Indices of the boots with any process creation, ascending, up to the boot being built (the
  /// "first boot after sysprep" test looks at earlier boots only, lineage_facts.cpp).
  std::vector<std::size_t> process_boots;
};

/// Makes the rule facts boot by boot, so a boot's process table can go as soon as its facts
/// exist (issue 8). Boots must be given in order: the sysprep test remembers earlier boots.
class FactMaker {
 public:
  explicit FactMaker(const FactContext& ctx) : ctx_(ctx) {}

  /// lineage.boot, lineage.smss_instance, lineage.smss_spawn, lineage.session_process of one
  /// boot (`index` is 1-based), in that order. Needs the boot's table.
  std::vector<facts::Fact> boot(const BootWork& w, std::size_t index);

  /// lineage.log_clear and lineage.clock_change, in the events' order.
  std::vector<facts::Fact> log_events(const std::vector<const Event*>& sorted) const;

 private:
  const FactContext& ctx_;
  std::set<std::size_t> setupcl_boots_;  ///< boots in which setupcl.exe ran
};

/// Sorted by (kind, identity), ties in the order given.
std::vector<facts::Fact> sorted_by_identity(std::vector<facts::Fact> facts);

}  // namespace smssaudit::analysis::lineage_detail
