/**
 * The StateStore contract: one suite, run against every backend (file-store.test.ts,
 * redis-store.test.ts) with real parts. A backend passes only if all of it passes.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, GENESIS_PREV, hashEvent, verifyChain } from '../../../src/lib/evidence/chain.js';
import { StateError, UsageError } from '../../../src/lib/errors.js';
import { isLockDead } from '../../../src/lib/state/lock-liveness.js';
import type { AbortRequest, LockOwner, RolloutEvent, RolloutRecord, StateStore } from '../../../src/lib/state/types.js';

export interface StoreFixture {
  /** Called before each test: an empty store. */
  reset(): Promise<void>;
  /** Opens one more independent store instance (its own connection / its own caches) on the same data. */
  open(): Promise<StateStore>;
  /**
   * How the backend judges a lock holder on another host: 'heartbeat' (file store: heartbeatAt
   * older than ttlMs, by this host's clock) or 'server-ttl' (Redis: the key's TTL on the server;
   * heartbeatAt, written by another host's clock, is never compared). Default 'heartbeat'.
   */
  lockLiveness?: 'heartbeat' | 'server-ttl';
}

/** A lock as stored, without what the store adds when reading it (the server-side TTL). */
export function stored(lock: LockOwner | undefined): LockOwner | undefined {
  if (!lock) return lock;
  const { expiresInMs: _ttl, ...rest } = lock;
  return rest;
}

export function record(overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  const createdAt = overrides.createdAt ?? new Date().toISOString();
  return {
    rolloutId: `r-${randomUUID().slice(0, 8)}`,
    service: 'checkout',
    planName: 'checkout-v2',
    planFile: 'plan.yaml',
    planSha256: 'a'.repeat(64),
    status: 'running',
    step: -1,
    weight: 0,
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

export function owner(overrides: Partial<LockOwner> = {}): LockOwner {
  const now = new Date().toISOString();
  return { token: randomUUID(), rolloutId: 'r-1', pid: process.pid, host: os.hostname(), user: 'tester', acquiredAt: now, heartbeatAt: now, ttlMs: 30_000, ...overrides };
}

/** Raw chained events (what EventLog would build), for seq tests. */
export function chainedEvents(rolloutId: string, count: number): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= count; seq += 1) {
    const body: RolloutEvent = { seq, rolloutId, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), type: 'test.event', prev, data: { n: seq } };
    const event = { ...body, hash: hashEvent(body) };
    events.push(event);
    prev = event.hash;
  }
  return events;
}

/** The pid of a process that existed and is now gone. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

function within<T>(ms: number, what: string, register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not seen within ${ms} ms`)), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

export function describeStateStoreContract(backend: string, fixture: StoreFixture): void {
  describe(`StateStore contract: ${backend}`, () => {
    const opened: StateStore[] = [];
    const open = async (): Promise<StateStore> => {
      const store = await fixture.open();
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      await fixture.reset();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('rollout records', () => {
      it('creates, reads, updates and lists newest first, per service and with a limit', async () => {
        const store = await open();
        const a = record({ rolloutId: 'r-a', createdAt: '2026-01-01T10:00:00.000Z' });
        const b = record({ rolloutId: 'r-b', service: 'search', createdAt: '2026-01-01T11:00:00.000Z' });
        const c = record({ rolloutId: 'r-c', createdAt: '2026-01-01T12:00:00.000Z', reason: 'why', operator: 'ana@host' });
        for (const r of [a, b, c]) await store.createRollout(r);

        expect(await store.getRollout('r-c')).toEqual(c);
        expect(await store.getRollout('r-missing')).toBeUndefined();
        expect((await store.listRollouts()).map((r) => r.rolloutId)).toEqual(['r-c', 'r-b', 'r-a']);
        expect((await store.listRollouts({ service: 'checkout' })).map((r) => r.rolloutId)).toEqual(['r-c', 'r-a']);
        expect((await store.listRollouts({ limit: 2 })).map((r) => r.rolloutId)).toEqual(['r-c', 'r-b']);
        expect(await store.listRollouts({ service: 'nothing-here' })).toEqual([]);

        await store.updateRollout('r-a', { status: 'promoted', step: 3, weight: 100, updatedAt: '2026-01-01T13:00:00.000Z', reason: 'done' });
        expect(await store.getRollout('r-a')).toEqual({ ...a, status: 'promoted', step: 3, weight: 100, updatedAt: '2026-01-01T13:00:00.000Z', reason: 'done' });
        // Seen by another instance, too.
        const other = await open();
        expect((await other.getRollout('r-a'))?.status).toBe('promoted');
      });

      it('refuses to create a rollout twice and to update an unknown one', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        await expect(store.createRollout(r)).rejects.toBeInstanceOf(StateError);
        await expect(store.updateRollout('r-unknown', { status: 'failed' })).rejects.toBeInstanceOf(StateError);
      });

      it('rejects IDs that are not safe names', async () => {
        const store = await open();
        await expect(store.createRollout(record({ rolloutId: '../escape' }))).rejects.toBeInstanceOf(UsageError);
        expect(await store.getRollout('../escape')).toBeUndefined();
      });
    });

    describe('event log', () => {
      it('appends and reads events in order; the chain verifies', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        const log = await EventLog.open(store, r.rolloutId);
        // Fired without awaiting each: EventLog still appends them as a sequence.
        await Promise.all(Array.from({ length: 20 }, (_, i) => log.append('test.event', { i, value: i === 3 ? Number.NaN : i / 7 })));
        const events = await store.readEvents(r.rolloutId);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(events.map((e) => e.data.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(events[3]?.data.value).toBe('NaN');
        const verdict = verifyChain(events);
        expect(verdict).toEqual({ ok: true, count: 20, head: log.head });
        expect(log.lastSeq).toBe(20);

        // A reopened log continues the chain.
        const reopened = await EventLog.open(await open(), r.rolloutId);
        expect(reopened.head).toBe(log.head);
        await reopened.append('test.more', {});
        expect(verifyChain(await store.readEvents(r.rolloutId))).toMatchObject({ ok: true, count: 21 });
      });

      it('rejects a duplicate seq, a gap, an unknown rollout and data that cannot be canonicalised', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        const [e1, e2, e3] = chainedEvents(r.rolloutId, 3) as [RolloutEvent, RolloutEvent, RolloutEvent];
        await store.appendEvent(e1);
        await expect(store.appendEvent(e1)).rejects.toBeInstanceOf(StateError);
        await expect(store.appendEvent(e3)).rejects.toThrow(/ends at #1/);
        await store.appendEvent(e2);
        await expect(store.appendEvent({ ...e3, rolloutId: 'r-nowhere' })).rejects.toBeInstanceOf(StateError);
        await expect(store.appendEvent({ ...e3, data: { bad: Number.POSITIVE_INFINITY } })).rejects.toBeInstanceOf(StateError);
        expect((await store.readEvents(r.rolloutId)).map((e) => e.seq)).toEqual([1, 2]);
        expect(await store.readEvents('r-nowhere')).toEqual([]);
      });

      it('moves the chain head with each append, together with the record fields given with it', async () => {
        const store = await open();
        const r = record();
        await store.createRollout({ ...r, head: { seq: 0, hash: GENESIS_PREV } });
        const [e1, e2] = chainedEvents(r.rolloutId, 2) as [RolloutEvent, RolloutEvent];
        await store.appendEvent(e1, { status: 'running', step: 0, weight: 10, reason: '', updatedAt: e1.at });
        expect(await store.getRollout(r.rolloutId)).toMatchObject({ head: { seq: 1, hash: e1.hash }, step: 0, weight: 10, updatedAt: e1.at });
        await store.appendEvent(e2, { status: 'paused', reason: 'waiting for approval of step 1' });
        const other = await open();
        expect(await other.getRollout(r.rolloutId)).toMatchObject({ head: { seq: 2, hash: e2.hash }, status: 'paused', reason: 'waiting for approval of step 1' });
        // A rejected append moves nothing.
        await expect(store.appendEvent(e1, { status: 'failed' })).rejects.toBeInstanceOf(StateError);
        expect(await other.getRollout(r.rolloutId)).toMatchObject({ head: { seq: 2, hash: e2.hash }, status: 'paused' });
      });

      it('keeps kind and dryRun; lists audits only when asked', async () => {
        const store = await open();
        const rollout = record({ rolloutId: 'r-kind-1', createdAt: '2026-01-01T10:00:00.000Z', dryRun: true, kind: 'rollout' });
        const audit = record({ rolloutId: 'a-kind-2', createdAt: '2026-01-01T11:00:00.000Z', kind: 'audit' });
        await store.createRollout(rollout);
        await store.createRollout(audit);
        expect(await store.getRollout('r-kind-1')).toEqual(rollout);
        expect(await store.getRollout('a-kind-2')).toEqual(audit);
        expect((await store.listRollouts()).map((x) => x.rolloutId)).toEqual(['r-kind-1']);
        expect((await store.listRollouts({ limit: 1 })).map((x) => x.rolloutId)).toEqual(['r-kind-1']);
        expect((await store.listRollouts({ kinds: ['audit'] })).map((x) => x.rolloutId)).toEqual(['a-kind-2']);
        expect((await store.listRollouts({ kinds: ['rollout', 'audit'] })).map((x) => x.rolloutId)).toEqual(['a-kind-2', 'r-kind-1']);
        // An audit's events form a chain like a rollout's, with a head.
        const log = await EventLog.open(store, 'a-kind-2');
        await log.append('audit.started', { policy: 'p' });
        expect((await store.getRollout('a-kind-2'))?.head).toEqual({ seq: 1, hash: log.head });
      });

      it('enforces seq across instances: a writer with an outdated view is rejected', async () => {
        const first = await open();
        const second = await open();
        const r = record();
        await first.createRollout(r);
        const [e1, e2, e3] = chainedEvents(r.rolloutId, 3) as [RolloutEvent, RolloutEvent, RolloutEvent];
        await first.appendEvent(e1);
        await second.appendEvent(e2);
        // `first` last wrote #1; #2 came from elsewhere, so a second #2 must fail and #3 succeed.
        await expect(first.appendEvent(e2)).rejects.toBeInstanceOf(StateError);
        await first.appendEvent(e3);
        expect((await second.readEvents(r.rolloutId)).map((e) => e.seq)).toEqual([1, 2, 3]);
      });
    });

    describe('locks', () => {
      it('acquires, refuses while held, heartbeats and releases only for its owner', async () => {
        const store = await open();
        const other = await open();
        const mine = owner({ heartbeatAt: '2026-01-01T00:00:00.000Z' });
        expect(await store.acquireLock('checkout', mine)).toEqual({ acquired: true });
        const refused = await other.acquireLock('checkout', owner());
        expect(refused.acquired).toBe(false);
        expect(stored(refused.acquired ? undefined : refused.holder)).toEqual(mine);
        expect(stored(await other.getLock('checkout'))).toEqual(mine);
        expect(await other.getLock('search')).toBeUndefined();

        expect(await other.heartbeat('checkout', 'not-the-token')).toBe(false);
        expect(await store.heartbeat('checkout', mine.token)).toBe(true);
        const beaten = await other.getLock('checkout');
        expect(beaten?.token).toBe(mine.token);
        expect(Date.parse(beaten!.heartbeatAt)).toBeGreaterThan(Date.parse(mine.heartbeatAt));

        expect(await other.releaseLock('checkout', 'not-the-token')).toBe(false);
        expect(await other.getLock('checkout')).toBeDefined();
        expect(await store.releaseLock('checkout', mine.token)).toBe(true);
        expect(await store.getLock('checkout')).toBeUndefined();
        expect(await store.heartbeat('checkout', mine.token)).toBe(false);
        expect(await store.releaseLock('checkout', mine.token)).toBe(false);
        expect(await other.acquireLock('checkout', owner())).toEqual({ acquired: true });
      });

      it('never takes over a live lock', async () => {
        const store = await open();
        const live = owner();
        await store.acquireLock('checkout', live);
        expect(isLockDead(live, new Date())).toBe(false);
        const other = await open();
        expect(await other.takeOverLock('checkout', live.token, owner())).toBe(false);
        expect(await other.takeOverLock('checkout', 'wrong-token', owner())).toBe(false);
        expect((await other.getLock('checkout'))?.token).toBe(live.token);
      });

      it('takes over the lock of a dead process on this host, and the dead owner loses it', async () => {
        const store = await open();
        const dead = owner({ pid: await deadPid() });
        await store.acquireLock('checkout', dead);
        expect(isLockDead(dead, new Date())).toBe(true);
        const taker = owner();
        expect(await (await open()).takeOverLock('checkout', dead.token, taker)).toBe(true);
        expect(stored(await store.getLock('checkout'))).toEqual(taker);
        expect(await store.heartbeat('checkout', dead.token)).toBe(false);
        expect(await store.releaseLock('checkout', dead.token)).toBe(false);
        expect(await store.heartbeat('checkout', taker.token)).toBe(true);
      });

      if (fixture.lockLiveness === 'server-ttl') {
        it('judges a holder on another host by the key TTL on the server, never by its heartbeatAt', async () => {
          const store = await open();
          // heartbeatAt an hour in the past, as a host with a skewed clock would write it: the key is alive, so is the holder.
          const skewed = owner({ host: 'elsewhere.example', pid: 1, heartbeatAt: new Date(Date.now() - 3_600_000).toISOString(), ttlMs: 800 });
          await store.acquireLock('checkout', skewed);
          const seen = await (await open()).getLock('checkout');
          expect(seen?.expiresInMs).toBeGreaterThan(0);
          expect(seen!.expiresInMs!).toBeLessThanOrEqual(800);
          expect(isLockDead(seen!, new Date())).toBe(false);
          expect(await store.takeOverLock('checkout', skewed.token, owner())).toBe(false);
          // No heartbeat: the server expires the key, and the lock is free for anyone.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(await store.getLock('checkout')).toBeUndefined();
          const next = owner();
          expect(await (await open()).acquireLock('checkout', next)).toEqual({ acquired: true });
          // A heartbeatAt in the future (the other skew) changes nothing either.
          expect(isLockDead({ ...skewed, heartbeatAt: new Date(Date.now() + 3_600_000).toISOString(), expiresInMs: 0 }, new Date())).toBe(true);
        });
      } else {
        it('takes over a lock whose heartbeat (on another host) is older than its TTL', async () => {
          const store = await open();
          const stale = owner({ host: 'elsewhere.example', pid: 1, heartbeatAt: new Date(Date.now() - 60_000).toISOString(), ttlMs: 30_000 });
          await store.acquireLock('checkout', stale);
          expect(isLockDead(stale, new Date())).toBe(true);
          const taker = owner();
          expect(await store.takeOverLock('checkout', stale.token, taker)).toBe(true);
          expect((await store.getLock('checkout'))?.token).toBe(taker.token);
        });
      }

      it('of two concurrent take-overs of a dead lock exactly one wins', async () => {
        const store = await open();
        const dead = owner({ pid: await deadPid() });
        await store.acquireLock('checkout', dead);
        const takers = await Promise.all([open(), open(), open(), open()]);
        const owners = takers.map(() => owner());
        const results = await Promise.all(takers.map((t, i) => t.takeOverLock('checkout', dead.token, owners[i]!)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = owners[results.indexOf(true)]!;
        expect((await store.getLock('checkout'))?.token).toBe(winner.token);
      });
    });

    describe('abort requests', () => {
      const request: AbortRequest = { reason: '5xx spike', severity: 'critical', by: 'ana@laptop', at: '2026-01-01T00:00:00.000Z' };

      it('reaches a watcher on another instance within 1 s, once', async () => {
        const runner = await open();
        const operator = await open();
        const r = record();
        await runner.createRollout(r);
        const seen: AbortRequest[] = [];
        let resolveSeen: (value: number) => void = () => undefined;
        const started = Date.now();
        const unwatch = await runner.watchAbort(r.rolloutId, (req) => {
          seen.push(req);
          resolveSeen(Date.now() - started);
        });
        const latency = within<number>(1_000, 'abort request', (resolve) => {
          resolveSeen = resolve;
        });
        await operator.requestAbort(r.rolloutId, request);
        await latency;
        expect(seen).toEqual([request]);
        expect(await runner.getAbortRequest(r.rolloutId)).toEqual(request);
        // Delivered once, even with more polls and messages after.
        await operator.requestAbort(r.rolloutId, { ...request, reason: 'again' });
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect(seen).toHaveLength(1);
        await unwatch();
      });

      it('a watcher that starts after the request still sees the durable flag', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        expect(await store.getAbortRequest(r.rolloutId)).toBeUndefined();
        await (await open()).requestAbort(r.rolloutId, request);
        const late = await open();
        let unwatch: (() => Promise<void>) | undefined;
        const seen = await within<AbortRequest>(1_000, 'durable abort flag', (resolve) => {
          void late.watchAbort(r.rolloutId, resolve).then((u) => {
            unwatch = u;
          });
        });
        expect(seen).toEqual(request);
        await unwatch?.();
      });

      it('stops calling back after unsubscribe, and refuses unknown rollouts', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        let calls = 0;
        const unwatch = await store.watchAbort(r.rolloutId, () => {
          calls += 1;
        });
        await unwatch();
        await store.requestAbort(r.rolloutId, request);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(calls).toBe(0);
        await expect(store.requestAbort('r-unknown', request)).rejects.toBeInstanceOf(UsageError);
      });
    });

    describe('approvals', () => {
      it('round-trips a decision per step, across instances', async () => {
        const store = await open();
        const r = record();
        await store.createRollout(r);
        expect(await store.getApproval(r.rolloutId, 2)).toBeUndefined();
        const decision = { step: 2, decision: 'approve' as const, by: 'ana@laptop', at: '2026-01-01T00:00:00.000Z', comment: 'dashboards fine' };
        await (await open()).setApproval(r.rolloutId, decision);
        expect(await store.getApproval(r.rolloutId, 2)).toEqual(decision);
        expect(await store.getApproval(r.rolloutId, 1)).toBeUndefined();
        await store.setApproval(r.rolloutId, { step: 1, decision: 'rollback', by: 'bo@ci', at: '2026-01-01T00:01:00.000Z' });
        expect((await store.getApproval(r.rolloutId, 1))?.decision).toBe('rollback');
        await expect(store.setApproval('r-unknown', decision)).rejects.toBeInstanceOf(UsageError);
      });
    });
  });
}
