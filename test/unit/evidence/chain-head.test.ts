import { describe, expect, it } from 'vitest';
import { GENESIS_PREV, hashEvent } from '../../../src/lib/log/chain.js';
import { checkAgainstHead, checkExpectedHead, parseExpectedHead } from '../../../src/lib/log/head.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';

function chain(count: number): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= count; seq += 1) {
    const body: RolloutEvent = { seq, rolloutId: 'r1', at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), type: 't', prev, data: { seq } };
    const event = { ...body, hash: hashEvent(body) };
    events.push(event);
    prev = event.hash;
  }
  return events;
}

const log = chain(5);
const headOf = (seq: number) => ({ seq, hash: seq === 0 ? GENESIS_PREV : log[seq - 1]!.hash! });

describe('checkAgainstHead', () => {
  it('a log that reaches its head exactly is intact', () => {
    expect(checkAgainstHead(log, headOf(5))).toEqual({ ok: true });
    expect(checkAgainstHead([], headOf(0))).toEqual({ ok: true });
  });

  it('a cut tail: says how many events are missing and where the log stops', () => {
    expect(checkAgainstHead(log.slice(0, 3), headOf(5))).toEqual({ ok: false, brokenAt: 4, missing: 2, reason: expect.stringMatching(/ends at event #3 but its recorded head is #5: 2 events are missing/) });
    expect(checkAgainstHead([], headOf(5))).toMatchObject({ ok: false, brokenAt: 1, missing: 5 });
    expect(checkAgainstHead(log.slice(0, 4), headOf(5))).toMatchObject({ missing: 1, reason: expect.stringMatching(/1 event is missing/) });
  });

  it('one event ahead of the head (crash between the two writes) is intact with a note; two is not', () => {
    expect(checkAgainstHead(log, headOf(4))).toEqual({ ok: true, note: expect.stringMatching(/event #5 was written but the head not yet moved/) });
    expect(checkAgainstHead(log.slice(0, 1), headOf(0))).toMatchObject({ ok: true, note: expect.any(String) });
    expect(checkAgainstHead(log, headOf(3))).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringMatching(/2 events after its recorded head #3/) });
  });

  it('a head whose hash is not the log event at that seq: the end was replaced', () => {
    expect(checkAgainstHead(log, { seq: 5, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, brokenAt: 5, reason: expect.stringMatching(/does not match the recorded chain head/) });
    expect(checkAgainstHead(log, { seq: 4, hash: 'f'.repeat(64) })).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('no head (written before heads were kept): intact, with a note that truncation cannot be seen', () => {
    expect(checkAgainstHead(log, undefined)).toEqual({ ok: true, note: expect.stringMatching(/cut tail cannot be detected/) });
  });
});

describe('--expect-head', () => {
  it('parses HASH and SEQ:HASH, nothing else', () => {
    const hash = log[4]!.hash!;
    expect(parseExpectedHead(hash)).toEqual({ hash });
    expect(parseExpectedHead(`5:${hash}`)).toEqual({ hash, seq: 5 });
    expect(parseExpectedHead(`#5:${hash.toUpperCase()}`)).toEqual({ hash, seq: 5 });
    expect(parseExpectedHead('abc')).toBeUndefined();
    expect(parseExpectedHead(`x:${hash}`)).toBeUndefined();
  });

  it('passes only when the copy ends exactly at the expected head', () => {
    expect(checkExpectedHead(log, { hash: log[4]!.hash! })).toEqual({ ok: true });
    expect(checkExpectedHead(log, { hash: log[4]!.hash!, seq: 4 })).toMatchObject({ ok: false });
    expect(checkExpectedHead(log, { hash: log[2]!.hash! })).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/goes on for 2 events after the expected head #3/) });
    expect(checkExpectedHead(log.slice(0, 2), { hash: log[4]!.hash!, seq: 5 })).toMatchObject({ ok: false, missing: 3 });
    expect(checkExpectedHead(log.slice(0, 2), { hash: log[4]!.hash! })).toMatchObject({ ok: false, reason: expect.stringMatching(/not in this log/) });
  });
});
