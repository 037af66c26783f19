/**
 * What every Redis flavour (one server, Sentinel, Cluster) must do beyond the shared contract:
 * fencing of a runner that lost its lock, and listing across the hash-tagged layout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/lib/errors.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { StateStore } from '../../../src/lib/state/types.js';
import { chainedEvents, deadPid, owner, record } from './contract.js';

export function describeRedisSpecifics(flavour: string, fixture: () => { url: string; reset(): Promise<void> }): void {
  describe(`redis specifics: ${flavour}`, () => {
    const opened: StateStore[] = [];
    const open = async (): Promise<StateStore> => {
      const store = await openStateStore(fixture().url);
      opened.push(store);
      return store;
    };
    beforeEach(async () => {
      await fixture().reset();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('fencing: a runner whose lock was taken over can no longer append; the new holder can', async () => {
      const old = await open();
      const r = record({ rolloutId: 'r-fenced' });
      // The old runner's process is gone from this host (its pid is dead), so its lock may be taken over.
      const oldOwner = owner({ rolloutId: r.rolloutId, pid: await deadPid() });
      expect(await old.acquireLock(r.service, oldOwner)).toEqual({ acquired: true });
      await old.createRollout(r);
      const [e1, e2, e3] = chainedEvents(r.rolloutId, 3);
      await old.appendEvent(e1!);

      const taker = await open();
      const newOwner = owner({ rolloutId: r.rolloutId });
      expect(await taker.takeOverLock(r.service, oldOwner.token, newOwner)).toBe(true);
      // The old runner, back from a long pause, tries to go on: refused, and nothing is written.
      await expect(old.appendEvent(e2!)).rejects.toThrow(/another runner has taken over rollout r-fenced/);
      await expect(old.appendEvent(e2!)).rejects.toBeInstanceOf(StateError);
      await taker.appendEvent(e2!);
      await taker.appendEvent(e3!);
      expect((await taker.readEvents(r.rolloutId)).map((e) => e.seq)).toEqual([1, 2, 3]);
      // The fence is not part of the record anyone reads.
      const read = await taker.getRollout(r.rolloutId);
      expect(read).toMatchObject({ ...r, head: { seq: 3, hash: e3!.hash } });
      expect(read).not.toHaveProperty('fence');
    });

    it('lists many rollouts newest first, per service and with a limit, wherever their keys live', async () => {
      const store = await open();
      const services = ['checkout', 'search', 'cart', 'payments'];
      const created = Array.from({ length: 24 }, (_, i) =>
        record({ rolloutId: `r-many-${String(i).padStart(2, '0')}`, service: services[i % services.length]!, createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }),
      );
      await Promise.all(created.map((r) => store.createRollout(r)));
      const newestFirst = [...created].reverse().map((r) => r.rolloutId);
      expect((await store.listRollouts()).map((r) => r.rolloutId)).toEqual(newestFirst);
      expect((await store.listRollouts({ limit: 5 })).map((r) => r.rolloutId)).toEqual(newestFirst.slice(0, 5));
      expect((await store.listRollouts({ service: 'cart' })).map((r) => r.rolloutId)).toEqual([...created].reverse().filter((r) => r.service === 'cart').map((r) => r.rolloutId));
    });
  });
}
