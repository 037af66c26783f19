/** What the rest of rollgate needs from a Prometheus-compatible server; client.ts implements it over HTTP. */

/** One sample of an instant query. `value` may be NaN or ±Inf (Prometheus sends them as strings). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** unix seconds */
  timestamp: number;
}

export interface RangeSeries {
  labels: Record<string, string>;
  /** [unix seconds, value] */
  points: Array<[number, number]>;
}

/**
 * What a query answered. `warnings` are the server's own (Thanos/Mimir/Prometheus "partial response"
 * and the like): an answer with warnings may be missing series, so it is never a silent pass.
 * Absent or empty when the server sent none.
 */
export type Samples = Sample[] & { warnings?: string[] };
export type RangeResult = RangeSeries[] & { warnings?: string[] };

export interface PrometheusApi {
  /** Base URL (no credentials in it), for messages and graph links. */
  readonly url: string;
  /** Instant query; a scalar result comes back as one sample without labels. Throws ProviderError. */
  instant(query: string, at?: Date, signal?: AbortSignal): Promise<Samples>;
  /** Range query with a step in ms. Throws ProviderError. */
  range(query: string, start: Date, end: Date, stepMs: number, signal?: AbortSignal): Promise<RangeResult>;
  /** Link to the Prometheus graph page for the query over [start, end]. */
  graphUrl(query: string, start: Date, end: Date): string;
}
