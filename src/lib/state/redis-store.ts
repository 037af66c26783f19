/**
 * The shared state store on Redis (ioredis), for teams whose terminals and CI runners must see the
 * same rollouts, locks and abort requests: one server, Sentinel or Cluster (redis-url.ts). Loaded
 * lazily by open.ts: only commands that use Redis pay for ioredis.
 *
 * Keys (all prefixed `rollgate:`). The part in {braces} is the Redis Cluster hash tag: every key of
 * one rollout lives in one slot, so each multi-key script is legal on a cluster.
 *   rollout:{ID}              hash     the index record (one field per record field, plus `fence`)
 *   events:{ID}               stream   the hash-chained log: fields `seq` and `event` (canonical JSON)
 *   abort:{ID}                string   durable abort request; also PUBLISHed on channel abort:{ID}
 *   approval:{ID}:STEP        string   approval decision JSON
 *   lock:{SERVICE}            string   lock owner JSON (with its token), SET NX PX ttl
 *   index:{rollouts}          zset     every rollout ID, score = createdAt (ms)
 *   index:{rollouts}:SERVICE  zset     the service's rollout IDs, same score
 * The two index sets share their own slot and are written before the record (ZADD NX, idempotent):
 * a record that exists is always listed; an index entry without a record (a crash in between) is
 * skipped when listing. So listing is one ZREVRANGE on one node plus one HGETALL per rollout, on a
 * cluster as on one server, instead of a SCAN of every master.
 *
 * Durability: every write that matters is confirmed by `WAIT` from min(minReplicas, replicas
 * attached to that master) replicas before it returns; an operation that meets a failover, a
 * restart or a replica shortfall is retried for up to `retryFor`, each retry safe to repeat
 * (a repeated append of the identical event, a create of the identical record and a lock we
 * already hold count as done).
 *
 * Fencing: the store remembers the lock tokens it acquired; acquiring a rollout's service lock
 * stamps the token into the rollout's record (`fence`), and an append from a store whose token is
 * not the fence is refused. A runner that lost its lock (to a take-over) cannot append any more.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { canonicalEventText, hashEvent, isCanonicalJson } from '../log/chain.js';
import { StateError, UsageError } from '../errors.js';
import { sleep } from '../sleep.js';
import { CorruptEventLogError } from './event-log-error.js';
import { isLockDead } from './lock-liveness.js';
import type { RedisTarget } from './redis-url.js';
import { abortRequestSchema, approvalDecisionSchema, isSafeName, lockOwnerSchema, parseStored, rolloutRecordSchema, storedEventSchema } from './schemas.js';
import type { AbortRequest, AcquireResult, ApprovalDecision, LockOwner, ReadEventsOptions, RecordPatch, RolloutEvent, RolloutRecord, StateStore, StoreOutage } from './types.js';

type Client = Redis | Cluster;

const PREFIX = 'rollgate:';
export const redisKeys = {
  rollout: (id: string) => `${PREFIX}rollout:{${id}}`,
  events: (id: string) => `${PREFIX}events:{${id}}`,
  abort: (id: string) => `${PREFIX}abort:{${id}}`,
  approval: (id: string, step: number) => `${PREFIX}approval:{${id}}:${step}`,
  lock: (service: string) => `${PREFIX}lock:{${service}}`,
  index: () => `${PREFIX}index:{rollouts}`,
  serviceIndex: (service: string) => `${PREFIX}index:{rollouts}:${service}`,
};
const key = redisKeys;

/** Every watcher re-reads the durable abort flag this often, so a missed pub/sub message costs at most this. */
const ABORT_POLL_MS = 250;
const CONNECT_TIMEOUT_MS = 3_000;
const COMMAND_TIMEOUT_MS = 5_000;
const EVENTS_PAGE = 1_000;

/** Adds the rollout to both index sets (one slot); NX keeps the first score. */
const INDEX_SCRIPT = `
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[2])
return 1`;

/** Creates the record unless it exists: 1 created, 0 exists. */
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/** Stamps the lock holder's token into an existing record: appends from any other token are refused. */
const FENCE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1])
return 1`;

/**
 * XADD only when seq = last seq + 1, the rollout exists and (ARGV[3] non-empty) the record's fence
 * is ours. ARGV[4] = '1' on a retry: the identical event already at the end counts as appended
 * (the first attempt landed, its answer was lost). Returns {1, seq} appended, {2, seq} already
 * there, {0, last} out of sequence, {-1, 0} no such rollout, {-2, 0} fenced off.
 * The record's chain head (ARGV[5]) and the fields derived with it (ARGV[6..]) are set in the same
 * script, so the log and its head never disagree.
 */
const APPEND_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1, 0} end
if ARGV[3] ~= '' then
  local fence = redis.call('HGET', KEYS[2], 'fence')
  if fence and fence ~= ARGV[3] then return {-2, 0} end
end
local last = 0
local lastEvent = false
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #tail > 0 then
  local fields = tail[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'seq' then last = tonumber(fields[i + 1]) end
    if fields[i] == 'event' then lastEvent = fields[i + 1] end
  end
end
if ARGV[4] == '1' and tonumber(ARGV[1]) == last and lastEvent == ARGV[2] then return {2, last} end
if tonumber(ARGV[1]) ~= last + 1 then return {0, last} end
redis.call('XADD', KEYS[1], '*', 'seq', ARGV[1], 'event', ARGV[2])
redis.call('HSET', KEYS[2], 'head', ARGV[5], unpack(ARGV, 6))
return {1, tonumber(ARGV[1])}`;

/**
 * Compare-and-set on a lock. ARGV[1] = 'token' (compare the owner token inside the JSON) or 'value'
 * (compare the exact stored JSON, so a heartbeat in between makes it fail); ARGV[2] = expected;
 * ARGV[3] = new value ('' deletes); ARGV[4] = ttl ms.
 */
const LOCK_CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if ARGV[1] == 'token' then
  local ok, owner = pcall(cjson.decode, current)
  if not ok or type(owner) ~= 'table' or owner.token ~= ARGV[2] then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1`;

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(error);
}

/** A write the master took but too few replicas confirmed in time: retried like a failover. */
class ReplicaShortfall extends Error {
  override readonly name = 'ReplicaShortfall';
}

/**
 * Worth retrying: connection trouble (no reply at all) and the replies Redis gives while a
 * failover, a restart or a resharding is under way. A script error or a wrong type is not.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof StateError || error instanceof UsageError || error instanceof CorruptEventLogError) return false;
  const e = error as { name?: unknown; message?: unknown } | undefined;
  if (e?.name !== 'ReplyError') return true;
  return typeof e.message === 'string' && /^(READONLY|LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|NOREPLICAS|UNBLOCKED|MOVED|ASK) /.test(e.message);
}

type PipelineResult = Array<[Error | null, unknown]> | null;

function results(replies: PipelineResult): unknown[] {
  if (!replies) throw new Error('Connection is closed.');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

export class RedisStateStore implements StateStore {
  private readonly watchers = new Set<() => Promise<void>>();
  /** rolloutId → the lock token this store holds for it (the fence its appends carry). */
  private readonly held = new Map<string, string>();
  private closed = false;
  /**
   * Set when an operation gave up after retryFor, cleared by the next success: while it is set,
   * operations are tried once, not retried again, so the caller's restore-without-store path (which
   * still asks the store one question) starts after retryFor, not after twice that.
   */
  private givenUp = false;
  /** When operations started failing (undefined while the store answers), and who wants to know. */
  private downSince: number | undefined;
  private readonly outageListeners: Array<(change: StoreOutage) => void> = [];

  private constructor(
    private readonly redis: Client,
    private readonly target: RedisTarget,
  ) {}

  get url(): string {
    return this.target.safeUrl;
  }

  /**
   * Connects once and fails fast: no retry before the first successful connection, so an
   * unreachable server (or set of sentinels, or cluster) is a StateError within seconds. After
   * that, reconnects ride out failovers and restarts (see call()).
   */
  static async connect(target: RedisTarget): Promise<RedisStateStore> {
    const redis = createClient(target);
    try {
      await redis.connect();
      if (target.kind === 'cluster') await (redis as Cluster).ping(); // the slot map is loaded and a node answers
    } catch (error) {
      redis.disconnect();
      const cause = (redis as Client & { lastError?: unknown }).lastError ?? error;
      const what = target.kind === 'sentinel' ? `the Sentinel master "${target.masterName}" through ${target.safeUrl}` : target.safeUrl;
      const code = errorCode(cause);
      const tlsTrouble = target.tls && /CERT|SELF_SIGNED|SSL|TLS|UNABLE_TO_VERIFY/i.test(code);
      const hint = tlsTrouble ? "the server's certificate is not trusted: set ROLLGATE_STATE_CA_FILE to the CA that signed it" : 'check --state / ROLLGATE_STATE and that Redis is running';
      throw new StateError(`cannot reach the state store at ${what} (${code})`, hint, { cause });
    }
    return new RedisStateStore(redis, target);
  }

  /**
   * Runs one store operation, retried for up to retryFor while the store is failing over or
   * restarting. `fn` gets the attempt number (0 first) so a write can tell a retry, whose first
   * attempt may have landed, from a first try.
   */
  private async call<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    const started = Date.now();
    const deadline = started + (this.givenUp ? 0 : this.target.retryForMs);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await fn(attempt);
        this.givenUp = false;
        if (this.downSince !== undefined) {
          const downForMs = Date.now() - this.downSince;
          this.downSince = undefined;
          this.emitOutage({ state: 'up', downForMs });
        }
        return result;
      } catch (error) {
        if (error instanceof StateError || error instanceof UsageError || error instanceof CorruptEventLogError) throw error;
        if (this.closed || !isTransient(error) || Date.now() >= deadline) {
          if (isTransient(error) && attempt > 0) this.givenUp = true;
          const waited = attempt > 0 ? ` after retrying for ${((Date.now() - started) / 1000).toFixed(1)} s` : '';
          throw new StateError(`state store at ${this.url}: ${what} failed${waited} (${errorCode(error)})`, undefined, { cause: error });
        }
        if (this.downSince === undefined) {
          this.downSince = started;
          this.emitOutage({ state: 'down', what, error: errorCode(error), retryForMs: this.target.retryForMs });
        }
        await sleep(Math.min(100 * 2 ** attempt, 1_000));
      }
    }
  }

  onOutage(listener: (change: StoreOutage) => void): void {
    this.outageListeners.push(listener);
  }

  private emitOutage(change: StoreOutage): void {
    for (const listener of this.outageListeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure is not the store's
      }
    }
  }

  /** A write followed by its replication check, retried as one. */
  private write<T>(what: string, routingKey: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    return this.call(what, async (attempt) => {
      const result = await fn(attempt);
      await this.confirmReplicated(routingKey);
      return result;
    });
  }

  /**
   * WAIT until min(minReplicas, replicas attached to the key's master) replicas have every write
   * made so far on this connection. Both commands are pipelined behind a command on the key, so on
   * a cluster they reach the master that took the write.
   */
  private async confirmReplicated(routingKey: string): Promise<void> {
    if (this.target.minReplicas === 0) return;
    const [, role] = results(await this.redis.pipeline().exists(routingKey).role().exec()) as [number, unknown[]];
    if (role[0] !== 'master') throw new ReplicaShortfall(`the server that took the write is a ${String(role[0])} now`);
    const attached = Array.isArray(role[2]) ? role[2].length : 0;
    const needed = Math.min(this.target.minReplicas, attached);
    if (needed === 0) return;
    const [, acked] = results(await this.redis.pipeline().exists(routingKey).wait(needed, this.target.waitTimeoutMs).exec()) as [number, number];
    if (acked < needed) throw new ReplicaShortfall(`only ${acked} of ${needed} replicas confirmed the write within ${this.target.waitTimeoutMs} ms`);
  }

  private checkName(kind: 'rollout ID' | 'service', name: string): void {
    if (!isSafeName(name)) throw new UsageError(`invalid ${kind} "${name}": use letters, digits, ".", "_" and "-"`);
  }

  // ---- rollout records ---------------------------------------------------------------------

  async createRollout(record: RolloutRecord): Promise<void> {
    this.checkName('rollout ID', record.rolloutId);
    this.checkName('service', record.service);
    const score = Date.parse(record.createdAt);
    const id = record.rolloutId;
    const fence = this.held.get(id);
    const fields = [...recordFields(record), ...(fence ? ['fence', fence] : [])];
    // Index first: a record that exists is then always listed (see the key layout above).
    await this.write(`index rollout ${id}`, key.index(), () => this.redis.eval(INDEX_SCRIPT, 2, key.index(), key.serviceIndex(record.service), String(Number.isNaN(score) ? 0 : score), id));
    const created = await this.write(`create rollout ${id}`, key.rollout(id), async (attempt) => {
      const result = await this.redis.eval(CREATE_SCRIPT, 1, key.rollout(id), ...fields);
      // A retry that finds exactly our record: the first attempt landed.
      if (result !== 1 && attempt > 0) return sameHash(await this.redis.hgetall(key.rollout(id)), fields) ? 1 : 0;
      return result;
    });
    if (created !== 1) throw new StateError(`rollout ${id} already exists in ${this.url}`);
  }

  async getRollout(rolloutId: string): Promise<RolloutRecord | undefined> {
    if (!isSafeName(rolloutId)) return undefined;
    const hash = await this.call(`read rollout ${rolloutId}`, () => this.redis.hgetall(key.rollout(rolloutId)));
    if (Object.keys(hash).length === 0) return undefined;
    return parseRecordHash(hash, key.rollout(rolloutId));
  }

  async updateRollout(rolloutId: string, patch: Partial<Omit<RolloutRecord, 'rolloutId' | 'service'>>): Promise<void> {
    if (!isSafeName(rolloutId)) throw new StateError(`cannot update rollout ${rolloutId}: it is not in ${this.url}`);
    // rolloutId and service never change: they are part of the index keys.
    const { rolloutId: _id, service: _service, ...rest } = patch as Partial<RolloutRecord>;
    const fields = recordFields({ ...rest, updatedAt: rest.updatedAt ?? new Date().toISOString() });
    const updated = await this.write(`update rollout ${rolloutId}`, key.rollout(rolloutId), () => this.redis.eval(UPDATE_SCRIPT, 1, key.rollout(rolloutId), ...fields));
    if (updated !== 1) throw new StateError(`cannot update rollout ${rolloutId}: it is not in ${this.url}`);
  }

  async listRollouts(filter: { service?: string; limit?: number; kinds?: ReadonlyArray<'rollout' | 'audit'> } = {}): Promise<RolloutRecord[]> {
    if (filter.service !== undefined && !isSafeName(filter.service)) return [];
    const kinds = filter.kinds ?? ['rollout'];
    const index = filter.service === undefined ? key.index() : key.serviceIndex(filter.service);
    if (filter.limit !== undefined && filter.limit <= 0) return [];
    const records: RolloutRecord[] = [];
    // ZREVRANGE: highest score (newest) first; equal scores by member descending, as the file store does.
    // Paged, so entries whose record never got written (a crash between index and record) and
    // records of other kinds (audits) do not shorten a limited list.
    const page = filter.limit ?? 200;
    for (let start = 0; ; start += page) {
      const ids = await this.call('list rollouts', () => this.redis.zrevrange(index, start, start + page - 1));
      // One HGETALL per rollout: on a cluster the records live in different slots, so no pipeline.
      const hashes = await this.call('list rollouts', () => Promise.all(ids.map((id) => this.redis.hgetall(key.rollout(id)))));
      for (const [i, hash] of hashes.entries()) {
        if (Object.keys(hash).length === 0) continue;
        const record = parseRecordHash(hash, key.rollout(ids[i]!));
        if (kinds.includes(record.kind ?? 'rollout')) records.push(record);
        if (filter.limit !== undefined && records.length >= filter.limit) return records;
      }
      if (ids.length < page) return records;
    }
  }

  // ---- event log ---------------------------------------------------------------------------

  async appendEvent(event: RolloutEvent, patch: RecordPatch = {}): Promise<void> {
    this.checkName('rollout ID', event.rolloutId);
    const id = event.rolloutId;
    const json = canonicalEventText(event);
    const head = JSON.stringify({ seq: event.seq, hash: event.hash ?? hashEvent(event) });
    const fields = recordFields(patch);
    const fence = this.held.get(id) ?? '';
    const [status, last] = await this.write(`append event #${event.seq} to ${id}`, key.events(id), async (attempt) => {
      return (await this.redis.eval(APPEND_SCRIPT, 2, key.events(id), key.rollout(id), String(event.seq), json, fence, attempt > 0 ? '1' : '0', head, ...fields)) as [number, number];
    });
    if (status === -1) throw new StateError(`cannot append to rollout ${id}: it is not in ${this.url}`);
    if (status === -2) throw new StateError(`event #${event.seq} refused: another runner has taken over rollout ${id} (this one lost the service lock)`);
    if (status !== 1 && status !== 2) throw new StateError(`event #${event.seq} rejected: the log of rollout ${id} ends at #${last} (expected #${last + 1})`);
  }

  async readEvents(rolloutId: string, options: ReadEventsOptions = {}): Promise<RolloutEvent[]> {
    if (!isSafeName(rolloutId)) return [];
    const stream = key.events(rolloutId);
    const events: RolloutEvent[] = [];
    let start = '-';
    let position = 0;
    for (;;) {
      const from = start;
      const page = await this.call(`read the events of ${rolloutId}`, () => this.redis.xrange(stream, from, '+', 'COUNT', EVENTS_PAGE));
      for (const [, fields] of page) {
        position += 1;
        const event = parseStreamEntry(rolloutId, position, fields, options);
        if (options.keep !== false) events.push(event);
      }
      if (page.length < EVENTS_PAGE) break;
      start = `(${page.at(-1)![0]}`; // exclusive start (Redis ≥ 6.2)
    }
    return events;
  }

  // ---- locks -------------------------------------------------------------------------------

  /** Remembers the token and stamps it into the rollout's record (when it exists yet) as its fence. */
  private async hold(owner: LockOwner): Promise<void> {
    this.held.set(owner.rolloutId, owner.token);
    if (!isSafeName(owner.rolloutId)) return;
    await this.write(`fence rollout ${owner.rolloutId}`, key.rollout(owner.rolloutId), () => this.redis.eval(FENCE_SCRIPT, 1, key.rollout(owner.rolloutId), owner.token));
  }

  async acquireLock(service: string, owner: LockOwner): Promise<AcquireResult> {
    this.checkName('service', service);
    const lockKey = key.lock(service);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const set = await this.write(`acquire the lock of ${service}`, lockKey, () => this.redis.set(lockKey, JSON.stringify(owner), 'PX', owner.ttlMs, 'NX'));
      const holder = set === 'OK' ? undefined : await this.getLock(service);
      // A retried SET whose first attempt landed finds our own token.
      if (set === 'OK' || holder?.token === owner.token) {
        await this.hold(owner);
        return { acquired: true };
      }
      if (holder) return { acquired: false, holder };
      // Expired or released between SET and GET: try again.
    }
    throw new StateError(`cannot acquire the lock of ${service}: it changes hands too fast`);
  }

  /** The stored JSON and the key's remaining TTL on the server, read together. */
  private async readLock(service: string): Promise<{ raw: string; owner: LockOwner } | undefined> {
    const lockKey = key.lock(service);
    const [raw, pttl] = await this.call(`read the lock of ${service}`, async () => results(await this.redis.pipeline().get(lockKey).pttl(lockKey).exec()) as [string | null, number]);
    if (raw === null) return undefined;
    const owner = parseStored(lockOwnerSchema, raw, lockKey);
    // The server's clock decides liveness (lock-liveness.ts): no host clock is compared.
    return { raw, owner: { ...owner, expiresInMs: pttl >= 0 ? pttl : 0 } };
  }

  async getLock(service: string): Promise<LockOwner | undefined> {
    if (!isSafeName(service)) return undefined;
    return (await this.readLock(service))?.owner;
  }

  private async lockCas(service: string, mode: 'token' | 'value', expected: string, next: string, ttlMs: number): Promise<boolean> {
    const lockKey = key.lock(service);
    const result = await this.write(`update the lock of ${service}`, lockKey, () => this.redis.eval(LOCK_CAS_SCRIPT, 1, lockKey, mode, expected, next, String(ttlMs)));
    return result === 1;
  }

  /** Refreshes heartbeatAt and the PX ttl; compare-and-set on the exact value, so it never revives a lock someone took over. */
  async heartbeat(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.readLock(service);
      if (!current || current.owner.token !== token) return false;
      const { expiresInMs: _ttl, ...stored } = current.owner;
      const next = JSON.stringify({ ...stored, heartbeatAt: new Date().toISOString() });
      if (await this.lockCas(service, 'value', current.raw, next, current.owner.ttlMs)) return true;
    }
    return false;
  }

  /** Lua compare-and-delete on the owner token. */
  async releaseLock(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    for (const [id, held] of this.held) if (held === token) this.held.delete(id);
    return this.lockCas(service, 'token', token, '', 0);
  }

  /**
   * Replaces a dead holder's lock: the stored JSON must still be exactly what we judged dead (so a
   * heartbeat or another taker in between makes this fail), and a live holder is refused. With
   * Redis a lock whose key still exists is alive (its TTL has not run out on the server) unless its
   * process is gone from this host. A lock that expired already is acquired with SET NX.
   */
  async takeOverLock(service: string, deadToken: string, owner: LockOwner): Promise<boolean> {
    this.checkName('service', service);
    const lockKey = key.lock(service);
    const current = await this.readLock(service);
    let taken: boolean;
    if (!current) {
      taken = (await this.write(`take over the lock of ${service}`, lockKey, () => this.redis.set(lockKey, JSON.stringify(owner), 'PX', owner.ttlMs, 'NX'))) === 'OK';
    } else if (current.owner.token === owner.token) {
      taken = true; // a retried take-over whose first attempt landed
    } else {
      if (current.owner.token !== deadToken || !isLockDead(current.owner, new Date())) return false;
      taken = await this.lockCas(service, 'value', current.raw, JSON.stringify(owner), owner.ttlMs);
    }
    if (taken) await this.hold(owner);
    return taken;
  }

  // ---- abort requests ----------------------------------------------------------------------

  private async requireRollout(rolloutId: string): Promise<void> {
    const exists = isSafeName(rolloutId) && (await this.call(`read rollout ${rolloutId}`, () => this.redis.exists(key.rollout(rolloutId)))) === 1;
    if (!exists) throw new UsageError(`no rollout ${rolloutId} in ${this.url}`, 'list rollouts with: rollgate rollout status');
  }

  /** Durable flag first, then the notification: a watcher woken by the message always finds the flag. */
  async requestAbort(rolloutId: string, request: AbortRequest): Promise<void> {
    await this.requireRollout(rolloutId);
    const json = JSON.stringify(request);
    await this.write(`request an abort of ${rolloutId}`, key.abort(rolloutId), () => this.redis.set(key.abort(rolloutId), json));
    await this.call(`request an abort of ${rolloutId}`, () => this.redis.publish(key.abort(rolloutId), json));
  }

  async getAbortRequest(rolloutId: string): Promise<AbortRequest | undefined> {
    if (!isSafeName(rolloutId)) return undefined;
    const raw = await this.call(`read the abort flag of ${rolloutId}`, () => this.redis.get(key.abort(rolloutId)));
    return raw === null ? undefined : parseStored(abortRequestSchema, raw, key.abort(rolloutId));
  }

  /**
   * Subscribes on a second connection (a subscribed connection cannot run other commands) AND polls
   * the durable flag every ABORT_POLL_MS: pub/sub is fire-and-forget, a message sent while the
   * subscriber reconnects (or fails over) is lost, the flag is not.
   */
  async watchAbort(rolloutId: string, onAbort: (request: AbortRequest) => void): Promise<() => Promise<void>> {
    let done = false;
    let subscriber: Client | undefined;
    let checking = false;
    const stop = async (): Promise<void> => {
      if (!done) done = true;
      clearInterval(timer);
      this.watchers.delete(stop);
      const sub = subscriber;
      subscriber = undefined;
      if (sub) await withTimeout(sub.quit(), CONNECT_TIMEOUT_MS).catch(() => sub.disconnect());
    };
    const deliver = (request: AbortRequest): void => {
      if (done) return;
      void stop();
      onAbort(request);
    };
    const check = async (): Promise<void> => {
      if (done || checking) return;
      checking = true;
      try {
        // One quick read per tick, not the failover retry: the next tick is the retry.
        const raw = await this.redis.get(key.abort(rolloutId)).catch(() => null);
        if (raw !== null) deliver(parseStored(abortRequestSchema, raw, key.abort(rolloutId)));
      } catch {
        // unreadable flag: the runner's own reads report it
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void check(), ABORT_POLL_MS);
    this.watchers.add(stop);
    try {
      const sub = this.redis.duplicate();
      subscriber = sub;
      sub.on('error', () => undefined);
      sub.on('message', (_channel: string, message: string) => {
        try {
          deliver(parseStored(abortRequestSchema, message, `message on ${key.abort(rolloutId)}`));
        } catch {
          void check(); // unreadable message: the durable flag decides
        }
      });
      // Bounded: a subscription that cannot be set up quickly is given up, polling covers it.
      await withTimeout(
        (async () => {
          await sub.connect();
          await sub.subscribe(key.abort(rolloutId));
        })(),
        CONNECT_TIMEOUT_MS,
      );
    } catch {
      // No subscription: polling alone still meets the bound.
      const sub = subscriber;
      subscriber = undefined;
      sub?.disconnect();
    }
    await check();
    return stop;
  }

  // ---- approvals ---------------------------------------------------------------------------

  async setApproval(rolloutId: string, decision: ApprovalDecision): Promise<void> {
    await this.requireRollout(rolloutId);
    const approvalKey = key.approval(rolloutId, decision.step);
    await this.write(`record the approval of ${rolloutId}`, approvalKey, () => this.redis.set(approvalKey, JSON.stringify(decision)));
  }

  async getApproval(rolloutId: string, step: number): Promise<ApprovalDecision | undefined> {
    if (!isSafeName(rolloutId) || !Number.isInteger(step)) return undefined;
    const approvalKey = key.approval(rolloutId, step);
    const raw = await this.call(`read the approval of ${rolloutId}`, () => this.redis.get(approvalKey));
    return raw === null ? undefined : parseStored(approvalDecisionSchema, raw, approvalKey);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.watchers].map((stop) => stop()));
    await withTimeout(this.redis.quit(), CONNECT_TIMEOUT_MS).catch(() => this.redis.disconnect());
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function createClient(target: RedisTarget): Client {
  let everReady = false;
  // Before the first connection: no retry, fail now. After: reconnect quickly, for ever; call()
  // bounds how long one operation waits for it.
  const retry = (times: number): number | null => (everReady ? Math.min(times * 100, 500) : null);
  const common: RedisOptions = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // A command whose connection dropped is failed, not resent by ioredis: call() resends it and
    // knows it is a retry (an append or a create may have landed the first time).
    autoResendUnfulfilledCommands: false,
    ...(target.username !== undefined ? { username: target.username } : {}),
    ...(target.password !== undefined ? { password: target.password } : {}),
    ...(target.tls ? { tls: target.ca ? { ca: target.ca } : {} } : {}),
  };
  let redis: Client;
  if (target.kind === 'cluster') {
    redis = new Cluster(target.nodes, {
      lazyConnect: true,
      clusterRetryStrategy: retry,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: 2_000,
      redisOptions: common,
    });
  } else if (target.kind === 'sentinel') {
    redis = new Redis({
      ...common,
      lazyConnect: true,
      sentinels: target.nodes,
      name: target.masterName!,
      db: target.db,
      role: 'master',
      retryStrategy: retry,
      sentinelRetryStrategy: retry,
      ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
      ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: target.ca ? { ca: target.ca } : {} } : {}),
      // Ask the sentinels again as soon as the old master refuses a write (it was demoted).
      // (No failoverDetector: its sentinel subscriptions outlived quit() after a failover and kept
      // the process alive. A killed master drops the connection anyway; a demoted one answers READONLY.)
      reconnectOnError: (error) => /^(READONLY|UNBLOCKED)/.test(error.message),
    });
  } else {
    redis = new Redis({ ...common, lazyConnect: true, host: target.nodes[0]!.host, port: target.nodes[0]!.port, db: target.db, retryStrategy: retry });
  }
  redis.on('ready', () => {
    everReady = true;
  });
  // Without a listener ioredis prints every connection error; they surface through the commands instead.
  redis.on('error', (error: unknown) => {
    (redis as Client & { lastError?: unknown }).lastError = error;
  });
  return redis;
}

/** Hash fields: strings as is, numbers and booleans as text, objects (head) as JSON; undefined fields are left out. */
function recordFields(record: Partial<RolloutRecord>): string[] {
  const fields: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    fields.push(name, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
  }
  return fields;
}

function sameHash(hash: Record<string, string>, fields: string[]): boolean {
  if (Object.keys(hash).length !== fields.length / 2) return false;
  for (let i = 0; i + 1 < fields.length; i += 2) if (hash[fields[i]!] !== fields[i + 1]) return false;
  return true;
}

function parseRecordHash(hash: Record<string, string>, where: string): RolloutRecord {
  const { fence: _fence, ...value } = hash as Record<string, unknown>;
  for (const numeric of ['step', 'weight'] as const) {
    if (hash[numeric] !== undefined) value[numeric] = Number(hash[numeric]);
  }
  if (hash.dryRun !== undefined) value.dryRun = hash.dryRun === 'true';
  if (hash.head !== undefined) {
    try {
      value.head = JSON.parse(hash.head) as unknown;
    } catch {
      // left as text: the schema check below reports it as not what rollgate wrote
    }
  }
  return parseStored(rolloutRecordSchema, JSON.stringify(value), where);
}

/** One stream entry back to an event; tolerates nothing, like the file store's reader. */
function parseStreamEntry(rolloutId: string, position: number, fields: string[], options: ReadEventsOptions = {}): RolloutEvent {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const json = map.get('event');
  if (json === undefined) throw new CorruptEventLogError(rolloutId, position, `stream entry #${position} has no event field`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CorruptEventLogError(rolloutId, position, `stream entry #${position} is not valid JSON`);
  }
  const parsed = storedEventSchema.safeParse(value);
  if (!parsed.success || String(parsed.data.seq) !== map.get('seq')) throw new CorruptEventLogError(rolloutId, position, `stream entry #${position} is not an event (or its seq field disagrees)`);
  if (!isCanonicalJson(value, json)) throw new CorruptEventLogError(rolloutId, position, `stream entry #${position} is not in the canonical form rollgate writes (edited?)`);
  options.onEvent?.(value as RolloutEvent, json);
  if (options.keep !== false) options.texts?.push(json);
  return value as RolloutEvent;
}
