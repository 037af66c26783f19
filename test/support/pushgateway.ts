/**
 * A real Prometheus Pushgateway for tests (Debian's `prometheus-pushgateway`) on a free loopback
 * port, without persistence. stop() kills it by PID; an exit hook kills it if the test process
 * ends first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './prometheus.js';

export interface PushgatewayServer {
  url: string;
  port: number;
  /** The metrics it holds now, in the text exposition format. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;

export async function startPushgateway(options: { binary?: string; readyTimeoutMs?: number } = {}): Promise<PushgatewayServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(options.binary ?? 'prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    if (child.exitCode !== null) throw new Error(`pushgateway exited before it was ready: ${stderr}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pushgateway on ${url} not ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, metrics: async () => (await fetch(`${url}/metrics`)).text(), stop };
}
