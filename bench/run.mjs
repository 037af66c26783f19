#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): runs every benchmark, prints a table and one JSON line
 * per benchmark on stdout (progress on stderr), and sets the exit code:
 *
 *   0  every benchmark is within its ratio limit (or was skipped: a tool missing from PATH)
 *   1  a benchmark broke its stated ratio limit against the floor measured in the same run
 *      (or report-render its peak-memory limit; its absolute wall-time limit only warns)
 *   2  no limit was broken, but a benchmark could not run (crashed, timed out, printed no result)
 *
 * Absolute times are never judged: each benchmark measures its floor side by side, in the same run,
 * and only the ratio measured / floor is compared with a limit (`maxRatio` in its JSON line; the
 * limits and why are in each script and in bench/README.md).
 *
 *   node bench/run.mjs                   all benchmarks
 *   node bench/run.mjs startup detection only these (by script name)
 *
 * Every benchmark runs as its own process group, killed when it overruns its time budget or when
 * this runner is interrupted. bench/report-render.mjs (written separately) is run when it exists;
 * its last `{"bench":"report-render",...}` line is taken as its result.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, log } from './support.mjs';

const BENCHES = [
  { name: 'startup', script: 'startup.mjs', budgetMs: 120_000 },
  { name: 'gate-eval', script: 'gate-eval.mjs', budgetMs: 180_000 },
  { name: 'detection', script: 'detection.mjs', budgetMs: 180_000 },
  { name: 'report-render', script: 'report-render.mjs', budgetMs: 120_000, optional: true },
  // 100 SLOs over 30 days: 2–2.5 min per audit at load ~20 on 2 cores; warm-up + 2 timed runs, each with its floor (~20 min loaded).
  { name: 'sla-audit', script: 'sla-audit.mjs', budgetMs: 1_800_000 },
  // A week of back-to-back 90-minute simulated rollouts, 3 gates: timed 5 times plus its floor.
  { name: 'backtest', script: 'backtest.mjs', budgetMs: 300_000 },
];

const running = new Set();
function killAll() {
  for (const child of running) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    // Let each benchmark clean up (its own SIGTERM handler stops its servers), then make sure.
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    setTimeout(() => process.exit(130), 3_000).unref();
  });
}

/** Runs one benchmark script; resolves { status, results: object[], ms }. */
function runScript(bench) {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'bench', bench.script)], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    running.add(child);
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`${bench.name}: over its ${bench.budgetMs / 1_000}s budget, killing it`);
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // gone
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 5_000).unref();
    }, bench.budgetMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const results = [];
      for (const line of stdout.split('\n')) {
        const text = line.trim();
        if (!text.startsWith('{')) continue;
        try {
          const doc = JSON.parse(text);
          if (doc && typeof doc.bench === 'string') results.push(doc);
        } catch {
          // not a result line
        }
      }
      resolve({ status: timedOut ? 'timeout' : (code ?? signal), results, ms: Date.now() - start });
    });
  });
}

/**
 * report-render states absolute limits (issue 11: wall time <= 0.6 s, peak RSS <= 120 MB, in its
 * `limits`). Peak memory does not drift with the machine's load, so breaking it is a FAIL; an
 * absolute wall time does (testing.md: "absolute times on shared machines drift"), so a render
 * over its time is reported as WARN and never fails the run.
 */
function judgeReportRender(result) {
  const peakLimit = result.limits?.peakMB;
  if (typeof result.maxPeakMB === 'number' && typeof peakLimit === 'number' && result.maxPeakMB > peakLimit) return 'FAIL';
  if (result.withinLimits === false) return 'WARN';
  return 'ok';
}

/** ok | FAIL | WARN | skipped, from a result line; FAIL only when a stated limit is broken. */
function judge(result) {
  if (result.skipped) return 'skipped';
  if (result.bench === 'report-render') return judgeReportRender(result);
  if (result.ok === false) return 'FAIL';
  if (typeof result.ratio === 'number' && typeof result.maxRatio === 'number' && result.ratio > result.maxRatio) return 'FAIL';
  return 'ok';
}

const fmtMs = (ms) => (typeof ms !== 'number' ? '-' : ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);
const KNOWN = new Set(['bench', 'what', 'measuredMs', 'floorMs', 'floor', 'ratio', 'maxRatio', 'ok', 'skipped', 'error', 'verdict', 'result']);

/** Other figures of a result (e.g. report-render's peak RSS), compactly. */
function notes(result) {
  if (result.skipped) return result.skipped;
  if (result.error) return result.error;
  if (result.bench === 'report-render' && result.formats && typeof result.formats === 'object') {
    const formats = Object.entries(result.formats)
      .map(([name, f]) => `${name} ${fmtMs(f.wallMs)} ${f.peakMB} MB${f.withinLimits === false ? ' (over)' : ''}`)
      .join(', ');
    const limits = result.limits ? `; absolute limits ${fmtMs(result.limits.wallMs)} (not judged: time drifts) and ${result.limits.peakMB} MB peak RSS (judged)` : '';
    return `${result.events} events: ${formats}${limits}`;
  }
  const parts = [];
  for (const [key, value] of Object.entries(result)) {
    if (KNOWN.has(key) || value === null || typeof value === 'object') continue;
    parts.push(`${key}=${value}`);
  }
  return parts.join(' ');
}

function table(rows) {
  const header = ['benchmark', 'measured', 'floor', 'ratio', 'limit', 'result'];
  const cells = rows.map((r) => [
    r.bench,
    fmtMs(r.measuredMs ?? r.maxWallMs),
    fmtMs(r.floorMs),
    typeof r.ratio === 'number' ? `${r.ratio.toFixed(2)}x` : '-',
    typeof r.maxRatio === 'number' ? `<= ${r.maxRatio}x` : '-',
    r.verdict,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 0 || i === 5 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const [i, r] of rows.entries()) {
    out.push(line(cells[i]));
    const what = [r.what, r.floor ? `floor: ${r.floor}` : undefined].filter(Boolean).join('; ');
    if (what) out.push(`    ${what}`);
    const extra = notes(r);
    if (extra) out.push(`    ${extra}`);
  }
  return out.join('\n');
}

async function main() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
  if (unknown.length > 0) {
    log(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    return 2;
  }
  if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
    log('dist/ is missing: run `npm run build` first (npm run bench does)');
    return 2;
  }
  const started = Date.now();
  const rows = [];
  for (const bench of BENCHES) {
    if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
    if (!existsSync(join(ROOT, 'bench', bench.script))) {
      if (!bench.optional) rows.push({ bench: bench.name, error: `bench/${bench.script} is missing`, verdict: 'ERROR' });
      else log(`${bench.name}: bench/${bench.script} does not exist (yet), not run`);
      continue;
    }
    log(`\n== ${bench.name} (bench/${bench.script})`);
    const { status, results, ms } = await runScript(bench);
    // report-render prints other lines too: its result is the last line naming it.
    const own = bench.name === 'report-render' ? results.filter((r) => r.bench === 'report-render').slice(-1) : results;
    log(`== ${bench.name}: ${own.length} result(s) in ${(ms / 1_000).toFixed(1)} s, exit ${status}`);
    for (const result of own) rows.push({ ...result, verdict: judge(result) });
    // A script's exit code is its own verdict; when it printed its result, the result decides here.
    if (status === 'timeout' || own.length === 0) {
      rows.push({ bench: bench.name, error: status === 'timeout' ? `over its ${bench.budgetMs / 1_000}s budget` : `exited ${status}${own.length === 0 ? ' without a result line' : ''} (see its stderr above)`, verdict: 'ERROR' });
    }
  }

  process.stdout.write(`\nrollgate benchmarks — ratios against floors measured in this run (${((Date.now() - started) / 1_000).toFixed(0)} s)\n\n`);
  process.stdout.write(`${table(rows)}\n\n`);
  for (const row of rows) {
    const { verdict, ...result } = row;
    process.stdout.write(`${JSON.stringify({ ...result, result: verdict })}\n`);
  }
  const failed = rows.filter((r) => r.verdict === 'FAIL');
  const errors = rows.filter((r) => r.verdict === 'ERROR');
  if (failed.length > 0) log(`\n${failed.length} benchmark(s) broke their ratio limit: ${failed.map((r) => r.bench).join(', ')}`);
  if (errors.length > 0) log(`${errors.length} benchmark(s) could not run: ${errors.map((r) => r.bench).join(', ')}`);
  return failed.length > 0 ? 1 : errors.length > 0 ? 2 : 0;
}

process.exitCode = await main();
