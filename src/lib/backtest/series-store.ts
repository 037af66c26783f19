/**
 * The stored data a backtest judges: every value a simulated rollout will look at, fetched once
 * per period with range queries and kept in memory.
 *
 * A range query's point at time t is the value an instant query at t would return (same
 * expression, same evaluation time, same lookback), so the simulation can ask "what would the
 * gate's query have answered at t" without a request per measurement. Needs are registered first
 * (query, grid step, times); each query is then fetched on as few grids as its times fall on,
 * in segments of at most 10,000 points (Prometheus refuses more than 11,000 per series), and
 * gaps of more than a few hundred steps between simulated rollouts are skipped.
 */
import pLimit from 'p-limit';
import type { PrometheusApi, RangeResult, RangeSeries, Samples } from '../prometheus/types.js';

/** Points per range request: under Prometheus' 11,000-point limit per series. */
export const MAX_POINTS_PER_QUERY = 10_000;
/** A gap of more than this many steps between needed times starts a new request. */
const GAP_STEPS = 500;

export interface FetchStats {
  /** Range requests sent. */
  requests: number;
  /** Distinct queries fetched. */
  queries: number;
  /** Grid points requested (sum over requests of their points). */
  points: number;
  /** Wall time spent fetching (ms). */
  fetchMs: number;
}

interface WarnedSpan {
  fromMs: number;
  toMs: number;
  warnings: string[];
}

interface Request {
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
}

const labelKey = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Cached label keys: samples of one series share its labels object. */
const labelKeys = new WeakMap<Record<string, string>, string>();
function keyOf(labels: Record<string, string>): string {
  let key = labelKeys.get(labels);
  if (key === undefined) {
    key = labelKey(labels);
    labelKeys.set(labels, key);
  }
  return key;
}

/** Needed times of one query on one grid, as merged spans [lo, hi] (registered in increasing order mostly). */
interface Grid {
  stepMs: number;
  spans: Array<[number, number]>;
}

/** What the simulation reads: the answer an instant query would have given at a time, or a `for` window. */
export class SeriesStore {
  /** query → (grid: step and phase) → spans of needed times. */
  private readonly needs = new Map<string, Map<number, Grid>>();
  /** query → time (ms) → samples at that time. */
  private readonly values = new Map<string, Map<number, Samples>>();
  private readonly warned = new Map<string, WarnedSpan[]>();
  /** query → the requests fetched for it (to tell "no data" from "never fetched"). */
  private readonly fetched = new Map<string, Request[]>();
  private readonly lastHit = new Map<string, Request>();
  readonly stats: FetchStats = { requests: 0, queries: 0, points: 0, fetchMs: 0 };

  /** Registers that `query` will be read at `timeMs`, on a grid of `stepMs`. */
  need(query: string, timeMs: number, stepMs: number): void {
    this.needSpan(query, timeMs, timeMs, stepMs);
  }

  /** Registers the grid points lo, lo + step, ..., hi (hi - lo a multiple of stepMs). */
  needSpan(query: string, lo: number, hi: number, stepMs: number): void {
    let grids = this.needs.get(query);
    if (!grids) {
      grids = new Map();
      this.needs.set(query, grids);
    }
    const phase = ((lo % stepMs) + stepMs) % stepMs;
    const key = stepMs * 1e9 + phase; // a number key: no string per call
    let grid = grids.get(key);
    if (!grid) {
      grid = { stepMs, spans: [] };
      grids.set(key, grid);
    }
    const last = grid.spans.at(-1);
    // Within a few hundred steps of the last span: one request covers both (the points between are cheap).
    if (last && hi >= last[0] - GAP_STEPS * stepMs && lo <= last[1] + GAP_STEPS * stepMs) {
      if (lo < last[0]) last[0] = lo;
      if (hi > last[1]) last[1] = hi;
    } else grid.spans.push([lo, hi]);
  }

  /** Registers every point of a `for` window ending at `endMs` (as the live range query asks for them). */
  needWindow(query: string, endMs: number, forMs: number, stepMs: number): void {
    const lo = endMs - forMs;
    this.needSpan(query, lo, lo + Math.floor(forMs / stepMs) * stepMs, stepMs);
  }

  /** The range requests the registered needs take: each span in pieces of at most MAX_POINTS_PER_QUERY points. */
  requests(): Request[] {
    const requests: Request[] = [];
    for (const [query, grids] of this.needs) {
      for (const { stepMs, spans } of grids.values()) {
        const merged = mergeSpans(spans, GAP_STEPS * stepMs);
        for (const [lo, hi] of merged) {
          for (let start = lo; start <= hi; start += MAX_POINTS_PER_QUERY * stepMs) {
            requests.push({ query, startMs: start, endMs: Math.min(hi, start + (MAX_POINTS_PER_QUERY - 1) * stepMs), stepMs });
          }
        }
      }
    }
    return requests;
  }

  /** Fetches everything registered; a ProviderError (unreachable, bad query) ends the backtest. */
  async fetch(api: PrometheusApi, concurrency = 4, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    const limit = pLimit(Math.max(1, concurrency));
    const requests = this.requests();
    this.stats.queries = this.needs.size;
    await Promise.all(
      requests.map((request) =>
        limit(async () => {
          const result = await api.range(request.query, new Date(request.startMs), new Date(request.endMs), request.stepMs, signal);
          this.store(request, result);
        }),
      ),
    );
    this.stats.requests += requests.length;
    this.stats.points += requests.reduce((total, r) => total + Math.floor((r.endMs - r.startMs) / r.stepMs) + 1, 0);
    this.stats.fetchMs += Date.now() - started;
  }

  private store(request: Request, result: RangeResult): void {
    let byTime = this.values.get(request.query);
    if (!byTime) {
      byTime = new Map();
      this.values.set(request.query, byTime);
    }
    for (const series of result) {
      for (const [seconds, value] of series.points) {
        const t = Math.round(seconds * 1_000);
        let samples = byTime.get(t);
        if (!samples) {
          samples = [];
          byTime.set(t, samples);
        }
        samples.push({ labels: series.labels, value, timestamp: seconds });
      }
    }
    const fetched = this.fetched.get(request.query) ?? [];
    fetched.push(request);
    this.fetched.set(request.query, fetched);
    if (result.warnings && result.warnings.length > 0) {
      const spans = this.warned.get(request.query) ?? [];
      spans.push({ fromMs: request.startMs, toMs: request.endMs, warnings: [...result.warnings] });
      this.warned.set(request.query, spans);
    }
  }

  private warningsAt(query: string, timeMs: number): string[] {
    const spans = this.warned.get(query);
    if (!spans) return [];
    return [...new Set(spans.filter((s) => s.fromMs <= timeMs && timeMs <= s.toMs).flatMap((s) => s.warnings))];
  }

  private assertFetched(query: string, timeMs: number): void {
    // A read that was never fetched would silently look like "no data": a bug, never a verdict.
    // Reads come in time order: the request that answered the last read most likely answers this one.
    if (covers(this.lastHit.get(query), timeMs)) return;
    const hit = this.fetched.get(query)?.find((r) => covers(r, timeMs));
    if (hit) {
      this.lastHit.set(query, hit);
      return;
    }
    throw new Error(`backtest: ${query} at ${new Date(timeMs).toISOString()} was not fetched`);
  }

  /** What an instant query of `query` at `timeMs` would have answered (shared, not to be changed). */
  samplesAt(query: string, timeMs: number): Samples {
    this.assertFetched(query, timeMs);
    const stored = this.values.get(query)?.get(timeMs) ?? EMPTY;
    if (!this.warned.has(query)) return stored;
    const warnings = this.warningsAt(query, timeMs);
    if (warnings.length === 0) return stored;
    const samples: Samples = [...stored];
    samples.warnings = warnings;
    return samples;
  }

  /** What the live range query over a `for` window ending at `endMs` would have answered. */
  windowAt(query: string, endMs: number, forMs: number, stepMs: number): RangeResult {
    const bySeries = new Map<string, RangeSeries>();
    const warnings = new Set<string>();
    for (let t = endMs - forMs; t <= endMs; t += stepMs) {
      const samples = this.samplesAt(query, t);
      for (const sample of samples) {
        const key = keyOf(sample.labels);
        let series = bySeries.get(key);
        if (!series) {
          series = { labels: sample.labels, points: [] };
          bySeries.set(key, series);
        }
        series.points.push([sample.timestamp, sample.value]);
      }
      for (const w of samples.warnings ?? []) warnings.add(w);
    }
    const result: RangeResult = [...bySeries.values()];
    if (warnings.size > 0) result.warnings = [...warnings];
    return result;
  }
}

function covers(r: Request | undefined, timeMs: number): boolean {
  return r !== undefined && r.startMs <= timeMs && timeMs <= r.endMs && (timeMs - r.startMs) % r.stepMs === 0;
}

const EMPTY: Samples = Object.freeze([]) as unknown as Samples;

/** Sorted, merged spans (joining those less than `gapMs` apart). */
function mergeSpans(spans: Array<[number, number]>, gapMs: number): Array<[number, number]> {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = merged.at(-1);
    if (last && lo <= last[1] + gapMs) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

/** The evaluation times of a range query over [end - for, end] at `stepMs`: start, start + step, ... <= end. */
export function windowTimes(endMs: number, forMs: number, stepMs: number): number[] {
  const times: number[] = [];
  for (let t = endMs - forMs; t <= endMs; t += stepMs) times.push(t);
  return times;
}
