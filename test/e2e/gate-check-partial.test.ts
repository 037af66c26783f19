/**
 * `rollgate gate check` (the built binary) against a deliberately behaving HTTP peer: a real
 * Prometheus cannot be made to send warnings (Thanos/Mimir partial responses) or stale sample
 * timestamps on demand, so a small node:http server answers as they do. Everything else about the
 * answers is the real API shape.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, runCli } from '../support/cli.js';
import { startPrometheusStub, type PrometheusStub, type StubAnswer } from '../support/prometheus-stub.js';

const PARTIAL = 'partial response: store 10.0.0.7:10901 (thanos-store-0) unavailable';

/** What the stub answers per query text: the value, the sample age in seconds, warnings. */
const ANSWERS: Record<string, StubAnswer> = {
  'partial_error_ratio': { value: '0.001', warnings: [PARTIAL] },
  'partial_failing_ratio': { value: '0.5', warnings: [PARTIAL, 'second warning'] },
  'fresh_error_ratio': { value: '0.001' },
  'stale_error_ratio': { value: '0.001', ageS: 600 },
  'baseline_partial': { value: '0.001', warnings: ['baseline store down'] },
};

let stub: PrometheusStub;
let url: string;
let dir: string;

beforeAll(async () => {
  stub = await startPrometheusStub((query) => ANSWERS[query]);
  url = stub.url;
  dir = await mkdtemp(join(tmpdir(), 'rollgate-partial-e2e-'));
});
afterAll(async () => {
  await stub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function plan(name: string, prometheusExtra = '', interval = '30s'): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: rollgate/v1
kind: RolloutPlan
metadata: { name: partial, service: checkout }
prometheus: { url: "${url}", timeout: 3s${prometheusExtra} }
analysis: { interval: ${interval} }
traffic: { exec: ["true"] }
gates:
  - name: partial
    query: partial_error_ratio
    max: 0.01
  - name: partial-failing
    query: partial_failing_ratio
    max: 0.01
  - name: fresh
    query: fresh_error_ratio
    max: 0.01
  - name: stale
    query: stale_error_ratio
    max: 0.01
  - name: partial-baseline
    query: fresh_error_ratio
    baseline: baseline_partial
    maxIncrease: 50%
canary: { weights: [10, 100], bake: 1m }
`,
  );
  return file;
}

interface GateJson {
  name: string;
  verdict: string;
  value: number | null;
  reason: string;
  warnings?: string[];
}

describe('partial answers (warnings) are inconclusive by default (issue 7.1)', () => {
  it('--json: a passing value with a warning is inconclusive (exit 3), the warnings verbatim per gate', async () => {
    const file = await plan('default');
    const r = await runCli(['--json', 'gate', 'check', file, '--gate', 'partial', '--gate', 'partial-failing', '--gate', 'fresh', '--gate', 'partial-baseline']);
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout.trim()) as { verdict: string; gates: GateJson[] };
    expect(doc.verdict).toBe('inconclusive');
    const byName = Object.fromEntries(doc.gates.map((g) => [g.name, g]));
    expect(byName.partial).toMatchObject({ verdict: 'inconclusive', value: 0.001, warnings: [PARTIAL] });
    expect(byName.partial!.reason).toBe(`partial answer: Prometheus sent a warning ("${PARTIAL}"), so series may be missing (prometheus.onWarnings: inconclusive); would have been pass: 0.001 <= max 0.01`);
    expect(byName['partial-failing']).toMatchObject({ verdict: 'inconclusive', warnings: [PARTIAL, 'second warning'] });
    expect(byName['partial-baseline']).toMatchObject({ verdict: 'inconclusive', warnings: ['baseline store down'] });
    expect(byName.fresh).toMatchObject({ verdict: 'pass' });
    expect(byName.fresh).not.toHaveProperty('warnings');
    expect(r.stderr).toContain(`partial: Prometheus warning: ${PARTIAL}`);
  });

  it('text: the table says why, stderr carries each warning verbatim', async () => {
    const file = await plan('text');
    const r = await runCli(['gate', 'check', file, '--gate', 'partial']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/partial\s+inconclusive\s+0\.001\s+<= 0\.01\s+partial answer: Prometheus sent a warning/);
    expect(r.stderr).toContain(`partial: Prometheus warning: ${PARTIAL}`);
    expect(r.stderr).toContain('no verdict: inconclusive: partial');
    expect(r.stdout + r.stderr).not.toMatch(ANSI);
  });

  it('prometheus.onWarnings: ignore judges the answer (exit 0) and still shows the warnings', async () => {
    const file = await plan('ignore', ', onWarnings: ignore');
    const r = await runCli(['--json', 'gate', 'check', file, '--gate', 'partial']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout.trim()) as { gates: GateJson[] };
    expect(doc.gates[0]).toMatchObject({ verdict: 'pass', reason: '0.001 <= max 0.01', warnings: [PARTIAL] });
    expect(r.stderr).toContain(`partial: Prometheus warning: ${PARTIAL}`);
  });
});

describe('stale samples are inconclusive (issue 7.9)', () => {
  it('a sample 10m old with a 30s interval (limit 1m) is inconclusive, the reason says how old', async () => {
    const file = await plan('stale');
    const r = await runCli(['--json', 'gate', 'check', file, '--gate', 'stale', '--gate', 'fresh']);
    expect(r.code, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout.trim()) as { gates: GateJson[] };
    const byName = Object.fromEntries(doc.gates.map((g) => [g.name, g]));
    expect(byName.stale).toMatchObject({ verdict: 'inconclusive' });
    expect(byName.stale!.reason).toMatch(/^stale data: the newest sample of the query is 10m old at the query time, older than the 1m allowed/);
    expect(byName.fresh).toMatchObject({ verdict: 'pass' });
  });

  it('prometheus.maxSampleAge relaxes (or tightens) the limit', async () => {
    const relaxed = await plan('relaxed', ', maxSampleAge: 15m');
    expect((await runCli(['gate', 'check', relaxed, '--gate', 'stale'])).code).toBe(0);
    const tight = await plan('tight', ', maxSampleAge: 5m');
    const r = await runCli(['gate', 'check', tight, '--gate', 'stale']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('older than the 5m allowed');
  });
});
