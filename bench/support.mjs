/**
 * Shared helpers of the benchmarks (plain ESM: the benches run on the built dist/ with bare node,
 * so they cannot import test/support/*.ts; the few lines they need are re-implemented here).
 *
 * - freePort(), startPrometheus(): a real Prometheus on a free loopback port, backfilled with
 *   `promtool tsdb create-blocks-from openmetrics` or scraping targets; it runs under a shell
 *   watchdog in its own process group, so it dies with the bench even when the bench is SIGKILLed,
 *   and stop() / the exit hook / SIGINT / SIGTERM kill it otherwise.
 * - timeRuns(): wall time of N runs of a command (hyperfine when installed, else process.hrtime).
 * - median(), emit(): statistics and the one JSON line per benchmark that bench/run.mjs reads.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** A port nobody listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(address.port));
    });
  });
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

/** A start time on a 2h block boundary a day in the past (outside the head block of a fresh server). */
export function backfillEpoch(now = Date.now()) {
  const twoHours = 7_200;
  return Math.floor(now / 1_000 / twoHours) * twoHours - 12 * twoHours;
}

// Runs the server in the background and watches the bench process: when it dies, so does the server.
const WATCHDOG = 'parent="$1"; shift; "$@" & server=$!; trap \'kill $server 2>/dev/null; wait $server; exit 0\' TERM INT; while kill -0 "$parent" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; kill $server 2>/dev/null; wait $server';

function scrapeConfig(targets, intervalMs) {
  if (targets.length === 0) return 'global: {}\n';
  const interval = `${Math.max(1, Math.round(intervalMs / 1_000))}s`;
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: bench',
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/**
 * Starts Prometheus (from PATH) and waits for /-/ready.
 * options: { openMetrics?: string, scrapeTargets?: string[], scrapeIntervalMs?: number }
 * Returns { url, port, stop() }.
 */
export async function startPrometheus(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-bench-prom-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, scrapeConfig(options.scrapeTargets ?? [], options.scrapeIntervalMs ?? 1_000));
  if (options.openMetrics !== undefined) {
    const scenario = join(dir, 'scenario.om');
    await writeFile(scenario, options.openMetrics);
    const result = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', scenario, dataDir], { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`promtool create-blocks-from openmetrics failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
    }
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    '--storage.tsdb.retention.time=60d',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', String(process.pid), 'prometheus', ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  trackGroup(child);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = onCleanup(stop);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`prometheus exited before it was ready: ${stderr.trim()}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus on ${url} not ready after 30s: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return {
    url,
    port,
    stop: async () => {
      unregister();
      await stop();
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
