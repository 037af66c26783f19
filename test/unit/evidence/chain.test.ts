import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, EventLog, GENESIS_PREV, hashEvent, sanitizeForEvidence, sha256Hex, verifyChain } from '../../../src/lib/evidence/chain.js';
import { formatNdjson, parseEvidenceLog, verifyEvidenceLog } from '../../../src/lib/evidence/log-file.js';
import { StateError, TamperedError } from '../../../src/lib/errors.js';
import type { RolloutEvent, RolloutRecord, StateStore } from '../../../src/lib/state/types.js';

/** Builds a chain the way EventLog does. */
function buildChain(rolloutId: string, items: Array<{ type: string; data: Record<string, unknown> }>, start = Date.UTC(2026, 0, 1)): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  let prev = GENESIS_PREV;
  items.forEach((item, index) => {
    const body: RolloutEvent = { seq: index + 1, rolloutId, at: new Date(start + index * 1000).toISOString(), type: item.type, prev, data: sanitizeForEvidence(item.data) as Record<string, unknown> };
    const event = { ...body, hash: hashEvent(body) };
    events.push(event);
    prev = event.hash;
  });
  return events;
}

const sample = (): RolloutEvent[] =>
  buildChain('r-1', [
    { type: 'rollout.started', data: { planSha256: 'ab'.repeat(32), service: 'checkout' } },
    { type: 'weight.applied', data: { weight: 10, exitCode: 0, output: 'ok\n' } },
    { type: 'measurement', data: { gate: 'error-rate', query: 'sum(rate(x[1m]))', value: 0.004, threshold: 0.01, verdict: 'pass' } },
    { type: 'rollout.promoted', data: {} },
  ]);

describe('canonicalJson', () => {
  it('sorts keys recursively, keeps array order, writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1, { z: null, y: true }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,1,{"y":true,"z":null}]},"b":1}');
  });

  it('matches the RFC 8785 example for numbers, strings and literals', () => {
    const input = JSON.parse('{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}');
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '1': 3, '\ud83d\ude00': 4, '\u0080': 5, 'ö': 6 })).toBe('{"\\r":2,"1":3,"\u0080":5,"ö":6,"€":1,"😀":4}');
  });

  it('rejects NaN and ±Infinity, and drops undefined properties like JSON does', () => {
    expect(() => canonicalJson({ v: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).toThrow(/Infinity/);
    expect(() => canonicalJson([undefined])).toThrow(/undefined/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/);
    expect(canonicalJson({ a: undefined, b: -0 })).toBe('{"b":0}');
  });

  it('hashes with sha256 in lowercase hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(GENESIS_PREV).toBe('0'.repeat(64));
  });
});

describe('sanitizeForEvidence', () => {
  it('turns what JSON cannot hold into strings and drops undefined', () => {
    const error = new Error('boom');
    expect(
      sanitizeForEvidence({ nan: Number.NaN, inf: Infinity, ninf: -Infinity, zero: -0, gone: undefined, fn: () => 1, arr: [undefined, 1], big: 12n, at: new Date(0), error, set: new Set([1]), map: new Map([['k', 2]]) }),
    ).toEqual({ nan: 'NaN', inf: '+Inf', ninf: '-Inf', zero: 0, arr: [null, 1], big: '12', at: '1970-01-01T00:00:00.000Z', error: { name: 'Error', message: 'boom' }, set: [1], map: { k: 2 } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(sanitizeForEvidence(cyclic)).toEqual({ a: 1, self: '[Circular]' });
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and returns its head', () => {
    const events = sample();
    expect(verifyChain(events)).toEqual({ ok: true, count: 4, head: events[3]!.hash });
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: GENESIS_PREV });
  });

  it.each<[string, (events: RolloutEvent[]) => unknown[], number, RegExp]>([
    ['a changed value in the middle', (e) => e.map((x) => (x.seq === 3 ? { ...x, data: { ...x.data, value: 0.02 } } : x)), 3, /content does not match/],
    ['a changed last event', (e) => e.map((x) => (x.seq === 4 ? { ...x, type: 'rollout.rolled_back' } : x)), 4, /content does not match/],
    ['a re-hashed changed event (the next link breaks)', (e) => e.map((x) => (x.seq === 2 ? (({ hash: _h, ...b }) => ({ ...b, data: { weight: 100 }, hash: hashEvent({ ...b, data: { weight: 100 } }) }))(x) : x)), 3, /prev does not match/],
    ['a removed event', (e) => e.filter((x) => x.seq !== 2), 2, /seq is 3, expected 2/],
    ['swapped events', (e) => [e[0], e[2], e[1], e[3]], 2, /seq is 3/],
    ['an event of another rollout', (e) => e.map((x) => (x.seq === 2 ? { ...x, rolloutId: 'r-2' } : x)), 2, /rolloutId/],
    ['a first event that does not start at genesis', (e) => [{ ...e[0]!, prev: 'f'.repeat(64) }, ...e.slice(1)], 1, /genesis/],
    ['a missing field', (e) => e.map((x) => (x.seq === 2 ? (({ data: _d, ...rest }) => rest)(x) : x)), 2, /malformed event: data/],
    ['an extra field', (e) => e.map((x) => (x.seq === 1 ? { ...x, note: 'hi' } : x)), 1, /malformed/],
    ['no hash', (e) => e.map((x) => (x.seq === 1 ? (({ hash: _h, ...rest }) => rest)(x) : x)), 1, /malformed event: hash/],
    ['a non-object', (e) => [e[0], 'event', ...e.slice(2)], 2, /malformed/],
  ])('detects %s', (_name, tamper, brokenAt, reason) => {
    const verdict = verifyChain(tamper(sample()));
    expect(verdict).toMatchObject({ ok: false, brokenAt, count: expect.any(Number) });
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });
});

/** A store that keeps events (and, when given, a record with its chain head) in memory: just enough for EventLog. */
function memoryStore(initial: RolloutEvent[] = [], record?: RolloutRecord): StateStore & { events: RolloutEvent[]; record: RolloutRecord | undefined; failNext: 'before' | 'after' | undefined } {
  const store = {
    url: 'memory:',
    events: [...initial],
    record,
    failNext: undefined as 'before' | 'after' | undefined,
    getRollout: async () => structuredClone(store.record),
    updateRollout: async (_id: string, patch: Partial<RolloutRecord>) => {
      store.record = { ...store.record!, ...patch };
    },
    readEvents: async () => structuredClone(store.events),
    appendEvent: async (event: RolloutEvent) => {
      if (store.failNext === 'before') {
        store.failNext = undefined;
        throw new StateError('down');
      }
      if (event.seq !== store.events.length + 1) throw new StateError(`seq ${event.seq} rejected`);
      store.events.push(structuredClone(event));
      if (store.failNext === 'after') {
        store.failNext = undefined;
        throw new StateError('timeout after the write');
      }
    },
  };
  return store as unknown as StateStore & typeof store;
}

describe('EventLog', () => {
  it('builds seq, prev and hash, sanitises data and serialises concurrent appends', async () => {
    const store = memoryStore();
    const log = await EventLog.open(store, 'r-1');
    expect([log.lastSeq, log.head]).toEqual([0, GENESIS_PREV]);
    const appended = await Promise.all([log.append('a', { v: Number.NaN }), log.append('b', { v: undefined, w: 1 }), log.append('c', {}, new Date(0))]);
    expect(appended.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(appended[0]!.data).toEqual({ v: 'NaN' });
    expect(appended[1]!.data).toEqual({ w: 1 });
    expect(appended[2]!.at).toBe('1970-01-01T00:00:00.000Z');
    expect(verifyChain(store.events)).toEqual({ ok: true, count: 3, head: log.head });
  });

  it('refuses to extend a broken chain', async () => {
    const events = sample();
    events[1]!.data.weight = 50;
    await expect(EventLog.open(memoryStore(events), 'r-1')).rejects.toBeInstanceOf(TamperedError);
  });

  it('checks the log against the head recorded with its record: a cut tail is never extended; one event ahead moves the head', async () => {
    const events = sample();
    const record = { rolloutId: 'r-1', service: 'checkout', planName: 'p', planFile: 'p.yaml', planSha256: 'a'.repeat(64), status: 'running', step: 0, weight: 0, createdAt: events[0]!.at, updatedAt: events[0]!.at } as RolloutRecord;
    const head = (n: number) => ({ seq: n, hash: events[n - 1]!.hash! });
    await expect(EventLog.open(memoryStore(events.slice(0, 2), { ...record, head: head(4) }), 'r-1')).rejects.toThrow(/2 events are missing from the end/);
    await expect(EventLog.open(memoryStore(events, { ...record, head: { seq: 4, hash: 'f'.repeat(64) } }), 'r-1')).rejects.toBeInstanceOf(TamperedError);
    const ahead = memoryStore(events, { ...record, head: head(3) });
    const log = await EventLog.open(ahead, 'r-1');
    expect(ahead.record?.head).toEqual(head(4));
    expect([log.lastSeq, log.head]).toEqual([4, events[3]!.hash]);
    // Without a record (or a head in it) there is nothing to compare with: the chain alone is checked.
    expect((await EventLog.open(memoryStore(events.slice(0, 2)), 'r-1')).lastSeq).toBe(2);
  });

  it('after a failed append re-reads the store, whether or not the event was kept', async () => {
    const store = memoryStore();
    const log = await EventLog.open(store, 'r-1');
    await log.append('a', {});
    store.failNext = 'before';
    await expect(log.append('lost', {})).rejects.toBeInstanceOf(StateError);
    store.failNext = 'after';
    await expect(log.append('kept', {})).rejects.toBeInstanceOf(StateError);
    await log.append('next', {});
    expect(store.events.map((e) => `${e.seq}:${e.type}`)).toEqual(['1:a', '2:kept', '3:next']);
    expect(verifyChain(store.events)).toMatchObject({ ok: true, count: 3 });
  });
});

describe('evidence log files', () => {
  it('reads NDJSON and JSON reports alike', () => {
    const events = sample();
    const ndjson = formatNdjson(events);
    expect(verifyEvidenceLog(parseEvidenceLog(ndjson))).toEqual({ ok: true, count: 4, head: events[3]!.hash });
    const report = JSON.stringify({ schemaVersion: 1, summary: { status: 'promoted' }, events }, null, 2);
    expect(verifyEvidenceLog(parseEvidenceLog(report))).toEqual({ ok: true, count: 4, head: events[3]!.hash });
    expect(verifyEvidenceLog(parseEvidenceLog(JSON.stringify({ schemaVersion: 1, events })))).toMatchObject({ ok: true });
  });

  it('tolerates nothing: blank lines, a missing event, invalid UTF-8, an empty file', () => {
    const ndjson = formatNdjson(sample());
    expect(verifyEvidenceLog(parseEvidenceLog(ndjson.replace('\n', '\n\n')))).toMatchObject({ ok: false, brokenAt: 2, reason: 'line 2 is empty' });
    expect(verifyEvidenceLog(parseEvidenceLog(`${ndjson}\n`))).toMatchObject({ ok: false, brokenAt: 5 });
    const bytes = Buffer.from(ndjson);
    bytes[bytes.indexOf('checkout')] = 0xff;
    expect(verifyEvidenceLog(parseEvidenceLog(bytes))).toMatchObject({ ok: false, reason: /UTF-8/ });
    expect(verifyEvidenceLog(parseEvidenceLog(''))).toMatchObject({ ok: false, brokenAt: 1, reason: /no events/ });
    expect(verifyEvidenceLog(parseEvidenceLog('{"schemaVersion":1,"summary":{}}'))).toMatchObject({ ok: false, reason: /no "events" array/ });
  });

  it('reports a line that is valid JSON but not canonical', () => {
    const lines = formatNdjson(sample()).split('\n');
    lines[2] = lines[2]!.replace('"type":', '"type": ');
    expect(verifyEvidenceLog(parseEvidenceLog(lines.join('\n')))).toMatchObject({ ok: false, brokenAt: 3, reason: /canonical/ });
  });
});

// ---- properties --------------------------------------------------------------------------------

const eventItem = fc.record({
  type: fc.oneof(fc.constantFrom('rollout.started', 'measurement', 'weight.applied'), fc.string({ minLength: 1, unit: 'binary' })),
  data: fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(fc.jsonValue(), fc.double(), fc.string({ unit: 'binary' }))),
});
const eventLog = fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/), fc.array(eventItem, { minLength: 1, maxLength: 12 }));

describe('properties', () => {
  it('random event logs round-trip through NDJSON unchanged and verify', () => {
    fc.assert(
      fc.property(eventLog, ([rolloutId, items]) => {
        const events = buildChain(rolloutId, items);
        const log = parseEvidenceLog(Buffer.from(formatNdjson(events), 'utf8'));
        expect(log.problem).toBeUndefined();
        expect(log.events).toEqual(events);
        expect(verifyEvidenceLog(log)).toEqual({ ok: true, count: events.length, head: events.at(-1)!.hash });
      }),
      { numRuns: 200 },
    );
  });

  it('any single-byte change to a stored NDJSON log is detected', () => {
    fc.assert(
      fc.property(eventLog, fc.nat(), fc.integer({ min: 1, max: 255 }), ([rolloutId, items], at, xor) => {
        const bytes = Buffer.from(formatNdjson(buildChain(rolloutId, items)), 'utf8');
        const position = at % bytes.length;
        bytes[position] = bytes[position]! ^ xor;
        const verdict = verifyEvidenceLog(parseEvidenceLog(bytes));
        expect(verdict.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('changing any field of any event of a JSON report is detected', () => {
    fc.assert(
      fc.property(eventLog, fc.nat(), fc.constantFrom('seq', 'rolloutId', 'at', 'type', 'prev', 'data', 'hash'), ([rolloutId, items], which, field) => {
        const events = buildChain(rolloutId, items) as unknown as Array<Record<string, unknown>>;
        const target = events[which % events.length]!;
        target[field] = field === 'seq' ? (target.seq as number) + 1 : field === 'data' ? { ...(target.data as object), injected: 1 } : `${String(target[field])}0`;
        expect(verifyEvidenceLog(parseEvidenceLog(JSON.stringify({ schemaVersion: 1, events }, null, 2))).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
