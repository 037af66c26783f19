/**
 * Detection benchmark: time from an injected canary fault to the canary weight being back at 0,
 * against the floor of scrape interval + analysis interval (1 s + 1 s = 2 s).
 *
 * The live test service (dist/lib/demo/test-service.js: weighted router + synthetic traffic,
 * 100 rps) runs in this process; a real Prometheus scrapes it every 1 s. For each repetition a
 * plan like test/support/rollout-fixture.ts's basePlan (HTTP traffic action to the test service,
 * analysis every 1 s, error-rate gate `(... or vector(0)) / ...` over [4s], max 5%) is run with
 * `rollgate rollout run plan.yaml --state file:TMP --json`. When the router has been told 25%, the
 * canary starts failing half of its requests (inject errorRate 0.5) — run k of n waits k/n of an
 * analysis interval first, so the faults fall at evenly spread phases of the measurement ticks; the
 * detection time is from the injection to the router being told 0% (the test service's
 * weightHistory, ms timestamps).
 *
 * Why 2 s is the floor: a fault is invisible to Prometheus until the next scrape (up to 1 s), and
 * to rollgate until its next measurement (up to 1 s). On average both waits are half as long, so a
 * median below the floor is possible; above it is rollgate's own latency (query, verdict, event
 * log, rollback start, traffic action).
 *
 * Also reported per run, from the NDJSON events: inject → first failed measurement, and failed
 * measurement → weight 0 (the reaction: rollback.started, the traffic action).
 *
 * Run alone: `npm run build && node bench/detection.mjs` (env ROLLGATE_BENCH_DETECTION_RUNS, default 5).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT, emit, log, median, onCleanup, onPath, queryValue, round, sleep, startPrometheus, trackGroup } from './support.mjs';

const RUNS = Math.max(1, Math.min(10, Number(process.env.ROLLGATE_BENCH_DETECTION_RUNS ?? 5)));
const SERVICE = 'checkout';
const SCRAPE_MS = 1_000;
const ANALYSIS_MS = 1_000;
const FLOOR_MS = SCRAPE_MS + ANALYSIS_MS;
const FAULT_ERROR_RATE = 0.5;

/**
 * Maximum ratio median detection / floor: 1.0, the median must not exceed the floor. The floor is
 * the worst case of the two waits; with the faults spread evenly over the measurement ticks their
 * sum is ~half of it on average (measured here: medians 0.43–0.83×, single runs 0.13–1.05×), and
 * the rest of the path — query, measurement and rollback events, the HTTP traffic action — is
 * ~30–60 ms. A median above the floor means rollgate adds delay of the order of a whole interval
 * (a measurement that waits an extra tick, a rollback that waits for the step or bake to end).
 */
export const LIMIT = 1;

const errorRateQuery = (track) =>
  `(sum(rate(http_requests_total{service="{{service}}",track="${track}",code=~"5.."}[4s])) or vector(0)) / sum(rate(http_requests_total{service="{{service}}",track="${track}"}[4s]))`;

function plan(serviceUrl, prometheusUrl) {
  return {
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: { name: 'bench-detection', service: SERVICE },
    vars: { router: serviceUrl },
    prometheus: { url: prometheusUrl, timeout: '2s' },
    traffic: { http: { method: 'PUT', url: '{{router}}/weights/{{service}}', json: { canary: '{{weight}}' } }, timeout: '2s', retries: 1 },
    analysis: { interval: `${ANALYSIS_MS / 1_000}s`, failureLimit: 0, inconclusiveLimit: 3, onInconclusive: 'rollback', errorLimit: 2, onError: 'rollback', errorTimeout: '20s' },
    gates: [
      { name: 'error-rate', query: errorRateQuery('canary'), max: 0.05 },
      { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
    ],
    steps: [
      // The canary's series appear with its first traffic; a rate needs two scrapes of them.
      { weight: 10, bake: '5s', gates: ['error-rate'] },
      // Long enough that the fault is always caught while 25% bakes, not after the step moved on.
      { weight: 25, bake: '15s', gates: ['error-rate'] },
      { weight: 50, bake: '3s', gates: ['error-rate'] },
      { weight: 100, bake: '3s', gates: ['error-rate'] },
    ],
    rollback: { auto: true, verify: { gates: ['stable-error-rate'], within: '10s' } },
  };
}

async function waitFor(what, predicate, timeoutMs, everyMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Starts `rollgate rollout run` in its own process group; returns { child, done: Promise<{status, stdout, stderr}> }. */
function startRollout(planFile, stateUrl) {
  const child = spawn(process.execPath, [BIN, 'rollout', 'run', planFile, '--state', stateUrl, '--json'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  trackGroup(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-8_000)));
  const done = new Promise((resolve) => child.once('close', (status, signal) => resolve({ status: status ?? signal, stdout, stderr })));
  return { child, done };
}

function ndjson(stdout) {
  return stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
}

async function oneRun(i, env) {
  const { service, prometheus, dir } = env;
  // A clean canary: no fault, weight 0, and no canary 5xx left in the [4s] window of the last run.
  service.inject({ errorRate: 0, latencyMs: 0 });
  service.setWeight(SERVICE, 0);
  await waitFor(
    'the canary error rate of the last run to leave the [4s] window',
    async () => (await queryValue(prometheus.url, `sum(rate(http_requests_total{service="${SERVICE}",track="canary",code=~"5.."}[4s]))`)) === 0,
    30_000,
    200,
  );
  const stateUrl = `file:${join(dir, `state-${i}`)}`;
  const planFile = join(dir, `plan-${i}.yaml`);
  await writeFile(planFile, JSON.stringify(plan(service.url, prometheus.url), null, 2));

  const from = service.state().weightHistory.length;
  const rollout = startRollout(planFile, stateUrl);
  let exited = false;
  rollout.done.then(() => (exited = true));
  try {
    const history = () => service.state().weightHistory.slice(from);
    await waitFor('weight 25', async () => {
      if (exited) throw new Error(`rollout ended before weight 25: ${(await rollout.done).stderr.trim().slice(-800)}`);
      return history().some((h) => h.service === SERVICE && h.canary === 25);
    }, 30_000);
    // Inject at a different phase of the analysis interval in each run (0, 1/RUNS, 2/RUNS ... of it
    // after the weight change), so the median does not depend on where the fault falls between ticks.
    await sleep(Math.round((i * ANALYSIS_MS) / RUNS));
    service.inject({ errorRate: FAULT_ERROR_RATE });
    const injectedAt = Date.now();
    const at25 = history().findIndex((h) => h.canary === 25);
    const back = await waitFor('weight 0 after the fault', async () => {
      const after = history().slice(at25 + 1).find((h) => h.canary === 0);
      if (after) return after;
      if (exited) throw new Error(`rollout ended without weight 0: ${(await rollout.done).stderr.trim().slice(-800)}`);
      return undefined;
    }, 30_000);
    const detectionMs = Date.parse(back.at) - injectedAt;
    service.inject({ errorRate: 0 });

    let timer;
    const result = await Promise.race([rollout.done, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
    clearTimeout(timer);
    if (!result) throw new Error('rollout run did not end within 60 s of the rollback');
    const lines = ndjson(result.stdout);
    const final = lines.at(-1);
    if (final?.kind !== 'result' || final.status !== 'rolled_back') throw new Error(`expected a rolled_back result, got exit ${result.status}: ${JSON.stringify(final)?.slice(0, 400)} ${result.stderr.trim().slice(-400)}`);
    const failed = lines.find((e) => e.kind === 'event' && e.type === 'measurement' && Date.parse(e.at) >= injectedAt && (e.data?.verdict === 'fail' || e.data?.measurement?.verdict === 'fail'));
    const failedAt = failed ? Date.parse(failed.at) : undefined;
    return {
      detectionMs,
      toFailedMeasurementMs: failedAt !== undefined ? failedAt - injectedAt : null,
      reactionMs: failedAt !== undefined ? Date.parse(back.at) - failedAt : null,
    };
  } finally {
    if (!exited) {
      try {
        process.kill(-rollout.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

async function main() {
  if (!onPath('prometheus')) {
    emit({ bench: 'detection', skipped: 'prometheus not on PATH' });
    return;
  }
  const { startTestService } = await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'demo', 'test-service.js')).href);
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-detect-'));
  const service = await startTestService({ rps: 100, services: [SERVICE] });
  const unregister = onCleanup(() => service.stop());
  let prometheus;
  try {
    prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${service.port}`], scrapeIntervalMs: SCRAPE_MS });
    // Prometheus hands targets to the scraper only ~5 s after start: wait for the first scrape.
    log('detection: waiting for the first scrape of the test service');
    await waitFor('sum(up) == 1', async () => (await queryValue(prometheus.url, 'sum(up)')) === 1, 30_000, 200);
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await oneRun(i, { service, prometheus, dir });
      runs.push(run);
      log(`  run ${i + 1}/${RUNS}: fault → weight 0 in ${run.detectionMs} ms (fault → failed measurement ${run.toFailedMeasurementMs ?? '?'} ms, then → weight 0 ${run.reactionMs ?? '?'} ms)`);
    }
    const times = runs.map((r) => r.detectionMs);
    const med = median(times);
    const known = (key) => runs.map((r) => r[key]).filter((v) => v !== null);
    emit({
      bench: 'detection',
      what: `injected canary fault (${FAULT_ERROR_RATE * 100}% errors at weight 25) → weight back at 0, live rollout`,
      measuredMs: round(med, 0),
      floorMs: FLOOR_MS,
      floor: `scrape interval ${SCRAPE_MS / 1_000}s + analysis interval ${ANALYSIS_MS / 1_000}s`,
      ratio: round(med / FLOOR_MS),
      maxRatio: LIMIT,
      ok: med / FLOOR_MS <= LIMIT,
      runs: RUNS,
      timesMs: times,
      maxMs: Math.max(...times),
      medianToFailedMeasurementMs: known('toFailedMeasurementMs').length ? round(median(known('toFailedMeasurementMs')), 0) : null,
      medianReactionMs: known('reactionMs').length ? round(median(known('reactionMs')), 0) : null,
    });
  } finally {
    await prometheus?.stop();
    unregister();
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(`detection: ${error.stack ?? error}`);
  process.exitCode = 2;
});
