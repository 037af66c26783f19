/**
 * Machine output numbers steps as people read them: `step` is 1-based (as "step 2/4" on the
 * terminal), `stepIndex` the 0-based index. The evidence log keeps what it recorded (0-based
 * `data.step`, covered by the hash), so old logs still verify and render.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';
import { ROOT, runCli } from '../support/cli.js';
import { startServe } from '../support/serve.js';
import { writeFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'rollgate-steps-'));
const state = `file:${join(dir, 'state')}`;
const readLog = (name: string): RolloutEvent[] =>
  readFileSync(join(ROOT, 'test/fixtures/evidence', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RolloutEvent);
const rolledBack = readLog('rolled-back-gate.ndjson');
const promoted = readLog('promoted.ndjson');
const approved = readLog('approved.ndjson');

beforeAll(async () => {
  const store = new FileStateStore(join(dir, 'state'));
  for (const [events, service, status, weight] of [[rolledBack, 'checkout', 'rolled_back', 0], [promoted, 'search', 'promoted', 100], [approved, 'cart', 'promoted', 100]] as const) {
    const first = events[0]!;
    await store.createRollout({ rolloutId: first.rolloutId, service, planName: 'p', planFile: 'p.yaml', planSha256: '0'.repeat(64), status, step: 0, weight, createdAt: first.at, updatedAt: events.at(-1)!.at });
    for (const event of events) await store.appendEvent(event);
  }
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('step numbers in machine output', () => {
  it('rollout status ID --json: step 1-based as the table shows it, stepIndex 0-based, from a log recorded with 0-based data.step', async () => {
    const id = rolledBack[0]!.rolloutId;
    const lastIndex = rolledBack.filter((e) => e.type === 'step.started').at(-1)!.data.step;
    expect(lastIndex).toBe(1);
    const json = await runCli(['rollout', 'status', id, '--json', '--state', state]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, rolloutId: id, status: 'rolled_back', step: 2, stepIndex: 1, steps: 3 });
    const text = await runCli(['rollout', 'status', id, '--state', state]);
    expect(text.stdout).toMatch(/^step\s+2\/3$/m);
    const list = await runCli(['rollout', 'status', '--json', '--state', state]);
    const rows = (JSON.parse(list.stdout) as { rollouts: Array<{ rolloutId: string; step: number; stepIndex: number; steps: number }> }).rollouts;
    expect(rows.map((r) => [r.rolloutId, r.step, r.stepIndex, r.steps]).sort()).toEqual(
      [
        [id, 2, 1, 3],
        [promoted[0]!.rolloutId, 3, 2, 3],
        [approved[0]!.rolloutId, 2, 1, 2],
      ].sort(),
    );
    // The recorded log is untouched: it still verifies.
    const verify = await runCli(['evidence', 'verify', id, '--state', state]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('rollout approve --json: the approved step as people read it (the log recorded index 0)', async () => {
    const id = approved[0]!.rolloutId;
    expect(approved.find((e) => e.type === 'approval.decided')!.data.step).toBe(0);
    const run = await runCli(['rollout', 'approve', id, '--json', '--state', state]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rolloutId: id, alreadyApproved: true, step: 1, stepIndex: 0 });
  });

  it('serve /metrics: rollgate_rollout_step is the 1-based step, as rollout status shows it', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'a-token-of-some-length-0123456789\n', { mode: 0o600 });
    const serve = await startServe(['--token-file', tokenFile, '--state', state]);
    try {
      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^rollgate_rollout_step\\{service="checkout",rollout="${rolledBack[0]!.rolloutId}"\\} 2$`, 'm'));
      expect(metrics).toMatch(new RegExp(`^rollgate_rollout_step\\{service="search",rollout="${promoted[0]!.rolloutId}"\\} 3$`, 'm'));
    } finally {
      await serve.stop();
    }
  });

  it('plan backtest --json numbers runs[].step the same way (stepIndex beside it)', async () => {
    const { backtestJson } = await import('../../src/commands/plan-backtest.js');
    const run = { start: 's', end: 'e', outcome: 'rolled_back' as const, step: 1, weight: 25, at: 'a', gate: 'g', value: 1, reason: 'r', measurements: 3, failures: [{ gate: 'g', step: 1, at: 'a', value: 1, severity: 'critical' as const }] };
    const doc = backtestJson({ runs: [run] } as never) as { runs: Array<Record<string, unknown> & { failures: Array<Record<string, unknown>> }> };
    expect(doc.runs[0]).toMatchObject({ step: 2, stepIndex: 1, weight: 25 });
    expect(doc.runs[0]!.failures[0]).toMatchObject({ step: 2, stepIndex: 1 });
  });
});
