/**
 * `rollgate gate check` as a user runs it: the built binary (`npm run build` first), CI=1, against a
 * real Prometheus with backfilled data. Exit codes, one parseable JSON document, no ANSI escapes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, runCli } from '../support/cli.js';
import { backfillEpoch, freePort, renderOpenMetrics, startPrometheus, type PrometheusServer } from '../support/prometheus.js';

const T0 = backfillEpoch();
const AT = T0 + 600;
const samples = (value: number) => Array.from({ length: 81 }, (_, i) => [T0 + i * 15, value] as [number, number]);
const counter = (perStep: number) => Array.from({ length: 81 }, (_, i) => [T0 + i * 15, i * perStep] as [number, number]);
/** From issue 7: legal in a git ref name, and it used to turn a failing gate into a pass. */
const HOSTILE_VERSION = 'v2"}[1m])) * 0 # ';

let prom: PrometheusServer;
let dir: string;
let planFile: string;
let versionedPlan: string;

beforeAll(async () => {
  prom = await startPrometheus({
    openMetrics: renderOpenMetrics([
      { name: 'e2e_error_ratio', type: 'gauge', series: [
        { name: 'e2e_error_ratio', labels: { track: 'stable' }, samples: samples(0.001) },
        { name: 'e2e_error_ratio', labels: { track: 'canary' }, samples: samples(0.25) },
      ] },
      // 1 error in 10 requests per 15s, for v2 and for a version whose name is the hostile string itself.
      { name: 'e2e_requests', type: 'counter', series: [HOSTILE_VERSION, 'v2'].flatMap((version) => [
        { name: 'e2e_requests_total', labels: { version, code: '200' }, samples: counter(9) },
        { name: 'e2e_requests_total', labels: { version, code: '500' }, samples: counter(1) },
      ]) },
    ]),
  });
  dir = await mkdtemp(join(tmpdir(), 'rollgate-gate-e2e-'));
  planFile = join(dir, 'plan.yaml');
  await writeFile(
    planFile,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: e2e, service: checkout }
prometheus: { url: "${prom.url}", timeout: 3s }
traffic: { exec: ["true"] }
gates:
  - name: stable-error-rate
    query: e2e_error_ratio{track="stable"}
    max: 0.01
  - name: canary-error-rate
    query: e2e_error_ratio{track="canary"}
    max: 0.01
  - name: missing
    query: e2e_error_ratio{track="none"}
    max: 0.01
canary: { weights: [10, 100], bake: 1m }
`,
  );
  versionedPlan = join(dir, 'versioned.yaml');
  await writeFile(
    versionedPlan,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: e2e, service: checkout }
prometheus: { url: "${prom.url}", timeout: 3s }
vars: { version: v2, window: 1m }
traffic: { exec: ["true"] }
gates:
  - name: version-error-rate
    query: sum(rate(e2e_requests_total{code="500",version="{{version}}"}[1m])) / sum(rate(e2e_requests_total{version="{{version}}"}[1m]))
    max: 0.01
  - name: windowed-error-rate
    query: sum(rate(e2e_requests_total{code="500",version="v2"}[{{window}}])) / sum(rate(e2e_requests_total{version="v2"}[{{window}}]))
    max: 0.01
canary: { weights: [10, 100], bake: 1m }
`,
  );
});
afterAll(async () => {
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rollgate gate check (binary)', () => {
  it('a gate using {{weight}} has no value outside a rollout: usage error naming it (exit 2), nothing sent', async () => {
    const weighted = join(dir, 'weighted.yaml');
    await writeFile(weighted, `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: e2e, service: checkout }
prometheus: { url: "${prom.url}" }
traffic: { exec: ["true"] }
gates:
  - name: per-weight
    query: e2e_error_ratio{track="canary"} / {{weight}}
    max: 0.01
canary: { weights: [10, 100], bake: 1m }
`);
    const r = await runCli(['gate', 'check', weighted]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gate per-weight use {{weight}} or {{step}}, which only have values during a rollout');
  });

  it('exit 0 when every selected gate passes; a plain table on stdout, no ANSI', async () => {
    const r = await runCli(['gate', 'check', planFile, '--gate', 'stable-error-rate', '--at', String(AT)]);
    expect(r.code).toBe(0);
    // Value and threshold once each: the reason column does not repeat the comparison.
    expect(r.stdout).toMatch(/stable-error-rate\s+pass\s+0\.001\s+<= 0\.01\s*$/m);
    expect(r.stdout).not.toContain('max 0.01');
    expect(r.stderr).toContain('all 1 gate passed');
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });

  it('the table: a failing comparison is not repeated in the reason column; a reason that adds something is kept', async () => {
    const r = await runCli(['gate', 'check', planFile, '--at', String(AT)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/canary-error-rate\s+fail\s+0\.25\s+\S+ \S+\s*$/m);
    expect(r.stdout).not.toMatch(/0\.25 > (max|min)/);
    expect(r.stdout).toMatch(/missing\s+inconclusive\s+-\s+.*no data/);
  });

  it('exit 1 when a critical gate fails; --json is one document and nothing else', async () => {
    const r = await runCli(['--json', 'gate', 'check', planFile, '--at', new Date(AT * 1000).toISOString()]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc).toMatchObject({ schemaVersion: 1, verdict: 'fail', at: new Date(AT * 1000).toISOString() });
    expect(doc.gates.map((g: { name: string; verdict: string; value: number | null }) => [g.name, g.verdict, g.value])).toEqual([
      ['stable-error-rate', 'pass', 0.001],
      ['canary-error-rate', 'fail', 0.25],
      ['missing', 'inconclusive', null],
    ]);
    for (const g of doc.gates) expect(Object.keys(g)).toEqual(expect.arrayContaining(['name', 'verdict', 'value', 'threshold', 'query', 'reason']));
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });

  it('exit 3 when inconclusive', async () => {
    const r = await runCli(['gate', 'check', planFile, '--gate', 'missing', '--at', String(AT)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no verdict: inconclusive: missing');
  });

  it('exit 3 within the timeout when Prometheus is unreachable, naming the address', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await runCli(['--prometheus', `http://127.0.0.1:${port}`, 'gate', 'check', planFile, '--gate', 'stable-error-rate'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(3_000 + 2_000);
    expect(r.stderr).toContain(`cannot reach Prometheus at http://127.0.0.1:${port}/ (ECONNREFUSED)`);
    expect(r.stdout).not.toMatch(ANSI);
  });

  it('exit 2 for an unknown gate, with the error document in --json mode', async () => {
    const r = await runCli(['--json', 'gate', 'check', planFile, '--gate', 'canary-error-rat']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout.trim());
    expect(doc.error.kind).toBe('usage');
    expect(doc.error.message).toContain('(did you mean "canary-error-rate"?)');
  });
});

describe('{{vars}} cannot rewrite the query (issue 7.4), against a real Prometheus', () => {
  it('control: version v2 has 10% errors, the gate fails (exit 1)', async () => {
    const r = await runCli(['--json', 'gate', 'check', versionedPlan, '--gate', 'version-error-rate', '--at', String(AT)]);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).gates[0].value).toBeCloseTo(0.1, 9);
  });

  it(`--set 'version=${HOSTILE_VERSION}' stays a label value: it selects the series so named, which fails too (it used to pass by "* 0")`, async () => {
    const r = await runCli(['--json', 'gate', 'check', versionedPlan, '--gate', 'version-error-rate', '--at', String(AT), '--set', `version=${HOSTILE_VERSION}`]);
    expect(r.code, r.stderr).toBe(1);
    const gate = JSON.parse(r.stdout).gates[0];
    expect(gate.verdict).toBe('fail');
    expect(gate.value).toBeCloseTo(0.1, 9);
    expect(gate.query).toBe('sum(rate(e2e_requests_total{code="500",version="v2\\"}[1m])) * 0 # "}[1m])) / sum(rate(e2e_requests_total{version="v2\\"}[1m])) * 0 # "}[1m]))');
  });

  it('a value outside a string literal that would change the structure is refused: exit 2, gate and var named, nothing measured', async () => {
    const r = await runCli(['gate', 'check', versionedPlan, '--at', String(AT), '--set', 'window=1m])) * 0 #']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${versionedPlan}:12:`);
    expect(r.stderr).toContain('gates[1].query: gate "windowed-error-rate": {{window}} has a value that would change the query\'s structure');
    expect(r.stderr).not.toContain('* 0 #');
  });

  it('other hostile values outside a literal are refused the same way', async () => {
    for (const value of ['1m] or vector(0) #', '5m}', 'or']) {
      const r = await runCli(['gate', 'check', versionedPlan, '--set', `window=${value}`]);
      expect(r.code, value).toBe(2);
      expect(r.stderr, value).toContain('{{window}}');
    }
  });
});
