/**
 * One self-contained HTML page per audit (inline CSS and SVG, no script, no network): per SLO the
 * error budget burning down over the period, excluded windows shaded, and each alert's firing
 * intervals marked as bars under the chart; rules with their violation intervals.
 */
import type { AlertResult, SloResult } from '../../sla/audit-types.js';
import { chainText, formatNumber } from './format.js';
import { htmlEscape as h } from './html-escape.js';
import { REPORT_CSS } from './html-style.js';
import { budgetTime, percent, verdictText, type AuditReport } from './audit-summary.js';

const W = 900;
const CHART_H = 200;
const LANE_H = 14;
const PAD_L = 56;
const PAD_R = 12;
const PAD_T = 10;

const AUDIT_CSS = `.excluded{fill:var(--muted);opacity:.25}.budget{fill:none;stroke:var(--series);stroke-width:2}.zero{stroke:var(--fail);stroke-dasharray:4 3}
.lane-page{fill:var(--fail)}.lane-ticket{fill:var(--warn)}.axis{stroke:var(--line)}.tick{fill:var(--muted);font-size:11px}
.status-compliant{color:var(--pass);font-weight:600}.status-violated{color:var(--fail);font-weight:600}.status-insufficient_data{color:var(--warn);font-weight:600}`;

/** The burn-down chart of one SLO as inline SVG. */
export function budgetChart(s: SloResult): string {
  const from = Date.parse(s.from);
  const to = Date.parse(s.to);
  const span = Math.max(1, to - from);
  const lanes = s.alerts.length;
  const height = PAD_T + CHART_H + 22 + lanes * (LANE_H + 4) + 4;
  const x = (ms: number): number => PAD_L + ((ms - from) / span) * (W - PAD_L - PAD_R);
  const values = s.budgetCurve.filter(([t]) => t * 1_000 >= from && t * 1_000 <= to).map(([, v]) => v);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values);
  const y = (v: number): number => PAD_T + ((hi - v) / (hi - lo)) * CHART_H;
  const parts: string[] = [];
  for (const e of s.excluded) {
    const x1 = x(Math.max(from, Date.parse(e.from)));
    const x2 = x(Math.min(to, Date.parse(e.to)));
    parts.push(`<rect class="excluded" x="${x1.toFixed(1)}" y="${PAD_T}" width="${Math.max(2, x2 - x1).toFixed(1)}" height="${CHART_H + 22 + lanes * (LANE_H + 4)}"><title>excluded: ${h(e.reason)} (${h(e.from)} → ${h(e.to)})</title></rect>`);
  }
  parts.push(`<line class="axis" x1="${PAD_L}" y1="${y(1).toFixed(1)}" x2="${W - PAD_R}" y2="${y(1).toFixed(1)}"/>`);
  parts.push(`<line class="zero" x1="${PAD_L}" y1="${y(0).toFixed(1)}" x2="${W - PAD_R}" y2="${y(0).toFixed(1)}"/>`);
  parts.push(`<text class="tick" x="4" y="${(y(1) + 4).toFixed(1)}">100%</text><text class="tick" x="4" y="${(y(0) + 4).toFixed(1)}">0%</text>`);
  // Points outside the period (a hand-edited log) would draw outside the frame: left out.
  const curve = s.budgetCurve.filter(([t]) => t * 1_000 >= from && t * 1_000 <= to);
  if (curve.length > 0) {
    const points = [[from / 1_000, 1] as [number, number], ...curve].map(([t, v]) => `${x(t * 1_000).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="budget" points="${points}"><title>error budget remaining</title></polyline>`);
  }
  const laneTop = PAD_T + CHART_H + 22;
  parts.push(`<text class="tick" x="${PAD_L}" y="${PAD_T + CHART_H + 14}">${h(s.from)}</text><text class="tick" x="${W - PAD_R}" y="${PAD_T + CHART_H + 14}" text-anchor="end">${h(s.to)}</text>`);
  s.alerts.forEach((a, i) => {
    const top = laneTop + i * (LANE_H + 4);
    parts.push(`<text class="tick" x="4" y="${top + 11}">${h(`${a.severity} ${a.longWindow}`)}</text>`);
    parts.push(`<line class="axis" x1="${PAD_L}" y1="${top + LANE_H / 2}" x2="${W - PAD_R}" y2="${top + LANE_H / 2}"/>`);
    for (const iv of a.intervals) {
      const x1 = x(Date.parse(iv.start));
      const x2 = x(Date.parse(iv.end));
      parts.push(`<rect class="lane-${a.severity}" x="${x1.toFixed(1)}" y="${top}" width="${Math.max(2, x2 - x1).toFixed(1)}" height="${LANE_H}"><title>${h(`${a.severity} ${a.longWindow}&${a.shortWindow} ${a.factor}× fired ${iv.start} → ${iv.end}`)}</title></rect>`);
    }
  });
  return `<figure class="gate-chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${h(`error budget of ${s.name}`)}">${parts.join('')}</svg><figcaption>Error budget remaining over the period (blue), excluded windows shaded, alert firing intervals as bars (page red, ticket amber).</figcaption></figure>`;
}

function alertRows(alerts: AlertResult[]): string {
  return alerts
    .map((a) => `<tr><td>${a.severity}</td><td>${h(a.longWindow)} &amp; ${h(a.shortWindow)}</td><td class="num">${a.factor}×</td><td>${a.firing ? '<span class="verdict-fail">firing</span>' : 'no'}</td><td>${a.intervals.length === 0 ? '-' : a.intervals.map((i) => `${h(i.start)} → ${h(i.end)}`).join('<br>')}</td></tr>`)
    .join('');
}

function sloSection(s: SloResult): string {
  const b = s.errorBudget;
  return [
    `<h3>${h(s.name)} <span class="status-${s.status}">${h(s.status.replace('_', ' '))}</span></h3>`,
    `<p>${h(s.period)}: ${h(s.from)} → ${h(s.to)}. ${h(s.sliKind)} SLI <strong>${percent(s.sli)}</strong> against ${s.objective}%.${b ? ` Budget remaining ${percent(b.remaining, 2)} (${budgetTime(b.remainingSeconds)} of ${budgetTime(b.totalSeconds)}).` : ''}</p>`,
    s.reasons.length > 0 ? `<ul>${s.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>` : '',
    s.excluded.length > 0 ? `<p>Excluded: ${s.excluded.map((e) => `${h(e.from)} → ${h(e.to)} (${h(e.reason)})`).join('; ')}</p>` : '',
    budgetChart(s),
    `<p>Burn rates at the end: ${s.burnRates.map((r) => `${h(r.window)} ${r.rate === null ? 'no data' : `${formatNumber(r.rate)}×`}`).join(', ')}</p>`,
    `<table><tr><th>alert</th><th>windows</th><th>factor</th><th>at the end</th><th>fired</th></tr>${alertRows(s.alerts)}</table>`,
  ].join('\n');
}

export function renderAuditHtml(r: AuditReport): string {
  const outcomeClass = r.verdict === 'compliant' ? 'promoted' : r.verdict === 'violated' ? 'failed' : 'rolled_back';
  const rules = r.rules
    .map((rule) => `<tr><td>${h(rule.name)}</td><td>${rule.severity}</td><td>${h(rule.condition)}</td><td>${h(rule.for)}</td><td>${rule.violated ? rule.violations.map((v) => `${h(v.start)} → ${h(v.end)} (${budgetTime(v.durationSeconds)}, peak ${formatNumber(v.peak)})`).join('<br>') : rule.insufficient ? `not enough data: ${h(rule.reasons.join('; '))}` : 'no violation'}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>SLA audit ${h(r.policy.name)} ${h(r.auditId)}</title><style>${REPORT_CSS}${AUDIT_CSS}</style></head>
<body><main>
<h1>SLA audit: ${h(r.policy.name)} (${h(r.policy.service)})</h1>
${r.chain.intact ? '' : `<div class="banner broken">Evidence chain broken: ${h(chainText(r.chain))}</div>`}
<div class="outcome ${outcomeClass}">${h(verdictText(r))}</div>
<table class="facts">
<tr><th>audit</th><td><code>${h(r.auditId)}</code></td></tr>
<tr><th>period</th><td>${h(r.from ?? '?')} → ${h(r.to ?? '?')}</td></tr>
<tr><th>policy</th><td><code>${h(r.policy.file)}</code> (${h(r.policy.source)}), sha256 <code>${h(r.policy.sha256)}</code></td></tr>
<tr><th>Prometheus</th><td>${h(r.prometheusUrl ?? '')}</td></tr>
<tr><th>operator</th><td>${h(r.operator ?? '')}</td></tr>
<tr><th>tool</th><td>rollgate ${h(r.toolVersion ?? '')}</td></tr>
<tr><th>evidence</th><td>${h(chainText(r.chain))}</td></tr>
</table>
${r.slos.length > 0 ? `<h2>SLOs</h2>\n${r.slos.map(sloSection).join('\n')}` : ''}
${r.rules.length > 0 ? `<h2>Rules</h2><table><tr><th>rule</th><th>severity</th><th>condition</th><th>for</th><th>violations</th></tr>${rules}</table>` : ''}
</main></body></html>
`;
}
