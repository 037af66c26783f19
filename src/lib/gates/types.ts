import type { Severity } from '../plan/types.js';

/** Argo-style verdicts: a provider error is never a pass and never a failure. */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface SeriesVerdict {
  labels: Record<string, string>;
  /** null when the series had no usable value (NaN, empty window) */
  value: number | null;
  verdict: Verdict;
  reason: string;
}

/** One evaluation of one gate: what was asked, what came back, what it means and why. */
export interface Measurement {
  gate: string;
  verdict: Verdict;
  /** The deciding value (the worst series); null when empty/NaN/error. */
  value: number | null;
  /** Human form of the threshold: "<= 0.01", ">= 0.9", "<= baseline +10%", "sustained 2m <= 0.12". */
  threshold: string;
  /** The query as sent (placeholders resolved). */
  query: string;
  baselineQuery?: string;
  baselineValue?: number | null;
  /** Value of the minSamples guard query, when the gate has one. */
  samples?: number | null;
  reason: string;
  severity: Severity;
  /** RFC 3339 evaluation time. */
  at: string;
  /** Every series judged (multi-series results); the worst decides. */
  series: SeriesVerdict[];
  /** Prometheus errorType or transport kind, when verdict is error. */
  errorType?: string;
  /**
   * The server's warnings, verbatim (e.g. "partial response: store unavailable"), from the main,
   * baseline and minSamples answers; present only when there were some.
   */
  warnings?: string[];
}
