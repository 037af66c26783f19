/**
 * Sends the audit's queries with a concurrency bound shared by every SLO and rule, and records
 * each one (as sent, with a compact answer) for the evidence. Provider errors propagate: an audit
 * without an answer from Prometheus has no verdict (exit 3).
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { PrometheusApi, RangeSeries } from '../prometheus/types.js';
import type { QueryRecord } from './audit-types.js';
import { rangeChunks } from './intervals.js';

export interface InstantAnswer {
  /** The single value, or null when the answer was empty, NaN or held several series. */
  value: number | null;
  problem?: string;
  warnings: string[];
}

export class AuditQueryRunner {
  private readonly limit: LimitFunction;
  count = 0;

  constructor(
    readonly api: PrometheusApi,
    concurrency: number,
  ) {
    this.limit = pLimit(Math.max(1, concurrency));
  }

  /** One number at `at`; never a silent default: empty, NaN and multi-series answers say why. */
  async instant(purpose: string, query: string, at: Date, records: QueryRecord[]): Promise<InstantAnswer> {
    const started = Date.now();
    const samples = await this.limit(() => this.api.instant(query, at));
    this.count += 1;
    const warnings = samples.warnings ?? [];
    records.push({
      purpose,
      type: 'instant',
      query,
      at: at.toISOString(),
      values: samples.map((s) => (Number.isFinite(s.value) ? s.value : String(s.value))),
      ...(warnings.length > 0 ? { warnings } : {}),
      ms: Date.now() - started,
    });
    if (samples.length === 0) return { value: null, problem: `${purpose}: empty answer at ${at.toISOString()}`, warnings };
    if (samples.length > 1) return { value: null, problem: `${purpose}: ${samples.length} series at ${at.toISOString()}; aggregate the query to one series (sum without by)`, warnings };
    const value = samples[0]!.value;
    if (Number.isNaN(value)) return { value: null, problem: `${purpose}: NaN at ${at.toISOString()}`, warnings };
    return { value, warnings };
  }

  /**
   * Range query over [start, end] at `stepMs`, in chunks under Prometheus' 11,000-points limit,
   * evaluated on timestamps that are whole multiples of the step (so runs line up across chunks
   * and SLOs). Each chunk's series are handed to `onChunk` in time order and dropped. Returns the
   * warnings seen.
   */
  async range(
    purpose: string,
    query: string,
    span: { start: number; end: number },
    stepMs: number,
    records: QueryRecord[],
    onChunk: (series: RangeSeries[]) => void,
  ): Promise<string[]> {
    const first = Math.ceil(span.start / stepMs) * stepMs;
    const last = Math.floor(span.end / stepMs) * stepMs;
    if (last < first) return [];
    const warnings: string[] = [];
    const chunks = rangeChunks(first, last, stepMs);
    // Every chunk is queued at once (the shared bound decides how many run), so a month of 1-minute
    // evaluations is not a chain of round trips at the tail of an audit; answers are handled in time
    // order and dropped. The long range queries return only firing or breaching points, so the
    // chunks in hand stay small.
    const pending = chunks.map((chunk) =>
      this.limit(async () => {
        const started = Date.now();
        const series = await this.api.range(query, new Date(chunk.start), new Date(chunk.end), stepMs);
        return { chunk, series, ms: Date.now() - started };
      }),
    );
    for (const p of pending) p.catch(() => undefined); // the first failure is thrown below, in order
    for (const p of pending) {
      const { chunk, series, ms } = await p;
      this.count += 1;
      const chunkWarnings = series.warnings ?? [];
      records.push({
        purpose,
        type: 'range',
        query,
        start: new Date(chunk.start).toISOString(),
        end: new Date(chunk.end).toISOString(),
        stepSeconds: stepMs / 1_000,
        series: series.length,
        points: series.reduce((n, s) => n + s.points.length, 0),
        ...(chunkWarnings.length > 0 ? { warnings: chunkWarnings } : {}),
        ms,
      });
      warnings.push(...chunkWarnings);
      onChunk(series);
    }
    return warnings;
  }
}
