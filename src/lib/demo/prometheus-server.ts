/**
 * A throw-away local Prometheus: the one launcher behind `rollgate demo` (./prometheus.ts), the
 * test harness (test/support/prometheus.ts) and the benchmarks (bench/support.mjs, from dist/).
 *
 * It listens on 127.0.0.1 (a free port, or a given one so a killed server can come back where
 * clients expect it), keeps its config and TSDB in a fresh temporary directory, and can be fed in
 * two ways:
 * - backfilled, deterministic data: OpenMetrics text with explicit timestamps is turned into TSDB
 *   blocks by `promtool tsdb create-blocks-from openmetrics` before the server starts;
 * - live scraping: `scrapeTargets` are scraped every `scrapeIntervalMs` (1 s by default).
 *
 * It never outlives its caller:
 * - stop() terminates it (SIGTERM, SIGKILL after 3 s) and removes its directory;
 * - an `exit` hook kills it when the process ends without calling stop();
 * - it runs under a tiny shell watchdog in its own process group, which kills it when the calling
 *   process disappears without running any hook (SIGKILL, a crash, a killed vitest worker). Being
 *   in its own process group also means a Ctrl-C in the terminal reaches only rollgate, which rolls
 *   the rollout back (still needing Prometheus to verify stable) and then stops it.
 *
 * Library code: nothing is printed; failures are PrometheusStartError (callers map them).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from '../sleep.js';

export interface LocalPrometheus {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** The TSDB directory (inside the temporary directory). */
  dataDir: string;
  /** The binary that was started. */
  binary: string;
  /** Stops the server and removes its temporary directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartLocalPrometheusOptions {
  /** The prometheus binary: a path, or a name looked up on PATH (default `prometheus`). */
  binary?: string;
  /** The promtool binary used for backfilling (default `promtool`). */
  promtool?: string;
  /** OpenMetrics text (ending in `# EOF`) to backfill before start. */
  openMetrics?: string;
  /**
   * Longest TSDB block promtool writes (its hidden `--max-block-duration`, e.g. `720h`); default 2h
   * blocks. Weeks of backfill in 2h blocks take minutes to write and slow every query down.
   */
  maxBlockDuration?: string;
  /** host:port targets to scrape; none: nothing is scraped. */
  scrapeTargets?: string[];
  /** Default 1000 (Prometheus takes whole seconds). */
  scrapeIntervalMs?: number;
  /** job label of the scraped targets (default `rollgate`). */
  jobName?: string;
  /** Listen on this port (to restart a killed server where clients expect it); default a free one. */
  port?: number;
  /** How long to wait for /-/ready and then (waitForFirstScrape) for the first scrape (default 30 s in all). */
  readyTimeoutMs?: number;
  /** Also wait until every scrape target has been scraped once (`sum(up)` equals their number). */
  waitForFirstScrape?: boolean;
  /** Aborts the waits (Ctrl-C); the server is stopped and a PrometheusStartError (`aborted`) thrown. */
  signal?: AbortSignal;
  /** Prefix of the temporary directory's name (default `rollgate-prom-`). */
  tempPrefix?: string;
  /** YAML appended to the generated config: top-level `rule_files:` and `alerting:` sections. */
  extraConfig?: string;
}

/** Why a start failed; `stage` tells how far it got. */
export type PrometheusStartFailure = 'aborted' | 'backfill_failed' | 'spawn_failed' | 'exited' | 'not_ready' | 'not_scraped';
export type PrometheusStartStage = 'before_start' | 'ready' | 'first_scrape';

export class PrometheusStartError extends Error {
  constructor(
    message: string,
    readonly failure: PrometheusStartFailure,
    readonly stage: PrometheusStartStage,
    /** The server's URL (empty before a port was chosen). */
    readonly url: string,
    /** The last line Prometheus wrote to stderr ('' when none). */
    readonly lastLog: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A start time for backfilled scenarios: on a 2h block boundary (promtool cuts blocks there, so a
 * scenario shorter than 2h lands in exactly one block) and a day in the past, safely outside the
 * head block's range of a freshly started server.
 */
export function backfillEpoch(now = Date.now()): number {
  const twoHours = 7_200;
  return Math.floor(now / 1_000 / twoHours) * twoHours - 12 * twoHours;
}

/** Running servers and their temporary directories. */
const running = new Map<ChildProcess, string>();
let exitHooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // The child leads its own process group: the watchdog shell, its sleep and Prometheus go together.
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const [child, dir] of running) {
      killGroup(child, 'SIGKILL');
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort: it is in the temporary directory
      }
    }
  });
}

// Runs the server in the background and watches the calling process: when it dies, so does the
// server, and its temporary directory goes too (stop() removes it otherwise).
const WATCHDOG =
  'parent="$1"; dir="$2"; shift 2; "$@" & server=$!; trap \'kill $server 2>/dev/null; wait $server; exit 0\' TERM INT; ' +
  'while kill -0 "$parent" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; kill $server 2>/dev/null; wait $server; ' +
  'kill -0 "$parent" 2>/dev/null || rm -rf "$dir"';

function scrapeConfig(targets: string[], intervalMs: number, jobName: string): string {
  if (targets.length === 0) return 'global: {}\n';
  const interval = `${Math.max(1, Math.round(intervalMs / 1_000))}s`;
  return [
    '# written by rollgate',
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(jobName)}`,
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Turns OpenMetrics text into TSDB blocks in `dataDir`; without blocking the event loop. */
function backfill(promtool: string, scenario: string, dataDir: string, maxBlockDuration?: string): Promise<void> {
  const args = ['tsdb', 'create-blocks-from', 'openmetrics', ...(maxBlockDuration ? [`--max-block-duration=${maxBlockDuration}`] : []), scenario, dataDir];
  return new Promise((resolve, reject) => {
    execFile(promtool, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const status = typeof error.code === 'number' ? error.code : (error.signal ?? error.code);
      reject(new PrometheusStartError(`promtool create-blocks-from openmetrics failed (${status}): ${stderr || stdout || error.message}`, 'backfill_failed', 'before_start', '', '', { cause: error }));
    });
  });
}

/** Starts Prometheus and waits until it answers /-/ready (and, if asked, has scraped every target once). */
export async function startLocalPrometheus(options: StartLocalPrometheusOptions = {}): Promise<LocalPrometheus> {
  const { signal } = options;
  const binary = options.binary ?? 'prometheus';
  const targets = options.scrapeTargets ?? [];
  const aborted = (stage: PrometheusStartStage, url = ''): PrometheusStartError => new PrometheusStartError('interrupted while starting Prometheus', 'aborted', stage, url, '');
  if (signal?.aborted) throw aborted('before_start');

  const dir = await mkdtemp(path.join(tmpdir(), options.tempPrefix ?? 'rollgate-prom-'));
  const dataDir = path.join(dir, 'data');
  const configFile = path.join(dir, 'prometheus.yml');
  let port: number;
  try {
    await writeFile(configFile, scrapeConfig(targets, options.scrapeIntervalMs ?? 1_000, options.jobName ?? 'rollgate') + (options.extraConfig ? `${options.extraConfig.trimEnd()}\n` : ''));
    if (options.openMetrics !== undefined) {
      const scenario = path.join(dir, 'scenario.om');
      await writeFile(scenario, options.openMetrics);
      await backfill(options.promtool ?? 'promtool', scenario, dataDir, options.maxBlockDuration);
    }
    port = options.port ?? (await freePort());
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    // Retention counts back from the newest block; backfilled data a day old must survive it.
    '--storage.tsdb.retention.time=60d',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];

  const child = spawn('sh', ['-c', WATCHDOG, 'rollgate-prometheus-watchdog', String(process.pid), dir, binary, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  running.set(child, dir);
  hookProcessExit();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.pid !== undefined && !spawnError) {
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const lastLog = (): string => stderr.trim().split('\n').at(-1) ?? '';
  const fail = (message: string, failure: PrometheusStartFailure, stage: PrometheusStartStage): PrometheusStartError =>
    new PrometheusStartError(`${message}: ${stderr.trim()}`, failure, stage, url, lastLog());
  try {
    // 1. The HTTP API answers.
    for (;;) {
      if (signal?.aborted) throw aborted('ready', url);
      if (spawnError) throw new PrometheusStartError(`could not start ${binary}: ${spawnError.message}`, 'spawn_failed', 'ready', url, '', { cause: spawnError });
      if (child.exitCode !== null || child.signalCode !== null) throw fail(`${binary} exited before it was ready`, 'exited', 'ready');
      try {
        const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw fail(`${binary} on ${url} not ready after ${timeoutMs}ms`, 'not_ready', 'ready');
      await sleep(50, signal);
    }
    // 2. Every target was scraped once (service discovery hands targets over after ~5 s).
    if (options.waitForFirstScrape && targets.length > 0) {
      const query = `${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`;
      for (;;) {
        if (signal?.aborted) throw aborted('first_scrape', url);
        try {
          const response = await fetch(query, { signal: AbortSignal.timeout(1_000) });
          const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
          if (Number(body.data?.result?.[0]?.value[1]) === targets.length) break;
        } catch {
          // keep waiting
        }
        if (Date.now() > deadline) throw fail(`${binary} on ${url} did not scrape ${targets.join(', ')} within ${timeoutMs}ms`, 'not_scraped', 'first_scrape');
        await sleep(200, signal);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, dataDir, binary, stop };
}
