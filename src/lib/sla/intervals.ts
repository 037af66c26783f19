/**
 * Interval arithmetic for SLA audits (milliseconds since the epoch, half-open [start, end)):
 * exclusions are cut out of a period, and runs of consecutive points of a range query become
 * firing or violation intervals. Pure and streaming, so memory stays flat however long the period.
 */

export interface Interval {
  start: number;
  end: number;
}

/** Sorted, overlapping or touching intervals merged; empty ones dropped. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last && next.start <= last.end) last.end = Math.max(last.end, next.end);
    else merged.push({ ...next });
  }
  return merged;
}

/** What is left of `period` once every hole is cut out, in time order. */
export function subtractIntervals(period: Interval, holes: readonly Interval[]): Interval[] {
  const left: Interval[] = [];
  let cursor = period.start;
  for (const hole of mergeIntervals(holes)) {
    if (hole.end <= cursor || hole.start >= period.end) continue;
    if (hole.start > cursor) left.push({ start: cursor, end: hole.start });
    cursor = Math.max(cursor, hole.end);
  }
  if (cursor < period.end) left.push({ start: cursor, end: period.end });
  return left;
}

/** The part of each hole inside `period` (what a report lists and shades as excluded). */
export function clipIntervals(period: Interval, list: readonly Interval[]): Interval[] {
  return mergeIntervals(list.map((i) => ({ start: Math.max(i.start, period.start), end: Math.min(i.end, period.end) })));
}

export function totalLength(list: readonly Interval[]): number {
  return list.reduce((sum, i) => sum + (i.end - i.start), 0);
}

/** True when t lies in one of the intervals (half-open). */
export function inAny(t: number, list: readonly Interval[]): boolean {
  return list.some((i) => t >= i.start && t < i.end);
}

/**
 * Splits [start, end] (both evaluation times, inclusive) into range-query chunks of at most
 * `maxPoints` points at `stepMs`, aligned on start: the next chunk begins one step after the last
 * point of the previous one, so no point is evaluated twice. Prometheus refuses more than 11,000
 * points per series; the default leaves a margin.
 */
export function rangeChunks(start: number, end: number, stepMs: number, maxPoints = 10_000): Interval[] {
  const chunks: Interval[] = [];
  const span = (maxPoints - 1) * stepMs;
  for (let from = start; from <= end; from += span + stepMs) chunks.push({ start: from, end: Math.min(end, from + span) });
  return chunks;
}

/** A run of consecutive points where a condition held: [first point, last point], with its extreme value. */
export interface Run {
  start: number;
  end: number;
  peak: number;
  points: number;
}

/**
 * Builds runs from points fed in time order (one series or the union of several): two points
 * belong to one run when they are at most one step apart (a missing point ends the run). Only the
 * open run and the finished ones are kept, never the points.
 */
export class RunBuilder {
  private open: Run | undefined;
  private readonly done: Run[] = [];

  /** `higherIsWorse` decides which value is the peak (max for "above", min for "below"). */
  constructor(
    private readonly stepMs: number,
    private readonly higherIsWorse = true,
  ) {}

  add(t: number, value: number): void {
    const run = this.open;
    // Half a step of tolerance: timestamps travel as float seconds.
    if (run && t - run.end <= this.stepMs * 1.5) {
      run.end = Math.max(run.end, t);
      run.points += 1;
      if (this.higherIsWorse ? value > run.peak : value < run.peak) run.peak = value;
      return;
    }
    if (run && t <= run.end) return;
    if (run) this.done.push(run);
    this.open = { start: t, end: t, peak: value, points: 1 };
  }

  /** Finished runs in time order (closes the open one). */
  finish(): Run[] {
    if (this.open) this.done.push(this.open);
    this.open = undefined;
    return mergeRuns(this.done, this.stepMs, this.higherIsWorse);
  }
}

/** Joins runs that touch (several series, or a chunk border), keeping the worst peak. */
export function mergeRuns(runs: readonly Run[], stepMs: number, higherIsWorse = true): Run[] {
  const sorted = [...runs].sort((a, b) => a.start - b.start);
  const out: Run[] = [];
  for (const run of sorted) {
    const last = out[out.length - 1];
    if (last && run.start - last.end <= stepMs * 1.5) {
      last.end = Math.max(last.end, run.end);
      last.points += run.points;
      last.peak = higherIsWorse ? Math.max(last.peak, run.peak) : Math.min(last.peak, run.peak);
    } else out.push({ ...run });
  }
  return out;
}
