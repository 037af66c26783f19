#!/usr/bin/env node
/**
 * Benchmark: rendering the evidence report of a 10,000-event log, each format, through the real
 * command as `bin/rollgate` runs it (`evidence report FILE --format F --out OUT`: the bundle with
 * its code cache when built, else dist/cli.js main()).
 *
 * A synthetic but realistic log is generated (hash-chained, as the engine writes it): a plan of 3
 * gates and 10 steps, measurements dominating (~97% of the events, a few failing warning-gate and
 * inconclusive ones), weight changes, bake and step events, promotion at the end. Each render runs
 * in its own child process, 3 times; the figures are the median wall time of the child (node
 * start-up included), the time inside the command (load + verify + redact + render + write), and
 * the child's CPU time and peak RSS (process.resourceUsage()). Limits from issue 11: peak RSS
 * <= 120 MB in every format (judged: exit 1 when broken), wall time <= 0.6 s (WARN only: wall
 * time grows with the machine's load; the CPU time is printed beside it). The 1-minute load
 * average is printed with the figures.
 *
 *   npm run build && node bench/report-render.mjs [--events N] [--runs R]
 *   node bench/report-render.mjs --write-log FILE [--events N]     (only write the synthetic log)
 *
 * Progress goes to stderr; the last stdout line is {"bench":"report-render", ...figures}.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => pathToFileURL(join(ROOT, 'dist', file)).href;
const FORMATS = ['md', 'html', 'json', 'junit'];
/** Issue 11: `evidence report` of 10,000 events in <= 0.6 s (WARN only) and <= 120 MB peak RSS (FAIL). */
const LIMIT_MS = 600;
const LIMIT_MB = 120;
const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Child mode: run the command once, report time and peak memory on stdout. */
async function child(format, file, out) {
  const { Writable } = await import('node:stream');
  const started = performance.now();
  // What bin/rollgate runs: the bundle with its code cache when it was built, else tsc's output.
  const bundle = join(ROOT, 'dist/bundle/cli.cjs');
  const { existsSync } = await import('node:fs');
  const argv = ['evidence', 'report', file, '--format', format, '--out', out, '--force', '--quiet'];
  const { main } = existsSync(bundle) ? (await import(pathToFileURL(join(ROOT, 'bin/bundle-loader.mjs')).href)).loadBundle(bundle, argv) : await import(dist('cli.js'));
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const code = await main(argv, { streams: { stdout: sink, stderr: process.stderr, stdin: process.stdin } });
  const commandMs = performance.now() - started;
  const usage = process.resourceUsage();
  // CPU time (user + system) of the whole child: what the render costs, even on a busy machine.
  process.stdout.write(`${JSON.stringify({ code, commandMs, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMB: usage.maxRSS / 1024 })}\n`);
}

/** A 10,000-event log as the engine would record it. */
async function syntheticLog(total) {
  const { GENESIS_PREV, hashEvent, sanitizeForEvidence } = await import(dist('lib/evidence/chain.js'));
  const { formatNdjson } = await import(dist('lib/evidence/log-file.js'));
  const rolloutId = 'checkout-20260101t100000-bench1';
  const weights = [1, 2, 5, 10, 20, 30, 50, 70, 90, 100];
  const gates = [
    { name: 'error-rate', query: '(sum(rate(http_requests_total{service="checkout",track="canary",code=~"5.."}[1m])) or vector(0)) / sum(rate(http_requests_total{service="checkout",track="canary"}[1m]))', max: 0.01, onEmpty: 'inconclusive', severity: 'critical' },
    { name: 'p95-latency', query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout",track="canary"}[1m])))', max: 0.12, onEmpty: 'inconclusive', severity: 'warning' },
    { name: 'saturation', query: 'max(rate(process_cpu_seconds_total{service="checkout",track="canary"}[1m]))', max: 0.8, onEmpty: 'inconclusive', severity: 'critical' },
  ];
  const plan = {
    name: 'checkout-canary', service: 'checkout', file: 'plans/checkout.yaml', sha256: 'a'.repeat(64), vars: { service: 'checkout', name: 'checkout-canary', version: 'v2' },
    prometheus: { url: 'http://prometheus.internal:9090', timeoutMs: 10000, retries: 2, headers: {}, bearerTokenFile: '/run/secrets/prom-token', insecureSkipVerify: false },
    traffic: { http: { method: 'PUT', url: 'https://router.internal/weights/{{service}}', json: { canary: '{{weight}}' }, headersFromFile: { Authorization: '***' } }, timeoutMs: 30000, retries: 2 },
    analysis: { intervalMs: 10000, failureLimit: 0, inconclusiveLimit: 2, onInconclusive: 'pause', errorLimit: 4, onError: 'hold', errorTimeoutMs: 300000 },
    gates, steps: weights.map((weight, index) => ({ index, weight, bakeMs: 3_600_000, approval: false, gates: gates.map((g) => g.name) })),
    hooks: { beforeRollout: [], beforeStep: [], afterStep: [], afterPromotion: [], onRollback: [] },
    rollback: { auto: true, timeoutMs: 120000 }, approvalTimeoutMs: 86400000,
  };
  const perStepOverhead = 5;
  const rounds = Math.floor((total - 2 - perStepOverhead * weights.length) / weights.length / gates.length);
  let t = Date.parse('2026-01-01T10:00:00.000Z');
  let prev = GENESIS_PREV;
  const events = [];
  const add = (type, data, stepMs = 5) => {
    t += stepMs;
    const body = { seq: events.length + 1, rolloutId, at: new Date(t).toISOString(), type, prev, data: sanitizeForEvidence(data) };
    const hash = hashEvent(body);
    prev = hash;
    events.push({ ...body, hash });
  };
  add('rollout.started', { service: 'checkout', planName: plan.name, planFile: plan.file, planSha256: plan.sha256, plan, operator: 'ci (deploy#42 acme/shop)', toolVersion: '0.1.0', stateStore: 'redis://redis.internal:6379/0', prometheus: plan.prometheus.url, dryRun: false });
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [index, weight] of weights.entries()) {
    add('step.started', { step: index, weight, bakeMs: 3_600_000, approval: false, gates: gates.map((g) => g.name) });
    add('weight.applying', { weight, step: index, rollback: false });
    add('weight.applied', { weight, step: index, rollback: false, ok: true, rounds: 1, action: { ok: true, kind: 'http', command: ['PUT', 'https://router.internal/weights/checkout'], status: 200, stdout: '{"ok":true}', stderr: '', durationMs: 42, attempts: 1, timedOut: false } });
    for (let round = 1; round <= rounds; round++) {
      for (const [g, gate] of gates.entries()) {
        const inconclusive = random() < 0.005;
        const value = inconclusive ? null : gate.max * (0.3 + random() * (gate.severity === 'warning' ? 0.8 : 0.6));
        const verdict = inconclusive ? 'inconclusive' : value > gate.max ? 'fail' : 'pass';
        add('measurement', {
          step: index, weight, round, phase: 'bake', gate: gate.name, verdict, value, threshold: `<= ${gate.max}`, query: gate.query,
          reason: inconclusive ? 'empty result (no series)' : `${value.toPrecision(6)} ${verdict === 'pass' ? '<=' : '>'} max ${gate.max}`,
          severity: gate.severity, at: new Date(t).toISOString(), series: inconclusive ? [] : [{ labels: {}, value, verdict, reason: '' }],
        }, g === 0 ? 10_000 : 3);
      }
    }
    add('bake.completed', { step: index, weight, rounds, bakedMs: rounds * 10_000 });
    add('step.completed', { step: index, weight });
  }
  while (events.length < total - 1) add('measurement', { step: 9, weight: 100, round: rounds + 1, phase: 'bake', gate: 'error-rate', verdict: 'pass', value: 0.001, threshold: '<= 0.01', query: gates[0].query, reason: '0.001 <= max 0.01', severity: 'critical', at: new Date(t).toISOString(), series: [] });
  add('rollout.promoted', { step: 9, weight: 100, warnings: [], dryRun: false });
  return formatNdjson(events);
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (chunk) => (stdout += chunk));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const wallMs = performance.now() - started;
      try {
        resolve({ ...JSON.parse(stdout.trim().split('\n').at(-1)), wallMs, exit: code });
      } catch {
        reject(new Error(`child failed (exit ${code}): ${stdout}`));
      }
    });
  });
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (v, d = 1) => Number(v.toFixed(d));

async function parent() {
  const total = argValue('--events', 10_000);
  const runs = argValue('--runs', 3);
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-report-'));
  try {
    const file = join(dir, 'events.ndjson');
    const text = await syntheticLog(total);
    await writeFile(file, text);
    log(`report-render: ${total} events (${(text.length / 1e6).toFixed(1)} MB NDJSON), ${runs} runs per format`);
    // Shared machines drift: the load average says how much the wall times can be trusted.
    const figures = { bench: 'report-render', loadAverage: round(loadavg()[0], 2), cpus: cpus().length, events: total, logMB: round(text.length / 1e6, 2), runs, limits: { wallMs: LIMIT_MS, peakMB: LIMIT_MB }, formats: {} };
    let ok = true;
    for (const format of FORMATS) {
      const out = join(dir, `report.${format}`);
      const results = [];
      for (let i = 0; i < runs; i++) {
        const r = await runChild([format, file, out]);
        if (r.code !== 0 || r.exit !== 0) throw new Error(`${format}: the command exited ${r.code}`);
        results.push(r);
      }
      const { size } = await import('node:fs').then((fs) => fs.statSync(out));
      const f = { wallMs: round(median(results.map((r) => r.wallMs))), commandMs: round(median(results.map((r) => r.commandMs))), cpuMs: round(median(results.map((r) => r.cpuMs))), peakMB: round(Math.max(...results.map((r) => r.maxRssMB))), outputMB: round(size / 1e6, 2) };
      f.memoryOk = f.peakMB <= LIMIT_MB;
      f.timeOk = f.wallMs <= LIMIT_MS;
      f.withinLimits = f.memoryOk && f.timeOk;
      ok &&= f.memoryOk;
      figures.formats[format] = f;
      const verdict = !f.memoryOk ? `FAIL (peak RSS over ${LIMIT_MB} MB)` : !f.timeOk ? `WARN (wall over ${LIMIT_MS} ms; load ${figures.loadAverage})` : 'ok';
      log(`  ${format.padEnd(5)} wall ${f.wallMs} ms (command ${f.commandMs} ms, CPU ${f.cpuMs} ms), peak RSS ${f.peakMB} MB, output ${f.outputMB} MB ${verdict}`);
    }
    figures.maxWallMs = Math.max(...Object.values(figures.formats).map((f) => f.wallMs));
    figures.maxPeakMB = Math.max(...Object.values(figures.formats).map((f) => f.peakMB));
    figures.maxCpuMs = Math.max(...Object.values(figures.formats).map((f) => f.cpuMs));
    figures.memoryOk = ok;
    figures.timeOk = Object.values(figures.formats).every((f) => f.timeOk);
    figures.withinLimits = figures.memoryOk && figures.timeOk;
    figures.result = !figures.memoryOk ? 'FAIL' : !figures.timeOk ? 'WARN' : 'ok';
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    // Memory is judged; wall time only warns (it grows with the load of a shared machine).
    if (!ok) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else if (process.argv[2] === '--write-log') await writeFile(process.argv[3], await syntheticLog(argValue('--events', 10_000)));
else await parent();
