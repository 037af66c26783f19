/**
 * Redis state URLs, parsed without ioredis (so a bad URL is exit 2 before any heavy import):
 *   redis://[user:pass@]host:port[/db]                      one server
 *   rediss://...                                            the same over TLS
 *   redis-sentinel://[user:pass@]h1:p1,h2:p2/MASTER[/db]    Sentinel (rediss-sentinel:// for TLS)
 *   redis-cluster://[user:pass@]h1:p1,h2:p2                 Redis Cluster (rediss-cluster:// for TLS)
 * Query options (all kinds): minReplicas, waitTimeout, retryFor — see docs/state-and-evidence.md.
 *
 * Passwords: `${NAME}` in the user or password part is taken from the environment, or the whole
 * password from the file named by ROLLGATE_STATE_PASSWORD_FILE. A literal password in a sentinel or
 * cluster URL is refused: it would show in the process list and in shell history.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseDuration } from '../duration.js';

export type RedisKind = 'single' | 'sentinel' | 'cluster';

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisTarget {
  kind: RedisKind;
  tls: boolean;
  /** single: the server; sentinel: the sentinels; cluster: the seed nodes. */
  nodes: RedisAddress[];
  /** Sentinel only: the monitored master's name. */
  masterName?: string;
  db: number;
  username?: string;
  password?: string;
  /** Sentinel only: from ROLLGATE_SENTINEL_PASSWORD_FILE, when the sentinels themselves need one. */
  sentinelPassword?: string;
  /** TLS only: the CA certificate(s) from ROLLGATE_STATE_CA_FILE, for servers whose certificate a private CA signed. */
  ca?: Buffer;
  /** Replicas that must confirm each write, capped at the replicas attached to the master (default 1). */
  minReplicas: number;
  /** How long one WAIT may block (default 2 s). */
  waitTimeoutMs: number;
  /** How long a store operation is retried through a failover or restart (default 30 s). */
  retryForMs: number;
  /** The URL without credentials or query, for messages and evidence. */
  safeUrl: string;
}

const EXAMPLES: Record<RedisKind, string> = {
  single: 'redis://127.0.0.1:6379/0',
  sentinel: 'redis-sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster/0',
  cluster: 'redis-cluster://10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379',
};

const SCHEMES: Record<string, { kind: RedisKind; tls: boolean; defaultPort: number }> = {
  'redis:': { kind: 'single', tls: false, defaultPort: 6379 },
  'rediss:': { kind: 'single', tls: true, defaultPort: 6379 },
  'redis-sentinel:': { kind: 'sentinel', tls: false, defaultPort: 26379 },
  'rediss-sentinel:': { kind: 'sentinel', tls: true, defaultPort: 26379 },
  'redis-cluster:': { kind: 'cluster', tls: false, defaultPort: 6379 },
  'rediss-cluster:': { kind: 'cluster', tls: true, defaultPort: 6379 },
};

export function isRedisUrl(url: string): boolean {
  const scheme = /^([a-z-]+:)\/\//.exec(url)?.[1];
  return scheme !== undefined && scheme in SCHEMES;
}

/** Never echo credentials, even from a URL we could not parse. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//').replace(/\?.*$/, '');
}

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
}

export function parseRedisUrl(url: string, options: ParseOptions = {}): RedisTarget {
  const env = options.env ?? process.env;
  const match = /^([a-z-]+:)\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url);
  const scheme = match ? SCHEMES[match[1]!] : undefined;
  if (!match || !scheme) throw bad(url, 'single', 'is not a Redis URL');
  const { kind, tls, defaultPort } = scheme;
  const authority = match[2]!;
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;

  const nodes = hostList.split(',').map((part) => parseAddress(url, kind, part.trim(), defaultPort));
  if (kind === 'single' && nodes.length !== 1) throw bad(url, kind, 'names more than one host; for several use redis-sentinel:// or redis-cluster://');

  const segments = (match[3] ?? '').split('/').filter((s) => s !== '');
  let masterName: string | undefined;
  let dbText: string | undefined;
  if (kind === 'sentinel') {
    [masterName, dbText] = segments;
    if (!masterName) throw bad(url, kind, 'names no master (the name Sentinel monitors, after the hosts)');
    if (segments.length > 2) throw bad(url, kind, 'has more path than /MASTER/db');
    masterName = decodeURIComponent(masterName);
  } else if (kind === 'cluster') {
    if (segments.length > 0) throw bad(url, kind, 'has a path; Redis Cluster has only database 0');
  } else {
    if (segments.length > 1) throw bad(url, kind, 'has more path than /db');
    dbText = segments[0];
  }
  const db = dbText === undefined ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15 || !/^\d+$/.test(dbText ?? '0')) throw bad(url, kind, `database "${dbText}" is not a number 0..15`);

  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== '') {
    const colon = userinfo.indexOf(':');
    const rawUser = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const rawPassword = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
    if (rawPassword !== undefined && rawPassword !== '' && kind !== 'single' && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(rawPassword)) {
      throw new UsageError(
        `state store URL ${redactUrl(url)} carries a literal password; it would show in the process list`,
        `take it from the environment or a file: ${EXAMPLES[kind].replace('//', '//rollgate:${REDIS_PASSWORD}@')}  or  ROLLGATE_STATE_PASSWORD_FILE=/run/secrets/redis`,
      );
    }
    username = interpolate(url, kind, decodeURIComponent(rawUser), env) || undefined;
    if (rawPassword !== undefined && rawPassword !== '') password = interpolate(url, kind, decodeURIComponent(rawPassword), env);
  }
  const passwordFile = env.ROLLGATE_STATE_PASSWORD_FILE;
  if (passwordFile) {
    if (password !== undefined) throw new UsageError(`state store URL ${redactUrl(url)} has a password and ROLLGATE_STATE_PASSWORD_FILE is set too`, 'use one of them');
    password = readSecretFile(passwordFile, 'ROLLGATE_STATE_PASSWORD_FILE');
  }
  const sentinelFile = env.ROLLGATE_SENTINEL_PASSWORD_FILE;
  const sentinelPassword = kind === 'sentinel' && sentinelFile ? readSecretFile(sentinelFile, 'ROLLGATE_SENTINEL_PASSWORD_FILE') : undefined;

  const caFile = env.ROLLGATE_STATE_CA_FILE;
  if (caFile && !tls) throw new UsageError(`ROLLGATE_STATE_CA_FILE is set, but the state store URL ${redactUrl(url)} does not use TLS`, `use ${match[1]!.replace(/^redis/, 'rediss')}//..., or unset ROLLGATE_STATE_CA_FILE`);
  const ca = caFile ? readCaFile(caFile) : undefined;

  const query = new URLSearchParams((match[4] ?? '').slice(1));
  const known = new Set(['minReplicas', 'waitTimeout', 'retryFor']);
  for (const name of query.keys()) {
    if (!known.has(name)) throw bad(url, kind, `has an unknown option "${name}" (known: minReplicas, waitTimeout, retryFor)`);
  }
  const minReplicasText = query.get('minReplicas') ?? '1';
  const minReplicas = Number(minReplicasText);
  if (!/^\d+$/.test(minReplicasText) || minReplicas > 16) throw bad(url, kind, `minReplicas "${minReplicasText}" is not a whole number 0..16`);
  const waitTimeoutMs = durationOption(url, kind, query, 'waitTimeout', 2_000);
  const retryForMs = durationOption(url, kind, query, 'retryFor', 30_000);
  if (waitTimeoutMs < 10 || waitTimeoutMs > 60_000) throw bad(url, kind, 'waitTimeout must be between 10ms and 60s');

  const hosts = nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  const scheme_ = match[1]!;
  const safeUrl = kind === 'sentinel' ? `${scheme_}//${hosts}/${masterName}/${db}` : kind === 'cluster' ? `${scheme_}//${hosts}` : `${scheme_}//${hosts}/${db}`;
  return {
    kind,
    tls,
    nodes,
    ...(masterName !== undefined ? { masterName } : {}),
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    ...(ca !== undefined ? { ca } : {}),
    minReplicas,
    waitTimeoutMs,
    retryForMs,
    safeUrl,
  };
}

function parseAddress(url: string, kind: RedisKind, text: string, defaultPort: number): RedisAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d+))?$/.exec(text);
  if (!match) throw bad(url, kind, text === '' ? 'names no host' : `has a host "${text}" that is not host:port`);
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65535) throw bad(url, kind, `port ${match[3]} is out of range`);
  return { host: match[1] ?? match[2]!, port };
}

function interpolate(url: string, kind: RedisKind, text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined || value === '') throw new UsageError(`state store URL ${redactUrl(url)} uses \${${name}}, which is not set`, `export ${name}=... (or use ROLLGATE_STATE_PASSWORD_FILE); for example: ${EXAMPLES[kind]}`);
    return value;
  });
}

function readCaFile(file: string): Buffer {
  const ca = readSettingFile(file, 'ROLLGATE_STATE_CA_FILE');
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`ROLLGATE_STATE_CA_FILE: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return ca;
}

/** The file a ROLLGATE_* variable names, or a usage error naming the variable and why it cannot be read. */
function readSettingFile(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function readSecretFile(file: string, variable: string): string {
  return readSettingFile(file, variable).toString('utf8').replace(/\r?\n$/, '');
}

function durationOption(url: string, kind: RedisKind, query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined) throw bad(url, kind, `${name} "${text}" is not a duration like 500ms, 2s or 1m`);
  return ms;
}

function bad(url: string, kind: RedisKind, what: string): UsageError {
  return new UsageError(`state store URL ${redactUrl(url)} ${what}`, `for example: --state ${EXAMPLES[kind]}`);
}
