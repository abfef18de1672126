// Report: the plain struct every reporter renders (style.md 2.5). Reporters never analyse.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/facts/coverage.hpp"
#include "smssaudit/facts/lineage.hpp"
#include "smssaudit/facts/registry.hpp"
#include "smssaudit/rules/engine.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace smssaudit::report {

struct InputEntry {
  evidence::Evidence evidence;
  std::vector<Diagnostic> diagnostics;
};

struct OsInfo {
  std::string family;        ///< baseline family
  std::string family_basis;  ///< how it was chosen
  std::string baseline;      ///< baseline id used
  std::optional<facts::SoftwareHive> software;
};

/// One artifact an installation is expected to have, and whether the scan had it (design.md 2:
/// expected artifacts that are missing appear in coverage). Not a gap by itself: a host without
/// Sysmon is normal; the gaps say what the absence costs.
struct ExpectedArtifact {
  std::string artifact;  ///< "SYSTEM", "SYSTEM transaction logs", "SOFTWARE", a channel
  bool found = false;
  std::vector<std::string> paths;  ///< report names of the artifacts used for it
};

struct HostReport {
  std::string name;  ///< ComputerName, else the host folder's name, else the first evidence path
  /// Folder (or image volume) the host's artifacts were found under; "" for the default host of
  /// files named on the command line.
  std::string evidence_root;
  OsInfo os;
  std::optional<facts::SystemHive> system;  ///< absent when the SYSTEM hive was unusable
  facts::Lineage lineage;                   ///< lineage.analyzed is false without event logs
  std::vector<facts::CoverageGap> coverage;
  std::vector<ExpectedArtifact> artifacts;  ///< the expected-artifact checklist, in fixed order
  std::vector<rules::Finding> findings;
  rules::Verdict verdict;
};

struct Report {
  std::string tool_name = "smssaudit";
  std::string tool_version;
  std::string ruleset_sha256;
  std::size_t ruleset_count = 0;
  std::vector<InputEntry> inputs;
  std::vector<HostReport> hosts;
  std::vector<Diagnostic> diagnostics;  ///< run-level diagnostics not tied to one input
};

/// `--format json`: the contract of design.md 4 ("schema": "smssaudit.report/1"), stable key
/// order, 2-space indentation, trailing newline.
void write_json(const Report& report, std::ostream& out);

struct TextOptions {
  bool color = false;
  bool verbose = false;  ///< also list info findings and every captured value
};

/// `--format text`: summary, verdict, findings by severity, per-control-set highlights.
void write_text(const Report& report, std::ostream& out, const TextOptions& options);

/// `--format jsonl`: one finding per line, every host in report order, Timesketch-ready: `message`,
/// `datetime` (ISO-8601 UTC), `timestamp` (microseconds since the Unix epoch), `timestamp_desc`,
/// then `data_type`, `host` and the finding's fields. The time is the finding's first dated event
/// evidence, else its first registry evidence's key last-written time; a finding with neither gets
/// plaso's "Not a time" convention (timestamp 0, 1970-01-01) and `time_source` "none".
void write_jsonl(const Report& report, std::ostream& out);

/// `--format csv`: findings, RFC 4180 (CRLF, fields quoted when they hold a comma, quote, CR or
/// LF; quotes doubled). Fixed header: host, rule_id, severity, score, confidence, title, message,
/// attack, artifact, location, time.
void write_csv(const Report& report, std::ostream& out);

/// `--timeline FILE`: every dated fact of every host as Timesketch JSONL (boots, smss-family
/// process starts and exits, sessions, hive and Session Manager key last-written times, log
/// clears, clock changes, OS install date, dated findings), sorted by time, then host, then the
/// order the report holds them in (so at equal times a parent process precedes its child).
void write_timeline(const Report& report, std::ostream& out);

/// `--format html`: one self-contained page (inline CSS and SVG, no script or resource fetched
/// from the network): verdict banner, findings with their evidence, each boot's smss lineage tree
/// drawn as SVG, and a timeline of the session children's lifetimes and sessions.
void write_html(const Report& report, std::ostream& out);

}  // namespace smssaudit::report
