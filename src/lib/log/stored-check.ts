/**
 * Reads a stored rollout's log and judges it in one pass: the chain (each event serialised once,
 * hashed from the bytes the store keeps) and the log against the chain head recorded with the
 * record, so a cut tail is found as surely as a changed byte. `evidence verify` and
 * `evidence report` both judge a stored log here, so they can never disagree.
 */
import type { ChainHead, RolloutEvent, RolloutRecord, StateStore } from '../state/types.js';
import { CorruptEventLogError } from '../state/event-log-error.js';
import { ChainChecker, GENESIS_PREV, type ChainVerdict } from './chain.js';
import { checkExpectedHead, checkLogAgainstHead, type ExpectedHead, type HeadCheck } from './head.js';

export type StoredVerdict = ChainVerdict & {
  /** Events cut off the end, when the head says how many. */
  missing?: number;
  /** Something a reader should know although the log is intact. */
  note?: string;
  /** The head the store recorded with the rollout (null: none, written by an older rollgate). */
  recordedHead: ChainHead | null;
};

export interface StoredLog {
  /** The events read, in order; empty when the stored log could not be read back at all (or not kept). */
  events: RolloutEvent[];
  /** False when the store holds a log it cannot read back as events (torn, not JSON, not canonical). */
  readable: boolean;
  verdict: StoredVerdict;
}

/** A verified chain narrowed by a head comparison. */
export function withHeadCheck(verdict: ChainVerdict & { ok: true }, check: HeadCheck): ChainVerdict & { missing?: number; note?: string } {
  if (check.ok) return { ...verdict, ...(check.note ? { note: check.note } : {}) };
  return { ok: false, count: verdict.count, brokenAt: check.brokenAt, reason: check.reason, ...(check.missing !== undefined ? { missing: check.missing } : {}) };
}

export interface StoredReadOptions {
  /** Called with each event as it is read (after the store's own checks), in order, with its stored canonical text. */
  onEvent?: (event: RolloutEvent, canonicalText: string) => void;
  /** false: the events go to onEvent only (`events` comes back empty); not with `expected`. Default true. */
  keep?: boolean;
}

/**
 * Reads the events of `rolloutId` and checks them as they come: chain (each event hashed from the
 * text the store holds), then the recorded head (before "no events": a log cut down to nothing
 * says how much is missing), then `expected` when an auditor gave one. A stored log that cannot be
 * read back is broken evidence (not an unreachable store).
 */
export async function readStoredLog(store: StateStore, rolloutId: string, record: RolloutRecord | undefined, expected?: ExpectedHead, options: StoredReadOptions = {}): Promise<StoredLog> {
  const recordedHead = record?.head ?? null;
  const keep = options.keep !== false || expected !== undefined;
  const events: RolloutEvent[] = [];
  const checker = new ChainChecker();
  let count = 0;
  // The hash at the recorded head's position: all the head check needs of a log that is not kept.
  let atHead: string | undefined;
  try {
    await store.readEvents(rolloutId, {
      keep: false,
      onEvent: (event, text) => {
        count += 1;
        checker.add(event, text);
        if (count === record?.head?.seq) atHead = event.hash;
        if (keep) events.push(event);
        options.onEvent?.(event, text);
      },
    });
  } catch (error) {
    if (error instanceof CorruptEventLogError) return { events: [], readable: false, verdict: { ok: false, count: error.position, brokenAt: error.position, reason: error.reason, recordedHead } };
    throw error;
  }
  const chain = checker.verdict(count);
  if (!chain.ok) return { events, readable: true, verdict: { ...chain, recordedHead } };
  const againstRecord = withHeadCheck(chain, checkLogAgainstHead(count, (seq) => (seq === 0 ? GENESIS_PREV : seq === record?.head?.seq ? atHead : undefined), record?.head));
  if (!againstRecord.ok) return { events, readable: true, verdict: { ...againstRecord, recordedHead } };
  if (count === 0) return { events, readable: true, verdict: { ok: false, count: 0, brokenAt: 1, reason: 'the log holds no events', recordedHead } };
  if (!expected) return { events, readable: true, verdict: { ...againstRecord, recordedHead } };
  const againstExpected = withHeadCheck(chain, checkExpectedHead(events, expected));
  return { events, readable: true, verdict: { ...againstExpected, ...(againstRecord.note && againstExpected.ok ? { note: againstRecord.note } : {}), recordedHead } };
}
