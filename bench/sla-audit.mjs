/**
 * SLA-audit benchmark: 100 SLOs over 30 days of backfilled data, audited by rollgate's library
 * (dist/lib/sla/audit.js auditPolicy() plus recording the evidence in a file state store, what
 * `sla audit` does after loading the policy) vs the very same queries it sent, replayed with
 * fetch() at the same concurrency (8) in the same warm process. The floor is Prometheus itself:
 * the ratio is what the audit adds around its queries (chunking, interval building, evidence).
 *
 * Data: ROLLGATE_BENCH_SLA_SERVICES (default 5) services, 33 days at one sample a minute (requests
 * and errors counters with a few incidents, a latency gauge), backfilled with promtool in 720h
 * blocks. SLOs (ROLLGATE_BENCH_SLOS, default 100): per service, errorRatio SLOs at several
 * objectives, one ratio and one timeslices SLO, each with a maintenance exclusion.
 *
 * Limit: ratio ≤ 1.3 (the target). Also reported: queries, points fetched, peak heap.
 * Run alone: `npm run build && node bench/sla-audit.mjs`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, emit, log, median, onPath, round, startPrometheus } from './support.mjs';

export const LIMIT = 1.3;
const SERVICES = Number(process.env.ROLLGATE_BENCH_SLA_SERVICES ?? 5);
const SLOS = Number(process.env.ROLLGATE_BENCH_SLOS ?? 100);
const RUNS = Number(process.env.ROLLGATE_BENCH_SLA_RUNS ?? 2);
const CONCURRENCY = 8;
const DAY = 86_400;
const dist = (...p) => import(pathToFileURL(join(ROOT, 'dist', 'lib', ...p)).href);

/** 33 days ending at a whole day 2 days ago: 30-day audits at its end have 3 days of lead for the 3d windows. */
function scenario(end) {
  const start = end - 33 * DAY;
  const lines = { req: ['# TYPE bench_requests counter'], err: ['# TYPE bench_errors counter'], lat: ['# TYPE bench_latency_seconds gauge'] };
  for (let s = 0; s < SERVICES; s++) {
    const svc = `svc${s}`;
    let req = 0;
    let err = 0;
    for (let t = start, i = 0; t <= end; t += 60, i++) {
      lines.req.push(`bench_requests_total{service="${svc}"} ${req} ${t}`);
      lines.err.push(`bench_errors_total{service="${svc}"} ${err} ${t}`);
      // an incident of 30 minutes every 4 days (shifted per service), otherwise 0.05% errors
      const incident = (i + s * 997) % (4 * 1_440) < 30;
      lines.lat.push(`bench_latency_seconds{service="${svc}"} ${incident ? 0.3 : 0.08} ${t}`);
      req += 1_000;
      err += incident ? 200 : 0.5;
    }
  }
  return `${[...lines.req, ...lines.err, ...lines.lat].join('\n')}\n# EOF\n`;
}

function policy(url, end) {
  const alerting = { labels: {}, annotations: {}, page: { labels: {}, annotations: {}, disable: false }, ticket: { labels: {}, annotations: {}, disable: false } };
  const slos = [];
  const objectives = [99, 99.5, 99.9, 99.95, 99.99];
  for (let i = 0; i < SLOS; i++) {
    const svc = `svc${i % SERVICES}`;
    const kind = i % 10 === 8 ? 'ratio' : i % 10 === 9 ? 'timeslices' : 'errorRatio';
    const sli =
      kind === 'errorRatio'
        ? { kind, errors: `sum(increase(bench_errors_total{service="${svc}"}[{{range}}]))`, total: `sum(increase(bench_requests_total{service="${svc}"}[{{range}}]))` }
        : kind === 'ratio'
          ? { kind, query: `sum(rate(bench_errors_total{service="${svc}"}[{{range}}])) / sum(rate(bench_requests_total{service="${svc}"}[{{range}}]))` }
          : { kind, query: `max(bench_latency_seconds{service="${svc}"})`, max: 0.12, sliceMs: 300_000 };
    const maintenance = end - (10 + (i % 7)) * DAY;
    slos.push({
      name: `slo-${i}`,
      objective: objectives[i % objectives.length],
      window: { kind: 'rolling', durationMs: 30 * DAY * 1_000 },
      sli,
      exclude: [{ from: new Date(maintenance * 1_000).toISOString(), to: new Date((maintenance + 7_200) * 1_000).toISOString(), reason: 'maintenance' }],
      labels: {},
      alerting,
    });
  }
  return {
    name: 'bench-sla',
    service: 'bench',
    source: 'rollgate',
    file: 'bench-sla.yaml',
    sha256: '0'.repeat(64),
    prometheus: { url, timeoutMs: 120_000, retries: 0, headers: {}, insecureSkipVerify: false },
    slos,
    rules: [{ name: 'latency', query: 'max(bench_latency_seconds)', max: 0.12, forMs: 20 * 60_000, severity: 'critical' }],
  };
}

/** The floor: the audit's own queries, as recorded, sent with fetch() at the same concurrency. */
async function replay(url, queries) {
  const { default: pLimit } = await import('p-limit');
  const limit = pLimit(CONCURRENCY);
  let points = 0;
  await Promise.all(
    queries.map((q) =>
      limit(async () => {
        const params = q.type === 'instant' ? { query: q.query, time: String(Date.parse(q.at) / 1_000) } : { query: q.query, start: String(Date.parse(q.start) / 1_000), end: String(Date.parse(q.end) / 1_000), step: String(q.stepSeconds) };
        const response = await fetch(`${url}/api/v1/${q.type === 'instant' ? 'query' : 'query_range'}`, { method: 'POST', body: new URLSearchParams(params), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        const body = await response.json();
        if (body.status !== 'success') throw new Error(`${q.query}: ${body.error}`);
        if (q.type === 'range') for (const s of body.data.result) points += s.values.length;
      }),
    ),
  );
  return points;
}

async function main() {
  if (!onPath('prometheus') || !onPath('promtool')) {
    emit({ bench: 'sla-audit', skipped: 'prometheus/promtool not on PATH' });
    return;
  }
  const end = Math.floor(Date.now() / 1_000 / DAY) * DAY - 2 * DAY;
  log(`sla-audit: backfilling ${SERVICES} services × 33 days at 1m for ${SLOS} SLOs ...`);
  const prometheus = await startPrometheus({ openMetrics: scenario(end), maxBlockDuration: '720h', readyTimeoutMs: 300_000 });
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-sla-'));
  try {
    const [{ auditPolicy }, { AuditEvidence, newAuditId }, { createPrometheusClient }, { openStateStore }] = await Promise.all([
      dist('sla', 'audit.js'),
      dist('sla', 'audit-evidence.js'),
      dist('prometheus', 'client.js'),
      dist('state', 'open.js'),
    ]);
    const model = policy(prometheus.url, end);
    const api = createPrometheusClient(model.prometheus, { env: process.env });
    const store = await openStateStore(`file:${join(dir, 'state')}`);
    const at = new Date(end * 1_000);
    let queries = [];
    let peakHeap = 0;
    let n = 0;
    const auditOnce = async () => {
      const t0 = process.hrtime.bigint();
      const now = new Date();
      const evidence = await AuditEvidence.begin(store, { auditId: newAuditId('bench', now, String(n++)), policy: model, prometheusUrl: api.url, request: { at: at.toISOString() }, operator: 'bench', toolVersion: 'bench', now });
      const result = await auditPolicy(model, api, { period: { at }, now, concurrency: CONCURRENCY });
      await evidence.finish(result);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      queries = [...result.slos.flatMap((s) => s.queries), ...result.rules.flatMap((r) => r.queries)];
      const judged = result.slos.filter((s) => s.status !== 'insufficient_data').length;
      if (judged !== SLOS) throw new Error(`only ${judged} of ${SLOS} SLOs were judged: ${result.slos.find((s) => s.status === 'insufficient_data')?.reasons.join('; ')}`);
      return ms;
    };
    const replayOnce = async () => {
      const t0 = process.hrtime.bigint();
      const points = await replay(prometheus.url, queries);
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6, points };
    };
    log('sla-audit: warm-up ...');
    await auditOnce();
    await replayOnce();
    const audits = [];
    const floors = [];
    let points = 0;
    for (let i = 0; i < RUNS; i++) {
      audits.push(await auditOnce());
      const r = await replayOnce();
      floors.push(r.ms);
      points = r.points;
      log(`  run ${i + 1}: audit ${audits[i].toFixed(0)} ms, raw queries ${r.ms.toFixed(0)} ms`);
    }
    await store.close();
    const measuredMs = median(audits);
    const floorMs = median(floors);
    const ratio = measuredMs / floorMs;
    emit({
      bench: 'sla-audit',
      what: `auditPolicy() of ${SLOS} SLOs (+1 rule) over 30 days, evidence recorded in a file store`,
      measuredMs: round(measuredMs, 1),
      floorMs: round(floorMs, 1),
      floor: `the same ${queries.length} queries sent with fetch() at concurrency ${CONCURRENCY}`,
      ratio: round(ratio, 3),
      maxRatio: LIMIT,
      ok: ratio <= LIMIT,
      runs: RUNS,
      queries: queries.length,
      rangePoints: points,
      peakHeapMB: round(peakHeap / 1_048_576, 1),
    });
  } finally {
    await prometheus.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  log(`sla-audit: ${error.stack ?? error}`);
  process.exitCode = 1;
});
