// Pipeline stage 2b: the event logs. See event_log_stage.hpp.
#include "app/event_log_stage.hpp"

#include "smssaudit/evidence/evidence.hpp"

namespace smssaudit::app {

std::vector<facts::EventLogFile> read_event_logs(report::Report& rep,
                                                 const readers::EvtxReadOptions& options,
                                                 DiagnosticSink& sink) {
  std::vector<facts::EventLogFile> logs;
  for (auto& in : rep.inputs) {
    if (in.evidence.kind != evidence::kKindEventLog || in.evidence.status != "ok") {
      continue;
    }
    const std::size_t before = sink.items().size();
    auto log = readers::read_event_log(in.evidence.path, sink, nullptr, options);
    if (!log) {
      in.evidence.status = "unreadable";
      sink.add(DiagLevel::kError,
               to_string(log.error().code),
               in.evidence.path,
               "",
               log.error().message());
      continue;
    }
    for (std::size_t i = before; i < sink.items().size(); ++i) {
      const Diagnostic& d = sink.items()[i];
      if (d.source == in.evidence.path && d.level >= DiagLevel::kWarning) {
        in.evidence.status = "partial";
      }
    }
    logs.push_back(std::move(*log));
  }
  return logs;
}

}  // namespace smssaudit::app
