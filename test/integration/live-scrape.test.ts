/**
 * The live path: a real Prometheus scraping the test service every second, and `gate check`
 * seeing the canary's error rate change after a fault is injected, and going inconclusive
 * when traffic stops.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { startTestService, type TestService } from '../support/test-service.js';

class Recorder extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

let service: TestService;
let prom: PrometheusServer;
let dir: string;
let planFile: string;

// Short windows: scraped every 1s, a 3s rate window holds 3-4 samples.
const ERROR_RATE = `sum(rate(http_requests_total{service="checkout",track="canary",code="500"}[3s])) / sum(rate(http_requests_total{service="checkout",track="canary"}[3s]))`;

beforeAll(async () => {
  service = await startTestService({ rps: 200, canaryWeight: 50 });
  prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${service.port}`], scrapeIntervalMs: 1_000 });
  dir = await mkdtemp(join(tmpdir(), 'rollgate-live-'));
  planFile = join(dir, 'plan.yaml');
  await writeFile(
    planFile,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: live, service: checkout }
prometheus: { url: "${prom.url}", timeout: 2s }
traffic: { http: { method: PUT, url: "${service.url}/weights/{{service}}", json: { canary: "{{weight}}" } } }
gates:
  - name: canary-error-rate
    query: '${ERROR_RATE}'
    max: 0.05
canary: { weights: [50, 100], bake: 3s }
`,
  );
});
afterAll(async () => {
  await prom?.stop();
  await service?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function gateCheck(): Promise<{ code: number; verdict: string; value: number | null; reason: string }> {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const code = await main(['--json', 'gate', 'check', planFile], { streams: { stdout, stderr, stdin: Object.assign(new PassThrough(), { isTTY: false }) }, env: { CI: '1' }, cwd: dir });
  const doc = JSON.parse(stdout.text) as { verdict: string; gates: Array<{ value: number | null; reason: string }> };
  return { code, verdict: doc.verdict, value: doc.gates[0]!.value, reason: doc.gates[0]!.reason };
}

/** Polls gate check until `done` holds (scrapes arrive every second), or gives up. */
async function until(done: (r: Awaited<ReturnType<typeof gateCheck>>) => boolean, timeoutMs = 12_000): Promise<Awaited<ReturnType<typeof gateCheck>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await gateCheck();
    if (done(result) || Date.now() > deadline) return result;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('gate check over live scraped metrics', () => {
  it('passes while healthy, fails after errors are injected into the canary, goes inconclusive without traffic', async () => {
    const healthy = await until((r) => r.verdict === 'pass');
    expect(healthy).toMatchObject({ code: 0, verdict: 'pass', value: 0 });

    // 20% of canary requests answer 500; the service spreads them evenly, so the rate is 0.2 once
    // the 3s window holds only post-injection samples.
    service.inject({ errorRate: 0.2 });
    const failing = await until((r) => r.verdict === 'fail' && r.value !== null && Math.abs(r.value - 0.2) < 0.02);
    expect(failing.code).toBe(1);
    expect(failing.value!).toBeCloseTo(0.2, 1);
    expect(failing.reason).toMatch(/^0\.\d+ > max 0\.05$/);
    // Stable stayed healthy: the fault only touched the canary.
    expect(service.state().requests.checkout!.stable.errors).toBe(0);

    service.setTraffic(0);
    const idle = await until((r) => r.verdict === 'inconclusive');
    expect(idle).toMatchObject({ code: 3, verdict: 'inconclusive', value: null, reason: 'no data: the value is NaN (onEmpty: inconclusive)' });
  });

  it('the router endpoints change the weight, or answer 500 when broken', async () => {
    const put = (canary: number) => fetch(`${service.url}/weights/checkout`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ canary }) });
    expect((await put(25)).status).toBe(200);
    expect(service.state().weights.checkout).toBe(25);
    await fetch(`${service.url}/admin/router`, { method: 'POST', body: JSON.stringify({ broken: true }) });
    expect((await put(50)).status).toBe(500);
    expect(service.state().weights.checkout).toBe(25);
    service.setRouterBroken(false);
    expect((await put(101)).status).toBe(400);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{service="checkout",track="canary",code="500"}');
    expect(metrics).toContain('http_request_duration_seconds_bucket{service="checkout",track="stable",le="+Inf"}');
  });
});
