import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/lib/errors.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import { parseRedisUrl } from '../../../src/lib/state/redis-url.js';

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('redis state URLs', () => {
  it('parses one server, Sentinel and Cluster URLs with their defaults', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toMatchObject({ kind: 'single', tls: false, nodes: [{ host: '127.0.0.1', port: 6380 }], db: 2, minReplicas: 1, waitTimeoutMs: 2_000, retryForMs: 30_000, safeUrl: 'redis://127.0.0.1:6380/2' });
    expect(parseRedisUrl('redis-sentinel://a.example,b.example:26380/prod-master/3')).toMatchObject({
      kind: 'sentinel',
      nodes: [
        { host: 'a.example', port: 26379 },
        { host: 'b.example', port: 26380 },
      ],
      masterName: 'prod-master',
      db: 3,
      safeUrl: 'redis-sentinel://a.example:26379,b.example:26380/prod-master/3',
    });
    expect(parseRedisUrl('rediss-sentinel://[::1]:26379/m')).toMatchObject({ tls: true, nodes: [{ host: '::1', port: 26379 }], db: 0, safeUrl: 'rediss-sentinel://[::1]:26379/m/0' });
    expect(parseRedisUrl('redis-cluster://n1:7000,n2:7001,n3')).toMatchObject({ kind: 'cluster', nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }, { host: 'n3', port: 6379 }], db: 0 });
    expect(parseRedisUrl('redis-cluster://n1:7000?minReplicas=0&waitTimeout=500ms&retryFor=1m')).toMatchObject({ minReplicas: 0, waitTimeoutMs: 500, retryForMs: 60_000, safeUrl: 'redis-cluster://n1:7000' });
  });

  it('takes passwords from ${ENV} or ROLLGATE_STATE_PASSWORD_FILE, and never shows them', () => {
    const target = parseRedisUrl('redis-sentinel://app:${REDIS_PW}@s1:26379/m', { env: { REDIS_PW: 'p@ss/w:rd' } });
    expect(target).toMatchObject({ username: 'app', password: 'p@ss/w:rd' });
    expect(target.safeUrl).toBe('redis-sentinel://s1:26379/m/0');
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-pw-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    writeFileSync(join(dir, 'spw'), 'sentinel-s3cret\n');
    expect(parseRedisUrl('redis-cluster://n1:7000', { env: { ROLLGATE_STATE_PASSWORD_FILE: join(dir, 'pw') } }).password).toBe('s3cret');
    expect(parseRedisUrl('redis-sentinel://s1/m', { env: { ROLLGATE_SENTINEL_PASSWORD_FILE: join(dir, 'spw') } }).sentinelPassword).toBe('sentinel-s3cret');
    const missing = usage(() => parseRedisUrl('redis-cluster://app:${NOPE}@n1:7000', { env: {} }));
    expect(missing.message).toMatch(/uses \$\{NOPE\}, which is not set/);
  });

  it('refuses a literal password in a sentinel or cluster URL without echoing it', () => {
    const error = usage(() => parseRedisUrl('redis-cluster://app:hunter2@n1:7000,n2:7000'));
    expect(error.message).toContain('literal password');
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain('hunter2');
    expect(error.hint).toContain('${REDIS_PASSWORD}');
  });

  it('bad URLs are usage errors (exit 2) with an example of the right form', () => {
    const cases: Array<[string, RegExp, string]> = [
      ['redis-sentinel://s1:26379', /names no master/, 'redis-sentinel://'],
      ['redis-sentinel://s1:26379/m/1/x', /more path than \/MASTER\/db/, 'redis-sentinel://'],
      ['redis-sentinel://s1:26379/m/x', /database "x" is not a number/, 'redis-sentinel://'],
      ['redis-cluster://n1:7000/0', /has a path/, 'redis-cluster://'],
      ['redis-cluster://n1:99999', /port 99999 is out of range/, 'redis-cluster://'],
      ['redis-cluster://n1:7000,', /names no host/, 'redis-cluster://'],
      ['redis://a:1,b:2/0', /more than one host/, 'redis://'],
      ['redis-cluster://n1?minReplicas=two', /minReplicas "two"/, 'redis-cluster://'],
      ['redis-cluster://n1?waitTimeout=soon', /waitTimeout "soon" is not a duration/, 'redis-cluster://'],
      ['redis-cluster://n1?retry=1s', /unknown option "retry"/, 'redis-cluster://'],
    ];
    for (const [url, message, example] of cases) {
      const error = usage(() => parseRedisUrl(url));
      expect(error.message).toMatch(message);
      expect(error.exitCode).toBe(2);
      expect(error.hint).toContain(`for example: --state ${example}`);
    }
  });

  it('openStateStore refuses a bad URL before importing ioredis or connecting', async () => {
    await expect(openStateStore('redis-sentinel://127.0.0.1:1')).rejects.toBeInstanceOf(UsageError);
    await expect(openStateStore('redis-sentinal://127.0.0.1:1/m')).rejects.toThrow(/unknown state store "redis-sentinal:\/\/127.0.0.1:1\/m"/);
    await expect(openStateStore('memcached://u:pw@host')).rejects.toThrow(/unknown state store "memcached:\/\/host"/);
  });
});
