/**
 * The rollout's log lines say each thing once, in words: a rollback's reason is said as it
 * starts (without repeating the value its measurement line gave), the outcome is left to the
 * result line, raw status names never appear, and a provider error repeated for every gate and
 * interval is said once. Plain (CI) and terminal modes alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RolloutEvent } from '../../../src/lib/state/types.js';
import { createRolloutRenderer } from '../../../src/lib/ui/rollout-view.js';
import { createUi, stripAnsi, type UiStreams } from '../../../src/lib/ui/ui.js';
import { outcomeWords, unsaidReason } from '../../../src/commands/run-session.js';

function streams(tty: boolean): UiStreams & { err(): string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, columns: 200 });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 200 });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  let err = '';
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin, err: () => stripAnsi(err) };
}

const log = (name: string): RolloutEvent[] =>
  readFileSync(join(import.meta.dirname, '../../fixtures/evidence', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RolloutEvent);

const count = (text: string, part: string): number => text.split(part).length - 1;

describe.each([
  ['plain (CI)', false, { CI: '1' }],
  ['terminal', true, {}],
] as const)('rollout log lines, %s', (_mode, tty, env) => {
  it('a rollback: its reason once, the measured value once, no raw status name; the result line adds nothing already said', () => {
    const s = streams(tty);
    const ui = createUi({ streams: s, env });
    const events = log('rolled-back-gate.ndjson');
    const renderer = createRolloutRenderer(ui, 3);
    for (const event of events) renderer.onEvent(event);
    renderer.stop();
    const err = s.err();
    const reason = String(events.find((e) => e.type === 'rollback.started')!.data.reason);
    expect(reason).toBe('gate error-rate failed: 0.124263 > max 0.05 (1 failure(s), limit 0)');
    expect(count(err, '0.124263 > max 0.05')).toBe(1);
    expect(err).toContain('gate error-rate: fail — 0.124263 > max 0.05');
    expect(err).toContain('rolling back from 25%: gate error-rate failed (1 failure(s), limit 0)');
    expect(count(err, 'limit 0)')).toBe(1);
    expect(err).not.toContain('rolled_back');
    // The outcome is the result line's: the renderer knows the whole reason was said, so the result line adds none of it.
    expect(renderer.said(reason)).toBe(true);
    expect(unsaidReason(reason, (t) => renderer.said(t))).toBe('');
    expect(unsaidReason(`${reason}; rollback incomplete: stable did not pass`, (t) => renderer.said(t))).toBe('rollback incomplete: stable did not pass');
  });

  it('a promotion: "promoted at 100%" is left to the result line', () => {
    const s = streams(tty);
    const renderer = createRolloutRenderer(createUi({ streams: s, env }), 3);
    for (const event of log('promoted.ndjson')) renderer.onEvent(event);
    renderer.stop();
    expect(s.err()).not.toContain('promoted at');
    expect(outcomeWords('promoted', 100)).toBe('promoted at 100%');
  });

  it('Prometheus unreachable: said once for all gates and rounds, again only after it answered', () => {
    const s = streams(tty);
    const renderer = createRolloutRenderer(createUi({ streams: s, env }), 2);
    let seq = 0;
    const at = new Date().toISOString();
    const event = (type: string, data: Record<string, unknown>): RolloutEvent => ({ seq: ++seq, rolloutId: 'r-1', at, type, prev: '0'.repeat(64), data });
    const down = 'cannot reach Prometheus at http://127.0.0.1:9/ (ECONNREFUSED)';
    renderer.onEvent(event('step.started', { step: 0, weight: 10, bakeMs: 5_000 }));
    for (let round = 1; round <= 3; round++) for (const gate of ['error-rate', 'p95-latency']) renderer.onEvent(event('measurement', { step: 0, phase: 'bake', gate, verdict: 'error', value: null, reason: down, round }));
    renderer.onEvent(event('measurement', { step: 0, phase: 'bake', gate: 'error-rate', verdict: 'pass', value: 0, threshold: '<= 0.05', reason: '' }));
    renderer.onEvent(event('measurement', { step: 0, phase: 'bake', gate: 'error-rate', verdict: 'error', value: null, reason: down }));
    renderer.onEvent(event('rollback.started', { fromWeight: 10, reason: `gate error-rate: ${down} (3 consecutive errors, limit 2)` }));
    renderer.stop();
    const err = s.err();
    expect(count(err, down)).toBe(2);
    expect(err).toContain('rolling back from 10%: gate error-rate (3 consecutive errors, limit 2)');
  });
});

describe('outcome words', () => {
  it('say the status in words, with where traffic is', () => {
    expect(outcomeWords('rolled_back', 0)).toBe('rolled back to 0%');
    expect(outcomeWords('paused', 50)).toBe('paused at 50%');
    expect(outcomeWords('failed', 10)).toBe('rollback failed: the canary may still get 10% of traffic');
    expect(unsaidReason('a; rollback incomplete: b', (t) => t === 'a')).toBe('rollback incomplete: b');
    expect(unsaidReason(undefined, () => false)).toBe('');
  });
});

describe.each([
  ['plain (CI)', false, { CI: '1' }],
  ['terminal', true, {}],
] as const)('dry runs and approvals, %s', (_mode, tty, env) => {
  const event = (seq: number, type: string, data: Record<string, unknown>): RolloutEvent => ({ seq, rolloutId: 'checkout-1', at: '2026-12-01T10:00:00.000Z', type, prev: '', data });
  const dryAction = { ok: true, kind: 'exec', command: ['(dry run: not executed)'], stdout: '', stderr: '' };

  it('a dry run never says a weight was applied', () => {
    const s = streams(tty);
    const renderer = createRolloutRenderer(createUi({ streams: s, env }), 2);
    renderer.onEvent(event(1, 'weight.applied', { weight: 10, step: 0, rollback: false, ok: true, action: dryAction, dryRun: true }));
    // A log written before `dryRun` was recorded: told by the action's placeholder.
    renderer.onEvent(event(2, 'weight.applied', { weight: 0, rollback: true, ok: true, action: dryAction }));
    renderer.stop();
    const err = s.err();
    expect(err).toContain('weight 10%: dry run, not applied');
    expect(err).toContain('weight 0% (rollback): dry run, not applied');
    expect(err).not.toContain('applied (');
    expect(err).not.toMatch(/% applied/);
  });

  it('with --on-approval exit the pause says in one line: approve, then resume', () => {
    const s = streams(tty);
    const renderer = createRolloutRenderer(createUi({ streams: s, env }), 2, { onApproval: 'exit' });
    renderer.onEvent(event(1, 'approval.requested', { step: 0, weight: 10, reason: 'the plan asks for approval before going on', planned: true }));
    renderer.onEvent(event(2, 'rollout.paused', { reason: 'waiting for approval of step 1 (10%): the plan asks for approval before going on', step: 0, weight: 10 }));
    renderer.stop();
    const err = s.err();
    expect(err).toContain('— to go on, approve then resume: rollgate rollout approve checkout-1 && rollgate rollout resume checkout-1');
    expect(count(err, 'rollgate rollout approve checkout-1')).toBe(1);
  });

  it('a pause without an open approval only needs a resume', () => {
    const s = streams(tty);
    const renderer = createRolloutRenderer(createUi({ streams: s, env }), 2);
    renderer.onEvent(event(1, 'rollout.paused', { reason: 'no verdict', step: 0, weight: 10 }));
    renderer.stop();
    expect(s.err()).toContain('paused: no verdict — continue with: rollgate rollout resume checkout-1');
    expect(s.err()).not.toContain('approve');
  });
});
