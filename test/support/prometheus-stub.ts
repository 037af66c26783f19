/**
 * A deliberately behaving Prometheus HTTP API peer (node:http on a free loopback port), for what a
 * real Prometheus cannot be made to do on demand: answer `status: success` with `warnings` (as a
 * Thanos querier with a store down does), or with sample timestamps older than the query time (as
 * a stale cache does). Everything else about its answers is the real API shape.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stub answers for one instant query: one sample without labels. */
export interface StubAnswer {
  value: string;
  /** How much older than the query time the sample is, in seconds (default 0). */
  ageS?: number;
  warnings?: string[];
}

export interface PrometheusStub {
  url: string;
  /** Every query received, in order. */
  queries: string[];
  stop(): Promise<void>;
}

/** Starts the stub; `answer` decides per query (undefined: an empty vector). */
export async function startPrometheusStub(answer: (query: string) => StubAnswer | undefined): Promise<PrometheusStub> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const query = form.get('query') ?? '';
      queries.push(query);
      const time = Number(form.get('time') ?? Date.now() / 1000);
      const found = answer(query);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const result = found ? [{ metric: {}, value: [time - (found.ageS ?? 0), found.value] }] : [];
      res.end(JSON.stringify({ status: 'success', ...(found?.warnings?.length ? { warnings: found.warnings } : {}), data: { resultType: 'vector', result } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
