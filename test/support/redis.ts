/**
 * A real redis-server for tests: random free loopback port, no persistence, killed when the test
 * file ends and when the process exits (even on failure). `kill()` + `restart()` on the same port
 * are for fault tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/lib/demo/prometheus-server.js';

export interface RedisServer {
  /** redis://127.0.0.1:<port>/0 */
  url: string;
  port: number;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts again on the same port (after kill). */
  restart(): Promise<void>;
  /** Stops for good and removes the temp dir. */
  stop(): Promise<void>;
  /** FLUSHALL: an empty server for the next test. */
  flush(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export { freePort };

/** Sends one inline command over a raw socket (no client library needed); resolves the first reply line, or undefined. */
export function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (reply: string | undefined): void => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (data) => done(data.toString().split('\r\n')[0]));
  });
}

export async function ping(port: number): Promise<boolean> {
  return (await rawCommand(port, 'PING')) === '+PONG';
}

export async function startRedis(): Promise<RedisServer> {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    running.add(proc);
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('exit', () => running.delete(proc));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${stderr}`);
      if (await ping(port)) return;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill: () => terminate('SIGKILL'),
    restart: launch,
    flush: async () => {
      const reply = await rawCommand(port, 'FLUSHALL', 2_000);
      if (reply !== '+OK') throw new Error(`FLUSHALL on port ${port} answered ${reply ?? 'nothing'}`);
    },
    stop: async () => {
      await terminate('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
