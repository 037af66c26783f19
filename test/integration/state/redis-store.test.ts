import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/lib/errors.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import { freePort, startRedis, type RedisServer } from '../../support/redis.js';
import { chainedEvents, describeStateStoreContract, record } from './contract.js';
import { describeRedisSpecifics } from './redis-specifics.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describeStateStoreContract('redis', {
  reset: async () => redis.flush(),
  open: async () => openStateStore(redis.url),
  lockLiveness: 'server-ttl',
});

describeRedisSpecifics('redis', () => ({ url: redis.url, reset: () => redis.flush() }));

describe('redis store specifics', () => {
  it('an unreachable server is a StateError naming the address without credentials, fast', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await openStateStore(`redis://ana:s3cret@127.0.0.1:${port}/2`).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toBe(`cannot reach the state store at redis://127.0.0.1:${port}/2 (ECONNREFUSED)`);
    expect((error as Error).message).not.toMatch(/s3cret|ana/);
  });

  it('the store URL it reports carries no credentials', async () => {
    // The test server's `default` user has no password, so Redis accepts any password for it.
    const store = await openStateStore(redis.url.replace('redis://', 'redis://default:s3cret@'));
    expect(store.url).toBe(redis.url);
    await store.close();
  }, 10_000);

  it('keeps the documented, hash-tagged keys', async () => {
    await redis.flush();
    const store = await openStateStore(redis.url);
    const r = record({ rolloutId: 'r-keys' });
    await store.createRollout(r);
    await store.appendEvent(chainedEvents('r-keys', 1)[0]!);
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    try {
      expect(await raw.type('rollgate:rollout:{r-keys}')).toBe('hash');
      expect(await raw.type('rollgate:events:{r-keys}')).toBe('stream');
      expect(await raw.zrange('rollgate:index:{rollouts}', 0, -1)).toEqual(['r-keys']);
      expect(await raw.zrange('rollgate:index:{rollouts}:checkout', 0, -1)).toEqual(['r-keys']);
      // A stream entry edited by hand is reported, not trusted.
      const [[id]] = (await raw.xrange('rollgate:events:{r-keys}', '-', '+')) as [[string, string[]]];
      await raw.xdel('rollgate:events:{r-keys}', id);
      await raw.xadd('rollgate:events:{r-keys}', '*', 'seq', '1', 'event', '{"seq": 1, "rolloutId": "r-keys"}');
      await expect(store.readEvents('r-keys')).rejects.toMatchObject({ position: 1 });
    } finally {
      raw.disconnect();
      await store.close();
    }
  });

  it('a server killed mid-use: StateError once retryFor has passed (no hang)', async () => {
    await redis.flush();
    const store = await openStateStore(`${redis.url}?retryFor=1s`);
    const r = record();
    await store.createRollout(r);
    await redis.kill();
    const started = Date.now();
    const error = await store.getRollout(r.rolloutId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toMatch(/after retrying for 1\.\d s/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Having given up once, the store does not wait again while it is still down: the runner's
    // restore-without-store path starts after retryFor, not after twice that.
    const again = Date.now();
    await expect(store.getLock('checkout')).rejects.toBeInstanceOf(StateError);
    expect(Date.now() - again).toBeLessThan(2_000); // one reconnect attempt, not another retryFor
    await redis.restart();
    // Data is gone (no persistence in tests), but the connection comes back by itself.
    await expect.poll(async () => store.getRollout(r.rolloutId).then(() => 'ok', () => 'down'), { timeout: 5_000, interval: 200 }).toBe('ok');
    await store.close();
  });

  it('an operation issued while the server is down completes when it is back within retryFor', async () => {
    await redis.flush();
    const store = await openStateStore(redis.url);
    await redis.kill();
    const started = Date.now();
    const pending = store.createRollout(record({ rolloutId: 'r-while-down' }));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await redis.restart();
    await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect((await store.getRollout('r-while-down'))?.rolloutId).toBe('r-while-down');
    await store.close();
  });
});
