/** The test harness itself: Prometheus starts on a free port, serves backfilled data, and leaves nothing behind. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backfillEpoch, renderOpenMetrics, startPrometheus } from '../support/prometheus.js';

describe('startPrometheus', () => {
  it('serves backfilled samples at their timestamps and cleans up on stop', async () => {
    const t0 = backfillEpoch();
    const prom = await startPrometheus({
      openMetrics: renderOpenMetrics([{ name: 'h_value', type: 'gauge', series: [{ name: 'h_value', labels: { a: '1' }, samples: [[t0, 1], [t0 + 60, 2], [t0 + 120, Infinity]] }] }]),
    });
    try {
      const query = async (time: number) => {
        const body = new URLSearchParams({ query: 'h_value', time: String(time) });
        const res = (await (await fetch(`${prom.url}/api/v1/query`, { method: 'POST', body })).json()) as { data: { result: Array<{ value: [number, string] }> } };
        return res.data.result[0]?.value[1];
      };
      expect(await query(t0 + 30)).toBe('1');
      expect(await query(t0 + 90)).toBe('2');
      expect(await query(t0 + 120)).toBe('+Inf');
      expect(existsSync(prom.dataDir)).toBe(true);
    } finally {
      await prom.stop();
    }
    expect(existsSync(prom.dataDir)).toBe(false);
    await expect(fetch(`${prom.url}/-/ready`)).rejects.toThrow();
    await prom.stop(); // twice is fine
  });
});
