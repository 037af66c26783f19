/**
 * A throw-away Prometheus for `rollgate demo`: the `prometheus` binary from PATH, on a free
 * 127.0.0.1 port, with its config and TSDB in a fresh temporary directory, scraping the demo
 * service every second.
 *
 * It never outlives the demo:
 * - stop() terminates it (SIGTERM, SIGKILL after 3 s) and removes its directory;
 * - an `exit` hook kills it when the process ends without calling stop();
 * - it runs under a tiny shell watchdog in its own process group, which kills it when the demo's
 *   process disappears without running any hook (SIGKILL, a crash). Being in its own process
 *   group also means a Ctrl-C in the terminal reaches only rollgate, which rolls the rollout back
 *   (still needing Prometheus to verify stable) and then stops it.
 *
 * Library code: nothing is printed; failures are typed errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledError, ExitCode, RollgateError } from '../errors.js';

/** Something the demo needs is missing or would not start (exit 3: no verdict could be reached). */
export class DemoEnvironmentError extends RollgateError {
  override readonly exitCode = ExitCode.noVerdict;
  override readonly kind = 'demo_environment';
}

export interface DemoPrometheus {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** The binary that was started. */
  binary: string;
  /** Stops the server and removes its temporary directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartDemoPrometheusOptions {
  /** host:port targets to scrape (the demo service). */
  targets: string[];
  /** Default 1000 (Prometheus takes whole seconds). */
  scrapeIntervalMs?: number;
  /** PATH to look in (default: process.env.PATH). */
  pathEnv?: string | undefined;
  /** How long to wait for /-/ready and then for the first scrape of every target (default 30 s). */
  readyTimeoutMs?: number;
  /** Aborts the waits (Ctrl-C); the server is stopped and a CancelledError thrown. */
  signal?: AbortSignal;
}

const INSTALL_HINT = 'install it: apt-get install prometheus (Debian/Ubuntu; or run scripts/setup.sh), or put a prometheus binary from https://prometheus.io/download/ on PATH';

/** The first executable `name` on PATH, or undefined. */
export function findOnPath(name: string, pathEnv: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
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

// Runs the server in the background and watches the demo's process: when it dies, so does the
// server, and its temporary directory goes too (stop() removes it otherwise).
const WATCHDOG =
  'parent="$1"; dir="$2"; shift 2; "$@" & server=$!; trap \'kill $server 2>/dev/null; wait $server; exit 0\' TERM INT; ' +
  'while kill -0 "$parent" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done; kill $server 2>/dev/null; wait $server; ' +
  'kill -0 "$parent" 2>/dev/null || rm -rf "$dir"';

function scrapeConfig(targets: string[], intervalMs: number): string {
  const interval = `${Math.max(1, Math.round(intervalMs / 1_000))}s`;
  return [
    '# written by rollgate demo',
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: rollgate-demo',
    `    scrape_interval: ${interval}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Starts Prometheus and waits until it is ready and has scraped every target once. */
export async function startDemoPrometheus(options: StartDemoPrometheusOptions): Promise<DemoPrometheus> {
  const binary = findOnPath('prometheus', options.pathEnv ?? process.env.PATH);
  if (!binary) throw new DemoEnvironmentError('rollgate demo needs Prometheus, but no `prometheus` binary is on PATH', INSTALL_HINT);
  const { signal } = options;
  if (signal?.aborted) throw new CancelledError('demo interrupted before Prometheus was started');

  const dir = await mkdtemp(path.join(tmpdir(), 'rollgate-demo-prom-'));
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, scrapeConfig(options.targets, options.scrapeIntervalMs ?? 1_000));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];

  const child = spawn('sh', ['-c', WATCHDOG, 'rollgate-demo-watchdog', String(process.pid), dir, binary, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  running.set(child, dir);
  hookProcessExit();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  let spawnError: Error | undefined;
  void spawnFailed.then((error) => {
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
  const lastLog = (): string => {
    const line = stderr.trim().split('\n').at(-1);
    return line ? ` (prometheus said: ${line})` : '';
  };
  try {
    // 1. The HTTP API answers.
    for (;;) {
      if (signal?.aborted) throw new CancelledError('demo interrupted while Prometheus was starting');
      if (spawnError) throw new DemoEnvironmentError(`could not start ${binary}: ${spawnError.message}`, INSTALL_HINT);
      if (child.exitCode !== null || child.signalCode !== null) throw new DemoEnvironmentError(`${binary} exited before it was ready${lastLog()}`);
      try {
        const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new DemoEnvironmentError(`Prometheus on ${url} was not ready after ${timeoutMs / 1_000}s${lastLog()}`);
      await delay(100, signal);
    }
    // 2. Every target was scraped once (service discovery hands targets over after ~5 s).
    const query = `${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`;
    for (;;) {
      if (signal?.aborted) throw new CancelledError('demo interrupted while waiting for the first scrape');
      try {
        const response = await fetch(query, { signal: AbortSignal.timeout(1_000) });
        const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        if (Number(body.data?.result?.[0]?.value[1]) === options.targets.length) break;
      } catch {
        // keep waiting
      }
      if (Date.now() > deadline) throw new DemoEnvironmentError(`Prometheus on ${url} did not scrape ${options.targets.join(', ')} within ${timeoutMs / 1_000}s${lastLog()}`);
      await delay(200, signal);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, binary, stop };
}
