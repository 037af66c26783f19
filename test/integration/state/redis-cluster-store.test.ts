/**
 * The state store on a 3-node Redis Cluster (real processes). The shared contract, then what the
 * cluster adds: hash-tagged keys spread over the nodes, listing across them, a node restart under
 * a stream of appends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog, verifyChain } from '../../../src/lib/evidence/chain.js';
import { StateError } from '../../../src/lib/errors.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import { freePort, startRedisCluster, type RedisCluster } from '../../support/redis.js';
import { describeStateStoreContract, record } from './contract.js';
import { describeRedisSpecifics } from './redis-specifics.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describeStateStoreContract('redis cluster', {
  reset: async () => cluster.flush(),
  open: async () => openStateStore(cluster.url),
  lockLiveness: 'server-ttl',
});

describeRedisSpecifics('redis cluster', () => ({ url: cluster.url, reset: () => cluster.flush() }));

describe('redis cluster specifics', () => {
  it('unreachable cluster: a StateError naming the addresses, fast', async () => {
    const ports = [await freePort(), await freePort()];
    const url = `redis-cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`;
    const started = Date.now();
    const error = await openStateStore(url).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(error).toBeInstanceOf(StateError);
    expect((error as Error).message).toContain(`cannot reach the state store at ${url}`);
  });

  it('the keys of different rollouts spread over the nodes', async () => {
    await cluster.flush();
    const store = await openStateStore(cluster.url);
    try {
      for (let i = 0; i < 12; i += 1) {
        const r = record({ rolloutId: `r-spread-${i}`, service: `svc-${i}` });
        await store.createRollout(r);
        const log = await EventLog.open(store, r.rolloutId);
        await log.append('test.event', { i });
      }
      const perNode = await cluster.keysPerNode();
      expect(perNode.every((n) => n > 0)).toBe(true);
      expect((await store.listRollouts()).length).toBe(12);
    } finally {
      await store.close();
    }
  });

  it('a node SIGKILLed and restarted under a stream of appends: nothing acknowledged is lost', async () => {
    await cluster.flush();
    const store = await openStateStore(cluster.url);
    try {
      // One rollout per node's slots is likely with 6 rollouts; all of them keep appending.
      const ids = Array.from({ length: 6 }, (_, i) => `r-restart-${i}`);
      const logs = await Promise.all(
        ids.map(async (id) => {
          await store.createRollout(record({ rolloutId: id, service: id }));
          return EventLog.open(store, id);
        }),
      );
      let stop = false;
      let longest = 0;
      const writers = logs.map(async (log) => {
        const acknowledged: number[] = [];
        for (let i = 0; !stop; i += 1) {
          const started = Date.now();
          await log.append('test.event', { i });
          longest = Math.max(longest, Date.now() - started);
          acknowledged.push(log.lastSeq);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        return acknowledged;
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      await cluster.restartNode(cluster.ports[1]!, 1_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      stop = true;
      const acknowledged = await Promise.all(writers);
      for (const [i, id] of ids.entries()) {
        const events = await store.readEvents(id);
        expect(events.map((e) => e.seq)).toEqual(acknowledged[i]);
        expect(verifyChain(events).ok).toBe(true);
      }
      console.log(`cluster node restart (down 1 s): the longest append waited ${longest} ms`);
    } finally {
      await store.close();
    }
  }, 90_000);
});
