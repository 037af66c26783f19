/**
 * A Prometheus-ecosystem server for tests (Alertmanager, Pushgateway, ...) started from PATH on a
 * free loopback port: waits for its `/-/ready`, stop() kills it by PID (SIGTERM, SIGKILL after
 * 3 s), and an exit hook kills it if the test process ends first.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ReadyProcess {
  url: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;

export async function startReadyProcess(options: { name: string; binary: string; args: string[]; url: string; readyTimeoutMs?: number }): Promise<ReadyProcess> {
  const { name, url } = options;
  const child = spawn(options.binary, options.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (!running.delete(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null) {
      running.delete(child);
      throw new Error(`${name} exited before it was ready: ${stderr}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} on ${url} not ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop };
}
