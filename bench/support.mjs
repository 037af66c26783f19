/**
 * Shared helpers of the benchmarks (plain ESM: the benches run on the built dist/ with bare node,
 * so they cannot import test/support/*.ts; what they share with rollgate comes from dist/).
 *
 * - startPrometheus(): a real Prometheus on a free loopback port, backfilled with
 *   `promtool tsdb create-blocks-from openmetrics` or scraping targets, started by the launcher in
 *   dist/lib/demo/prometheus-server.js (`npm run build` first); it runs under a shell watchdog in
 *   its own process group, so it dies with the bench even when the bench is SIGKILLed, and stop() /
 *   the exit hook / SIGINT / SIGTERM kill it otherwise.
 * - timeRuns(): wall time of N runs of a command (hyperfine when installed, else process.hrtime).
 * - median(), emit(): statistics and the one JSON line per benchmark that bench/run.mjs reads.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'rollgate');

/** Progress for humans goes to stderr; stdout carries only the JSON lines. */
export const log = (...parts) => process.stderr.write(`${parts.join(' ')}\n`);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const round = (value, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

/** The one JSON line of a benchmark result on stdout: {"bench": name, ...}. */
export function emit(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** True when `cmd` is an executable on PATH. */
export function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every process group started here is killed when the bench ends, however it ends.

const groups = new Set();
const cleanups = new Set();
let hooked = false;

function killGroup(child, signal) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Registers a child started with `detached: true` (it leads its own group) for kill-on-exit. */
export function trackGroup(child) {
  groups.add(child);
  child.once('exit', () => groups.delete(child));
  hookExit();
}

/** Registers an async cleanup (e.g. stopping an in-process server) run on SIGINT/SIGTERM. */
export function onCleanup(fn) {
  cleanups.add(fn);
  hookExit();
  return () => cleanups.delete(fn);
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of groups) killGroup(child, 'SIGKILL');
  });
  const onSignal = (signal) => {
    log(`bench: ${signal}, cleaning up`);
    const timer = setTimeout(() => process.exit(130), 5_000);
    Promise.allSettled([...cleanups].map((fn) => fn())).finally(() => {
      clearTimeout(timer);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

// ---------------------------------------------------------------------------------------------
// Prometheus

/**
 * Starts Prometheus (from PATH) and waits for /-/ready.
 * options: { openMetrics?: string, scrapeTargets?: string[], scrapeIntervalMs?: number }
 * Returns { url, port, stop() }.
 */
export async function startPrometheus(options = {}) {
  // Imported when needed, not at load: bench/run.mjs imports this file too and needs no dist/.
  const { startLocalPrometheus } = await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'demo', 'prometheus-server.js')).href);
  const server = await startLocalPrometheus({ ...options, jobName: 'bench', tempPrefix: 'rollgate-bench-prom-' });
  // On SIGINT/SIGTERM stop it gracefully (the launcher's exit hook would only SIGKILL it).
  const unregister = onCleanup(server.stop);
  return {
    url: server.url,
    port: server.port,
    stop: async () => {
      unregister();
      await server.stop();
    },
  };
}

/** One instant query; returns the first sample's value as a number (NaN when empty). */
export async function queryValue(prometheusUrl, query) {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(2_000) });
  const body = await response.json();
  const raw = body?.data?.result?.[0]?.value?.[1];
  return raw === undefined ? Number.NaN : Number(raw);
}

// ---------------------------------------------------------------------------------------------
// Timing commands

/** Runs a process to its end asynchronously (CI=1, NO_COLOR=1, in ROOT); resolves { ms, status, stdout, stderr }. */
export function timeProcess(argv, timeoutMs = 30_000) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, status: status ?? signal, stdout, stderr });
    });
  });
}

/** Runs a command once, synchronously; returns { ms, status, stdout, stderr }. */
export function timeOnce(argv, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: options.cwd ?? ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, status: result.status, stdout: result.stdout, stderr: result.stderr, error: result.error };
}

const useHyperfine = () => process.env.ROLLGATE_BENCH_NO_HYPERFINE !== '1' && onPath('hyperfine');

/** Quotes an argv for hyperfine's --shell=none command string (split on whitespace, honours quotes). */
const quoteArg = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/**
 * Wall times (ms) of `runs` runs of each command, after `warmup` unmeasured runs.
 * commands: Array<{ name, argv, expectStatus? }>. Commands are interleaved run by run (own
 * timing), so a slow spell of the machine hits every command alike. Uses hyperfine when it is on
 * PATH (and ROLLGATE_BENCH_NO_HYPERFINE is not 1); falls back to own timing if hyperfine fails.
 * Returns { tool, results: { [name]: number[] } }.
 */
export async function timeRuns(commands, { runs = 20, warmup = 3 } = {}) {
  // Every command must work once before it is timed: timing a failing command measures nothing.
  for (const command of commands) {
    const once = timeOnce(command.argv);
    const expected = command.expectStatus ?? 0;
    if (once.status !== expected) {
      throw new Error(`${command.argv.join(' ')} exited ${once.status ?? once.error} (expected ${expected}): ${(once.stderr || once.stdout || '').trim().slice(0, 500)}`);
    }
  }
  if (useHyperfine()) {
    try {
      return { tool: 'hyperfine', results: await hyperfine(commands, { runs, warmup }) };
    } catch (error) {
      log(`  hyperfine failed (${error.message.split('\n')[0]}); timing the runs myself`);
    }
  }
  const results = Object.fromEntries(commands.map((c) => [c.name, []]));
  for (let i = 0; i < warmup; i++) for (const command of commands) timeOnce(command.argv);
  for (let i = 0; i < runs; i++) {
    for (const command of commands) {
      const once = timeOnce(command.argv);
      if (once.status !== (command.expectStatus ?? 0)) throw new Error(`${command.argv.join(' ')} exited ${once.status} on run ${i + 1}`);
      results[command.name].push(once.ms);
    }
  }
  return { tool: 'process.hrtime', results };
}

async function hyperfine(commands, { runs, warmup }) {
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-hf-'));
  try {
    const out = join(dir, 'out.json');
    const args = ['--shell=none', '--style', 'none', '--runs', String(runs), '--warmup', String(warmup), '--export-json', out];
    for (const command of commands) args.push('--command-name', command.name, command.argv.map(quoteArg).join(' '));
    const result = spawnSync('hyperfine', args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) throw new Error(`hyperfine exited ${result.status ?? result.signal}: ${result.stderr}`);
    const json = JSON.parse(await readFile(out, 'utf8'));
    const results = {};
    for (const [i, entry] of json.results.entries()) {
      const times = entry.times ?? [];
      if (times.length === 0) throw new Error('hyperfine --export-json has no `times`');
      results[commands[i].name] = times.map((s) => s * 1_000);
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
