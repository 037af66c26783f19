/**
 * Backtest benchmark: `rollgate plan backtest` over a week of backfilled data — back-to-back
 * 90-minute simulated rollouts (10/25/50/100%, analysis every 30 s) with 3 gates — against the
 * raw range queries it needs, sent by a bare `node` process with the same concurrency (4).
 *
 *   backtest.cli   `node bin/rollgate plan backtest plan.yaml --from S --to S+7d --json` vs a bare
 *                  node process sending the very same range requests (computed by the backtest's
 *                  own SeriesStore from the plan: the same queries, start, end and step) and
 *                  reading the JSON answers. Both pay Node's start-up; the ratio is what rollgate
 *                  adds on top of Prometheus' work: plan load, ~60,000 gate evaluations, output.
 *
 * The week is healthy but for two hand-placed breaches (a 20-minute 5% error burst and a 30-minute
 * latency rise): the sanity check before timing requires exactly the simulated rollouts they fall
 * in to be rolled back, so the benchmark never times a backtest that judged nothing.
 *
 * Target (issue 9): under 10 s on this 2-core machine. Absolute times drift on a shared machine, so
 * the run is judged on the ratio (limit below); the absolute figure is reported as `under10s`.
 * Run alone: `npm run build && node bench/backtest.mjs`.
 * Internal: `node bench/backtest.mjs --raw requests.json` is the floor process.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, emit, log, median, onPath, round, startPrometheus, timeProcess } from './support.mjs';

const RUNS = Number(process.env.ROLLGATE_BENCH_BACKTEST_RUNS ?? 5);
/**
 * Maximum ratio (median) of the backtest process to the bare-node range queries. The floor is
 * Prometheus evaluating a week of three queries (~1.2 s here); rollgate adds start-up, plan
 * validation, response validation and the in-memory judging of ~60,000 measurements through the
 * shared evaluateGate/LimitCounter (about half of its time). Measured 4.7–6.2× on the shared
 * 2-core machine at load average 19–21; 7 leaves room for that and fails a clear regression: a
 * query per measurement instead of per period is 180,000 requests, hundreds of times the floor.
 */
export const LIMIT = 7;
const CONCURRENCY = 4;
const DAYS = 7;
const SCRAPE_S = 15;
const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '+Inf'];

const flat = (v) => String(Math.round(v * 1000) / 1000);

/** A week (plus an hour before, for rate windows) of counters, a latency histogram and a gauge. */
function scenario(start, end, breaches) {
  const ok = ['# TYPE bt_requests counter'];
  const err = [];
  const hist = ['# TYPE bt_latency_seconds histogram'];
  const bucketLines = BUCKETS.map(() => []);
  const count = [];
  const gauge = ['# TYPE bt_cache_hit_ratio gauge'];
  let total = 0;
  let errors = 0;
  const cumulative = BUCKETS.map(() => 0);
  for (let t = start; t <= end; t += SCRAPE_S) {
    const rps = 50;
    const n = rps * SCRAPE_S;
    const errorRate = t >= breaches.errors[0] && t < breaches.errors[1] ? 0.05 : 0.002;
    const slow = t >= breaches.latency[0] && t < breaches.latency[1];
    total += n;
    errors += n * errorRate;
    // Healthy: p95 under 0.25 s (95% ≤ 0.25); slow: most requests between 0.5 and 1 s.
    const shares = slow ? [0.1, 0.2, 0.3, 0.4, 1, 1] : [0.5, 0.8, 0.97, 0.995, 1, 1];
    shares.forEach((share, i) => (cumulative[i] += n * share));
    ok.push(`bt_requests_total{code="200"} ${flat(total - errors)} ${t}`);
    err.push(`bt_requests_total{code="500"} ${flat(errors)} ${t}`);
    BUCKETS.forEach((le, i) => bucketLines[i].push(`bt_latency_seconds_bucket{le="${le}"} ${flat(cumulative[i])} ${t}`));
    count.push(`bt_latency_seconds_count ${flat(total)} ${t}`);
    gauge.push(`bt_cache_hit_ratio ${0.95 + 0.02 * Math.sin(t / 3_600)} ${t}`);
  }
  return `${[...ok, ...err, ...hist, ...bucketLines.flat(), ...count, ...gauge, '# EOF'].join('\n')}\n`;
}

function planYaml(prometheusUrl) {
  return JSON.stringify(
    {
      apiVersion: 'rollgate/v1',
      kind: 'RolloutPlan',
      metadata: { name: 'bench-backtest', service: 'checkout' },
      prometheus: { url: prometheusUrl, timeout: '30s' },
      traffic: { exec: ['true', '{{weight}}'] },
      analysis: { interval: '30s', failureLimit: 1, inconclusiveLimit: 2, onInconclusive: 'pause' },
      gates: [
        { name: 'error-rate', query: 'sum(rate(bt_requests_total{code="500"}[2m])) / sum(rate(bt_requests_total[2m]))', max: 0.01 },
        { name: 'p95-latency', query: 'histogram_quantile(0.95, sum by (le) (rate(bt_latency_seconds_bucket[2m])))', max: 0.3, for: '2m' },
        { name: 'cache-hit', query: 'bt_cache_hit_ratio', min: 0.9, severity: 'warning' },
      ],
      steps: [
        { weight: 10, bake: '15m' },
        { weight: 25, bake: '25m' },
        { weight: 50, bake: '25m' },
        { weight: 100, bake: '25m' },
      ],
    },
    null,
    2,
  );
}

async function sendRaw(url, requests, concurrency) {
  const queue = [...requests];
  let points = 0;
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const response = await fetch(`${url}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: r.query, start: String(r.startMs / 1_000), end: String(r.endMs / 1_000), step: String(r.stepMs / 1_000) }).toString(),
      });
      const body = await response.json();
      if (body.status !== 'success' || body.data.result.length === 0) throw new Error(`${r.query}: ${JSON.stringify(body).slice(0, 300)}`);
      for (const series of body.data.result) points += series.values.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return points;
}

async function main() {
  if (!onPath('prometheus') || !onPath('promtool')) {
    emit({ bench: 'backtest.cli', skipped: 'prometheus/promtool not on PATH' });
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-backtest-'));
  let prometheus;
  try {
    const { backfillEpoch } = await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'demo', 'prometheus-server.js')).href);
    const to = backfillEpoch();
    const from = to - DAYS * 86_400;
    // Breaches: day 3 at 10:00 for 20 min (errors), day 5 at 14:00 for 30 min (latency).
    const breaches = { errors: [from + 2 * 86_400 + 10 * 3_600, from + 2 * 86_400 + 10 * 3_600 + 1_200], latency: [from + 4 * 86_400 + 14 * 3_600, from + 4 * 86_400 + 14 * 3_600 + 1_800] };
    log(`backtest: backfilling ${DAYS} days at ${SCRAPE_S}s (counters, a histogram, a gauge), starting Prometheus`);
    const t0 = Date.now();
    prometheus = await startPrometheus({ openMetrics: scenario(from - 3_600, to, breaches), maxBlockDuration: '720h' });
    log(`backtest: Prometheus ready in ${((Date.now() - t0) / 1_000).toFixed(1)} s`);
    const planFile = join(dir, 'plan.yaml');
    await writeFile(planFile, planYaml(prometheus.url));
    const fromIso = new Date(from * 1_000).toISOString();
    const toIso = new Date(to * 1_000).toISOString();
    const cliArgv = [process.execPath, BIN, 'plan', 'backtest', planFile, '--from', fromIso, '--to', toIso, '--json'];

    // The floor's requests: exactly those the backtest sends, from its own SeriesStore.
    const [{ loadPlan }, { roundSchedule, runStarts, minimumDurationMs }, { SeriesStore }, { registerNeeds }] = await Promise.all(
      ['plan/load.js', 'backtest/schedule.js', 'backtest/series-store.js', 'backtest/simulate.js'].map((p) => import(pathToFileURL(join(ROOT, 'dist', 'lib', p)).href)),
    );
    const plan = await loadPlan(planFile, { env: process.env, cwd: dir });
    const store = new SeriesStore();
    const schedule = roundSchedule(plan);
    const duration = minimumDurationMs(plan);
    for (const start of runStarts(from * 1_000, to * 1_000, duration, duration)) registerNeeds(store, plan, schedule, start);
    const requests = store.requests();
    const rawFile = join(dir, 'requests.json');
    await writeFile(rawFile, JSON.stringify({ url: prometheus.url, requests, concurrency: CONCURRENCY }));
    const rawArgv = [process.execPath, join(ROOT, 'bench', 'backtest.mjs'), '--raw', rawFile];

    // Sanity: exactly the two breached rollouts rolled back, everything else promoted.
    const first = await timeProcess(cliArgv, 120_000);
    if (first.status !== 0) throw new Error(`rollgate plan backtest exited ${first.status}: ${(first.stderr || first.stdout).trim().slice(0, 800)}`);
    const doc = JSON.parse(first.stdout);
    const inBreach = (run, [a, b]) => Date.parse(run.start) < b * 1_000 && Date.parse(run.end) >= a * 1_000;
    const rolledBack = doc.runs.filter((r) => r.outcome === 'rolled_back');
    const expected = doc.runs.filter((r) => inBreach(r, breaches.errors) || inBreach(r, breaches.latency));
    if (doc.summary.runs !== 112 || rolledBack.length !== 2 || doc.summary.promoted !== 110 || rolledBack.some((r) => !expected.includes(r))) {
      throw new Error(`unexpected backtest: ${JSON.stringify(doc.summary)}; rolled back ${rolledBack.map((r) => `${r.start} ${r.gate}`).join(', ')}`);
    }
    const rawFirst = await timeProcess(rawArgv, 120_000);
    if (rawFirst.status !== 0) throw new Error(`raw floor exited ${rawFirst.status}: ${rawFirst.stderr.trim().slice(0, 800)}`);

    log(`backtest: ${RUNS} runs each of rollgate plan backtest (${doc.summary.runs} simulated rollouts, ${doc.stats.requests} range requests, ${doc.stats.points} points) and the bare-node floor`);
    const cli = [];
    const raw = [];
    for (let i = 0; i < RUNS; i++) {
      const a = await timeProcess(cliArgv, 120_000);
      if (a.status !== 0) throw new Error(`rollgate plan backtest exited ${a.status} on run ${i + 1}`);
      cli.push(a.ms);
      const b = await timeProcess(rawArgv, 120_000);
      if (b.status !== 0) throw new Error(`raw floor exited ${b.status} on run ${i + 1}`);
      raw.push(b.ms);
    }
    const cliMs = median(cli);
    const rawMs = median(raw);
    const last = JSON.parse((await timeProcess(cliArgv, 120_000)).stdout);
    log(`  rollgate plan backtest  median ${cliMs.toFixed(0)} ms (fetch ${last.stats.fetchMs} ms, evaluation ${last.stats.evaluationMs} ms)`);
    log(`  bare node + same range queries median ${rawMs.toFixed(0)} ms`);
    emit({
      bench: 'backtest.cli',
      what: `rollgate plan backtest --json: ${DAYS} days, ${doc.summary.runs} back-to-back 90-minute simulated rollouts, 3 gates (interval 30s) vs a bare node process sending the same ${requests.length} range requests`,
      measuredMs: round(cliMs, 0),
      floorMs: round(rawMs, 0),
      floor: 'node + fetch of the same range queries, same concurrency',
      ratio: round(cliMs / rawMs),
      maxRatio: LIMIT,
      ok: cliMs / rawMs <= LIMIT,
      runs: RUNS,
      under10s: cliMs < 10_000,
      simulatedRollouts: doc.summary.runs,
      measurements: doc.gates.reduce((n, g) => n + g.measurements, 0),
      rangeRequests: requests.length,
      points: doc.stats.points,
      evaluationMs: last.stats.evaluationMs,
      fetchMs: last.stats.fetchMs,
    });
  } finally {
    await prometheus?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--raw') {
  const { url, requests, concurrency } = JSON.parse(await readFile(process.argv[3], 'utf8'));
  await sendRaw(url, requests, concurrency);
} else {
  try {
    await main();
  } catch (error) {
    log(`backtest: ${error instanceof Error ? error.stack : String(error)}`);
    emit({ bench: 'backtest.cli', error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 2;
  }
}
