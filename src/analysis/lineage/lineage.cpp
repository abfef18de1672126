// analyze_lineage: the pass list of the smss lineage analysis (design.md 3.2-3.3). Each step is
// a function of the one before; none of them judges anything.
#include "lineage_internal.hpp"

#include <algorithm>
#include <iterator>

namespace smssaudit::analysis {

using namespace lineage_detail;

namespace {

// Every event of every file, in the global order (placement time, channel, record id).
std::vector<const Event*> sorted_events(const std::vector<const facts::EventLogFile*>& logs) {
  std::vector<const Event*> all;
  for (const facts::EventLogFile* f : logs) {
    if (f == nullptr) {
      continue;
    }
    for (const Event& e : f->events) {
      all.push_back(&e);
    }
  }
  std::stable_sort(all.begin(), all.end(), placement_less);
  return all;
}

std::uint64_t last_process_event(const BootSlot& slot) {
  std::uint64_t last = 0;
  for (const Event* e : slot.events) {
    if (e->kind == facts::EventKind::kProcessStart || e->kind == facts::EventKind::kProcessExit) {
      last = std::max(last, order_time(*e));
    }
  }
  return last;
}

bool any_channel_event(const std::vector<const Event*>& sorted,
                       facts::LogChannel channel,
                       facts::EventKind kind) {
  return std::any_of(sorted.begin(), sorted.end(), [&](const Event* e) {
    return e->channel == channel && e->kind == kind;
  });
}

}  // namespace

LineageOutput analyze_lineage(const LineageInput& input, const FactSink& sink) {
  LineageOutput out;
  std::vector<const facts::EventLogFile*> logs;
  std::copy_if(input.logs.begin(), input.logs.end(), std::back_inserter(logs), [](const auto* f) {
    return f != nullptr;
  });
  if (logs.empty()) {
    out.gaps.push_back({"lineage.no_event_logs", "no event logs given: smss lineage not analysed"});
    return out;
  }
  out.lineage.analyzed = true;

  // 1. One timeline, cut into boots.
  const std::vector<const Event*> sorted = sorted_events(logs);
  std::vector<BootWork> boots;
  for (BootSlot& slot : split_boots(sorted)) {
    BootWork w;
    w.slot = std::move(slot);
    boots.push_back(std::move(w));
  }

  // 2. Per boot: the process table, the smss roles and sessions, the reporters' tree and the
  //    rule facts. The table is dropped once the boot is done: only one boot's table is held.
  FactContext ctx;
  ctx.input = &input;
  ctx.security_exits =
      any_channel_event(sorted, facts::LogChannel::kSecurity, facts::EventKind::kProcessExit);
  ctx.sysmon_exits =
      any_channel_event(sorted, facts::LogChannel::kSysmon, facts::EventKind::kProcessExit);
  FactMaker maker(ctx);
  for (std::size_t i = 0; i < boots.size(); ++i) {
    BootWork& w = boots[i];
    w.table = build_process_table(w.slot.events);
    w.process_starts = w.table.size();
    w.last_process_event = last_process_event(w.slot);
    classify_smss(w);
    out.lineage.boots.push_back(make_boot(w, i + 1));
    if (w.process_starts > 0) {
      ctx.process_boots.push_back(i + 1);
    }
    sink(maker.boot(w, i + 1));
    w.table = {};
    w.kept = {};
  }
  sink(maker.log_events(sorted));

  // 3. Coverage, and the gaps that keep a verdict from reading "clean".
  out.lineage.coverage = build_coverage(logs, sorted, boots);
  out.gaps = coverage_gaps(logs, out.lineage.coverage, boots);
  return out;
}

LineageOutput analyze_lineage(const LineageInput& input) {
  std::vector<facts::Fact> all;
  LineageOutput out = analyze_lineage(input, [&all](std::vector<facts::Fact> batch) {
    std::move(batch.begin(), batch.end(), std::back_inserter(all));
  });
  out.facts = sorted_by_identity(std::move(all));
  return out;
}

}  // namespace smssaudit::analysis
