/**
 * JSON report: `{schemaVersion: 1, kind: "rollgate.evidence-report", summary, events}` — the whole
 * event log plus a summary derived from it. `rollgate evidence verify report.json` checks its
 * `events` (the summary is not part of the chain). Stable: fields are only ever added; a change
 * that removes or renames one bumps `schemaVersion`. See docs/evidence-reports.md.
 */
import type { RolloutEvent } from '../../state/types.js';
import type { GateReport, ReportSummary } from './summary.js';

export const REPORT_SCHEMA_VERSION = 1;

/** A gate in the JSON summary: counts and extremes; each measurement is in `events`. */
export interface JsonGateSummary extends Omit<GateReport, 'measurements'> {
  measurements: number;
  lastValue: number | null;
  minValue: number | null;
  maxValue: number | null;
  /** seq of every failing measurement. */
  failedAt: number[];
}

export interface JsonReport {
  schemaVersion: 1;
  kind: 'rollgate.evidence-report';
  summary: Omit<ReportSummary, 'gates' | 'timeline'> & { gates: JsonGateSummary[] };
  events: RolloutEvent[];
}

function jsonGate(gate: GateReport): JsonGateSummary {
  const { measurements, ...rest } = gate;
  let min: number | null = null;
  let max: number | null = null;
  let last: number | null = null;
  const failedAt: number[] = [];
  for (const m of measurements) {
    if (m.verdict === 'fail') failedAt.push(m.seq);
    if (m.value === null) continue;
    last = m.value;
    min = min === null ? m.value : Math.min(min, m.value);
    max = max === null ? m.value : Math.max(max, m.value);
  }
  return { ...rest, measurements: measurements.length, lastValue: last, minValue: min, maxValue: max, failedAt };
}

/** `events` must be the redacted events the summary was derived from (see `redactEvents`). */
export function buildJsonReport(summary: ReportSummary, events: readonly RolloutEvent[]): JsonReport {
  const { gates, timeline: _timeline, ...rest } = summary;
  return { schemaVersion: REPORT_SCHEMA_VERSION, kind: 'rollgate.evidence-report', summary: { ...rest, gates: gates.map(jsonGate) }, events: [...events] };
}

export function renderJson(summary: ReportSummary, events: readonly RolloutEvent[]): string {
  return [...renderJsonChunks(summary, events)].join('');
}

/** Events per chunk of the streamed JSON report: about 64 KB of text at a measurement's size. */
const EVENTS_PER_CHUNK = 100;

/**
 * The JSON report in pieces, so a 10,000-event report is written as it is made rather than held
 * whole (with its join and its encoded copy). Every piece ends with a newline, so no value (and
 * no secret inside one) is ever cut in two.
 */
export function* renderJsonChunks(summary: ReportSummary, events: readonly RolloutEvent[]): Generator<string> {
  yield* jsonReportChunks(summary, events.length, (i) => JSON.stringify(events[i]));
}

/**
 * The same pieces from the events' JSON text, already made (each exactly `JSON.stringify` of the
 * redacted event): a reader that keeps those texts instead of the parsed events.
 */
export function renderJsonTextChunks(summary: ReportSummary, texts: readonly string[]): Generator<string> {
  return jsonReportChunks(summary, texts.length, (i) => texts[i]!);
}

function* jsonReportChunks(summary: ReportSummary, count: number, eventText: (index: number) => string): Generator<string> {
  const { events: _events, ...head } = buildJsonReport(summary, []);
  // The summary pretty for people, each event on one line: readable, and a 10,000-event log stays compact.
  const headText = JSON.stringify(head, null, 2);
  if (count === 0) {
    yield `${headText.slice(0, -2)},\n  "events": []\n}\n`;
    return;
  }
  yield `${headText.slice(0, -2)},\n  "events": [\n`;
  for (let start = 0; start < count; start += EVENTS_PER_CHUNK) {
    let chunk = '';
    const end = Math.min(count, start + EVENTS_PER_CHUNK);
    for (let i = start; i < end; i++) chunk += `    ${eventText(i)}${i + 1 < count ? ',' : ''}\n`;
    yield chunk;
  }
  yield '  ]\n}\n';
}
