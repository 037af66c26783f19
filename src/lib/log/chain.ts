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
import { StateError } from '../errors.js';
import type { RolloutEvent } from '../state/types.js';

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
    // Fast path, one native serialisation: JSON.stringify writes the same bytes as canonical JSON
    // when every object's keys already come in canonical order (JSON.parse keeps the text's order,
    // except integer-like keys, which V8 moves first: those fall through to the exact check).
    if (hasCanonicalShape(value) && JSON.stringify(value) === text) return true;
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

/**
 * True when `JSON.stringify(value)` is exactly `canonicalJson(value)`: only plain objects with
 * keys in UTF-16 order, arrays, finite numbers, strings, booleans and null (no toJSON, no
 * undefined, no NaN, which the two spell differently or canonical JSON refuses).
 */
function hasCanonicalShape(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    for (const item of value) if (!hasCanonicalShape(item)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) return false;
    // `<` on strings compares UTF-16 code units: the order RFC 8785 prescribes.
    if (previous !== undefined && !(previous < key)) return false;
    if (key === 'toJSON' || !hasCanonicalShape(record[key])) return false;
    previous = key;
  }
  return true;
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
/**
 * RFC 3339 date-time with a zone (Z or ±hh:mm) and a valid calendar date: the pattern zod 4 uses
 * for `z.iso.datetime({ offset: true })`, which this check replaced (zod costs ~14 MB and its load
 * time in every process that reads a log; this is a hot path of `evidence report`).
 */
const DATETIME = /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$/;

/** The keys of a well-formed event, in the order they are judged. */
const EVENT_KEYS = ['seq', 'rolloutId', 'at', 'type', 'prev', 'data', 'hash'] as const;

/** A value's kind as the messages name it (zod's words, which these messages keep). */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
    return proto === null || proto === Object.prototype ? 'object' : (proto.constructor?.name ?? 'object');
  }
  return typeof value;
}

function text(value: unknown, nonEmpty = true): string | undefined {
  if (typeof value !== 'string') return `Invalid input: expected string, received ${received(value)}`;
  if (nonEmpty && value.length === 0) return 'Too small: expected string to have >=1 characters';
  return undefined;
}

function hex64(value: unknown): string | undefined {
  return text(value, false) ?? (HEX64.test(value as string) ? undefined : 'must be 64 lowercase hex digits');
}

const FIELD_CHECKS: Record<(typeof EVENT_KEYS)[number], (value: unknown) => string | undefined> = {
  seq: (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `Invalid input: expected number, received ${received(v)}`;
    if (!Number.isInteger(v)) return 'Invalid input: expected int, received number';
    if (v > Number.MAX_SAFE_INTEGER) return `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`;
    if (v < Number.MIN_SAFE_INTEGER) return `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`;
    return v > 0 ? undefined : 'Too small: expected number to be >0';
  },
  rolloutId: (v) => text(v),
  at: (v) => text(v, false) ?? (DATETIME.test(v as string) ? undefined : 'Invalid ISO datetime'),
  type: (v) => text(v),
  prev: hex64,
  data: (v) => (received(v) === 'object' ? undefined : `Invalid input: expected record, received ${received(v)}`),
  hash: hex64,
};

/**
 * Why `raw` is not one well-formed event (undefined when it is): exactly the seven fields, each of
 * its kind; an added or renamed key is a break, not noise. Worded `field: what is wrong`, the first
 * problem in field order, then unknown keys.
 */
export function malformedEventReason(raw: unknown): string | undefined {
  if (received(raw) !== 'object') return `Invalid input: expected object, received ${received(raw)}`;
  const event = raw as Record<string, unknown>;
  for (const key of EVENT_KEYS) {
    const problem = FIELD_CHECKS[key](Object.prototype.hasOwnProperty.call(event, key) ? event[key] : undefined);
    if (problem) return `${key}: ${problem}`;
  }
  const unknown = Object.keys(event).filter((key) => !(EVENT_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) return `Unrecognized key${unknown.length === 1 ? '' : 's'}: ${unknown.map((key) => JSON.stringify(key)).join(', ')}`;
  return undefined;
}

export type ChainVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; /** 1-based position (= expected seq) of the first bad event */ brokenAt: number; reason: string };

/**
 * sha256 of an event's body from the canonical JSON of the whole event, without serialising it
 * again: with keys in canonical order the body's text is the event's text minus its `"hash"`
 * member, which sits right before the fixed-shape tail `prev, rolloutId, seq, type`. Undefined when
 * the text does not end that way (then it is not the event's canonical text: the caller hashes).
 */
function hashFromCanonicalText(event: RolloutEvent & { hash: string }, text: string): string | undefined {
  const member = `,"hash":${JSON.stringify(event.hash)}`;
  const tail = `,"prev":${JSON.stringify(event.prev)},"rolloutId":${JSON.stringify(event.rolloutId)},"seq":${JSON.stringify(event.seq)},"type":${JSON.stringify(event.type)}}`;
  if (!text.endsWith(tail) || !text.startsWith(member, text.length - tail.length - member.length)) return undefined;
  // Hashed in two updates: the body's text is never built (no copy of each line on the heap).
  return createHash('sha256').update(text.slice(0, text.length - tail.length - member.length), 'utf8').update(tail, 'utf8').digest('hex');
}

/**
 * Checks a log one event at a time, in the order read, so a reader can verify while it parses
 * (one pass, one serialisation per event). Each event must be well-formed, seq 1..n without gap,
 * one rolloutId, `prev` linking to the previous event's hash, and `hash` matching its content.
 * Stops at the first break; `verdict()` says what it found.
 */
export class ChainChecker {
  private position = 0;
  private lastHash = GENESIS_PREV;
  private rolloutId: string | undefined;
  private broken: { brokenAt: number; reason: string } | undefined;

  /** False once the chain is broken (this event or an earlier one). */
  get intact(): boolean {
    return this.broken === undefined;
  }

  /**
   * Adds the next event. `canonicalText`, when given, must be text already checked to be exactly
   * `canonicalJson(raw)` (the stored line): the hash is then taken from it instead of serialising
   * the event again. Returns false when the chain is broken.
   */
  add(raw: unknown, canonicalText?: string): boolean {
    if (this.broken) return false;
    const position = ++this.position;
    const fail = (reason: string): false => {
      this.broken = { brokenAt: position, reason };
      return false;
    };
    const malformed = malformedEventReason(raw);
    if (malformed) return fail(`malformed event: ${malformed}`);
    const event = raw as RolloutEvent & { hash: string };
    if (event.seq !== position) return fail(`seq is ${event.seq}, expected ${position} (an event was removed, added or reordered)`);
    this.rolloutId ??= event.rolloutId;
    if (event.rolloutId !== this.rolloutId) return fail(`rolloutId is "${event.rolloutId}", the log belongs to "${this.rolloutId}"`);
    if (event.prev !== this.lastHash) {
      return fail(position === 1 ? 'prev of the first event is not the genesis value' : `prev does not match the hash of event #${position - 1} (that event or this link was altered)`);
    }
    let actual: string;
    try {
      actual = (canonicalText !== undefined ? hashFromCanonicalText(event, canonicalText) : undefined) ?? hashEvent(event);
    } catch (error) {
      return fail(`event cannot be canonicalised: ${(error as Error).message}`);
    }
    if (actual !== event.hash) return fail('content does not match its hash (the event was altered)');
    this.lastHash = actual;
    return true;
  }

  /** The verdict over the events added so far; `count` is the log's length when more were read than added. */
  verdict(count: number = this.position): ChainVerdict {
    if (this.broken) return { ok: false, count, ...this.broken };
    return { ok: true, count, head: this.lastHash };
  }
}

/**
 * Checks a whole log (see ChainChecker). Accepts unknown input because it is meant for logs read
 * from outside. `canonicalTexts[i]`, when given, is event i's stored text, already checked to be
 * its canonical JSON (as the stores' readers do): each event is then serialised once, not twice.
 */
export function verifyChain(events: readonly unknown[], canonicalTexts?: readonly string[]): ChainVerdict {
  const checker = new ChainChecker();
  for (const [index, raw] of events.entries()) if (!checker.add(raw, canonicalTexts?.[index])) break;
  return checker.verdict(events.length);
}

/** The next event of a chain whose head is `head`: data sanitised, seq, prev and hash set. */
export function chainedEvent(rolloutId: string, head: { seq: number; hash: string }, type: string, data: Record<string, unknown>, at: Date): RolloutEvent {
  const clean = sanitizeForEvidence(data);
  if (typeof clean !== 'object' || clean === null || Array.isArray(clean)) throw new StateError(`event data of ${type} must be an object`);
  const body: RolloutEvent = { seq: head.seq + 1, rolloutId, at: at.toISOString(), type, prev: head.hash, data: clean as Record<string, unknown> };
  return { ...body, hash: hashEvent(body) };
}
