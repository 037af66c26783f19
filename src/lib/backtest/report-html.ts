/**
 * The backtest as one self-contained HTML file: the summary, the gates, and an inline SVG timeline
 * of the period — each simulated rollout as a bar coloured by its outcome, each gate's failing
 * measurements as ticks on its own lane. No script, no external resource; every text is escaped.
 */
import { htmlEscape as esc } from '../evidence/report/html-escape.js';
import { headline, OUTCOME_WORDS, OUTCOMES, periodLine, stepText, valueText } from './report-text.js';
import type { BacktestResult } from './run-backtest.js';
import type { Outcome } from './simulate.js';

const COLOURS: Record<Outcome, string> = { promoted: '#2e7d32', rolled_back: '#c62828', paused: '#f9a825', no_data: '#9e9e9e' };
const WIDTH = 1000;
const LEFT = 130;
const RIGHT = 12;
const LANE = 18;
/** Ticks drawn per gate at most; beyond, the lane says how many were left out. */
const MAX_TICKS = 5_000;

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1060px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right}.headline{font-size:1.15em;font-weight:600}.muted{color:#666}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}svg text{font:11px system-ui,sans-serif;fill:#333}`;

/** Greedy lanes: a rollout goes in the first lane whose last rollout ended before it starts. */
function lanesFor(r: BacktestResult): number[] {
  const ends: number[] = [];
  return r.runs.map((run) => {
    const start = Date.parse(run.start);
    let lane = ends.findIndex((end) => end <= start);
    if (lane < 0) lane = ends.push(0) - 1;
    ends[lane] = Math.max(Date.parse(run.end), start + r.durationMs);
    return lane;
  });
}

function timelineSvg(r: BacktestResult): string {
  const from = Date.parse(r.from);
  const to = Date.parse(r.to);
  const x = (t: number): number => LEFT + ((t - from) / Math.max(1, to - from)) * (WIDTH - LEFT - RIGHT);
  const lanes = lanesFor(r);
  const runLanes = Math.max(1, ...lanes.map((l) => l + 1));
  const gateTop = 24 + runLanes * LANE + 10;
  const height = gateTop + r.gates.length * LANE + 8;
  const parts: string[] = [];
  // Axis: six ticks across the period.
  for (let i = 0; i <= 5; i++) {
    const t = from + ((to - from) * i) / 5;
    const label = new Date(t).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');
    parts.push(`<line x1="${x(t)}" y1="16" x2="${x(t)}" y2="${height}" stroke="#e5e5e5"/><text x="${Math.min(x(t), WIDTH - 120)}" y="12">${esc(label)}</text>`);
  }
  parts.push(`<text x="4" y="${24 + LANE * 0.7}">rollouts</text>`);
  r.runs.forEach((run, index) => {
    const y = 24 + lanes[index]! * LANE;
    const start = Date.parse(run.start);
    const end = Math.max(Date.parse(run.end), start + 1);
    const title = `#${index + 1} ${run.start}: ${OUTCOME_WORDS[run.outcome]} at ${stepText(run.step, run.weight)} ${run.at}${run.gate ? ` by ${run.gate} (${valueText(run.value)})` : ''} — ${run.reason}`;
    parts.push(`<rect x="${x(start)}" y="${y + 2}" width="${Math.max(1, x(end) - x(start) - 0.5)}" height="${LANE - 4}" fill="${COLOURS[run.outcome]}"><title>${esc(title)}</title></rect>`);
    if (run.outcome !== 'promoted') parts.push(`<path d="M${x(end)} ${y + LANE - 2} l-4 -7 h8 z" fill="#000"><title>${esc(title)}</title></path>`);
  });
  r.gates.forEach((gate, g) => {
    const y = gateTop + g * LANE;
    parts.push(`<text x="4" y="${y + LANE * 0.7}">${esc(gate.name.length > 18 ? `${gate.name.slice(0, 17)}…` : gate.name)}</text>`);
    parts.push(`<line x1="${LEFT}" y1="${y + LANE / 2}" x2="${WIDTH - RIGHT}" y2="${y + LANE / 2}" stroke="#ddd"/>`);
    const failures = r.runs.flatMap((run) => run.failures.filter((f) => f.gate === gate.name));
    for (const f of failures.slice(0, MAX_TICKS)) {
      const colour = f.severity === 'warning' ? '#ef6c00' : '#c62828';
      parts.push(`<line x1="${x(Date.parse(f.at))}" y1="${y + 3}" x2="${x(Date.parse(f.at))}" y2="${y + LANE - 3}" stroke="${colour}" stroke-width="1.5"><title>${esc(`${gate.name} failed at ${f.at}: ${valueText(f.value)} (step ${f.step + 1})`)}</title></line>`);
    }
    if (failures.length > MAX_TICKS) parts.push(`<text x="${WIDTH - 200}" y="${y + LANE * 0.7}">${failures.length - MAX_TICKS} more not drawn</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline of the simulated rollouts and failing gate measurements">${parts.join('')}</svg>`;
}

export function renderBacktestHtml(r: BacktestResult): string {
  const body: string[] = [];
  body.push(`<h1>Backtest of ${esc(r.plan.name)} <span class="muted">${esc(r.plan.file)}</span></h1>`);
  body.push(`<p>${esc(periodLine(r))}</p>`);
  body.push(`<p class="headline">${esc(headline(r))}</p>`);
  body.push(`<table><tbody>${OUTCOMES.map((o) => `<tr><th><span class="swatch" style="background:${COLOURS[o]}"></span>${esc(OUTCOME_WORDS[o])}</th><td class="num">${r.summary[o]}</td></tr>`).join('')}</tbody></table>`);
  body.push('<h2>Timeline</h2>', timelineSvg(r));
  body.push('<p class="muted">Bars: simulated rollouts, coloured by outcome; ▼ where one was stopped. Ticks: failing measurements per gate (red critical, orange warning). Hover for details.</p>');
  body.push('<h2>Gates</h2>');
  const head = ['gate', 'severity', 'threshold', 'measurements', 'failing', 'inconclusive', 'rollbacks', 'pauses', 'no data', 'worst failing', 'min', 'max'];
  const rows = r.gates.map((g) =>
    [esc(g.name), esc(g.severity), `<code>${esc(g.threshold)}</code>`, g.measurements, g.failures, g.inconclusive, g.rollbacks, g.pauses, g.noData, g.worst ? `${esc(valueText(g.worst.value))} <span class="muted">${esc(g.worst.at)}</span>` : '-', esc(valueText(g.minValue)), esc(valueText(g.maxValue))]
      .map((cell) => `<td${typeof cell === 'number' ? ' class="num"' : ''}>${cell}</td>`)
      .join(''),
  );
  body.push(`<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row}</tr>`).join('')}</tbody></table>`);
  const stopped = r.runs.map((run, index) => ({ run, index })).filter(({ run }) => run.outcome !== 'promoted');
  body.push('<h2>Simulated rollouts not promoted</h2>');
  if (stopped.length === 0) body.push('<p>None: every simulated rollout would have been promoted.</p>');
  else {
    body.push(
      `<table><thead><tr>${['#', 'start', 'outcome', 'step', 'at', 'gate', 'value', 'reason'].map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${stopped
        .map(({ run, index }) => `<tr><td class="num">${index + 1}</td><td>${esc(run.start)}</td><td><span class="swatch" style="background:${COLOURS[run.outcome]}"></span>${esc(OUTCOME_WORDS[run.outcome])}</td><td>${esc(stepText(run.step, run.weight))}</td><td>${esc(run.at)}</td><td>${esc(run.gate ?? '-')}</td><td class="num">${esc(valueText(run.value))}</td><td>${esc(run.reason)}</td></tr>`)
        .join('')}</tbody></table>`,
    );
  }
  body.push(`<p class="muted">Fetched ${r.stats.points} points in ${r.stats.requests} range requests (${r.stats.queries} queries) in ${r.stats.fetchMs} ms; evaluated in ${r.stats.evaluationMs} ms. Plan sha256 <code>${esc(r.plan.sha256)}</code>.</p>`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(`Backtest of ${r.plan.name}`)}</title><style>${CSS}</style></head><body>${body.join('\n')}</body></html>\n`;
}
