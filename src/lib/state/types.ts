/**
 * The state store contract. Two backends (file, redis) implement it and pass one contract suite.
 *
 * Single-writer rule: only the process holding a service's lock appends to that service's rollout
 * event log. Other processes (approve, rollback from another terminal) write durable requests
 * (approval, abort) that the lock holder picks up and records in the log itself.
 */

export type RolloutStatus = 'running' | 'paused' | 'promoted' | 'rolled_back' | 'failed' | 'aborted';

/** One entry of the hash-chained event log. `prev` = sha256 of the previous event's canonical JSON. */
export interface RolloutEvent {
  /** 1-based, gap-free position in the log. */
  seq: number;
  rolloutId: string;
  /** RFC 3339 with milliseconds. */
  at: string;
  type: string;
  prev: string;
  data: Record<string, unknown>;
  /**
   * sha256 of this event's own canonical JSON (every field but `hash`). Set by EventLog; without it a
   * change to the LAST event would go unnoticed, since no later `prev` covers it.
   */
  hash?: string;
}

/** Index record of a rollout; the event log stays the source of truth, this is for listing and lookups. */
export interface RolloutRecord {
  rolloutId: string;
  service: string;
  planName: string;
  planFile: string;
  planSha256: string;
  status: RolloutStatus;
  /** 0-based index of the current step; -1 before the first. */
  step: number;
  weight: number;
  createdAt: string;
  updatedAt: string;
  /** Free-form cached summary fields (reason, operator, ...). */
  reason?: string;
  operator?: string;
  /** 'audit' for an `sla audit` record (its events form a chain like a rollout's); absent = rollout. Listings of rollouts skip audits. */
  kind?: 'rollout' | 'audit';
  /** A dry run never changed traffic: never the service's current state, marked in every view. */
  dryRun?: boolean;
  /**
   * The chain head: seq and hash of the last appended event, written by the store atomically with
   * each append, so a log whose tail was cut off is detected by comparing against it.
   */
  head?: ChainHead;
}

/** Record fields that follow from the log; written by the store together with the chain head. */
export type RecordPatch = Partial<Pick<RolloutRecord, 'status' | 'step' | 'weight' | 'reason' | 'updatedAt' | 'dryRun'>>;

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface LockOwner {
  /** Random token; the lock is released or refreshed only with it. */
  token: string;
  rolloutId: string;
  pid: number;
  host: string;
  user: string;
  /** RFC 3339 */
  acquiredAt: string;
  /** RFC 3339, refreshed by heartbeat */
  heartbeatAt: string;
  ttlMs: number;
  /**
   * Set when read from a store that expires locks itself (Redis): the key's remaining TTL on the
   * server (PTTL). Liveness then follows it instead of comparing heartbeatAt with this host's clock.
   * Never stored.
   */
  expiresInMs?: number;
}

export type AcquireResult = { acquired: true } | { acquired: false; holder: LockOwner };

export interface AbortRequest {
  reason: string;
  severity: 'critical' | 'major' | 'minor';
  by: string;
  at: string;
  /** What asked, when it was not a person: the alert behind a `rollgate serve` rollback (recorded in the evidence). */
  source?: AbortSource;
}

/** An Alertmanager alert that requested the abort, as it was received (labels and annotations verbatim). */
export interface AbortSource {
  kind: 'alertmanager';
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
  startsAt: string;
}

export interface ApprovalDecision {
  /** 0-based step index the decision is for. */
  step: number;
  decision: 'approve' | 'rollback';
  by: string;
  at: string;
  comment?: string;
}

export interface ReadEventsOptions {
  /** Receives each event's stored canonical text, in order (left empty by a store that has none). */
  texts?: string[];
  /** Called with each event as it is read, in order, with its stored canonical text. */
  onEvent?: (event: RolloutEvent, canonicalText: string) => void;
  /** false: events go to onEvent only and are not returned (nor their texts kept), so a reader that folds them in never holds the log. */
  keep?: boolean;
}

export interface StateStore {
  /** The store's address with credentials removed, for messages and evidence. */
  readonly url: string;

  createRollout(record: RolloutRecord): Promise<void>;
  getRollout(rolloutId: string): Promise<RolloutRecord | undefined>;
  updateRollout(rolloutId: string, patch: Partial<Omit<RolloutRecord, 'rolloutId' | 'service'>>): Promise<void>;
  /** Newest first. Records of kind 'audit' are left out unless `kinds` asks for them. */
  listRollouts(filter?: { service?: string; limit?: number; kinds?: ReadonlyArray<'rollout' | 'audit'> }): Promise<RolloutRecord[]>;

  /**
   * Appends; rejects (StateError) when event.seq is not last seq + 1, so no event is lost or duplicated.
   * The store moves the record's chain head to this event in the same step (Redis: one Lua script;
   * file: the log line is fsynced first, then the record replaced atomically, so a crash in between
   * leaves the log exactly one event ahead of the head — told apart from a cut, which leaves it behind).
   * `record` holds fields derived from the log (status, step, ...) written together with the head.
   */
  appendEvent(event: RolloutEvent, record?: RecordPatch): Promise<void>;
  /**
   * The whole log, in order. With `texts`, the store also pushes each event's stored text there,
   * already checked to be exactly the event's canonical JSON, so a verifier can hash those bytes
   * instead of serialising every event again.
   */
  readEvents(rolloutId: string, options?: ReadEventsOptions): Promise<RolloutEvent[]>;

  acquireLock(service: string, owner: LockOwner): Promise<AcquireResult>;
  getLock(service: string): Promise<LockOwner | undefined>;
  /** Refreshes heartbeatAt; false when the token no longer owns the lock. */
  heartbeat(service: string, token: string): Promise<boolean>;
  /** Compare-and-delete: only the owner token releases. */
  releaseLock(service: string, token: string): Promise<boolean>;
  /** Replaces a dead holder's lock (compare-and-swap on its token); false when someone else got there first. */
  takeOverLock(service: string, deadToken: string, owner: LockOwner): Promise<boolean>;

  /** Durable abort flag plus a notification to a runner that is listening. */
  requestAbort(rolloutId: string, request: AbortRequest): Promise<void>;
  getAbortRequest(rolloutId: string): Promise<AbortRequest | undefined>;
  /** Calls back (within 1 s) when an abort is requested; returns an unsubscribe function. */
  watchAbort(rolloutId: string, onAbort: (request: AbortRequest) => void): Promise<() => Promise<void>>;

  setApproval(rolloutId: string, decision: ApprovalDecision): Promise<void>;
  getApproval(rolloutId: string, step: number): Promise<ApprovalDecision | undefined>;

  close(): Promise<void>;

  /**
   * Stores that ride out failovers (Redis) report when operations start failing and are being
   * retried (`down`), and when one succeeds again (`up`), so a runner can say it holds traffic
   * where it is meanwhile. Optional: the file store never waits.
   */
  onOutage?(listener: (change: StoreOutage) => void): void;
}

export type StoreOutage = { state: 'down'; what: string; error: string; retryForMs: number } | { state: 'up'; downForMs: number };
