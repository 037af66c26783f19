/**
 * `gate check` against a REAL Prometheus over backfilled, hand-computable data.
 *
 * The scenario starts at T0 (a 2h block boundary a day ago), one sample every 15s for 30 minutes,
 * and every check runs at AT = T0 + 20m (or another explicit past time), so every expected number
 * below follows from the scenario by hand.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { measureGate } from '../../src/lib/gates/measure.js';
import type { GateSpec } from '../../src/lib/plan/types.js';
import { createPrometheusClient } from '../../src/lib/prometheus/client.js';
import type { PrometheusApi } from '../../src/lib/prometheus/types.js';
import { backfillEpoch, freePort, renderOpenMetrics, startPrometheus, type OpenMetricsFamily, type PrometheusServer } from '../support/prometheus.js';

const T0 = backfillEpoch();
const AT = T0 + 20 * 60;
const STEP = 15;
const TIMES = Array.from({ length: 121 }, (_, i) => T0 + i * STEP); // T0 .. T0+30m

const constant = (value: number) => TIMES.map((t) => [t, value] as [number, number]);
const linear = (perStep: number) => TIMES.map((t, i) => [t, i * perStep] as [number, number]);

const SCENARIO: OpenMetricsFamily[] = [
  { name: 'rg_error_ratio', type: 'gauge', series: [
    { name: 'rg_error_ratio', labels: { service: 'ok' }, samples: constant(0.002) },
    { name: 'rg_error_ratio', labels: { service: 'bad' }, samples: constant(0.034) },
  ] },
  // checkout: 99 good + 1 error per 15s → error ratio exactly 1/100, 400 requests per minute.
  // low: 3 requests per 15s → 12 per minute. idle: a counter that never moves → 0/0 = NaN.
  { name: 'rg_requests', type: 'counter', series: [
    { name: 'rg_requests_total', labels: { service: 'checkout', code: '200' }, samples: linear(99) },
    { name: 'rg_requests_total', labels: { service: 'checkout', code: '500' }, samples: linear(1) },
    { name: 'rg_requests_total', labels: { service: 'low', code: '200' }, samples: linear(3) },
    { name: 'rg_requests_total', labels: { service: 'idle', code: '200' }, samples: constant(100) },
    { name: 'rg_requests_total', labels: { service: 'idle', code: '500' }, samples: constant(0) },
  ] },
  { name: 'rg_latency_p95', type: 'gauge', series: [
    { name: 'rg_latency_p95', labels: { service: 'sustained' }, samples: constant(0.2) },
    // 0.05 everywhere but one 0.2 spike exactly at AT.
    { name: 'rg_latency_p95', labels: { service: 'spike' }, samples: TIMES.map((t) => [t, t === AT ? 0.2 : 0.05]) },
    // Only a minute old at AT: a 2m window cannot be proven sustained.
    { name: 'rg_latency_p95', labels: { service: 'young' }, samples: TIMES.filter((t) => t >= AT - 60).map((t) => [t, 0.2]) },
    { name: 'rg_latency_p95', labels: { service: 'base', track: 'canary' }, samples: constant(0.125) },
    { name: 'rg_latency_p95', labels: { service: 'base', track: 'stable' }, samples: constant(0.1) },
  ] },
  { name: 'rg_pod_error_ratio', type: 'gauge', series: [
    { name: 'rg_pod_error_ratio', labels: { pod: 'a' }, samples: constant(0.001) },
    { name: 'rg_pod_error_ratio', labels: { pod: 'b' }, samples: constant(0.05) },
    { name: 'rg_pod_error_ratio', labels: { pod: 'c' }, samples: constant(NaN) },
  ] },
  // Healthy for the first 10 minutes, broken after.
  { name: 'rg_phase_error_ratio', type: 'gauge', series: [{ name: 'rg_phase_error_ratio', samples: TIMES.map((t) => [t, t < T0 + 600 ? 0.001 : 0.5]) }] },
  { name: 'rg_cache_hit_ratio', type: 'gauge', series: [{ name: 'rg_cache_hit_ratio', samples: constant(0.8) }] },
];

const ratio = (service: string) =>
  `sum(rate(rg_requests_total{service="${service}",code="500"}[1m])) / sum(rate(rg_requests_total{service="${service}"}[1m]))`;

const PLAN_GATES = `
gates:
  - name: ok-error-rate
    query: rg_error_ratio{service="ok"}
    max: 0.01
  - name: bad-error-rate
    query: rg_error_ratio{service="bad"}
    max: 0.01
  - name: checkout-error-rate
    query: '${ratio('checkout')}'
    max: 0.02
    minSamples:
      query: sum(increase(rg_requests_total{service="checkout"}[1m]))
      min: 50
  - name: low-traffic
    query: '${ratio('low')}'
    max: 0.02
    minSamples:
      query: sum(increase(rg_requests_total{service="low"}[1m]))
      min: 50
  - name: empty
    query: rg_error_ratio{service="missing"}
    max: 0.01
  - name: empty-fails
    query: rg_error_ratio{service="missing"}
    max: 0.01
    onEmpty: fail
  - name: nan
    query: '${ratio('idle')}'
    max: 0.01
  - name: sustained
    query: rg_latency_p95{service="sustained"}
    max: 0.12
    for: 2m
    step: 15s
  - name: spike
    query: rg_latency_p95{service="spike"}
    max: 0.12
    for: 2m
    step: 15s
  - name: spike-instant
    query: rg_latency_p95{service="spike"}
    max: 0.12
  - name: young
    query: rg_latency_p95{service="young"}
    max: 0.12
    for: 2m
    step: 15s
  - name: vs-stable-relative
    query: rg_latency_p95{service="base",track="canary"}
    baseline: rg_latency_p95{service="base",track="stable"}
    maxIncrease: 10%
  - name: vs-stable-absolute
    query: rg_latency_p95{service="base",track="canary"}
    baseline: rg_latency_p95{service="base",track="stable"}
    maxIncrease: 0.05
  - name: vs-missing-baseline
    query: rg_latency_p95{service="base",track="canary"}
    baseline: rg_latency_p95{service="base",track="none"}
    maxIncrease: 10%
  - name: vs-infinite-baseline
    query: rg_latency_p95{service="base",track="canary"}
    baseline: sum(rate(rg_requests_total{service="checkout"}[1m])) / sum(rate(rg_requests_total{service="idle"}[1m]))
    maxIncrease: 10%
  - name: infinite-samples
    query: rg_error_ratio{service="ok"}
    max: 0.01
    minSamples:
      query: sum(increase(rg_requests_total{service="checkout"}[1m])) / sum(increase(rg_requests_total{service="idle"}[1m]))
      min: 50
  - name: pods
    query: rg_pod_error_ratio * 1
    max: 0.01
  - name: phase
    query: rg_phase_error_ratio
    max: 0.01
  - name: cache-hit
    query: rg_cache_hit_ratio
    min: 0.9
    severity: warning
  - name: broken-query
    # Newer PromQL (Prometheus 2.50+) than this 2.42 server knows: rollgate's check lets syntax
    # newer than its grammar through, so the server's own bad_data is what the user sees.
    query: histogram_avg(rg_error_ratio{service="ok"})
    max: 1
`;

function planYaml(url: string, gates = PLAN_GATES): string {
  return `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: gates-it, service: checkout }
prometheus: { url: "${url}", timeout: 2s, retries: 1 }
traffic: { exec: ["true"] }
${gates}
canary: { weights: [10, 100], bake: 1m }
`;
}

class Recorder extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function check(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  const code = await main(args, { streams: { stdout, stderr, stdin }, env: { CI: '1', ...env }, cwd: dir });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

interface GateJson {
  name: string;
  verdict: string;
  value: number | string | null;
  threshold: string;
  query: string;
  reason: string;
  severity: string;
  samples?: number;
  errorType?: string;
  series: Array<{ labels: Record<string, string>; value: number | null; verdict: string; reason: string }>;
}

async function checkJson(gates: string[], at = AT): Promise<{ code: number; doc: { verdict: string; at: string; gates: GateJson[] } }> {
  const { code, stdout } = await check(['--json', 'gate', 'check', planFile, '--at', String(at), ...gates.flatMap((g) => ['--gate', g])]);
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return { code, doc: JSON.parse(lines[0]!) };
}

let prom: PrometheusServer;
let dir: string;
let planFile: string;
let api: PrometheusApi;

beforeAll(async () => {
  prom = await startPrometheus({ openMetrics: renderOpenMetrics(SCENARIO) });
  dir = await mkdtemp(join(tmpdir(), 'rollgate-gate-it-'));
  planFile = join(dir, 'plan.yaml');
  await writeFile(planFile, planYaml(prom.url));
  api = createPrometheusClient({ url: prom.url, timeoutMs: 2_000, retries: 0, headers: {}, insecureSkipVerify: false }, { env: {} });
});
afterAll(async () => {
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gate check: pass and fail', () => {
  it('passes a healthy gate (exit 0)', async () => {
    const { code, doc } = await checkJson(['ok-error-rate']);
    expect(code).toBe(0);
    expect(doc).toMatchObject({ schemaVersion: 1, verdict: 'pass', at: new Date(AT * 1000).toISOString() });
    expect(doc.gates[0]).toMatchObject({ name: 'ok-error-rate', verdict: 'pass', value: 0.002, threshold: '<= 0.01', query: 'rg_error_ratio{service="ok"}', reason: '0.002 <= max 0.01', severity: 'critical' });
  });

  it('fails a breached gate (exit 1) with the value and the reason', async () => {
    const { code, doc } = await checkJson(['ok-error-rate', 'bad-error-rate']);
    expect(code).toBe(1);
    expect(doc.verdict).toBe('fail');
    expect(doc.gates.map((g) => [g.name, g.verdict])).toEqual([
      ['ok-error-rate', 'pass'],
      ['bad-error-rate', 'fail'],
    ]);
    expect(doc.gates[1]).toMatchObject({ value: 0.034, reason: '0.034 > max 0.01' });
  });

  it('computes a rate ratio over counters: 1 error in 100 requests, 400 samples a minute', async () => {
    const { code, doc } = await checkJson(['checkout-error-rate']);
    expect(code).toBe(0);
    expect(doc.gates[0]!.value as number).toBeCloseTo(0.01, 12);
    expect(doc.gates[0]!.samples!).toBeCloseTo(400, 9);
  });

  it('fail beats inconclusive (exit 1)', async () => {
    const { code, doc } = await checkJson(['empty', 'bad-error-rate']);
    expect(code).toBe(1);
    expect(doc.verdict).toBe('fail');
  });

  it('a warning-severity failure is reported but the check passes', async () => {
    const { code, stderr, stdout } = await check(['gate', 'check', planFile, '--at', String(AT), '--gate', 'ok-error-rate', '--gate', 'cache-hit']);
    expect(code).toBe(0);
    // The reason column stays empty when it would only compare the value with the threshold again.
    expect(stdout).toMatch(/^cache-hit\s+fail \(warning\)\s+0\.8\s+>= 0\.9\s*$/m);
    expect(stderr).toContain('cache-hit: 0.8 < min 0.9 (severity warning: reported, not failing)');
  });
});

describe('gate check: inconclusive (exit 3), never a silent pass', () => {
  it('an empty result', async () => {
    const { code, doc } = await checkJson(['empty']);
    expect(code).toBe(3);
    expect(doc.verdict).toBe('inconclusive');
    expect(doc.gates[0]).toMatchObject({ value: null, reason: 'no data: the query returned no series (onEmpty: inconclusive)' });
  });

  it('an empty result with onEmpty: fail fails', async () => {
    const { code, doc } = await checkJson(['empty-fails']);
    expect(code).toBe(1);
    expect(doc.gates[0]!.reason).toBe('no data: the query returned no series (onEmpty: fail)');
  });

  it('NaN (0/0 of a counter that does not move)', async () => {
    const { code, doc } = await checkJson(['nan']);
    expect(code).toBe(3);
    expect(doc.gates[0]).toMatchObject({ verdict: 'inconclusive', value: null, reason: 'no data: the value is NaN (onEmpty: inconclusive)' });
  });

  it('below minSamples: 12 requests in the last minute, 50 needed', async () => {
    const { code, doc } = await checkJson(['low-traffic']);
    expect(code).toBe(3);
    expect(doc.gates[0]!.verdict).toBe('inconclusive');
    expect(doc.gates[0]!.reason).toBe('only 12 samples, fewer than 50');
    expect(doc.gates[0]!.samples!).toBeCloseTo(12, 9);
  });
});

describe('gate check: for windows', () => {
  it('breached at every point of the 2m window → fail', async () => {
    const { code, doc } = await checkJson(['sustained']);
    expect(code).toBe(1);
    expect(doc.gates[0]).toMatchObject({ verdict: 'fail', value: 0.2, threshold: 'sustained 2m <= 0.12', reason: 'breached for 2m (all 9 points); closest 0.2 > max 0.12' });
  });

  it('a single spike fails an instant gate but not a sustained one', async () => {
    const instant = await checkJson(['spike-instant']);
    expect(instant.code).toBe(1);
    expect(instant.doc.gates[0]!.value).toBe(0.2);
    const { code, doc } = await checkJson(['spike']);
    expect(code).toBe(0);
    expect(doc.gates[0]).toMatchObject({
      verdict: 'pass',
      value: 0.05,
      reason: `not sustained: 0.05 <= max 0.12 at ${new Date((AT - 120) * 1000).toISOString()} (breached at 1 of 9 points in 2m)`,
    });
  });

  it('a window with missing points is not proven sustained → inconclusive', async () => {
    const { code, doc } = await checkJson(['young']);
    expect(code).toBe(3);
    expect(doc.gates[0]!.reason).toBe('not proven sustained: breached at all 5 points present, but 4 of 9 points of the 2m window are missing');
  });
});

describe('gate check: baseline', () => {
  it('relative: 0.125 against stable 0.1 +10% → fail', async () => {
    const { code, doc } = await checkJson(['vs-stable-relative']);
    expect(code).toBe(1);
    expect(doc.gates[0]).toMatchObject({ value: 0.125, threshold: '<= baseline +10%', reason: '0.125 > baseline 0.1 +10% (0.11)' });
  });
  it('absolute: 0.125 against stable 0.1 +0.05 → pass', async () => {
    const { code, doc } = await checkJson(['vs-stable-absolute']);
    expect(code).toBe(0);
    expect(doc.gates[0]!.reason).toBe('0.125 <= baseline 0.1 +0.05 (0.15)');
  });
  it('an empty baseline → inconclusive', async () => {
    const { code, doc } = await checkJson(['vs-missing-baseline']);
    expect(code).toBe(3);
    expect(doc.gates[0]!.reason).toBe('no baseline: the baseline query returned no series');
  });
});

describe('gate check: non-finite baseline and sample count (real Prometheus answers +Inf)', () => {
  it('a +Inf baseline (x / 0) would pass any canary: inconclusive, exit 3', async () => {
    const { code, doc } = await checkJson(['vs-infinite-baseline']);
    expect(code).toBe(3);
    expect(doc.gates[0]).toMatchObject({ verdict: 'inconclusive', value: 0.125, reason: 'no usable baseline: the baseline value is +Inf (not finite, e.g. histogram_quantile above the top bucket)' });
    expect((doc.gates[0] as GateJson & { baselineValue: unknown }).baselineValue).toBe('+Inf');
  });
  it('a +Inf minSamples count is not enough traffic: inconclusive, exit 3', async () => {
    const { code, doc } = await checkJson(['infinite-samples']);
    expect(code).toBe(3);
    expect(doc.gates[0]).toMatchObject({ verdict: 'inconclusive', samples: '+Inf', reason: 'no usable sample count: the minSamples query returned +Inf (needs a finite count of at least 50)' });
  });
});

describe('gate check: multi-series', () => {
  it('judges each series, the worst counts, all are reported', async () => {
    const { code, doc } = await checkJson(['pods']);
    expect(code).toBe(1);
    const gate = doc.gates[0]!;
    expect(gate.value).toBe(0.05);
    expect(gate.reason).toBe('0.05 > max 0.01 — series {pod="b"}; 3 series: 1 failed, 1 inconclusive, 1 passed');
    const byPod = Object.fromEntries(gate.series.map((s) => [s.labels.pod, [s.verdict, s.value]]));
    expect(byPod).toEqual({ a: ['pass', 0.001], b: ['fail', 0.05], c: ['inconclusive', null] });
  });
});

describe('gate check: --at', () => {
  it('evaluates at a past time: healthy at T0+5m, broken at T0+20m', async () => {
    const before = await checkJson(['phase'], T0 + 300);
    expect(before.code).toBe(0);
    expect(before.doc.at).toBe(new Date((T0 + 300) * 1000).toISOString());
    expect(before.doc.gates[0]!.value).toBe(0.001);
    const after = await checkJson(['phase'], AT);
    expect(after.code).toBe(1);
    expect(after.doc.gates[0]!.value).toBe(0.5);
  });
  it('accepts RFC 3339', async () => {
    const { code, stdout } = await check(['--json', 'gate', 'check', planFile, '--at', new Date((T0 + 300) * 1000).toISOString(), '--gate', 'phase']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).gates[0].value).toBe(0.001);
  });
  it('a bad --at is a usage error (exit 2)', async () => {
    const { code, stderr } = await check(['gate', 'check', planFile, '--at', 'yesterday']);
    expect(code).toBe(2);
    expect(stderr).toContain('--at: "yesterday" is not a time');
  });
});

describe('gate check: provider errors (exit 3)', () => {
  it("surfaces Prometheus' bad_data error verbatim", async () => {
    const { code, doc } = await checkJson(['broken-query']);
    expect(code).toBe(3);
    expect(doc.verdict).toBe('error');
    expect(doc.gates[0]!.errorType).toBe('bad_data');
    expect(doc.gates[0]!.reason).toMatch(/^bad_data: invalid parameter "query": 1:1: parse error: unknown function with name "histogram_avg"/);
  });

  it('an unreachable server: exit 3 within the timeout, the address named', async () => {
    const port = await freePort();
    const started = Date.now();
    const { code, stdout, stderr } = await check(['--json', 'gate', 'check', planFile, '--gate', 'ok-error-rate'], { ROLLGATE_PROMETHEUS_URL: `http://127.0.0.1:${port}` });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(code).toBe(3);
    const doc = JSON.parse(stdout);
    expect(doc.verdict).toBe('error');
    expect(doc.gates[0].reason).toBe(`cannot reach Prometheus at http://127.0.0.1:${port}/ (ECONNREFUSED)`);
    expect(stderr).toContain(`cannot reach Prometheus at http://127.0.0.1:${port}/`);
  });

  it('--prometheus overrides the plan and the env', async () => {
    const port = await freePort();
    const { code, doc } = await (async () => {
      const r = await check(['--json', '--prometheus', prom.url, 'gate', 'check', planFile, '--at', String(AT), '--gate', 'ok-error-rate'], { ROLLGATE_PROMETHEUS_URL: `http://127.0.0.1:${port}` });
      return { code: r.code, doc: JSON.parse(r.stdout) };
    })();
    expect(code).toBe(0);
    expect(doc.prometheus).toBe(prom.url);
  });
});

describe('gate check: usage', () => {
  it('an unknown --gate is a usage error with a suggestion', async () => {
    const { code, stderr } = await check(['gate', 'check', planFile, '--gate', 'bad-eror-rate']);
    expect(code).toBe(2);
    expect(stderr).toContain(`--gate bad-eror-rate: no gate of that name in ${planFile} (did you mean "bad-error-rate"?)`);
  });
  it('plain output is a table on stdout, no ANSI escapes', async () => {
    const { code, stdout, stderr } = await check(['gate', 'check', planFile, '--at', String(AT), '--gate', 'ok-error-rate', '--gate', 'bad-error-rate']);
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toMatch(/^gate\s+verdict\s+value\s+threshold\s+reason$/);
    expect(stdout).toMatch(/^bad-error-rate\s+fail\s+0\.034\s+<= 0\.01\s*$/m);
    expect(stdout + stderr).not.toMatch(/\u001b\[/);
    expect(stderr).toContain('gate failed: bad-error-rate');
  });
});

describe('gate check on a terminal', () => {
  it('colours the verdicts in the table', async () => {
    const stdout = Object.assign(new Recorder(), { isTTY: true, columns: 200 });
    // What ora needs from a terminal stream.
    const stderr = Object.assign(new Recorder(), { isTTY: true, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const code = await main(['gate', 'check', planFile, '--at', String(AT), '--gate', 'ok-error-rate', '--gate', 'bad-error-rate'], { streams: { stdout, stderr, stdin }, env: {}, cwd: dir });
    expect(code, stderr.text).toBe(1);
    expect(stdout.text).toContain('\u001b[31mfail\u001b[39m');
    expect(stdout.text).toContain('\u001b[32mpass\u001b[39m');
    expect(stdout.text).toMatch(/0\.034.*<= 0\.01/);
  });
});

describe('measureGate directly', () => {
  const gate = (over: Partial<GateSpec>): GateSpec => ({ name: 'g', query: 'rg_error_ratio{service="ok"}', onEmpty: 'inconclusive', severity: 'critical', ...over });
  it('runs the main, baseline and minSamples queries at the same time `at`', async () => {
    const m = await measureGate(api, gate({ query: 'rg_latency_p95{service="base",track="canary"}', baseline: 'rg_latency_p95{service="base",track="stable"}', maxIncrease: { kind: 'absolute', value: 0.02 }, minSamples: { query: 'sum(increase(rg_requests_total{service="checkout"}[1m]))', min: 50 } }), { at: new Date(AT * 1000) });
    expect(m).toMatchObject({ verdict: 'fail', value: 0.125, baselineValue: 0.1, reason: '0.125 > baseline 0.1 +0.02 (0.12)' });
    expect(m.samples!).toBeCloseTo(400, 9);
  });
  it('a ProviderError becomes an error measurement, never thrown', async () => {
    const m = await measureGate(api, gate({ query: 'sum(' , max: 1 }), { at: new Date(AT * 1000) });
    expect(m.verdict).toBe('error');
    expect(m.errorType).toBe('bad_data');
  });
});
