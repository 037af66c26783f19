import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../../src/lib/evidence/chain.js';
import { formatNdjson, parseEvidenceLog, verifyEvidenceLog } from '../../../../src/lib/evidence/log-file.js';
import { renderReport } from '../../../../src/lib/evidence/report/render.js';
import { fixtureBytes, fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

describe('json report', () => {
  it.each(FIXTURE_NAMES)('%s: {schemaVersion 1, summary, events}; the events round-trip byte for byte and verify', (name) => {
    const events = fixtureEvents(name);
    const { text, summary } = renderReport(events, 'json');
    const doc = JSON.parse(text) as { schemaVersion: number; kind: string; summary: Record<string, unknown>; events: unknown[] };
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'kind', 'summary', 'events']);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.kind).toBe('rollgate.evidence-report');
    expect(doc.events).toEqual(events);
    // The exported log is the stored log: re-serialised, it is the recorded file, byte for byte.
    expect(formatNdjson(doc.events as typeof events)).toBe(fixtureBytes(name).toString('utf8'));
    expect(verifyChain(doc.events)).toMatchObject({ ok: true, count: events.length, head: events.at(-1)!.hash });
    // What `evidence verify report.json` reads.
    expect(verifyEvidenceLog(parseEvidenceLog(text))).toMatchObject({ ok: true, count: events.length });
    expect(doc.summary).toMatchObject({ rolloutId: events[0]!.rolloutId, status: summary.status, outcome: summary.outcome, planSha256: summary.planSha256, chain: { intact: true, head: events.at(-1)!.hash }, redactedEvents: [] });
    const gates = doc.summary.gates as Array<{ name: string; measurements: number; failedAt: number[] }>;
    for (const gate of gates) {
      expect(gate.measurements).toBe(events.filter((e) => e.type === 'measurement' && e.data.gate === gate.name).length);
      expect(gate.failedAt).toEqual(events.filter((e) => e.type === 'measurement' && e.data.gate === gate.name && e.data.verdict === 'fail').map((e) => e.seq));
    }
  });

  it('any single-byte change to a recorded log is detected by evidence verify', () => {
    const logs = FIXTURE_NAMES.map(fixtureBytes);
    fc.assert(
      fc.property(fc.nat(logs.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const bytes = Buffer.from(logs[which]!);
        const position = at % bytes.length;
        bytes[position] = bytes[position]! ^ xor;
        expect(verifyEvidenceLog(parseEvidenceLog(bytes)).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
