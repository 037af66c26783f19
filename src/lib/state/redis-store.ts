/**
 * The shared state store on Redis (ioredis), for teams whose terminals and CI runners must see the
 * same rollouts, locks and abort requests. Loaded lazily by open.ts: only commands that use Redis
 * pay for ioredis.
 *
 * Keys (all prefixed `rollgate:`):
 *   rollout:<id>              hash     the index record (one field per record field)
 *   rollouts                  zset     every rollout ID, score = createdAt (ms)
 *   rollouts:service:<svc>    zset     the service's rollout IDs, same score
 *   events:<id>               stream   the hash-chained log: fields `seq` and `event` (canonical JSON)
 *   lock:<svc>                string   lock owner JSON (with its token), SET NX PX ttl
 *   abort:<id>                string   durable abort request; also PUBLISHed on channel abort:<id>
 *   approval:<id>:<step>      string   approval decision JSON
 *
 * Every multi-step check-then-write is one Lua script, so it is atomic on the server.
 */
import { Redis } from 'ioredis';
import { canonicalEventText, hashEvent, isCanonicalJson } from '../log/chain.js';
import { StateError, UsageError } from '../errors.js';
import { CorruptEventLogError } from './event-log-error.js';
import { isLockDead } from './lock-liveness.js';
import { abortRequestSchema, approvalDecisionSchema, isSafeName, lockOwnerSchema, parseStored, rolloutRecordSchema, storedEventSchema } from './schemas.js';
import type { AbortRequest, AcquireResult, ApprovalDecision, LockOwner, RecordPatch, RolloutEvent, RolloutRecord, StateStore } from './types.js';

const PREFIX = 'rollgate:';
const key = {
  rollout: (id: string) => `${PREFIX}rollout:${id}`,
  index: () => `${PREFIX}rollouts`,
  serviceIndex: (service: string) => `${PREFIX}rollouts:service:${service}`,
  events: (id: string) => `${PREFIX}events:${id}`,
  lock: (service: string) => `${PREFIX}lock:${service}`,
  abort: (id: string) => `${PREFIX}abort:${id}`,
  approval: (id: string, step: number) => `${PREFIX}approval:${id}:${step}`,
};

/** Every watcher re-reads the durable abort flag this often, so a missed pub/sub message costs at most this. */
const ABORT_POLL_MS = 250;
const CONNECT_TIMEOUT_MS = 3_000;
const COMMAND_TIMEOUT_MS = 5_000;
const EVENTS_PAGE = 1_000;

/** Creates the record and both index entries, unless the record exists. */
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 1`;

const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/**
 * XADD only when seq = last seq + 1 (and the rollout exists): returns {1, seq} or {0, last} or {-1, 0}.
 * The record's chain head (ARGV[3]) and the fields derived with it (ARGV[4..]) are set in the same
 * script, so the log and its head never disagree.
 */
const APPEND_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1, 0} end
local last = 0
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #tail > 0 then
  local fields = tail[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'seq' then last = tonumber(fields[i + 1]) end
  end
end
if tonumber(ARGV[1]) ~= last + 1 then return {0, last} end
redis.call('XADD', KEYS[1], '*', 'seq', ARGV[1], 'event', ARGV[2])
redis.call('HSET', KEYS[2], 'head', ARGV[3], unpack(ARGV, 4))
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

/** The address without user and password, for messages and evidence. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || '6379';
    const db = parsed.pathname.replace(/^\//, '') || '0';
    return `${parsed.protocol}//${parsed.hostname}:${port}/${db}`;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(error);
}

export class RedisStateStore implements StateStore {
  private readonly watchers = new Set<() => Promise<void>>();

  private constructor(
    private readonly redis: Redis,
    readonly url: string,
  ) {}

  /**
   * Connects once and fails fast: no retry before the first successful connection, so an
   * unreachable server is a StateError within CONNECT_TIMEOUT_MS. After that, short reconnects
   * ride out a blip; a command that still fails becomes a StateError.
   */
  static async connect(url: string): Promise<RedisStateStore> {
    const safeUrl = redactRedisUrl(url);
    const redis = createClient(url);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      const cause = (redis as Redis & { lastError?: unknown }).lastError ?? error;
      throw new StateError(`cannot reach the state store at ${safeUrl} (${errorCode(cause)})`, 'check --state / ROLLGATE_STATE and that Redis is running', { cause });
    }
    return new RedisStateStore(redis, safeUrl);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StateError || error instanceof UsageError) throw error;
      throw new StateError(`state store at ${this.url}: ${what} failed (${errorCode(error)})`, undefined, { cause: error });
    }
  }

  private checkName(kind: 'rollout ID' | 'service', name: string): void {
    if (!isSafeName(name)) throw new UsageError(`invalid ${kind} "${name}": use letters, digits, ".", "_" and "-"`);
  }

  // ---- rollout records ---------------------------------------------------------------------

  async createRollout(record: RolloutRecord): Promise<void> {
    this.checkName('rollout ID', record.rolloutId);
    this.checkName('service', record.service);
    const score = Date.parse(record.createdAt);
    const created = await this.call(`create rollout ${record.rolloutId}`, () =>
      this.redis.eval(CREATE_SCRIPT, 3, key.rollout(record.rolloutId), key.index(), key.serviceIndex(record.service), String(Number.isNaN(score) ? 0 : score), record.rolloutId, ...recordFields(record)),
    );
    if (created !== 1) throw new StateError(`rollout ${record.rolloutId} already exists in ${this.url}`);
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
    const updated = await this.call(`update rollout ${rolloutId}`, () => this.redis.eval(UPDATE_SCRIPT, 1, key.rollout(rolloutId), ...fields));
    if (updated !== 1) throw new StateError(`cannot update rollout ${rolloutId}: it is not in ${this.url}`);
  }

  async listRollouts(filter: { service?: string; limit?: number; kinds?: ReadonlyArray<'rollout' | 'audit'> } = {}): Promise<RolloutRecord[]> {
    if (filter.service !== undefined && !isSafeName(filter.service)) return [];
    const kinds = filter.kinds ?? ['rollout'];
    const index = filter.service === undefined ? key.index() : key.serviceIndex(filter.service);
    if (filter.limit !== undefined && filter.limit <= 0) return [];
    // ZREVRANGE: highest score (newest) first; equal scores by member descending, as the file store does.
    // All IDs: records of other kinds are filtered out below, so the limit applies after that.
    const ids = await this.call('list rollouts', () => this.redis.zrevrange(index, 0, -1));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(key.rollout(id));
    const results = (await this.call('list rollouts', () => pipeline.exec())) ?? [];
    const records: RolloutRecord[] = [];
    for (const [index_, [error, hash]] of results.entries()) {
      if (error) throw new StateError(`state store at ${this.url}: list rollouts failed (${errorCode(error)})`);
      const fields = hash as Record<string, string>;
      if (Object.keys(fields).length === 0) continue;
      const record = parseRecordHash(fields, key.rollout(ids[index_]!));
      if (kinds.includes(record.kind ?? 'rollout')) records.push(record);
    }
    return filter.limit === undefined ? records : records.slice(0, filter.limit);
  }

  // ---- event log ---------------------------------------------------------------------------

  async appendEvent(event: RolloutEvent, patch: RecordPatch = {}): Promise<void> {
    this.checkName('rollout ID', event.rolloutId);
    const json = canonicalEventText(event);
    const head = JSON.stringify({ seq: event.seq, hash: event.hash ?? hashEvent(event) });
    const fields = recordFields(patch);
    const result = (await this.call(`append event #${event.seq} to ${event.rolloutId}`, () =>
      this.redis.eval(APPEND_SCRIPT, 2, key.events(event.rolloutId), key.rollout(event.rolloutId), String(event.seq), json, head, ...fields),
    )) as [number, number];
    const [status, last] = result;
    if (status === -1) throw new StateError(`cannot append to rollout ${event.rolloutId}: it is not in ${this.url}`);
    if (status !== 1) throw new StateError(`event #${event.seq} rejected: the log of rollout ${event.rolloutId} ends at #${last} (expected #${last + 1})`);
  }

  async readEvents(rolloutId: string): Promise<RolloutEvent[]> {
    if (!isSafeName(rolloutId)) return [];
    const stream = key.events(rolloutId);
    const events: RolloutEvent[] = [];
    let start = '-';
    for (;;) {
      const from = start;
      const page = await this.call(`read the events of ${rolloutId}`, () => this.redis.xrange(stream, from, '+', 'COUNT', EVENTS_PAGE));
      for (const [, fields] of page) {
        const position = events.length + 1;
        events.push(parseStreamEntry(rolloutId, position, fields));
      }
      if (page.length < EVENTS_PAGE) break;
      start = `(${page.at(-1)![0]}`; // exclusive start (Redis ≥ 6.2)
    }
    return events;
  }

  // ---- locks -------------------------------------------------------------------------------

  async acquireLock(service: string, owner: LockOwner): Promise<AcquireResult> {
    this.checkName('service', service);
    const lockKey = key.lock(service);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const set = await this.call(`acquire the lock of ${service}`, () => this.redis.set(lockKey, JSON.stringify(owner), 'PX', owner.ttlMs, 'NX'));
      if (set === 'OK') return { acquired: true };
      const holder = await this.getLock(service);
      if (holder) return { acquired: false, holder };
      // Expired or released between SET and GET: try again.
    }
    throw new StateError(`cannot acquire the lock of ${service}: it changes hands too fast`);
  }

  private async readLock(service: string): Promise<{ raw: string; owner: LockOwner } | undefined> {
    const lockKey = key.lock(service);
    const raw = await this.call(`read the lock of ${service}`, () => this.redis.get(lockKey));
    return raw === null ? undefined : { raw, owner: parseStored(lockOwnerSchema, raw, lockKey) };
  }

  async getLock(service: string): Promise<LockOwner | undefined> {
    if (!isSafeName(service)) return undefined;
    return (await this.readLock(service))?.owner;
  }

  private async lockCas(service: string, mode: 'token' | 'value', expected: string, next: string, ttlMs: number): Promise<boolean> {
    const result = await this.call(`update the lock of ${service}`, () => this.redis.eval(LOCK_CAS_SCRIPT, 1, key.lock(service), mode, expected, next, String(ttlMs)));
    return result === 1;
  }

  /** Refreshes heartbeatAt and the PX ttl; compare-and-set on the exact value, so it never revives a lock someone took over. */
  async heartbeat(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.readLock(service);
      if (!current || current.owner.token !== token) return false;
      const next = JSON.stringify({ ...current.owner, heartbeatAt: new Date().toISOString() });
      if (await this.lockCas(service, 'value', current.raw, next, current.owner.ttlMs)) return true;
    }
    return false;
  }

  /** Lua compare-and-delete on the owner token. */
  async releaseLock(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    return this.lockCas(service, 'token', token, '', 0);
  }

  /**
   * Replaces a dead holder's lock: the stored JSON must still be exactly what we judged dead (so a
   * heartbeat or another taker in between makes this fail), and a live holder is refused. A lock
   * that expired already is acquired with SET NX (first come, first served).
   */
  async takeOverLock(service: string, deadToken: string, owner: LockOwner): Promise<boolean> {
    this.checkName('service', service);
    const current = await this.readLock(service);
    if (!current) {
      const set = await this.call(`take over the lock of ${service}`, () => this.redis.set(key.lock(service), JSON.stringify(owner), 'PX', owner.ttlMs, 'NX'));
      return set === 'OK';
    }
    if (current.owner.token !== deadToken || !isLockDead(current.owner, new Date())) return false;
    return this.lockCas(service, 'value', current.raw, JSON.stringify(owner), owner.ttlMs);
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
    await this.call(`request an abort of ${rolloutId}`, async () => {
      await this.redis.set(key.abort(rolloutId), json);
      await this.redis.publish(key.abort(rolloutId), json);
    });
  }

  async getAbortRequest(rolloutId: string): Promise<AbortRequest | undefined> {
    if (!isSafeName(rolloutId)) return undefined;
    const raw = await this.call(`read the abort flag of ${rolloutId}`, () => this.redis.get(key.abort(rolloutId)));
    return raw === null ? undefined : parseStored(abortRequestSchema, raw, key.abort(rolloutId));
  }

  /**
   * Subscribes on a second connection (a subscribed connection cannot run other commands) AND polls
   * the durable flag every ABORT_POLL_MS: pub/sub is fire-and-forget, a message sent while the
   * subscriber reconnects is lost, the flag is not.
   */
  async watchAbort(rolloutId: string, onAbort: (request: AbortRequest) => void): Promise<() => Promise<void>> {
    let done = false;
    let subscriber: Redis | undefined;
    let checking = false;
    const stop = async (): Promise<void> => {
      if (!done) done = true;
      clearInterval(timer);
      this.watchers.delete(stop);
      const sub = subscriber;
      subscriber = undefined;
      if (sub) await sub.quit().catch(() => sub.disconnect());
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
        // A failed read (Redis restarting) is retried at the next tick; the runner's own commands report outages.
        const request = await this.getAbortRequest(rolloutId).catch(() => undefined);
        if (request) deliver(request);
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void check(), ABORT_POLL_MS);
    this.watchers.add(stop);
    try {
      const sub = this.redis.duplicate();
      subscriber = sub;
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
    await this.call(`record the approval of ${rolloutId}`, () => this.redis.set(key.approval(rolloutId, decision.step), JSON.stringify(decision)));
  }

  async getApproval(rolloutId: string, step: number): Promise<ApprovalDecision | undefined> {
    if (!isSafeName(rolloutId) || !Number.isInteger(step)) return undefined;
    const approvalKey = key.approval(rolloutId, step);
    const raw = await this.call(`read the approval of ${rolloutId}`, () => this.redis.get(approvalKey));
    return raw === null ? undefined : parseStored(approvalDecisionSchema, raw, approvalKey);
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers].map((stop) => stop()));
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function createClient(url: string): Redis {
  let everReady = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 2,
    // Before the first connection: no retry, fail now. After: reconnect quickly, a few times per command.
    retryStrategy: (times) => (everReady ? Math.min(times * 200, 1_000) : null),
  });
  redis.on('ready', () => {
    everReady = true;
  });
  // Without a listener ioredis prints every connection error; they surface through the commands instead.
  redis.on('error', (error: unknown) => {
    (redis as Redis & { lastError?: unknown }).lastError = error;
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

function parseRecordHash(hash: Record<string, string>, where: string): RolloutRecord {
  const value: Record<string, unknown> = { ...hash };
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
function parseStreamEntry(rolloutId: string, position: number, fields: string[]): RolloutEvent {
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
  return value as RolloutEvent;
}
