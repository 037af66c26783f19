/**
 * The inline SVG chart of one gate: its measurements over the rollout's time range against its
 * threshold, the canary weight as a step line on the same time axis (right-hand scale, 0–100%),
 * step boundaries, and failing points marked. Pure string building: no script, no external
 * resource; colours come from the page's CSS classes so dark mode and print restyle it.
 */
import { formatNumber, formatValue, timeOfDay } from './format.js';
import type { GateReport, ReportSummary } from './summary.js';
import { htmlEscape as esc } from './html-escape.js';

const W = 760;
const H = 230;
const M = { left: 60, right: 52, top: 18, bottom: 30 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

function r1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** Rounds a span to a "nice" tick step (1, 2, 5 × 10^k). */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

export function gateChartSvg(gate: GateReport, s: ReportSummary): string {
  const t0 = s.startedAt ? Date.parse(s.startedAt) : 0;
  const t1raw = s.lastEventAt ? Date.parse(s.lastEventAt) : t0;
  const t1 = t1raw > t0 ? t1raw : t0 + 1_000;
  const x = (iso: string): number => M.left + ((Date.parse(iso) - t0) / (t1 - t0)) * PLOT_W;

  const values = gate.measurements.flatMap((m) => (m.value === null ? [] : [m.value]));
  const lines = [gate.max, gate.min].filter((v): v is number => v !== null);
  let lo = Math.min(0, ...values, ...lines);
  let hi = Math.max(...values, ...lines, 0);
  if (hi === lo) hi = lo + 1;
  hi += (hi - lo) * 0.12;
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const y = (v: number): number => M.top + PLOT_H - ((v - lo) / (hi - lo)) * PLOT_H;
  const yw = (w: number): number => M.top + PLOT_H - (w / 100) * PLOT_H;

  const parts: string[] = [];
  // Grid and left axis (gate values).
  for (let v = lo; v <= hi + step / 2; v += step) {
    const yy = r1(y(v));
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"/><text class="tick" x="${M.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(formatNumber(Number(v.toPrecision(6))))}</text>`);
  }
  // Right axis (weight %).
  for (const w of [0, 50, 100]) parts.push(`<text class="tick weight-tick" x="${W - M.right + 6}" y="${r1(yw(w))}" dominant-baseline="middle">${w}%</text>`);
  // Time axis.
  for (let i = 0; i <= 4; i++) {
    const t = new Date(t0 + ((t1 - t0) * i) / 4).toISOString();
    parts.push(`<text class="tick" x="${r1(x(t))}" y="${H - 10}" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${esc(timeOfDay(t).slice(0, 8))}</text>`);
  }
  // Step boundaries.
  for (const st of s.steps) {
    if (!st.startedAt) continue;
    const xx = r1(x(st.startedAt));
    parts.push(`<line class="step-line" x1="${xx}" x2="${xx}" y1="${M.top}" y2="${M.top + PLOT_H}"/><text class="step-label" x="${xx}" y="${M.top - 5}">${esc(`S${st.number}`)}</text>`);
  }
  // Weight timeline as a step line.
  let d = `M${M.left} ${r1(yw(0))}`;
  for (const w of s.weights) d += `H${r1(x(w.at))}V${r1(yw(w.weight))}`;
  d += `H${W - M.right}`;
  parts.push(`<path class="weight" d="${d}"><title>canary weight</title></path>`);
  // Threshold lines.
  for (const [label, v] of [['max', gate.max], ['min', gate.min]] as const) {
    if (v === null) continue;
    const yy = r1(y(v));
    parts.push(`<line class="threshold" x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}"><title>${label} ${esc(formatNumber(v))}</title></line><text class="threshold-label" x="${W - M.right - 4}" y="${Number(yy) - 4}" text-anchor="end">${label} ${esc(formatNumber(v))}</text>`);
  }
  // Measurement line and points.
  const pts = gate.measurements.filter((m) => m.value !== null);
  if (pts.length > 1) parts.push(`<polyline class="series" points="${pts.map((m) => `${r1(x(m.at))},${r1(y(m.value!))}`).join(' ')}"/>`);
  const dense = gate.measurements.length > 400;
  for (const m of gate.measurements) {
    const title = `<title>${esc(`${m.at} ${m.phase === 'verify' ? 'verification' : `step ${m.step ?? '?'}`}: ${formatValue(m)} — ${m.verdict}${m.reason ? ` (${m.reason})` : ''}`)}</title>`;
    const xx = r1(x(m.at));
    if (m.value === null) {
      // No value (inconclusive, error): a triangle on the time axis.
      const by = M.top + PLOT_H;
      parts.push(`<path class="point no-value ${m.verdict}" d="M${xx} ${r1(by - 9)}l4.5 8h-9z">${title}</path>`);
    } else if (m.verdict === 'fail') {
      const yy = r1(y(m.value));
      parts.push(`<g class="point failing">${title}<circle cx="${xx}" cy="${yy}" r="5.5"/><path d="M${Number(xx) - 3.5} ${Number(yy) - 3.5}l7 7m0 -7l-7 7"/></g>`);
    } else if (!dense) {
      parts.push(`<circle class="point ${m.verdict}" cx="${xx}" cy="${r1(y(m.value))}" r="3">${title}</circle>`);
    }
  }
  const failing = gate.measurements.filter((m) => m.verdict === 'fail').length;
  const label = `Gate ${gate.name}: ${gate.measurements.length} measurements over time against threshold ${gate.threshold}, with the canary weight; ${failing} failing`;
  return `<svg class="chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg"><rect class="plot" x="${M.left}" y="${M.top}" width="${PLOT_W}" height="${PLOT_H}"/>${parts.join('')}</svg>`;
}
