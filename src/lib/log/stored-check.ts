/**
 * Reads a stored rollout's log and judges it in one pass: the chain (each event serialised once,
 * hashed from the bytes the store keeps) and the log against the chain head recorded with the
 * record, so a cut tail is found as surely as a changed byte. `evidence verify` and
 * `evidence report` both judge a stored log here, so they can never disagree.
 */
import type { ChainHead, RolloutEvent, RolloutRecord, StateStore } from '../state/types.js';
import { CorruptEventLogError } from '../state/event-log-error.js';
import { verifyChain, type ChainVerdict } from './chain.js';
import { checkAgainstHead, checkExpectedHead, type ExpectedHead, type HeadCheck } from './head.js';

export type StoredVerdict = ChainVerdict & {
  /** Events cut off the end, when the head says how many. */
  missing?: number;
  /** Something a reader should know although the log is intact. */
  note?: string;
  /** The head the store recorded with the rollout (null: none, written by an older rollgate). */
  recordedHead: ChainHead | null;
};

export interface StoredLog {
  /** The events read, in order; empty when the stored log could not be read back at all. */
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

/**
 * Reads the events of `rolloutId` and checks them: chain, then recorded head (before "no events":
 * a log cut down to nothing says how much is missing), then `expected` when an auditor gave one.
 * A stored log that cannot be read back is broken evidence (not an unreachable store).
 */
export async function readStoredLog(store: StateStore, rolloutId: string, record: RolloutRecord | undefined, expected?: ExpectedHead): Promise<StoredLog> {
  const recordedHead = record?.head ?? null;
  const texts: string[] = [];
  let events: RolloutEvent[];
  try {
    events = await store.readEvents(rolloutId, { texts });
  } catch (error) {
    if (error instanceof CorruptEventLogError) return { events: [], readable: false, verdict: { ok: false, count: error.position, brokenAt: error.position, reason: error.reason, recordedHead } };
    throw error;
  }
  const chain = verifyChain(events, texts.length === events.length ? texts : undefined);
  if (!chain.ok) return { events, readable: true, verdict: { ...chain, recordedHead } };
  const againstRecord = withHeadCheck(chain, checkAgainstHead(events, record?.head));
  if (!againstRecord.ok) return { events, readable: true, verdict: { ...againstRecord, recordedHead } };
  if (chain.count === 0) return { events, readable: true, verdict: { ok: false, count: 0, brokenAt: 1, reason: 'the log holds no events', recordedHead } };
  if (!expected) return { events, readable: true, verdict: { ...againstRecord, recordedHead } };
  const againstExpected = withHeadCheck(chain, checkExpectedHead(events, expected));
  return { events, readable: true, verdict: { ...againstExpected, ...(againstRecord.note && againstExpected.ok ? { note: againstRecord.note } : {}), recordedHead } };
}
