/**
 * The report's timeline says each thing once, in words: a measurement's value once at one precision
 * (its reason's, when it has one), statuses in words, and a dry run's weights as not applied.
 */
import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../../../src/lib/evidence/report/event-text.js';
import type { RolloutEvent } from '../../../../src/lib/state/types.js';

const event = (type: string, data: Record<string, unknown>): RolloutEvent => ({ seq: 1, rolloutId: 'checkout-1', at: '2026-12-01T10:00:00.000Z', type, prev: '', data });

describe('timeline text', () => {
  it('a failing measurement: the value once, as its reason says it', () => {
    const line = describeEvent(event('measurement', { gate: 'error-rate', verdict: 'fail', value: 0.0849706, threshold: '<= 0.05', reason: '0.0849706 > max 0.05' }));
    expect(line).toBe('gate error-rate: fail: 0.0849706 > max 0.05');
    expect(line).not.toContain('0.08497 ');
  });

  it('a passing measurement without a reason: value and threshold', () => {
    expect(describeEvent(event('measurement', { gate: 'error-rate', verdict: 'pass', value: 0.0123456, threshold: '<= 0.05', reason: '' }))).toBe('gate error-rate: pass, value 0.01235 (threshold <= 0.05)');
  });

  it('statuses in words', () => {
    expect(describeEvent(event('rollout.resumed', { by: 'alice', fromStatus: 'rolled_back' }))).toBe('resumed by alice (was rolled back)');
  });

  it('a dry run: not applied', () => {
    const action = { ok: true, kind: 'exec', command: ['(dry run: not executed)'], stdout: '', stderr: '', durationMs: 0 };
    expect(describeEvent(event('weight.applied', { weight: 10, ok: true, rollback: false, action, dryRun: true }))).toBe('canary weight 10%: dry run, not applied');
    expect(describeEvent(event('weight.applied', { weight: 0, ok: true, rollback: true, action }))).toBe('canary weight 0% (rollback): dry run, not applied');
  });
});

describe('measurement tables (md, html)', () => {
  it('a row gives the value once: a reason that only compares it with the threshold is left out; other reasons stay', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { renderReport } = await import('../../../../src/lib/evidence/report/render.js');
    const events = readFileSync(join(import.meta.dirname, '../../../fixtures/evidence/rolled-back-gate.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RolloutEvent);
    const failing = events.find((e) => e.type === 'measurement' && e.data.verdict === 'fail')!;
    const reason = String(failing.data.reason);
    expect(reason).toMatch(/^[\d.]+ > max 0\.05$/);
    for (const format of ['md', 'html'] as const) {
      const { text } = renderReport(events, format);
      const rows = text.split('\n').filter((line) => (format === 'md' ? /^\| \d\d:\d\d/.test(line) : line.includes('<tr><td class="time')));
      expect(rows.length, format).toBeGreaterThan(2);
      for (const row of rows) expect(row, format).not.toMatch(/[\d.]+ (<=|>=|<|>) (max|min) [\d.]+/);
    }
    const { tableReason } = await import('../../../../src/lib/evidence/report/format.js');
    expect(tableReason({ value: 0.124263, reason: '0.124263 > max 0.05', warnings: [] })).toBe('');
    expect(tableReason({ value: null, reason: 'no data: the query returned no series (onEmpty: inconclusive)', warnings: [] })).toBe('no data: the query returned no series (onEmpty: inconclusive)');
    expect(tableReason({ value: 0.2, reason: '0.2 > baseline 0.1 +50% (0.15)', warnings: [] })).toBe('0.2 > baseline 0.1 +50% (0.15)');
  });
});
