/**
 * A real Prometheus for tests, on a free loopback port, started from PATH (Debian's 2.42 package):
 * a thin wrapper of the launcher shared with `rollgate demo` and the benchmarks
 * (src/lib/demo/prometheus-server.ts: temporary directory, backfill, watchdog, exit hook, stop()).
 *
 * Two ways to feed it:
 * - backfilled, deterministic data: OpenMetrics text with explicit timestamps (renderOpenMetrics())
 *   is turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics` before the server
 *   starts; tests then query at fixed past times (backfillEpoch()) and assert hand-computed numbers.
 * - live scraping: `scrapeTargets` are scraped every `scrapeIntervalMs` (1s by default).
 */
import { startLocalPrometheus } from '../../src/lib/demo/prometheus-server.js';

export { backfillEpoch, freePort } from '../../src/lib/demo/prometheus-server.js';

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** OpenMetrics text (ending in `# EOF`) to backfill before start; see renderOpenMetrics(). */
  openMetrics?: string;
  /** Longest backfilled block (e.g. `720h`): weeks of data in the default 2h blocks are slow to write and to query. */
  maxBlockDuration?: string;
  /** host:port targets to scrape. */
  scrapeTargets?: string[];
  scrapeIntervalMs?: number;
  /** Listen on this port (to restart a killed server where clients expect it); default a free one. */
  port?: number;
  /** How long to wait for /-/ready. */
  readyTimeoutMs?: number;
  /** YAML appended to the generated config (`rule_files:`, `alerting:`). */
  extraConfig?: string;
}

export interface OpenMetricsSeries {
  /** Sample name as written, e.g. `http_requests_total` for a counter. */
  name: string;
  labels?: Record<string, string>;
  /** [unix seconds, value]; NaN and ±Inf allowed. */
  samples: Array<[number, number]>;
}

export interface OpenMetricsFamily {
  /** Family name: without `_total` for counters. */
  name: string;
  type: 'gauge' | 'counter' | 'unknown';
  series: OpenMetricsSeries[];
}

const omValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** Renders families as OpenMetrics text with timestamps; each family's lines are contiguous, as the format requires. */
export function renderOpenMetrics(families: OpenMetricsFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const series of family.series) {
      const labels = Object.entries(series.labels ?? {})
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      const id = labels ? `${series.name}{${labels}}` : series.name;
      for (const [t, v] of [...series.samples].sort((a, b) => a[0] - b[0])) lines.push(`${id} ${omValue(v)} ${t}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Starts Prometheus and waits until it answers /-/ready. */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const { url, port, dataDir, stop } = await startLocalPrometheus({ ...options, jobName: 'test', readyTimeoutMs: options.readyTimeoutMs ?? 20_000 });
  return { url, port, dataDir, stop };
}
