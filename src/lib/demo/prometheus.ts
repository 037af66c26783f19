/**
 * A throw-away Prometheus for `rollgate demo`: the `prometheus` binary from PATH, on a free
 * 127.0.0.1 port, scraping the demo service every second; started by the shared launcher
 * (./prometheus-server.ts: temporary directory, watchdog, exit hook, stop()), which this file
 * wraps with the demo's own errors: a missing or failing Prometheus is a DemoEnvironmentError
 * (exit 3, with what to install), a Ctrl-C a CancelledError.
 *
 * It never outlives the demo, and runs in its own process group, so a Ctrl-C in the terminal
 * reaches only rollgate, which rolls the rollout back (still needing Prometheus to verify stable)
 * and then stops it.
 *
 * Library code: nothing is printed; failures are typed errors.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CancelledError, ExitCode, RollgateError } from '../errors.js';
import { PrometheusStartError, startLocalPrometheus } from './prometheus-server.js';

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

/** Starts Prometheus and waits until it is ready and has scraped every target once. */
export async function startDemoPrometheus(options: StartDemoPrometheusOptions): Promise<DemoPrometheus> {
  const binary = findOnPath('prometheus', options.pathEnv ?? process.env.PATH);
  if (!binary) throw new DemoEnvironmentError('rollgate demo needs Prometheus, but no `prometheus` binary is on PATH', INSTALL_HINT);
  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  try {
    const server = await startLocalPrometheus({
      binary,
      scrapeTargets: options.targets,
      scrapeIntervalMs: options.scrapeIntervalMs ?? 1_000,
      jobName: 'rollgate-demo',
      readyTimeoutMs: timeoutMs,
      waitForFirstScrape: true,
      tempPrefix: 'rollgate-demo-prom-',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { url: server.url, port: server.port, binary, stop: server.stop };
  } catch (error) {
    if (!(error instanceof PrometheusStartError)) throw error;
    const said = error.lastLog ? ` (prometheus said: ${error.lastLog})` : '';
    switch (error.failure) {
      case 'aborted':
        throw new CancelledError(
          error.stage === 'before_start' ? 'demo interrupted before Prometheus was started' : error.stage === 'ready' ? 'demo interrupted while Prometheus was starting' : 'demo interrupted while waiting for the first scrape',
        );
      case 'spawn_failed':
        throw new DemoEnvironmentError(error.message, INSTALL_HINT, { cause: error });
      case 'exited':
        throw new DemoEnvironmentError(`${binary} exited before it was ready${said}`, undefined, { cause: error });
      case 'not_ready':
        throw new DemoEnvironmentError(`Prometheus on ${error.url} was not ready after ${timeoutMs / 1_000}s${said}`, undefined, { cause: error });
      case 'not_scraped':
        throw new DemoEnvironmentError(`Prometheus on ${error.url} did not scrape ${options.targets.join(', ')} within ${timeoutMs / 1_000}s${said}`, undefined, { cause: error });
      default:
        throw new DemoEnvironmentError(error.message, undefined, { cause: error });
    }
  }
}
