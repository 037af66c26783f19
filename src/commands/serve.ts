/**
 * `rollgate serve`: the Alertmanager webhook (→ emergency rollbacks), /metrics and /healthz, until
 * SIGTERM or SIGINT. fastify and prom-client are loaded here, never at CLI start.
 */
import { hostname } from 'node:os';
import { ExitCode, StateError, UsageError } from '../lib/errors.js';
import { operatorIdentity } from '../lib/operator.js';
import type { RequestRecord } from '../lib/server/app.js';
import { isLoopbackHost, parseListenAddress, readTokenFile } from '../lib/server/auth.js';
import { loadServeConfig } from '../lib/server/config.js';
import type { CommandContext } from './context.js';
import { withStore } from './run-session.js';

export interface ServeInput {
  listen: string;
  tokenFile?: string;
  insecureNoAuth: boolean;
  config?: string;
  /** Resolves when the server should stop (tests); default: SIGTERM or SIGINT. */
  stopSignal?: Promise<string>;
}

function waitForSignal(): { promise: Promise<string>; dispose(): void } {
  let dispose = (): void => undefined;
  const promise = new Promise<string>((resolve) => {
    const on = (signal: NodeJS.Signals): void => resolve(signal);
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
    dispose = () => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    };
  });
  return { promise, dispose };
}

/** A plain line per request: time, method, path, status, duration, client, and what the alerts led to. */
export function formatRequestLine(record: RequestRecord): string {
  const parts = [record.at, record.method, record.path, String(record.status), `${record.ms}ms`, record.remote];
  if (record.outcome) parts.push(record.outcome);
  const alerts = (record.alerts ?? []).map((a) => {
    const what = a.outcome === 'no-running-rollout' ? 'ignored: no running rollout' : a.outcome === 'not-for-rollgate' ? `ignored: ${a.detail ?? 'not for rollgate'}` : a.outcome;
    return `[${a.alertname || a.fingerprint}${a.service ? ` service=${a.service}` : ''}: ${what}${a.rolloutId ? ` rollout=${a.rolloutId}` : ''}${a.outcome === 'requested' ? ` runner=${a.runner}` : ''}]`;
  });
  if (alerts.length > 0) parts.push(alerts.join(' '));
  if (record.error) parts.push(`error: ${record.error}`);
  return parts.join(' ');
}

export async function run(ctx: CommandContext, input: ServeInput): Promise<number> {
  const { host, port } = parseListenAddress(input.listen);
  if (input.tokenFile === undefined && !input.insecureNoAuth) {
    throw new UsageError('--token-file is required: the webhook can roll back any running rollout', 'write a token with `openssl rand -hex 32 > token` and pass --token-file token (the same token goes into Alertmanager\'s http_config.authorization)');
  }
  if (input.tokenFile === undefined && !isLoopbackHost(host)) {
    throw new UsageError(`--insecure-no-auth is only allowed on a loopback address, not ${host}`, 'listen on 127.0.0.1, or pass --token-file');
  }
  const token = input.tokenFile !== undefined ? await readTokenFile(input.tokenFile) : undefined;
  const config = await loadServeConfig(input.config);
  const json = ctx.ui.mode === 'json';
  const writeLog = (record: Record<string, unknown>, line: string): void => {
    ctx.streams.stderr.write(json ? `${JSON.stringify(record)}\n` : `${line}\n`);
  };
  const { buildServer } = await import('../lib/server/app.js');

  return withStore(ctx, async (store) => {
    try {
      await store.listRollouts({ limit: 1 });
    } catch (error) {
      throw error instanceof StateError ? error : new StateError(`state store ${store.url} unreachable: ${(error as Error).message}`);
    }
    const identity = operatorIdentity(ctx.env);
    let requests = 0;
    let requested = 0;
    const app = await buildServer({
      store,
      config,
      token,
      by: (receiver) => `rollgate serve@${identity.host || hostname()} (Alertmanager receiver "${receiver}")`,
      log: (record) => {
        requests += 1;
        requested += (record.alerts ?? []).filter((a) => a.outcome === 'requested').length;
        writeLog({ level: record.status >= 500 ? 'error' : record.status >= 400 ? 'warn' : 'info', msg: 'request', ...record }, formatRequestLine(record));
      },
    });
    let url: string;
    try {
      url = await app.listen({ host, port });
    } catch (error) {
      await app.close();
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(`--listen ${input.listen}: ${code === 'EADDRINUSE' ? 'address already in use' : code === 'EADDRNOTAVAIL' ? 'no such local address' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
    }
    const signals = input.stopSignal ? undefined : waitForSignal();
    writeLog(
      { at: new Date().toISOString(), level: 'info', msg: 'listening', url, store: store.url, auth: token !== undefined, webhook: `${url}/v1/alertmanager` },
      `${new Date().toISOString()} listening on ${url} (webhook ${url}/v1/alertmanager, state ${store.url}${token === undefined ? ', NO AUTH' : ''})`,
    );
    const signal = await (input.stopSignal ?? signals!.promise);
    signals?.dispose();
    writeLog({ at: new Date().toISOString(), level: 'info', msg: 'stopping', signal }, `${new Date().toISOString()} ${signal}: stopping (finishing requests in flight)`);
    // close() stops accepting, answers 503 to new requests on kept-alive sockets, waits for those in flight.
    await app.close();
    if (json) ctx.ui.json({ serve: { url, stoppedBy: signal, requests, rollbacksRequested: requested } });
    return ExitCode.ok;
  });
}
