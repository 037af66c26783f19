/**
 * `rollgate serve` on a Redis state store (real redis-server): the abort request it writes reaches
 * a runner's watchAbort (pub/sub) with the alert attached; replays ask nothing more; Redis down →
 * /healthz and the webhook answer 503 (Alertmanager retries), and recover with it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/lib/state/open.js';
import type { AbortRequest, StateStore } from '../../src/lib/state/types.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const TOKEN = 'redis-serve-token-42';
let redis: RedisServer;
let store: StateStore;
let serve: ServeProcess;
let dir: string;

const payload = {
  version: '4',
  groupKey: 'g',
  status: 'firing',
  receiver: 'rollgate',
  alerts: [{ status: 'firing', labels: { alertname: 'SloBurn', service: 'search', rollgate_action: 'rollback', severity: 'page' }, annotations: { summary: 'burning' }, startsAt: '2026-12-01T10:00:00Z', generatorURL: 'http://prom/graph', fingerprint: '0011223344556677' }],
};

const post = (): Promise<Response> => fetch(`${serve.url}/v1/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(20_000) });

beforeAll(async () => {
  redis = await startRedis();
  store = await openStateStore(redis.url);
  const now = new Date().toISOString();
  await store.createRollout({ rolloutId: 'search-r1', service: 'search', planName: 'p', planFile: 'p.yaml', planSha256: 'x', status: 'running', step: 1, weight: 25, createdAt: now, updatedAt: now });
  dir = mkdtempSync(join(tmpdir(), 'rollgate-serve-redis-'));
  writeFileSync(join(dir, 'token'), TOKEN);
  serve = await startServe(['--token-file', join(dir, 'token'), '--state', redis.url]);
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await store?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollgate serve with a Redis state store', () => {
  it('an alert reaches the runner through the store, with the alert; a replay asks nothing more', async () => {
    const seen: AbortRequest[] = [];
    const unwatch = await store.watchAbort('search-r1', (request) => seen.push(request));
    const sentAt = Date.now();
    const first = await post();
    expect(first.status).toBe(200);
    expect(((await first.json()) as { alerts: Array<{ outcome: string }> }).alerts[0]?.outcome).toBe('requested');
    while (seen.length === 0 && Date.now() - sentAt < 5_000) await new Promise((r) => setTimeout(r, 20));
    await unwatch();
    expect(Date.now() - sentAt).toBeLessThan(1_000 + 500);
    expect(seen[0]).toMatchObject({ severity: 'critical', reason: 'alert SloBurn: burning (http://prom/graph)', source: { kind: 'alertmanager', fingerprint: '0011223344556677', labels: { severity: 'page' } } });
    const again = await post();
    expect(((await again.json()) as { alerts: Array<{ outcome: string }> }).alerts[0]?.outcome).toBe('duplicate');
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/^rollgate_rollout_weight\{service="search",rollout="search-r1"\} 25$/m);
    // Recorded index 1 is the second step: the gauge numbers it as `rollout status` does.
    expect(metrics).toMatch(/^rollgate_rollout_step\{service="search",rollout="search-r1"\} 2$/m);
  }, 30_000);

  it('Redis down: /healthz and the webhook answer 503 (one line), and recover when it is back', async () => {
    await redis.kill();
    const health = await fetch(`${serve.url}/healthz`, { signal: AbortSignal.timeout(20_000) });
    expect(health.status).toBe(503);
    const hook = await post();
    expect(hook.status).toBe(503);
    const body = await hook.text();
    expect(body.split('\n').filter(Boolean)).toHaveLength(1);
    expect(body).toMatch(/state store unavailable/);
    await redis.restart();
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await fetch(`${serve.url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  }, 90_000);
});
