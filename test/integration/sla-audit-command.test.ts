/**
 * `sla audit` as a command (after loading: auditLoadedPolicy with the model built in code) against a
 * REAL Prometheus holding the generated 42-day scenario, a real file state store and a real
 * Pushgateway: exit codes, TTY vs CI output, the --json document, evidence verify/report of the
 * audit, --format/--out, and the pushed metrics (PUT: each push replaces the policy's group).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { auditLoadedPolicy, type AuditOptions } from '../../src/commands/sla-audit.js';
import type { CommandContext } from '../../src/commands/context.js';
import { ProviderError } from '../../src/lib/errors.js';
import type { SlaPolicyModel } from '../../src/lib/sla/model.js';
import { openStateStore } from '../../src/lib/state/open.js';
import { createUi } from '../../src/lib/ui/ui.js';
import { freePort, renderOpenMetrics, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { runCli } from '../support/cli.js';
import { startPushgateway, type PushgatewayServer } from '../support/pushgateway.js';
import { POLICY, scenario } from './sla-audit-scenario.js';

let prometheus: PrometheusServer;
let pushgateway: PushgatewayServer;
let dir: string;
const AT = new Date('2026-11-01T00:00:00Z');
const NOW = new Date('2026-12-01T12:00:00Z');
const COMPLIANT: SlaPolicyModel = { ...POLICY, name: 'checkout-core', slos: POLICY.slos.filter((s) => ['availability', 'latency'].includes(s.name)), rules: [] };
const ANSI = /\u001b\[/;

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function context(options: { tty?: boolean; json?: boolean } = {}): { ctx: CommandContext; stdout: Sink; stderr: Sink } {
  const stdout = new Sink(options.tty === true);
  const stderr = new Sink(options.tty === true);
  const stdin = Object.assign(new Sink(options.tty === true), { read: () => null }) as unknown as NodeJS.ReadableStream & { isTTY?: boolean };
  const env = options.tty ? {} : { CI: '1' };
  const streams = { stdout, stderr, stdin };
  const global = { json: options.json === true, color: true, quiet: false, verbose: false, yes: false, state: `file:${join(dir, 'state')}`, prometheus: prometheus.url };
  const ui = createUi({ json: global.json, color: true, env, streams });
  return { ctx: { ui, global, env, cwd: dir, streams }, stdout, stderr };
}

const withUrl = (policy: SlaPolicyModel, url = prometheus.url): SlaPolicyModel => ({ ...policy, prometheus: { url, timeoutMs: 60_000, retries: 0, headers: {}, insecureSkipVerify: false } });
const audit = (ctx: CommandContext, policy: SlaPolicyModel, options: Partial<AuditOptions> = {}): Promise<number> =>
  auditLoadedPolicy(ctx, withUrl(policy), { period: { at: AT }, now: NOW, ...options });

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { stdout, stderr, ctx } = context();
  const code = await main([...args, '--state', `file:${join(dir, 'state')}`], { streams: ctx.streams, env: { CI: '1' }, cwd: dir });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollgate-sla-audit-'));
  [prometheus, pushgateway] = await Promise.all([startPrometheus({ openMetrics: renderOpenMetrics(scenario()), maxBlockDuration: '720h', readyTimeoutMs: 120_000 }), startPushgateway()]);
}, 600_000);
afterAll(async () => {
  await Promise.all([prometheus?.stop(), pushgateway?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('exit codes and output', () => {
  it('CI: violated is exit 1, plain tables on stdout, the verdict and the evidence on stderr, no colour', async () => {
    const { ctx, stdout, stderr } = context();
    expect(await audit(ctx, POLICY)).toBe(1);
    expect(stdout.text).toMatch(/availability-with-maintenance/);
    expect(stdout.text).toMatch(/coordination-latency/);
    expect(stdout.text).not.toMatch(ANSI);
    expect(stderr.text).not.toMatch(ANSI);
    expect(stderr.text).toMatch(/violated: SLO availability-with-maintenance, SLO batch-unguarded, rule coordination-latency/);
    expect(stderr.text).toMatch(/excluded 2026-10-20T01:00:00Z → 2026-10-20T03:00:00Z \(planned database maintenance\)/);
    expect(stderr.text).toMatch(/evidence: audit-checkout-\S+ in file:/);
  }, 120_000);

  it('TTY: coloured table and status', async () => {
    const { ctx, stdout } = context({ tty: true });
    expect(await audit(ctx, COMPLIANT)).toBe(0);
    expect(stdout.text).toMatch(ANSI);
    // Borderless aligned table (issue 11): a bold header row, no box.
    expect(stdout.text).toMatch(/^\u001b\[1mSLO\u001b\[22m {2,}/);
    expect(stdout.text).not.toMatch(/┌|─/);
  }, 120_000);

  it('compliant is exit 0; not enough data is exit 3 and says which SLO and why', async () => {
    const ok = context();
    expect(await audit(ok.ctx, COMPLIANT)).toBe(0);
    expect(ok.stderr.text).toMatch(/compliant: 2 SLOs met/);
    const ghost = context();
    const policy: SlaPolicyModel = { ...COMPLIANT, slos: [{ ...COMPLIANT.slos[0]!, name: 'ghost', sli: { kind: 'errorRatio', errors: 'sum(increase(nope[{{range}}]))', total: 'sum(increase(nope_total[{{range}}]))' } }] };
    expect(await audit(ghost.ctx, policy)).toBe(3);
    expect(ghost.stderr.text).toMatch(/ghost: not enough data: total: empty answer/);
  }, 120_000);

  it('bad input before anything is recorded: --at in the future is exit 2 (UsageError)', async () => {
    const { ctx } = context();
    await expect(audit(ctx, COMPLIANT, { period: { at: new Date('2027-01-01T00:00:00Z') } })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('Prometheus unreachable: a ProviderError naming the address (exit 3), and the evidence records it', async () => {
    const { ctx, stderr } = context();
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await auditLoadedPolicy(ctx, withUrl(COMPLIANT, url), { period: { at: AT }, now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).exitCode).toBe(3);
    expect((error as Error).message).toContain('127.0.0.1');
    const auditId = /evidence: (audit-\S+) in .* records the audit without an answer/.exec(stderr.text)?.[1];
    expect(auditId).toBeDefined();
    const store = await openStateStore(`file:${join(dir, 'state')}`);
    expect(await store.getRollout(auditId!)).toMatchObject({ kind: 'audit', status: 'failed' });
    const events = await store.readEvents(auditId!);
    expect(events.map((e) => e.type)).toEqual(['audit.started', 'audit.failed']);
    await store.close();
  }, 120_000);
});

describe('--json, evidence and reports', () => {
  let doc: Record<string, any>;
  beforeAll(async () => {
    const { ctx, stdout } = context({ json: true });
    expect(await audit(ctx, POLICY)).toBe(1);
    const lines = stdout.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    doc = JSON.parse(lines[0]!);
  }, 120_000);

  it('one JSON document in the contract shape', () => {
    expect(doc).toMatchObject({ schemaVersion: 1, verdict: 'violated', from: '2026-10-02T00:00:00.000Z', to: '2026-11-01T00:00:00.000Z' });
    expect(doc.auditId).toMatch(/^audit-checkout-/);
    expect(doc.evidence).toMatchObject({ auditId: doc.auditId, head: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const a = doc.slos.find((s: { name: string }) => s.name === 'availability');
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['name', 'objective', 'from', 'to', 'sli', 'compliant', 'excluded', 'errorBudget', 'burnRates', 'alerts']));
    expect(Object.keys(a.errorBudget).sort()).toEqual(['consumed', 'remaining', 'remainingSeconds', 'total', 'totalSeconds']);
    expect(Object.keys(a.alerts[0]).sort()).toEqual(['factor', 'firing', 'intervals', 'longWindow', 'severity', 'shortWindow', 'threshold']);
    expect(a.burnRates.map((b: { window: string }) => b.window)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
    expect(doc.rules[0]).toMatchObject({ name: 'coordination-latency', severity: 'critical', violated: true, violations: [{ start: '2026-10-12T10:00:00.000Z', end: '2026-10-12T10:45:00.000Z', durationSeconds: 2_700, peak: 0.3 }] });
  });

  it('evidence verify <auditId> is intact; a changed byte is caught', async () => {
    const verify = await cli(['evidence', 'verify', doc.auditId]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/intact: \d+ events/);
  });

  it('evidence report <auditId> in every format renders from the log', async () => {
    const md = await cli(['evidence', 'report', doc.auditId, '--format', 'md']);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/# SLA audit: checkout-sla \(checkout\)/);
    expect(md.stdout).toMatch(/2026-10-10T12:02:00.000Z → 2026-10-10T12:35:00.000Z/);
    expect(md.stdout).toMatch(/2026-10-20T01:00:00Z → 2026-10-20T03:00:00Z: planned database maintenance/);
    const html = await cli(['evidence', 'report', doc.auditId, '--format', 'html']);
    expect(html.stdout).toMatch(/<svg[^>]*aria-label="error budget of availability"/);
    expect(html.stdout).toMatch(/class="excluded"[^>]*><title>excluded: planned database maintenance/);
    expect(html.stdout).toMatch(/class="lane-page"/);
    expect(html.stdout).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1|www\.w3\.org\/2000\/svg)/);
    const junit = await cli(['evidence', 'report', doc.auditId, '--format', 'junit']);
    expect(junit.stdout.match(/<testcase /g)).toHaveLength(POLICY.slos.length + POLICY.rules.length);
    expect(junit.stdout).toMatch(/<testcase classname="sla.checkout-sla" name="availability-with-maintenance" time="0"><failure/);
    const json = await cli(['evidence', 'report', doc.auditId, '--format', 'json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.verdict).toBe('violated');
    expect(parsed.events[0].type).toBe('audit.started');
    // the queries as sent are in the evidence
    const sloEvent = parsed.events.find((e: { type: string; data: any }) => e.type === 'audit.slo' && e.data.slo.name === 'availability');
    expect(sloEvent.data.slo.queries.some((q: { query: string }) => q.query.includes('app_errors_total{service="checkout"}[1558800s]'))).toBe(true);
  });

  it('--format html --out writes the same report', async () => {
    const { ctx, stderr } = context();
    const out = join(dir, 'audit.html');
    expect(await audit(ctx, COMPLIANT, { format: 'html', outFile: out, outShown: 'audit.html' })).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*COMPLIANT/);
    expect(stderr.text).toMatch(/html report written to audit.html/);
  }, 120_000);
});

describe('--pushgateway', () => {
  it('a real Pushgateway receives the metrics, one group per policy, replaced on each push', async () => {
    const { ctx } = context();
    expect(await audit(ctx, POLICY, { pushgateway: pushgateway.url })).toBe(1);
    let text = await pushgateway.metrics();
    const sample = (name: string, labels: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(sample('rollgate_slo_sli', 'slo="availability"')).toBeCloseTo(1 - 83_970 / 86_160_000, 12);
    expect(sample('rollgate_slo_objective', 'slo="availability"')).toBeCloseTo(0.999, 12);
    expect(sample('rollgate_slo_compliant', 'slo="availability-with-maintenance"')).toBe(0);
    expect(sample('rollgate_slo_compliant', 'slo="availability",')).toBe(1);
    expect(sample('rollgate_slo_burn_rate', 'slo="availability",window="1h"')).toBeCloseTo(10, 9);
    expect(sample('rollgate_slo_alert_firing', 'slo="batch-unguarded",severity="page"')).toBe(1);
    expect(sample('rollgate_slo_alert_firing', 'slo="availability",severity="page"')).toBe(0);
    expect(sample('rollgate_rule_violations_total', 'rule="coordination-latency"')).toBe(1);
    expect(sample('rollgate_slo_error_budget_remaining', 'slo="availability",')).toBeCloseTo(1 - 83_970 / 86_160, 9);
    expect(sample('rollgate_sla_audit_last_run_timestamp_seconds', 'service="checkout"')).toBe(NOW.getTime() / 1_000);
    expect(text).toMatch(/job="rollgate_sla_audit"/);
    expect(text).toMatch(/policy="checkout-sla"/);

    // Same policy, one SLO left: the group is replaced (PUT), the others are gone.
    const smaller: SlaPolicyModel = { ...POLICY, slos: POLICY.slos.slice(0, 1), rules: [] };
    await audit(context().ctx, smaller, { pushgateway: pushgateway.url });
    text = await pushgateway.metrics();
    expect(sample('rollgate_slo_sli', 'slo="availability"')).toBeDefined();
    expect(sample('rollgate_slo_sli', 'slo="latency"')).toBeUndefined();
    expect(text).not.toMatch(/rollgate_rule_violations_total\{/);
  }, 240_000);

  it('an unreachable Pushgateway is exit 3 naming it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    await expect(audit(context().ctx, COMPLIANT, { pushgateway: url })).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining(url) });
  }, 120_000);
});

describe('the built binary with policy files (SLAPolicy, Sloth, OpenSLO)', () => {
  const CHECKOUT_ERRORS = 'sum(increase(app_errors_total{service="checkout"}[{{range}}]))';
  const CHECKOUT_TOTAL = 'sum(increase(app_requests_total{service="checkout"}[{{range}}]))';
  const policyYaml = (opts: { exclude?: boolean; objective?: string; metric?: string } = {}) => `apiVersion: rollgate/v1
kind: SLAPolicy
metadata: { name: checkout-sla, service: checkout }
slos:
  - name: availability
    objective: ${opts.objective ?? '99.9'}
    window: 30d
${opts.exclude === false ? '' : '    exclude:\n      - { from: "2026-10-20T01:00:00Z", to: "2026-10-20T03:00:00Z", reason: planned database maintenance }\n'}    errorRatio:
      errors: ${(opts.metric ? CHECKOUT_ERRORS.replace('app_errors_total', opts.metric) : CHECKOUT_ERRORS)}
      total: ${(opts.metric ? CHECKOUT_TOTAL.replace('app_requests_total', `${opts.metric}_total`) : CHECKOUT_TOTAL)}
  - name: latency
    objective: 99
    window: 30d
    timeslices:
      query: max(app_latency_p95_seconds{service="checkout"})
      max: 0.120
      slice: 5m
`;
  const write = async (name: string, text: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const bin = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['sla', 'audit', ...args, '--state', `file:${join(dir, 'bin-state')}`], { cwd: dir, env, timeoutMs: 240_000 });

  it('exit 0 compliant, --json is exactly one document; CI output is plain', async () => {
    const file = await write('compliant.yaml', policyYaml());
    const json = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc).toMatchObject({ schemaVersion: 1, verdict: 'compliant' });
    expect(doc.slos.map((s: { name: string; compliant: boolean }) => [s.name, s.compliant])).toEqual([['availability', true], ['latency', true]]);
    const plain = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/availability/);
    expect(plain.stdout + plain.stderr).not.toMatch(ANSI);
    expect(plain.stderr).toMatch(/compliant: 2 SLOs met/);
    const verify = await runCli(['evidence', 'verify', doc.auditId, '--state', `file:${join(dir, 'bin-state')}`], { cwd: dir });
    expect(verify.code).toBe(0);
  }, 300_000);

  it('exit 1 violated (the maintenance window counted)', async () => {
    const file = await write('violated.yaml', policyYaml({ exclude: false }));
    const r = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/violated: SLO availability/);
  }, 300_000);

  it('exit 2 on bad input, before anything is queried: file:line:col, and contradictory flags', async () => {
    const file = await write('bad.yaml', policyYaml({ objective: '140' }));
    const r = await bin([file, '--prometheus', `http://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: .*objective/);
    const flags = await bin([await write('ok.yaml', policyYaml()), '--from', '2026-10-01T00:00:00Z']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/--from and --to go together/);
  }, 120_000);

  it('exit 3: Prometheus unreachable (naming it), or not enough data (saying which)', async () => {
    const file = await write('ok.yaml', policyYaml());
    const url = `http://127.0.0.1:${await freePort()}`;
    const down = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', url]);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`127.0.0.1:${url.split(':').pop()}`);
    const ghost = await bin([await write('ghost.yaml', policyYaml({ metric: 'nope' })), '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url]);
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toMatch(/availability: not enough data/);
  }, 300_000);

  it('a Sloth prometheus/v1 spec as it is audits the same numbers', async () => {
    const file = await write(
      'sloth.yaml',
      `version: "prometheus/v1"
service: "checkout"
labels:
  owner: "payments"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Availability of checkout requests."
    sli:
      events:
        error_query: sum(rate(app_errors_total{service="checkout"}[{{.window}}]))
        total_query: sum(rate(app_requests_total{service="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutHighErrorRate
      page_alert:
        labels:
          severity: critical
      ticket_alert:
        labels:
          severity: warning
`,
    );
    const r = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const slo = JSON.parse(r.stdout).slos[0];
    // no exclusion in a Sloth spec: all 43,200 minutes, 323,970 errors (see sla-audit.test.ts)
    expect(slo.sli).toBeCloseTo(1 - 323_970 / 86_400_000, 12);
  }, 300_000);

  it('an OpenSLO v1 SLO with good/total counters audits too', async () => {
    const file = await write(
      'openslo.yaml',
      `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    metadata:
      name: checkout-requests
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: app_errors_total{service="checkout"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: app_requests_total{service="checkout"}
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.99
`,
    );
    const r = await bin([file, '--at', '2026-11-01T00:00:00Z', '--prometheus', prometheus.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).slos[0].sli).toBeCloseTo(1 - 323_970 / 86_400_000, 12);
  }, 300_000);
});
