/**
 * A real Alertmanager for tests (Debian's `prometheus-alertmanager`, 0.25) on a free loopback port,
 * clustering off, its config and data in a temporary directory removed by stop().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.js';
import { startReadyProcess } from './ready-process.js';

export interface AlertmanagerServer {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startAlertmanager(options: { config: string; binary?: string; readyTimeoutMs?: number }): Promise<AlertmanagerServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-am-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, options.config);
  const port = await freePort();
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const server = await startReadyProcess({
      name: 'alertmanager',
      binary: options.binary ?? 'prometheus-alertmanager',
      args: [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
      url: `http://127.0.0.1:${port}`,
      ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
    });
    return { url: server.url, port, dir, stop: async () => (await server.stop(), remove()) };
  } catch (error) {
    remove();
    throw error;
  }
}
