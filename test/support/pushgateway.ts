/**
 * A real Prometheus Pushgateway for tests (Debian's `prometheus-pushgateway`) on a free loopback
 * port, without persistence. stop() kills it by PID; an exit hook kills it if the test process
 * ends first.
 */
import { freePort } from './prometheus.js';
import { startReadyProcess } from './ready-process.js';

export interface PushgatewayServer {
  url: string;
  port: number;
  /** The metrics it holds now, in the text exposition format. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPushgateway(options: { binary?: string; readyTimeoutMs?: number } = {}): Promise<PushgatewayServer> {
  const port = await freePort();
  const server = await startReadyProcess({
    name: 'pushgateway',
    binary: options.binary ?? 'prometheus-pushgateway',
    args: [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    url: `http://127.0.0.1:${port}`,
    ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  return { url: server.url, port, metrics: async () => (await fetch(`${server.url}/metrics`)).text(), stop: server.stop };
}
