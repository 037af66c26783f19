/**
 * A rollout whose Prometheus answers with warnings (a Thanos/Mimir partial response) never
 * promotes on them (issue 7.1): the built binary against a small HTTP peer that answers every
 * query with a healthy value AND a warning, as a Thanos querier with a store down does. The
 * measurement events keep the warnings verbatim and the evidence report shows them.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/lib/state/open.js';
import { runCli } from '../support/cli.js';
import { resultLine } from '../support/rollout-fixture.js';

const PARTIAL = 'partial response: store 10.0.0.7:10901 (thanos-store-0) unavailable';

let server: Server;
let url: string;
let dir: string;
let warnings: string[] = [PARTIAL];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const time = Number(form.get('time') ?? Date.now() / 1000);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', ...(warnings.length > 0 ? { warnings } : {}), data: { resultType: 'vector', result: [{ metric: {}, value: [time, '0.001'] }] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'rollgate-partial-rollout-'));
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function plan(name: string, onWarnings = 'inconclusive'): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: partial, service: partial-${name} }
prometheus: { url: "${url}", timeout: 2s, onWarnings: ${onWarnings} }
traffic: { exec: ["true"] }
analysis: { interval: 1s, inconclusiveLimit: 0, onInconclusive: rollback }
gates:
  - name: error-rate
    query: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))
    max: 0.01
steps:
  - { weight: 50, bake: 1s }
  - { weight: 100, bake: 1s }
`,
  );
  return file;
}

describe('rollout against a partial answer', () => {
  it('a healthy value with a warning is inconclusive: rolled back, never promoted; the warning is in the events and the report', async () => {
    warnings = [PARTIAL];
    const state = `file:${join(dir, 'state')}`;
    const run = await runCli(['rollout', 'run', await plan('default'), '--json', '--state', state], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(1);
    const result = resultLine(run.stdout);
    expect(result.status).toBe('rolled_back');
    const store = await openStateStore(state);
    const events = await store.readEvents(result.rolloutId as string).finally(() => store.close());
    const measurements = events.filter((e) => e.type === 'measurement');
    expect(measurements.length).toBeGreaterThan(0);
    expect(measurements[0]!.data).toMatchObject({ verdict: 'inconclusive', warnings: [PARTIAL] });
    expect(String(measurements[0]!.data.reason)).toMatch(/^partial answer: Prometheus sent a warning/);
    expect(events.some((e) => e.type === 'rollout.promoted')).toBe(false);

    const md = await runCli(['evidence', 'report', result.rolloutId as string, '--format', 'md', '--state', state]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(PARTIAL);
  }, 90_000);

  it('onWarnings: ignore promotes on the same answers, and still records the warnings', async () => {
    warnings = [PARTIAL];
    const state = `file:${join(dir, 'state-ignore')}`;
    const run = await runCli(['rollout', 'run', await plan('ignore', 'ignore'), '--json', '--state', state], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const result = resultLine(run.stdout);
    expect(result.status).toBe('promoted');
    const store = await openStateStore(state);
    const events = await store.readEvents(result.rolloutId as string).finally(() => store.close());
    const measurement = events.find((e) => e.type === 'measurement')!;
    expect(measurement.data).toMatchObject({ verdict: 'pass', warnings: [PARTIAL] });
  }, 90_000);
});
