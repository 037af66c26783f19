/**
 * Real Redis for tests, on random free loopback ports, killed when the test file ends and when the
 * process exits (even on failure): one server (`startRedis`, no persistence; `kill()` + `restart()`
 * on the same port for fault tests), a Sentinel group (`startSentinelGroup`: master, replica, three
 * sentinels), a 3-node Redis Cluster (`startRedisCluster`) and a TLS-only server whose certificate
 * a private CA signed (`startRedisTls`, certificates made with openssl).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-redis-'));
  const port = await freePort();
  const server = node(port, dir, (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning']);
  await server.start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    kill: () => server.kill('SIGKILL'),
    restart: () => server.start(),
    flush: async () => {
      const reply = await rawCommand(port, 'FLUSHALL', 2_000);
      if (reply !== '+OK') throw new Error(`FLUSHALL on port ${port} answered ${reply ?? 'nothing'}`);
    },
    stop: async () => {
      await server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- TLS ------------------------------------------------------------------------------------

export interface TlsRedisServer extends RedisServer {
  /** PEM of the private CA that signed the server's certificate (for ROLLGATE_STATE_CA_FILE). */
  caFile: string;
  /** PEM of another CA, which did not sign it. */
  otherCaFile: string;
}

/** A private CA and a server certificate for 127.0.0.1 signed by it, made with the openssl command. */
function makeCertificates(dir: string): { caFile: string; otherCaFile: string; certFile: string; keyFile: string } {
  const run = (...args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rollgate test CA');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=some other CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext');
  const at = (name: string): string => path.join(dir, name);
  return { caFile: at('ca.crt'), otherCaFile: at('other.crt'), certFile: at('server.crt'), keyFile: at('server.key') };
}

/** PING over TLS, trusting `ca`. */
function tlsPing(port: number, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca, servername: undefined });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** One redis-server that speaks only TLS (no plain port), its certificate signed by a private CA. */
export async function startRedisTls(): Promise<TlsRedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-redis-tls-'));
  const certs = makeCertificates(dir);
  const ca = readFileSync(certs.caFile);
  const port = await freePort();
  const server = node(
    port,
    dir,
    (p) => ['--port', '0', '--tls-port', String(p), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile, '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
    (p) => tlsPing(p, ca),
  );
  await server.start();
  return {
    url: `rediss://127.0.0.1:${port}/0`,
    port,
    caFile: certs.caFile,
    otherCaFile: certs.otherCaFile,
    kill: () => server.kill('SIGKILL'),
    restart: () => server.start(),
    flush: async () => {
      const { Redis } = await import('ioredis');
      const client = new Redis({ port, host: '127.0.0.1', tls: { ca }, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    stop: async () => {
      await server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- Sentinel and Cluster ------------------------------------------------------------------

/** One redis-server process (data node or sentinel) that can be killed and started again on its port. */
interface Node {
  port: number;
  dir: string;
  alive(): boolean;
  start(extraArgs?: string[]): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function node(port: number, dir: string, args: (port: number) => string[], ready: (port: number) => Promise<boolean> = ping): Node {
  let child: ChildProcess | undefined;
  return {
    port,
    dir,
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start(extraArgs = []) {
      installExitHook();
      const proc = spawn('redis-server', [...args(port), ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
      child = proc;
      running.add(proc);
      let stderr = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      proc.on('exit', () => running.delete(proc));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${proc.exitCode}: ${stderr}`);
        if (await ready(port)) return;
        await sleep(25);
      }
      proc.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer within 10 s: ${stderr}`);
    },
    async kill(signal = 'SIGKILL') {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      await exited;
    },
  };
}

/** Sends one command and reads the whole RESP reply (arrays included) with ioredis' parser-free client. */
async function command(port: number, ...args: string[]): Promise<unknown> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(args[0]!, ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

export { command as redisCommand };

export interface SentinelGroup {
  /** redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3/rollgate-test/0 */
  url: string;
  masterName: string;
  sentinelPorts: number[];
  /** Port of the node the sentinels currently call master. */
  masterPort(): Promise<number>;
  /** Ports of both data nodes. */
  dataPorts: number[];
  /** SIGKILLs the current master; resolves its port. */
  killMaster(): Promise<number>;
  /** Starts a killed data node again as a replica of the current master (as Sentinel would reconfigure it). */
  restartAsReplica(port: number): Promise<void>;
  /** Resolves when the sentinels name a master other than `oldPort` and it answers as master; the time it took. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Resolves when the current master has `count` replicas online, in sync. */
  waitForReplicas(count: number, timeoutMs?: number): Promise<void>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const MASTER_NAME = 'rollgate-test';

/**
 * A master, a replica and three sentinels (quorum 2, down-after 1 s, failover-timeout 3 s), all on
 * free loopback ports, no persistence. Resolves once the sentinels know the replica and each other,
 * so a failover can be authorised at once.
 */
export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rollgate-sentinel-'));
  const dataArgs = (port: number): string[] => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];
  const [masterPort, replicaPort] = [await freePort(), await freePort()];
  const master = node(masterPort!, dir, dataArgs);
  const replica = node(replicaPort!, dir, dataArgs);
  const sentinels: Node[] = [];
  const data = [master, replica];
  try {
    await master.start();
    await replica.start(['--replicaof', '127.0.0.1', String(masterPort)]);
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          'loglevel warning',
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 3000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      const sentinel = node(port, dir, () => [conf, '--sentinel']);
      sentinels.push(sentinel);
      await sentinel.start();
    }
    const group = makeGroup();
    // Hello messages every 2 s: wait until each sentinel sees the replica and the other two.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const views = await Promise.all(sentinels.map((s) => command(s.port, 'SENTINEL', 'MASTER', MASTER_NAME).catch(() => [])));
      const ok = views.every((view) => {
        const fields = toMap(view as string[]);
        return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2';
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`sentinels never agreed: ${JSON.stringify(views)}`);
      await sleep(200);
    }
    await group.waitForReplicas(1);
    return group;
  } catch (error) {
    for (const n of [...data, ...sentinels]) await n.kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  function makeGroup(): SentinelGroup {
    const byPort = (port: number): Node => data.find((n) => n.port === port)!;
    const masterPortNow = async (): Promise<number> => {
      for (const s of sentinels) {
        const reply = (await command(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME).catch(() => undefined)) as string[] | undefined;
        if (reply?.[1]) return Number(reply[1]);
      }
      throw new Error('no sentinel answers');
    };
    return {
      url: `redis-sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${MASTER_NAME}/0`,
      masterName: MASTER_NAME,
      sentinelPorts: sentinels.map((s) => s.port),
      dataPorts: data.map((n) => n.port),
      masterPort: masterPortNow,
      async killMaster() {
        const port = await masterPortNow();
        await byPort(port).kill('SIGKILL');
        return port;
      },
      async restartAsReplica(port) {
        const current = await masterPortNow();
        await byPort(port).start(['--replicaof', '127.0.0.1', String(current)]);
      },
      async waitForFailover(oldPort, timeoutMs = 30_000) {
        const started = Date.now();
        for (;;) {
          const port = await masterPortNow().catch(() => oldPort);
          if (port !== oldPort) {
            const role = (await command(port, 'ROLE').catch(() => [])) as unknown[];
            if (role[0] === 'master') return Date.now() - started;
          }
          if (Date.now() - started > timeoutMs) throw new Error(`no failover away from ${oldPort} within ${timeoutMs} ms`);
          await sleep(50);
        }
      },
      async waitForReplicas(count, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const port = await masterPortNow().catch(() => 0);
          const info = port ? String(await command(port, 'INFO', 'replication').catch(() => '')) : '';
          const online = info.split('\n').filter((line) => /^slave\d+:.*state=online/.test(line)).length;
          if (online >= count) return;
          if (Date.now() > deadline) throw new Error(`master ${port} never had ${count} replicas online: ${info}`);
          await sleep(100);
        }
      },
      async flush() {
        const port = await masterPortNow();
        await command(port, 'FLUSHALL');
        await command(port, 'WAIT', '1', '2000').catch(() => undefined);
      },
      async stop() {
        for (const n of [...sentinels, ...data]) await n.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function toMap(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]));
  return map;
}

export interface RedisCluster {
  /** redis-cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  url: string;
  ports: number[];
  /** Keys held by each node (DBSIZE), in port order. */
  keysPerNode(): Promise<number[]>;
  /** SIGKILLs one node and starts it again on the same port with the same cluster config and AOF; resolves when the cluster is ok again. */
  restartNode(port: number, downMs?: number): Promise<void>;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A 3-master Redis Cluster (no replicas) on free loopback ports, with `cluster-port` chosen free too
 * (the default bus port, port + 10000, might be taken). AOF with appendfsync always, so a node
 * killed and started again keeps what it acknowledged.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rollgate-cluster-'));
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const busPort = await freePort();
      const dir = path.join(root, String(port));
      mkdirSync(dir);
      const args = (p: number): string[] => [
        '--port', String(p), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', '2000', '--cluster-require-full-coverage', 'no', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
        '--dir', dir, '--loglevel', 'warning',
      ];
      const n = node(port, dir, args);
      nodes.push(n);
      await n.start();
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await clusterOk(nodes);
  } catch (error) {
    for (const n of nodes) await n.kill();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    ports: nodes.map((n) => n.port),
    keysPerNode: () => Promise.all(nodes.map(async (n) => Number(await command(n.port, 'DBSIZE')))),
    async restartNode(port, downMs = 1_000) {
      const n = nodes.find((x) => x.port === port)!;
      await n.kill('SIGKILL');
      await sleep(downMs);
      await n.start();
      await clusterOk(nodes);
    },
    async flush() {
      for (const n of nodes) await command(n.port, 'FLUSHALL');
    },
    async stop() {
      for (const n of nodes) await n.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function clusterOk(nodes: Node[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(nodes.map((n) => command(n.port, 'CLUSTER', 'INFO').then(String, () => '')));
    if (infos.every((info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384'))) return;
    if (Date.now() > deadline) throw new Error(`cluster not ok within ${timeoutMs} ms: ${infos.join(' | ')}`);
    await sleep(100);
  }
}
