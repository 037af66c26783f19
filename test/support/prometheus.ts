/**
 * A real Prometheus for tests, on a free loopback port, started from PATH (Debian's 2.42 package).
 *
 * Two ways to feed it:
 * - backfilled, deterministic data: OpenMetrics text with explicit timestamps is turned into TSDB
 *   blocks by `promtool tsdb create-blocks-from openmetrics` before the server starts; tests then
 *   query at fixed past times and assert hand-computed numbers.
 * - live scraping: `scrapeTargets` are scraped every `scrapeIntervalMs` (1s by default).
 *
 * Whatever happens the server goes away: stop() kills it, an exit hook kills it when the test
 * process ends, and a shell watchdog kills it when the test process dies without running hooks
 * (SIGKILL of a vitest worker). Its temporary directory is removed on stop().
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  dataDir: string;
  /** Stops the server and removes its files; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** OpenMetrics text (ending in `# EOF`) to backfill before start; see renderOpenMetrics(). */
  openMetrics?: string;
  /** host:port targets to scrape. */
  scrapeTargets?: string[];
  scrapeIntervalMs?: number;
  /** Listen on this port (to restart a killed server where clients expect it); default a free one. */
  port?: number;
  /** How long to wait for /-/ready. */
  readyTimeoutMs?: number;
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

export interface OpenMetricsSeries {
  /** Sample name as written, e.g. `http_requests_total` for a counter. */
  name: string;
  labels?: Record<string, string>;
  /** [unix seconds, value]; NaN and ±Inf allowed. */
  samples: Array<[number, number]>;
}

export interface OpenMetricsFamily {
  /** Family name: without `_total` for counters. */
  name: string;
  type: 'gauge' | 'counter' | 'unknown';
  series: OpenMetricsSeries[];
}

const omValue = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** Renders families as OpenMetrics text with timestamps; each family's lines are contiguous, as the format requires. */
export function renderOpenMetrics(families: OpenMetricsFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const series of family.series) {
      const labels = Object.entries(series.labels ?? {})
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',');
      const id = labels ? `${series.name}{${labels}}` : series.name;
      for (const [t, v] of [...series.samples].sort((a, b) => a[0] - b[0])) lines.push(`${id} ${omValue(v)} ${t}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
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

const running = new Set<ChildProcess>();
let hooked = false;

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
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const child of running) killGroup(child, 'SIGKILL');
  };
  process.once('exit', killAll);
}

// Runs the server in the background and watches the test process: when it dies, so does the server.
const WATCHDOG = 'parent="$1"; shift; "$@" & server=$!; trap \'kill $server 2>/dev/null; wait $server; exit 0\' TERM INT; while kill -0 "$parent" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; kill $server 2>/dev/null; wait $server';

function scrapeConfig(targets: string[], intervalMs: number): string {
  const interval = `${Math.max(1, Math.round(intervalMs / 1_000))}s`;
  if (targets.length === 0) return 'global: {}\n';
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: test',
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Starts Prometheus and waits until it answers /-/ready. */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rollgate-prom-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, scrapeConfig(options.scrapeTargets ?? [], options.scrapeIntervalMs ?? 1_000));

  if (options.openMetrics !== undefined) {
    const scenario = join(dir, 'scenario.om');
    await writeFile(scenario, options.openMetrics);
    const result = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', scenario, dataDir], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`promtool create-blocks-from openmetrics failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
    }
  }

  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${dataDir}`,
    // Retention counts back from the newest block; backfilled data a day old must survive it.
    '--storage.tsdb.retention.time=60d',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'watchdog', String(process.pid), 'prometheus', ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  hookProcessExit();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
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
      throw new Error(`prometheus on ${url} not ready after ${options.readyTimeoutMs ?? 20_000}ms: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, port, dataDir, stop };
}
