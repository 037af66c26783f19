/**
 * The state store on Redis Sentinel: a master, a replica and three sentinels (real processes).
 * The shared contract, then what Sentinel adds: writes confirmed by the replica, and a master
 * SIGKILLed under a stream of appends losing none that were acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog, verifyChain } from '../../../src/lib/evidence/chain.js';
import { StateError } from '../../../src/lib/errors.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { StateStore } from '../../../src/lib/state/types.js';
import { freePort, redisCommand, startSentinelGroup, type SentinelGroup } from '../../support/redis.js';
import { describeStateStoreContract, record } from './contract.js';
import { describeRedisSpecifics } from './redis-specifics.js';

let group: SentinelGroup;

beforeAll(async () => {
  group = await startSentinelGroup();
}, 60_000);
afterAll(async () => {
  await group?.stop();
});

describeStateStoreContract('redis sentinel', {
  reset: async () => group.flush(),
  open: async () => openStateStore(group.url),
  lockLiveness: 'server-ttl',
});

describeRedisSpecifics('redis sentinel', () => ({ url: group.url, reset: () => group.flush() }));

describe('redis sentinel specifics', () => {
  it('unreachable sentinels: a StateError naming the addresses, fast', async () => {
    const ports = [await freePort(), await freePort()];
    const url = `redis-sentinel://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}/mymaster/0`;
    const started = Date.now();
    const error = await openStateStore(url).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(`cannot reach the state store at the Sentinel master "mymaster" through ${url}`);
  });

  it('an event counts as recorded only once the replica has it', async () => {
    await group.flush();
    const store = await openStateStore(group.url);
    try {
      const r = record();
      await store.createRollout(r);
      const log = await EventLog.open(store, r.rolloutId);
      const master = await group.masterPort();
      const replica = group.dataPorts.find((p) => p !== master)!;
      for (let i = 0; i < 10; i += 1) {
        await log.append('test.event', { i });
        // Read straight from the replica, right after the append returned.
        expect(await redisCommand(replica, 'XLEN', `rollgate:events:{${r.rolloutId}}`)).toBe(i + 1);
      }
    } finally {
      await store.close();
    }
  });

  it('master SIGKILLed under a stream of appends: every acknowledged event survives the failover, the chain verifies', async () => {
    await group.flush();
    await group.waitForReplicas(1);
    const store: StateStore = await openStateStore(group.url);
    try {
      const r = record();
      await store.createRollout(r);
      const log = await EventLog.open(store, r.rolloutId);
      const acknowledged: number[] = [];
      let longest = 0;
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i += 1) {
          const started = Date.now();
          await log.append('test.event', { i });
          longest = Math.max(longest, Date.now() - started);
          acknowledged.push(log.lastSeq);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = acknowledged.length;
      const killed = await group.killMaster();
      const failoverMs = await group.waitForFailover(killed);
      // Keep writing a little on the new master, then stop.
      const target = acknowledged.length + 10;
      await expect.poll(() => acknowledged.length, { timeout: 40_000, interval: 100 }).toBeGreaterThanOrEqual(target);
      stop = true;
      await writer;
      const events = await store.readEvents(r.rolloutId);
      expect(before).toBeGreaterThan(5);
      expect(events.map((e) => e.seq)).toEqual(acknowledged);
      expect(verifyChain(events)).toMatchObject({ ok: true, count: acknowledged.length });
      console.log(`sentinel failover: sentinels promoted the replica ${failoverMs} ms after the SIGKILL; the longest append waited ${longest} ms`);
      // Put the group back together for whatever runs next.
      await group.restartAsReplica(killed);
      await group.waitForReplicas(1);
    } finally {
      await store.close();
    }
  }, 90_000);
});
