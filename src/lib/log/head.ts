/**
 * The chain head (seq and hash of the last event) kept beside a log, and what comparing a log with
 * it says. A hash chain alone accepts any prefix of itself; the head is what makes a cut tail as
 * visible as a changed byte.
 */
import type { ChainHead, RolloutEvent } from '../state/types.js';
import { GENESIS_PREV } from './chain.js';

export type HeadCheck =
  | { ok: true; /** Something a reader should know although the log is intact. */ note?: string }
  | { ok: false; /** 1-based position of the first missing or mismatching event. */ brokenAt: number; reason: string; /** Events cut off the end, when known. */ missing?: number };

function hashAt(events: readonly RolloutEvent[], seq: number): string | undefined {
  return seq === 0 ? GENESIS_PREV : events[seq - 1]?.hash;
}

/**
 * Compares a log whose chain already verified with the head its store recorded. The log may be one
 * event ahead (the file store fsyncs the line before it moves the head: a crash in between), never
 * behind (a cut) and never further ahead.
 */
export function checkAgainstHead(events: readonly RolloutEvent[], head: ChainHead | undefined): HeadCheck {
  return checkLogAgainstHead(events.length, (seq) => hashAt(events, seq), head);
}

/**
 * checkAgainstHead for a log that was not kept: its length and the hash of the event at the
 * head's seq (a reader notes that one as it goes by).
 */
export function checkLogAgainstHead(count: number, hashOf: (seq: number) => string | undefined, head: ChainHead | undefined): HeadCheck {
  if (!head) return { ok: true, note: 'no chain head is recorded for this rollout (written by an older rollgate): a cut tail cannot be detected' };
  if (count < head.seq) {
    const missing = head.seq - count;
    return { ok: false, brokenAt: count + 1, missing, reason: `the log ends at event #${count} but its recorded head is #${head.seq}: ${missing} event${missing === 1 ? ' is' : 's are'} missing from the end (the tail was cut off)` };
  }
  if (hashOf(head.seq) !== head.hash) {
    return { ok: false, brokenAt: Math.max(1, head.seq), reason: `event #${head.seq} does not match the recorded chain head ${head.hash.slice(0, 12)}… (the end of the log was replaced)` };
  }
  if (count === head.seq) return { ok: true };
  if (count === head.seq + 1) {
    return { ok: true, note: `event #${count} was written but the head not yet moved to it (the runner stopped between the two writes); it is chained to the head, so nothing is missing` };
  }
  return { ok: false, brokenAt: head.seq + 2, reason: `the log holds ${count - head.seq} events after its recorded head #${head.seq} (events were added outside rollgate)` };
}

export interface ExpectedHead {
  hash: string;
  seq?: number;
}

/** `HASH` or `SEQ:HASH` (as reports print it); undefined when it is neither. */
export function parseExpectedHead(text: string): ExpectedHead | undefined {
  const match = /^(?:#?(\d+):)?([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  return { hash: match[2]!, ...(match[1] !== undefined ? { seq: Number(match[1]) } : {}) };
}

/** Checks an (already verified) log against a head an auditor holds: it must end exactly there. */
export function checkExpectedHead(events: readonly RolloutEvent[], expected: ExpectedHead): HeadCheck {
  const count = events.length;
  const last = events.at(-1);
  if (last?.hash === expected.hash && (expected.seq === undefined || expected.seq === count)) return { ok: true };
  const at = events.findIndex((e) => e.hash === expected.hash);
  if (at >= 0) {
    const extra = count - (at + 1);
    return { ok: false, brokenAt: at + 2, reason: `the log goes on for ${extra} event${extra === 1 ? '' : 's'} after the expected head #${at + 1}` };
  }
  if (expected.seq !== undefined && count < expected.seq) {
    const missing = expected.seq - count;
    return { ok: false, brokenAt: count + 1, missing, reason: `the log ends at event #${count} but the expected head is #${expected.seq}: ${missing} event${missing === 1 ? ' is' : 's are'} missing from the end (the tail was cut off)` };
  }
  return { ok: false, brokenAt: count + 1, reason: `the expected head ${expected.hash.slice(0, 12)}… is not in this log: events were cut off its end or replaced (or it is another rollout's log)` };
}
