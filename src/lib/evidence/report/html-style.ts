/** The report page's only style sheet, inlined: light and dark (prefers-color-scheme) and print. */
export const REPORT_CSS = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--grid:#e4e8ec;
--series:#0969da;--weight:#8250df;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--threshold:#bc4c00;--banner:#fff8c5;--banner-line:#d4a72c}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--grid:#262c36;
--series:#4493f8;--weight:#ab7df8;--pass:#3fb950;--fail:#f85149;--warn:#d29922;--threshold:#f0883e;--banner:#2e2a16;--banner-line:#9e6a03}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:980px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6em;margin:0 0 .4em}h2{font-size:1.25em;margin:2em 0 .6em;padding-bottom:.3em;border-bottom:1px solid var(--line)}
h3{font-size:1.08em;margin:1.6em 0 .5em}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;word-break:break-all;margin:.5em 0}
a{color:var(--series)}
.outcome{font-size:1.12em;font-weight:600;padding:12px 14px;border-radius:6px;border-left:6px solid var(--muted);background:var(--panel);margin:.6em 0 1.2em}
.outcome.promoted{border-left-color:var(--pass)}.outcome.rolled_back{border-left-color:var(--warn)}.outcome.failed,.outcome.broken{border-left-color:var(--fail)}
.banner{border:1px solid var(--banner-line);background:var(--banner);border-radius:6px;padding:10px 14px;margin:0 0 1em;font-weight:600}
.banner.broken{border-color:var(--fail)}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em;font-size:13.5px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}
table.facts th{width:11em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
.scroll{max-height:26em;overflow:auto;border-radius:4px}
.verdict-pass{color:var(--pass)}.verdict-fail{color:var(--fail);font-weight:600}.verdict-inconclusive,.verdict-error{color:var(--warn);font-weight:600}
.muted{color:var(--muted)}
figure.gate-chart{margin:.6em 0 1em;padding:8px;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
figure.gate-chart figcaption{font-size:12.5px;color:var(--muted);margin-top:4px}
.legend span{margin-right:1.2em;white-space:nowrap}
.swatch{display:inline-block;width:18px;height:0;vertical-align:middle;margin-right:5px;border-top:2px solid}
.sw-series{border-color:var(--series)}.sw-weight{border-color:var(--weight)}.sw-threshold{border-top-style:dashed;border-color:var(--threshold)}
.sw-fail{width:9px;height:9px;border:2px solid var(--fail);border-radius:50%}
svg.chart{width:100%;height:auto;display:block}
svg .plot{fill:none;stroke:var(--line)}
svg .grid{stroke:var(--grid);stroke-width:1}
svg .tick{fill:var(--muted);font-size:11px}
svg .weight-tick{fill:var(--weight)}
svg .step-line{stroke:var(--muted);stroke-width:1;stroke-dasharray:2 3;opacity:.7}
svg .step-label{fill:var(--muted);font-size:10.5px;text-anchor:middle}
svg .weight{fill:none;stroke:var(--weight);stroke-width:2;opacity:.85}
svg .threshold{stroke:var(--threshold);stroke-width:1.6;stroke-dasharray:6 4}
svg .threshold-label{fill:var(--threshold);font-size:11px}
svg .series{fill:none;stroke:var(--series);stroke-width:1.6;stroke-linejoin:round}
svg circle.point{stroke:var(--bg);stroke-width:1}
svg circle.pass{fill:var(--series)}svg circle.inconclusive,svg circle.error{fill:var(--warn)}
svg .failing circle{fill:var(--fail);stroke:var(--bg);stroke-width:1.5}svg .failing path{stroke:var(--bg);stroke-width:1.8}
svg .no-value{fill:var(--warn)}
footer{margin-top:2.5em;color:var(--muted);font-size:13px}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--line:#999;--panel:#f2f2f2;--grid:#ddd;--banner:#fff;--banner-line:#000}
body{font-size:11pt}main{max-width:none;padding:0}
.scroll{max-height:none;overflow:visible}
figure.gate-chart,tr,.outcome,.banner{break-inside:avoid}
h2,h3{break-after:avoid}
a{color:inherit;text-decoration:underline}
a.graph-link::after{content:" (" attr(href) ")";font-size:8pt;word-break:break-all}
}
`;
