// The inline stylesheet of the HTML report. Colours follow the text report: malicious and high in
// red, suspicious and medium in amber, inconclusive in magenta, clean in green, low in cyan.
#include "report/html_style.hpp"

namespace smssaudit::report::detail {

namespace {

constexpr std::string_view kStylesheet = R"css(
:root { --fg:#1d2330; --muted:#5b6475; --line:#d5dae3; --bg:#f6f7fa; --card:#fff;
  --critical:#7f0000; --high:#c62828; --medium:#b26a00; --low:#00838f; --info:#607080;
  --malicious:#b71c1c; --suspicious:#c77700; --inconclusive:#8e24aa; --clean:#2e7d32; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
main { max-width:1360px; margin:0 auto; padding:16px 20px 40px; }
code, .mono, td.mono { font-family:ui-monospace,"DejaVu Sans Mono",Consolas,monospace; font-size:12.5px; }
h1 { font-size:20px; margin:0; } h2 { font-size:18px; margin:28px 0 10px; }
h3 { font-size:15px; margin:20px 0 8px; } h4 { font-size:14px; margin:14px 0 6px; }
header.report { background:#1d2330; color:#e8ebf2; padding:12px 20px; }
header.report .sub { color:#aab3c5; font-size:12.5px; margin-top:4px; }
header.report code { color:#e8ebf2; }
section.card, .card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 16px; margin:12px 0; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; vertical-align:top; padding:5px 8px; border-bottom:1px solid var(--line); }
th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); font-weight:600; }
table.kv th { width:180px; text-transform:none; letter-spacing:0; font-size:13px; }
.wrap { overflow-wrap:anywhere; }
.nowrap { white-space:nowrap; }
td.artifact { font-size:11.5px; color:var(--muted); max-width:360px; }
details.fields { margin:2px 0 6px; } details.fields table { max-width:900px; }
.muted { color:var(--muted); }
.verdict { border-radius:10px; padding:14px 18px; color:#fff; margin:12px 0; }
.verdict .level { font-size:26px; font-weight:800; letter-spacing:.06em; }
.verdict .score { font-size:18px; margin-left:14px; opacity:.95; }
.verdict ul { margin:8px 0 0; padding-left:20px; }
.verdict li { margin:2px 0; overflow-wrap:anywhere; }
.verdict.level-malicious { background:var(--malicious); }
.verdict.level-suspicious { background:var(--suspicious); }
.verdict.level-inconclusive { background:var(--inconclusive); }
.verdict.level-clean { background:var(--clean); }
.verdict.level-unknown { background:#455a64; }
.gaps { border:2px solid var(--inconclusive); background:#fbf2fd; border-radius:8px; padding:10px 14px; }
.gaps h3 { margin:0 0 6px; color:var(--inconclusive); }
.gaps.none { border-color:var(--line); background:var(--card); }
.sev { display:inline-block; min-width:64px; text-align:center; border-radius:4px; padding:1px 6px;
  font-size:11.5px; font-weight:700; color:#fff; text-transform:uppercase; }
.sev-critical .sev, .sev.critical { background:var(--critical); }
.sev-high .sev, .sev.high { background:var(--high); }
.sev-medium .sev, .sev.medium { background:var(--medium); }
.sev-low .sev, .sev.low { background:var(--low); }
.sev-info .sev, .sev.info { background:var(--info); }
table.findings > tbody.finding > tr.head > td { border-bottom:none; padding-top:9px; }
table.findings > tbody.finding > tr.more > td { padding-top:0; }
table.findings tr.group th { background:#eef1f6; color:var(--fg); font-size:12.5px; }
td.rule { white-space:nowrap; font-weight:700; }
.title { font-weight:600; }
.message { margin-top:2px; overflow-wrap:anywhere; }
.attack { display:inline-block; background:#e8eaf6; color:#283593; border-radius:3px; padding:0 5px;
  margin:1px 2px 1px 0; font-size:12px; }
details > summary { cursor:pointer; color:#2a4d8f; font-size:13px; }
details.evidence table { margin:6px 0 4px; background:#fafbfd; }
details.evidence td, details.evidence th { font-size:12.5px; padding:3px 6px; }
.badge { display:inline-block; border-radius:3px; padding:0 5px; font-size:11.5px; font-weight:700; }
.badge.ok { background:#e8f5e9; color:#1b5e20; } .badge.bad { background:#ffebee; color:#b71c1c; }
.badge.warn { background:#fff3e0; color:#8a4b00; } .badge.dim { background:#eceff1; color:#455a64; }
.diag { font-size:12.5px; margin:2px 0; }
.diag.warning, .diag.error { color:#8a4b00; } .diag.error { color:#b71c1c; }
.figure { overflow-x:auto; border:1px solid var(--line); border-radius:6px; background:#fff;
  padding:6px; margin:8px 0; }
.legend { font-size:12px; color:var(--muted); margin:4px 0; }
.legend span { display:inline-block; margin-right:14px; }
.legend i { display:inline-block; width:12px; height:12px; border-radius:3px; vertical-align:-2px;
  margin-right:4px; border:2px solid #8a94a6; background:#f4f6fa; }
.legend i.master { background:#e3edfb; border-color:#2a5db0; }
.legend i.session-child { background:#e0f4f1; border-color:#00796b; }
.legend i.other-smss { background:#fff3e0; border-color:#c77700; }
.legend i.anomalous { background:#ffebee; border-color:#c62828; }
.legend i.cited { border:2px dashed #c62828; }
.legend i.stand-in { background:#fff; border-style:dashed; }
tr.cited td { background:#fff4f4; }
svg text { font-family:system-ui,"DejaVu Sans",sans-serif; font-size:12px; fill:#1d2330; }
svg text.mono, svg text.note, svg text.tick, svg text.axis-origin {
  font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:10.5px; }
svg text.name { font-weight:700; font-size:12.5px; }
svg tspan.role { font-weight:400; fill:#5b6475; font-size:11px; }
svg .edges path { fill:none; stroke:#8a94a6; stroke-width:1.5; }
svg .node > rect { fill:#f4f6fa; stroke:#8a94a6; stroke-width:1.5; }
svg .node.master > rect { fill:#e3edfb; stroke:#2a5db0; }
svg .node.session-child > rect { fill:#e0f4f1; stroke:#00796b; }
svg .node.other-smss > rect { fill:#fff3e0; stroke:#c77700; stroke-width:2.5; }
svg .node.stand-in > rect { fill:#fff; stroke:#8a94a6; stroke-dasharray:5 3; }
svg .node.cited > rect { stroke:#c62828; stroke-dasharray:5 3; stroke-width:2; }
svg .node.anomalous > rect { fill:#ffebee; stroke:#c62828; stroke-width:3; stroke-dasharray:none; }
svg .node.anomalous.sev-medium > rect { fill:#fff5e0; stroke:#b26a00; }
svg .node.anomalous.sev-low > rect { fill:#e0f7fa; stroke:#00838f; }
svg .node.anomalous.sev-critical > rect { fill:#ffcdd2; stroke:#7f0000; }
svg .node text.note { fill:#5b6475; }
svg .rule-badge rect { fill:#c62828; stroke:none; }
svg .rule-badge text { fill:#fff; font-size:10px; font-weight:700; }
svg .axis line { stroke:#e3e6ec; } svg text.tick { fill:#5b6475; }
svg .marker line { stroke:#5b6475; stroke-width:1.5; stroke-dasharray:3 3; }
svg .marker.boot-end line { stroke:#333; }
svg .row rect.band { fill:#e0f4f1; opacity:.55; }
svg .row rect.bar { fill:#9aa6b8; }
svg .row.master rect.bar { fill:#2a5db0; }
svg .row.session-child rect.bar { fill:#00897b; }
svg .row.other-smss rect.bar { fill:#c77700; }
svg .row rect.bar.open { opacity:.55; }
svg .row.anomalous rect.bar { fill:#c62828; opacity:1; }
svg .row.anomalous text.label { fill:#b71c1c; font-weight:700; }
svg .row text.note { fill:#37404f; }
footer { color:var(--muted); font-size:12px; margin-top:30px; }
@media print { body { background:#fff; } .figure { overflow:visible; } }
)css";

}  // namespace

std::string_view html_stylesheet() noexcept {
  return kStylesheet;
}

}  // namespace smssaudit::report::detail
