/**
 * The one-pass chain check (ChainChecker, verifyChain with stored texts, the streaming NDJSON
 * reader) must judge every log exactly as the plain definition does: canonicalise each event,
 * hash it, compare. These tests hold the fast paths to that definition.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson, GENESIS_PREV, hashEvent, isCanonicalJson, malformedEventReason, sanitizeForEvidence, sha256Hex, verifyChain, type ChainVerdict } from '../../../src/lib/log/chain.js';
import { formatNdjson, parseEvidenceLog, readEvidenceLog, verifyEvidenceLog } from '../../../src/lib/evidence/log-file.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';

const dir = mkdtempSync(join(tmpdir(), 'rollgate-one-pass-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function chain(items: Array<Record<string, unknown>>, rolloutId = 'r-1'): RolloutEvent[] {
  const events: RolloutEvent[] = [];
  let prev = GENESIS_PREV;
  items.forEach((data, index) => {
    const body: RolloutEvent = { seq: index + 1, rolloutId, at: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(), type: index % 2 ? 'measurement' : 'step.started', prev, data: sanitizeForEvidence(data) as Record<string, unknown> };
    const event = { ...body, hash: hashEvent(body) };
    events.push(event);
    prev = event.hash;
  });
  return events;
}

/** The definition, written plainly: what every fast path must agree with. */
function referenceVerdict(events: readonly unknown[]): { ok: boolean; brokenAt?: number } {
  let prev = GENESIS_PREV;
  for (const [index, raw] of events.entries()) {
    const e = raw as RolloutEvent & { hash: string };
    if (malformedEventReason(raw) || e.seq !== index + 1 || e.rolloutId !== (events[0] as RolloutEvent).rolloutId || e.prev !== prev) return { ok: false, brokenAt: index + 1 };
    const { hash, ...body } = e;
    if (sha256Hex(canonicalJson(body)) !== hash) return { ok: false, brokenAt: index + 1 };
    prev = hash;
  }
  return { ok: true };
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const dataArb = fc.dictionary(fc.string({ maxLength: 6 }), jsonValue, { maxKeys: 5 });

describe('isCanonicalJson (native fast path, exact fallback)', () => {
  it('agrees with canonicalJson(value) === text for any JSON text, canonical or not', () => {
    fc.assert(
      fc.property(jsonValue, fc.boolean(), (value, pretty) => {
        const texts = [canonicalJson(value), JSON.stringify(value), pretty ? JSON.stringify(value, null, 1) : JSON.stringify(value)];
        for (const text of texts) {
          const parsed = JSON.parse(text) as unknown;
          expect(isCanonicalJson(parsed, text)).toBe(canonicalJson(parsed) === text);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('integer-like keys (which V8 reorders) and escapes spelled differently fall to the exact check', () => {
    const text = '{"10":1,"2":2,"a":3}';
    expect(isCanonicalJson(JSON.parse(text), text)).toBe(true);
    expect(isCanonicalJson(JSON.parse('{"a":"\\u0041"}'), '{"a":"\\u0041"}')).toBe(false);
    expect(isCanonicalJson({ v: Number.NaN }, '{"v":null}')).toBe(false);
    expect(isCanonicalJson(JSON.parse('{"b":1,"a":2}'), '{"b":1,"a":2}')).toBe(false);
  });
});

describe('malformedEventReason (replaces the zod schema, keeps its words)', () => {
  const HEX64 = /^[0-9a-f]{64}$/;
  const schema = z.strictObject({
    seq: z.number().int().positive(),
    rolloutId: z.string().min(1),
    at: z.iso.datetime({ offset: true }),
    type: z.string().min(1),
    prev: z.string().regex(HEX64, 'must be 64 lowercase hex digits'),
    data: z.record(z.string(), z.unknown()),
    hash: z.string().regex(HEX64, 'must be 64 lowercase hex digits'),
  });
  const zodReason = (raw: unknown): string | undefined => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return undefined;
    const issue = parsed.error.issues[0]!;
    return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
  };
  const ok = chain([{ a: 1 }])[0]!;
  const without = (key: string) => Object.fromEntries(Object.entries(ok).filter(([k]) => k !== key));
  const cases: Array<[string, unknown]> = [
    ['well-formed', ok],
    ['a string', 'event'],
    ['an array', []],
    ['null', null],
    ['seq as a string', { ...ok, seq: '1' }],
    ['seq 1.5', { ...ok, seq: 1.5 }],
    ['seq 0', { ...ok, seq: 0 }],
    ['seq beyond 2^53', { ...ok, seq: 2 ** 60 }],
    ['no seq', without('seq')],
    ['empty rolloutId', { ...ok, rolloutId: '' }],
    ['numeric rolloutId', { ...ok, rolloutId: 7 }],
    ['at not a time', { ...ok, at: 'yesterday' }],
    ['at 30 February', { ...ok, at: '2026-02-30T00:00:00Z' }],
    ['at 29 February of a leap year, with an offset', { ...ok, at: '2028-02-29T23:59:59.5+02:00' }],
    ['at without a zone', { ...ok, at: '2026-01-01T00:00:00' }],
    ['type true', { ...ok, type: true }],
    ['prev in upper case', { ...ok, prev: 'A'.repeat(64) }],
    ['data an array', { ...ok, data: [] }],
    ['data null', { ...ok, data: null }],
    ['data a Date', { ...ok, data: new Date(0) }],
    ['no data', without('data')],
    ['no hash', without('hash')],
    ['an extra key', { ...ok, note: 'hi' }],
    ['two extra keys', { ...ok, a: 1, b: 2 }],
  ];
  it.each(cases)('%s: same verdict and words as the schema it replaced', (_name, raw) => {
    expect(malformedEventReason(raw)).toBe(zodReason(raw));
  });

  it('agrees with the schema on arbitrary objects', () => {
    fc.assert(
      fc.property(fc.record({ seq: fc.oneof(fc.integer(), fc.double(), fc.string()), rolloutId: fc.string({ maxLength: 3 }), at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()), type: fc.string({ maxLength: 2 }), prev: fc.constantFrom(GENESIS_PREV, 'x'), data: fc.oneof(dataArb, fc.constant(null)), hash: fc.constantFrom('f'.repeat(64), '') }, { requiredKeys: [] }), (raw) => {
        expect(malformedEventReason(raw)).toBe(zodReason(raw));
      }),
      { numRuns: 500 },
    );
  });
});

describe('one pass: verifyChain with stored texts, and the NDJSON reader', () => {
  it('judges any tampered log exactly as the plain definition, with or without the stored texts', () => {
    fc.assert(
      fc.property(fc.array(dataArb, { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(), fc.constantFrom('data', 'drop', 'swap', 'hash', 'none'), (items, pick, other, how) => {
        const events: unknown[] = chain(items).map((e) => JSON.parse(JSON.stringify(e)) as unknown);
        const i = pick % events.length;
        const e = events[i] as RolloutEvent;
        if (how === 'data') e.data = { ...e.data, tampered: other };
        if (how === 'drop' && events.length > 1) events.splice(i, 1);
        if (how === 'swap' && events.length > 1) [events[i], events[(i + 1) % events.length]] = [events[(i + 1) % events.length], events[i]];
        if (how === 'hash') e.hash = sha256Hex(String(other));
        const reference = referenceVerdict(events);
        // A tampered event's stored text is its (new) canonical form: what a store that re-wrote it would hold.
        const texts = events.map((x) => canonicalJson(x));
        for (const verdict of [verifyChain(events), verifyChain(events, texts), verifyEvidenceLog(parseEvidenceLog(texts.map((t) => `${t}\n`).join('')))]) {
          expect(verdict.ok).toBe(reference.ok);
          if (!verdict.ok) expect(verdict.brokenAt).toBe(reference.brokenAt);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a stored text that is not the event\'s own canonical text is never trusted for the hash', () => {
    const events = chain([{ a: 1 }, { b: 2 }]);
    // A text whose tail differs from the event's: the checker hashes the event itself instead.
    const texts = ['{"x":1}', canonicalJson(events[1])];
    expect(verifyChain(events, texts)).toEqual(verifyChain(events));
  });

  it('reads a file in pieces (lines and multi-byte characters across reads) to the same result as a whole parse', async () => {
    // Lines longer than a read, and "é"/"€" straddling read boundaries.
    const items = Array.from({ length: 40 }, (_, i) => ({ i, text: `${'é€'.repeat(20_000 + i)}x` }));
    const events = chain(items);
    const text = formatNdjson(events);
    const file = join(dir, 'big.ndjson');
    writeFileSync(file, text);
    const streamed = await readEvidenceLog(file);
    const whole = parseEvidenceLog(Buffer.from(text));
    expect(streamed.entries).toBe(40);
    expect(streamed.events).toEqual(whole.events);
    expect(verifyEvidenceLog(streamed)).toEqual({ ok: true, count: 40, head: events[39]!.hash });

    // Broken in the middle: position, count and reason as before, lines after it counted.
    const lines = text.split('\n');
    lines[20] = lines[20]!.replace('"i":20', '"i":21');
    writeFileSync(file, lines.join('\n'));
    const verdict: ChainVerdict = verifyEvidenceLog(await readEvidenceLog(file));
    expect(verdict).toEqual(verifyEvidenceLog(parseEvidenceLog(lines.join('\n'))));
    expect(verdict).toMatchObject({ ok: false, brokenAt: 21, count: 40 });

    // Invalid UTF-8 in a later read, and a torn multi-byte character at the very end.
    const bytes = Buffer.from(text);
    writeFileSync(file, Buffer.concat([bytes, Buffer.from([0xe2, 0x82])]));
    expect(verifyEvidenceLog(await readEvidenceLog(file))).toMatchObject({ ok: false, reason: /UTF-8/ });
    bytes[bytes.length - 300_000] = 0xff;
    writeFileSync(file, bytes);
    expect(verifyEvidenceLog(await readEvidenceLog(file))).toMatchObject({ ok: false, reason: /UTF-8/ });
  });

  it('a JSON report file (pretty-printed document) is still read whole and verified by content', async () => {
    const events = chain([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, summary: {}, events }, null, 2));
    expect(verifyEvidenceLog(await readEvidenceLog(file))).toEqual({ ok: true, count: 3, head: events[2]!.hash });
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, events }));
    expect(verifyEvidenceLog(await readEvidenceLog(file))).toMatchObject({ ok: true, count: 3 });
    writeFileSync(file, '');
    expect(verifyEvidenceLog(await readEvidenceLog(file))).toMatchObject({ ok: false, reason: /no events/ });
  });
});

describe('RolloutSummarizer: the summary folded in while reading equals the one made from the whole log', () => {
  const fixtures = ['approved', 'promoted', 'rolled-back-emergency', 'rolled-back-gate'];
  const orders: Array<[string, (events: RolloutEvent[]) => RolloutEvent[]]> = [
    ['as recorded', (e) => e],
    ['reversed', (e) => [...e].reverse()],
    ['rollout.started last', (e) => [...e.slice(1), e[0]!]],
    ['measurements without threshold or with another severity', (e) => e.map((x) => (x.type === 'measurement' ? { ...x, data: { ...x.data, threshold: undefined, severity: 'warning' } } : x))],
    ['a second rollout.started with another plan', (e) => [...e, { ...e[0]!, seq: 999, data: { ...e[0]!.data, plan: { ...(e[0]!.data.plan as object), gates: [] } } }]],
  ];
  it.each(fixtures.flatMap((name) => orders.map(([how, order]) => [name, how, order] as const)))('%s, %s', async (name, _how, order) => {
    const { readFileSync } = await import('node:fs');
    const { RolloutSummarizer, summarizeRollout } = await import('../../../src/lib/evidence/report/summary.js');
    const events = order(parseEvidenceLog(readFileSync(join(__dirname, '../../fixtures/evidence', `${name}.ndjson`))).events as RolloutEvent[]);
    for (const secrets of [[], ['checkout', 'deploy#42']]) {
      const chain = { intact: true, events: events.length, head: 'x' };
      const folded = new RolloutSummarizer(secrets);
      for (const event of events) folded.add(event);
      expect(folded.finish(chain)).toEqual(summarizeRollout(events, { chain, secrets }));
    }
  });
});

describe('the file store reads its log a chunk at a time, to the same events and errors as a whole read', () => {
  it('lines longer than a read, multi-byte characters across reads, a corrupt middle line, a torn end', async () => {
    const { FileStateStore } = await import('../../../src/lib/state/file-store.js');
    const { CorruptEventLogError } = await import('../../../src/lib/state/event-log-error.js');
    const { mkdirSync, writeFileSync: write } = await import('node:fs');
    const root = join(dir, 'store');
    const store = new FileStateStore(root);
    const events = chain(Array.from({ length: 30 }, (_, i) => ({ i, text: `${'é€'.repeat(30_000 + i)}x` })), 'r-big');
    mkdirSync(join(root, 'rollouts/r-big'), { recursive: true });
    const file = join(root, 'rollouts/r-big/events.ndjson');
    const text = formatNdjson(events);
    write(file, text);
    const texts: string[] = [];
    const seen: number[] = [];
    expect(await store.readEvents('r-big', { texts, onEvent: (e) => seen.push(e.seq) })).toEqual(events);
    expect(texts).toEqual(text.split('\n').slice(0, -1));
    expect(seen).toEqual(events.map((e) => e.seq));
    expect(await store.readEvents('r-big', { keep: false })).toEqual([]);

    const lines = text.split('\n').slice(0, -1);
    write(file, [...lines.slice(0, 10), '{"not":"canonical" }', ...lines.slice(11)].join('\n') + '\n');
    const corrupt = (await store.readEvents('r-big').catch((e: unknown) => e)) as InstanceType<typeof CorruptEventLogError>;
    expect(corrupt).toBeInstanceOf(CorruptEventLogError);
    expect([corrupt.position, corrupt.reason, corrupt.hint]).toEqual([11, 'line 11 is not an event', `inspect ${file}; the events before entry #30 are intact`]);

    const cut = text.slice(0, text.length - 500);
    write(file, cut);
    const torn = (await store.readEvents('r-big').catch((e: unknown) => e)) as InstanceType<typeof CorruptEventLogError>;
    const complete = cut.split('\n').slice(0, -1);
    expect([torn.position, torn.reason]).toEqual([30, `the last line is incomplete (a write was cut short at byte ${Buffer.byteLength(complete.join('\n')) + 1})`]);
    await store.close();
  });
});
