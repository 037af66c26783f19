/**
 * `rollgate serve` spawned as a user runs it, against a real file state store: auth, limits,
 * malformed payloads, replays (durable across a restart), resolved alerts, no running rollout,
 * /healthz with the store gone, logs in both forms and the SIGTERM exit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/lib/state/open.js';
import type { RolloutRecord, StateStore } from '../../src/lib/state/types.js';
import { runCli } from '../support/cli.js';
import { startServe, type ServeProcess } from '../support/serve.js';

const TOKEN = 'c0ffee-0123456789abcdef-token';
let dir: string;
let stateDir: string;
let tokenFile: string;
let store: StateStore;
let serve: ServeProcess;

function record(rolloutId: string, service: string, overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  const now = new Date().toISOString();
  return { rolloutId, service, planName: 'p', planFile: 'p.yaml', planSha256: 'x', status: 'running', step: 0, weight: 10, createdAt: now, updatedAt: now, ...overrides };
}

function alert(overrides: { fingerprint?: string; status?: 'firing' | 'resolved'; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    status: overrides.status ?? 'firing',
    labels: overrides.labels ?? { alertname: 'CanaryErrors', service: 'checkout', rollgate_action: 'rollback', severity: 'warning' },
    annotations: { summary: 'canary 5xx above 5%' },
    startsAt: '2026-12-01T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example/graph?g0.expr=up',
    fingerprint: overrides.fingerprint ?? 'a1b2c3d4e5f60718',
  };
}

function payload(alerts: Array<Record<string, unknown>>): Record<string, unknown> {
  return { version: '4', groupKey: '{}:{alertname="CanaryErrors"}', truncatedAlerts: 0, status: 'firing', receiver: 'rollgate', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am.example', alerts };
}

async function post(body: string | object, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; text: string; json: Record<string, unknown> | undefined }> {
  const response = await fetch(`${serve.url}/v1/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** An error answer: one line of JSON, one line of message, no stack frame. */
function expectOneLineError(text: string): void {
  expect(text.split('\n').filter(Boolean)).toHaveLength(1);
  expect(text).not.toMatch(/\bat .+\.(?:js|ts):\d+/);
  expect(text).not.toMatch(/node_modules|stack/i);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-serve-'));
  stateDir = join(dir, 'state');
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  store = await openStateStore(`file:${stateDir}`);
  await store.createRollout(record('checkout-r1', 'checkout'));
  await store.createRollout(record('payments-r1', 'payments', { dryRun: true }));
  serve = await startServe(['--token-file', tokenFile, '--state', `file:${stateDir}`]);
});

afterAll(async () => {
  await serve?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollgate serve: refusing to start', () => {
  it('needs --token-file', async () => {
    const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--state', `file:${stateDir}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--token-file is required/);
  });
  it('allows --insecure-no-auth only on a loopback address', async () => {
    const result = await runCli(['serve', '--listen', '0.0.0.0:0', '--insecure-no-auth', '--state', `file:${stateDir}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/only allowed on a loopback address/);
  });
  it('runs without a token with --insecure-no-auth on a loopback address, and says so', async () => {
    const open = await startServe(['--insecure-no-auth', '--state', `file:${join(dir, 'state-open')}`]);
    try {
      const answer = await fetch(`${open.url}/v1/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload([alert({ status: 'resolved' })])) });
      expect(answer.status).toBe(200);
      expect(open.cli.output().stderr).toMatch(/listening on .*NO AUTH/);
    } finally {
      expect((await open.stop()).code).toBe(0);
    }
  });
  it('refuses an empty token file and a bad --listen', async () => {
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '\n');
    expect((await runCli(['serve', '--listen', '127.0.0.1:0', '--token-file', empty])).stderr).toMatch(/the file is empty/);
    const bad = await runCli(['serve', '--listen', 'nowhere', '--token-file', tokenFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected HOST:PORT/);
  });
  it('reports a bad --config as file:line:col, exit 2', async () => {
    const config = join(dir, 'serve.yaml');
    writeFileSync(config, 'alertmanager:\n  serviceLable: app\n');
    const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--token-file', tokenFile, '--config', config]);
    expect(result.code).toBe(2);
    // file:line:col first; the words between (severity) belong to the shared issue renderer.
    expect(result.stderr).toMatch(new RegExp(`${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:3: .*alertmanager\\.serviceLable: unknown key "serviceLable"`));
  });
});

describe('rollgate serve: the webhook', () => {
  it('answers 401 without a token, with a wrong token and with a token of another length; never touches the store', async () => {
    const body = payload([alert()]);
    const variants: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, { authorization: 'Bearer short' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}${TOKEN}` }];
    for (const headers of variants) {
      const answer = await post(body, headers);
      expect(answer.status).toBe(401);
      expectOneLineError(answer.text);
    }
    expect(await store.getAbortRequest('checkout-r1')).toBeUndefined();
  });

  it('answers 413 to a body over 1 MiB, 400 to malformed ones, each with a one-line reason', async () => {
    const big = JSON.stringify(payload([{ ...alert(), annotations: { summary: 'x'.repeat(1024 * 1024) } }]));
    const tooLarge = await post(big);
    expect(tooLarge.status).toBe(413);
    expectOneLineError(tooLarge.text);

    const cases: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['', /empty body|not valid JSON/],
      [JSON.stringify({ ...payload([alert()]), version: '3' }), /version: expected "4"/],
      [JSON.stringify({ ...payload([alert()]), alerts: 'nope' }), /alerts: /],
      [JSON.stringify(payload([{ ...alert(), fingerprint: undefined }])), /alerts\.0\.fingerprint/],
      [JSON.stringify(payload([{ ...alert(), status: 'pending' }])), /alerts\.0\.status/],
      ['[]', /invalid Alertmanager webhook payload/],
    ];
    for (const [body, reason] of cases) {
      const answer = await post(body);
      expect(answer.status, body.slice(0, 40)).toBe(400);
      expect(String(answer.json?.error)).toMatch(reason);
      expectOneLineError(answer.text);
    }
    const wrongType = await post('{}', { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(400);
    expect(await store.getAbortRequest('checkout-r1')).toBeUndefined();
  });

  it('ignores resolved alerts, alerts without the action label, and services without a running rollout (dry runs do not count)', async () => {
    const answer = await post(
      payload([
        alert({ status: 'resolved' }),
        alert({ fingerprint: 'f-other', labels: { alertname: 'Other', service: 'checkout', severity: 'critical' } }),
        alert({ fingerprint: 'f-none', labels: { alertname: 'CanaryErrors', service: 'search', rollgate_action: 'rollback' } }),
        alert({ fingerprint: 'f-dry', labels: { alertname: 'CanaryErrors', service: 'payments', rollgate_action: 'rollback' } }),
      ]),
    );
    expect(answer.status).toBe(200);
    expect((answer.json?.alerts as Array<{ outcome: string }>).map((a) => a.outcome)).toEqual(['resolved', 'not-for-rollgate', 'no-running-rollout', 'no-running-rollout']);
    expect(await store.getAbortRequest('checkout-r1')).toBeUndefined();
    expect(await store.getAbortRequest('payments-r1')).toBeUndefined();
    // The request's log line is written when the response has been sent, so it may trail the answer.
    await expect.poll(() => serve.cli.output().stderr, { timeout: 5_000 }).toMatch(/service=search: ignored: no running rollout/);
  });

  it('requests one rollback per alert, also when the same alert arrives again, concurrently, or after a restart', async () => {
    const body = payload([alert()]);
    const first = await post(body);
    expect(first.status).toBe(200);
    expect(first.json?.alerts).toEqual([expect.objectContaining({ outcome: 'requested', service: 'checkout', rolloutId: 'checkout-r1', runner: 'gone' })]);
    const stored = await store.getAbortRequest('checkout-r1');
    expect(stored).toMatchObject({
      reason: 'alert CanaryErrors: canary 5xx above 5% (http://prometheus.example/graph?g0.expr=up)',
      severity: 'major',
      source: { kind: 'alertmanager', fingerprint: 'a1b2c3d4e5f60718', alertname: 'CanaryErrors', generatorURL: 'http://prometheus.example/graph?g0.expr=up', startsAt: '2026-12-01T10:00:00Z', annotations: { summary: 'canary 5xx above 5%' } },
    });
    expect(stored?.by).toMatch(/^rollgate serve@.+ \(Alertmanager receiver "rollgate"\)$/);

    const replays = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    for (const replay of replays) expect(replay.json?.alerts).toEqual([expect.objectContaining({ outcome: 'duplicate', rolloutId: 'checkout-r1' })]);
    expect(await store.getAbortRequest('checkout-r1')).toEqual(stored);

    const otherAlert = await post(payload([alert({ fingerprint: 'ffff0000' })]));
    expect(otherAlert.json?.alerts).toEqual([expect.objectContaining({ outcome: 'already-requested' })]);

    // Durable: a restarted server (nothing in memory) still asks nothing more.
    const exit = await serve.stop();
    expect(exit.code).toBe(0);
    serve = await startServe(['--token-file', tokenFile, '--state', `file:${stateDir}`]);
    const afterRestart = await post(body);
    expect(afterRestart.json?.alerts).toEqual([expect.objectContaining({ outcome: 'duplicate' })]);
    expect(await store.getAbortRequest('checkout-r1')).toEqual(stored);

    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/^rollgate_webhook_requests_total\{outcome="duplicate"\} 1$/m);
  });
});

describe('rollgate serve: /healthz, /metrics, logs, shutdown', () => {
  it('serves the store-derived metrics (dry runs skipped) and process metrics', async () => {
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    expect(text).toMatch(/^rollgate_rollout_weight\{service="checkout",rollout="checkout-r1"\} 10$/m);
    expect(text).toMatch(/^rollgate_rollout_status\{service="checkout",rollout="checkout-r1",status="running"\} 1$/m);
    expect(text).toMatch(/^rollgate_rollout_status\{service="checkout",rollout="checkout-r1",status="promoted"\} 0$/m);
    expect(text).not.toMatch(/payments/);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
  });

  it('logs JSON lines with --json, one document on stdout at SIGTERM, exit 0; /healthz says 503 when the store is gone', async () => {
    const own = join(dir, 'state-2');
    const s = await startServe(['--json', '--token-file', tokenFile, '--state', `file:${own}`]);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    await fetch(`${s.url}/v1/alertmanager`, { method: 'POST' });
    // The store's directory replaced by a file: unreachable.
    rmSync(own, { recursive: true, force: true });
    writeFileSync(own, 'not a directory');
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(503);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(503);
    const result = await s.stop();
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ msg: 'listening', auth: true });
    expect(lines.filter((l) => l.msg === 'request').map((l) => [l.method, l.path, l.status])).toEqual([
      ['GET', '/healthz', 200],
      ['POST', '/v1/alertmanager', 401],
      ['GET', '/healthz', 503],
      ['GET', '/metrics', 503],
    ]);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 1, serve: { stoppedBy: 'SIGTERM', requests: 4, rollbacksRequested: 0 } });
  });
});
