/**
 * The evidence hash chain.
 *
 * Every event carries `prev` = sha256 of the previous event's canonical JSON (GENESIS_PREV for the
 * first) and `hash` = sha256 of its own canonical JSON (all fields but `hash`). `prev` links make any
 * change to an earlier event visible; `hash` makes a change to the last one visible too.
 *
 * Canonical JSON follows RFC 8785 for the values events hold: object keys sorted by UTF-16 code
 * units, no whitespace, ECMAScript number and string serialisation. NaN and ±Infinity have no JSON
 * form, so they are rejected here; `sanitizeForEvidence` turns them into strings beforehand.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { StateError, TamperedError } from '../errors.js';
import type { RolloutEvent, StateStore } from '../state/types.js';

/** `prev` of the first event: 64 zeros. */
export const GENESIS_PREV = '0'.repeat(64);

/** Canonical JSON (RFC 8785 for our values). Throws on NaN/±Infinity, bigint, functions, symbols and cycles. */
export function canonicalJson(value: unknown): string {
  return serialise(value, new Set());
}

function serialise(value: unknown, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      // JSON.stringify escapes exactly as RFC 8785 asks (short escapes, \u00XX lowercase, lone surrogates).
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${String(value)}; use sanitizeForEvidence first`);
      return JSON.stringify(value); // ECMAScript Number::toString, as RFC 8785 requires; -0 becomes 0
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError('canonical JSON cannot hold a cycle');
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return serialise((toJSON as () => unknown).call(obj), ancestors);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item) => {
        if (item === undefined) throw new TypeError('canonical JSON cannot hold undefined in an array');
        return serialise(item, ancestors);
      }).join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    // Default sort compares UTF-16 code units: the order RFC 8785 prescribes.
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${serialise(record[key], ancestors)}`).join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/**
 * True when `text` is exactly the canonical JSON of `value` (parsed from it): the byte-exact form
 * rollgate writes, so a change that parses to the same value (an escape, a space) is still seen.
 */
export function isCanonicalJson(value: unknown, text: string): boolean {
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

/** The canonical JSON a store writes for an event; an event that has none is a StateError. */
export function canonicalEventText(event: RolloutEvent): string {
  try {
    return canonicalJson(event);
  } catch (error) {
    throw new StateError(`event #${event.seq} of rollout ${event.rolloutId} cannot be stored: ${(error as Error).message}`);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** sha256 of the event's canonical JSON without its own `hash` field: what the next event's `prev` holds. */
export function hashEvent(event: RolloutEvent): string {
  const { hash: _ownHash, ...body } = event;
  return sha256Hex(canonicalJson(body));
}

/**
 * Makes any value storable as evidence: NaN → "NaN", ±Infinity → "+Inf"/"-Inf" (Prometheus' own
 * spelling), -0 → 0, undefined and functions dropped (null inside arrays), Date → RFC 3339,
 * bigint → decimal string, Error → {name, message}, Map/Set → object/array, cycles → "[Circular]".
 */
export function sanitizeForEvidence(value: unknown): unknown {
  return sanitise(value, new Set());
}

function sanitise(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (value === Infinity) return '+Inf';
      if (value === -Infinity) return '-Inf';
      return Object.is(value, -0) ? 0 : value;
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.has(obj)) return '[Circular]';
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof Error) return { name: obj.name, message: obj.message };
  ancestors.add(obj);
  try {
    if (Array.isArray(obj) || obj instanceof Set) {
      return [...(obj as Iterable<unknown>)].map((item) => sanitise(item, ancestors) ?? null);
    }
    const entries = obj instanceof Map ? [...obj.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(obj);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const clean = sanitise(item, ancestors);
      if (clean !== undefined) out[key] = clean;
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Shape of one well-formed event; strict, so an added or renamed key is a break, not noise. */
const eventSchema = z.strictObject({
  seq: z.number().int().positive(),
  rolloutId: z.string().min(1),
  at: z.iso.datetime({ offset: true }),
  type: z.string().min(1),
  prev: z.string().regex(HEX64, 'must be 64 lowercase hex digits'),
  data: z.record(z.string(), z.unknown()),
  hash: z.string().regex(HEX64, 'must be 64 lowercase hex digits'),
});

export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; /** 1-based position (= expected seq) of the first bad event */ brokenAt: number; reason: string };

/**
 * Checks a whole log: each event well-formed, seq 1..n without gap, one rolloutId, `prev` linking to
 * the previous event's hash, and `hash` matching the event's content. Stops at the first break.
 * Accepts unknown input because it is meant for logs read from outside.
 */
export function verifyChain(events: readonly unknown[]): ChainVerdict {
  const count = events.length;
  let head = GENESIS_PREV;
  let rolloutId: string | undefined;
  for (const [index, raw] of events.entries()) {
    const position = index + 1;
    const broken = (reason: string): ChainVerdict => ({ ok: false, count, brokenAt: position, reason });
    const parsed = eventSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return broken(`malformed event: ${where}${issue?.message ?? 'invalid'}`);
    }
    const event = parsed.data as RolloutEvent & { hash: string };
    if (event.seq !== position) return broken(`seq is ${event.seq}, expected ${position} (an event was removed, added or reordered)`);
    rolloutId ??= event.rolloutId;
    if (event.rolloutId !== rolloutId) return broken(`rolloutId is "${event.rolloutId}", the log belongs to "${rolloutId}"`);
    if (event.prev !== head) {
      return broken(position === 1 ? 'prev of the first event is not the genesis value' : `prev does not match the hash of event #${position - 1} (that event or this link was altered)`);
    }
    let actual: string;
    try {
      actual = hashEvent(event);
    } catch (error) {
      return broken(`event cannot be canonicalised: ${(error as Error).message}`);
    }
    if (actual !== event.hash) return broken('content does not match its hash (the event was altered)');
    head = actual;
  }
  return { ok: true, count, head };
}

/** The next event of a chain whose head is `head`: data sanitised, seq, prev and hash set. */
export function chainedEvent(rolloutId: string, head: { seq: number; hash: string }, type: string, data: Record<string, unknown>, at: Date): RolloutEvent {
  const clean = sanitizeForEvidence(data);
  if (typeof clean !== 'object' || clean === null || Array.isArray(clean)) throw new StateError(`event data of ${type} must be an object`);
  const body: RolloutEvent = { seq: head.seq + 1, rolloutId, at: at.toISOString(), type, prev: head.hash, data: clean as Record<string, unknown> };
  return { ...body, hash: hashEvent(body) };
}

/**
 * The append side of the chain for one rollout: builds seq, prev and hash, sanitises data and hands
 * the event to the store, which rejects it unless seq = last + 1 (so two writers cannot fork the log).
 */
export class EventLog {
  private headHash: string;
  private last: number;
  /** Appends run one after another; the chain is a sequence even when callers are not. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Set when an append failed: the store may or may not have kept it, so re-read before the next one. */
  private stale = false;

  private constructor(
    private readonly store: StateStore,
    readonly rolloutId: string,
    head: string,
    lastSeq: number,
  ) {
    this.headHash = head;
    this.last = lastSeq;
  }

  /** Reads the existing log and checks it; a broken chain is never extended (TamperedError). */
  static async open(store: StateStore, rolloutId: string): Promise<EventLog> {
    const { head, lastSeq } = await EventLog.load(store, rolloutId);
    return new EventLog(store, rolloutId, head, lastSeq);
  }

  private static async load(store: StateStore, rolloutId: string): Promise<{ head: string; lastSeq: number }> {
    const events = await store.readEvents(rolloutId);
    const verdict = verifyChain(events);
    if (!verdict.ok) {
      throw new TamperedError(`evidence of rollout ${rolloutId} is broken at event #${verdict.brokenAt}: ${verdict.reason}`, `run: rollgate evidence verify ${rolloutId}`);
    }
    return { head: verdict.head, lastSeq: verdict.count };
  }

  get head(): string {
    return this.headHash;
  }

  get lastSeq(): number {
    return this.last;
  }

  /** Appends one event durably and returns it (with seq, prev and hash). */
  append(type: string, data: Record<string, unknown>, at: Date = new Date()): Promise<RolloutEvent> {
    const next = this.tail.then(() => this.appendNow(type, data, at));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(type: string, data: Record<string, unknown>, at: Date): Promise<RolloutEvent> {
    if (this.stale) {
      const { head, lastSeq } = await EventLog.load(this.store, this.rolloutId);
      this.headHash = head;
      this.last = lastSeq;
      this.stale = false;
    }
    const event = chainedEvent(this.rolloutId, { seq: this.last, hash: this.headHash }, type, data, at);
    try {
      await this.store.appendEvent(event);
    } catch (error) {
      this.stale = true;
      throw error;
    }
    this.last = event.seq;
    this.headHash = event.hash!;
    return event;
  }
}
