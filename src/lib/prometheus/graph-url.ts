import { formatDuration } from '../duration.js';

/** Prometheus' graph page for a query over [start, end]; `baseUrl` without a trailing slash. */
export function graphPageUrl(baseUrl: string, query: string, start: Date, end: Date): string {
  const rangeMs = Math.max(1_000, end.getTime() - start.getTime());
  // The graph page takes the end as "YYYY-MM-DD HH:MM:SS" in UTC.
  const endInput = end.toISOString().replace('T', ' ').slice(0, 19);
  return `${baseUrl}/graph?g0.expr=${encodeURIComponent(query)}&g0.range_input=${formatDuration(rangeMs)}&g0.end_input=${encodeURIComponent(endInput)}&g0.tab=0`;
}
