/**
 * The log is the truth: what a resumed, taken-over or retried rollout does follows from what its
 * log holds — a recorded failure, a recorded rollback intent, a finished rollout's dead lock, a
 * rollback that ended incomplete — and every view (status, JSON) says what the log says.
 * Real parts: the live test service scraped by a real Prometheus, the built binary, the file store.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rollbackSession } from '../../../src/lib/rollout/session.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { LockOwner, RolloutEvent } from '../../../src/lib/state/types.js';
import { runCli, startCli, type RunningCli } from '../../support/cli.js';
import { errorRateQuery, eventTypes, resultLine, SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

const SET_WEIGHT = fileURLToPath(new URL('../../fixtures/scripts/set-weight.sh', import.meta.url));

let env: LiveEnv;
useLiveEnv((live) => (env = live));

let stores = 0;
/** A state store of its own per test: no lock or rollout of another test in the way. */
function freshState(): string {
  stores += 1;
  return `file:${join(env.dir, `truth-${stores}`)}`;
}

const cli = (stateUrl: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli([...args, '--state', stateUrl], { env: extraEnv });

/** Steps gated on `vector({{weight}})`: at most `max` percent passes, so where a rollout fails is fixed. */
function weightPlan(name: string, weightsFile: string, max: number, overrides: Record<string, unknown> = {}): string {
  return env.writePlan(name, {
    gates: [
      { name: 'weight-gate', query: 'vector({{weight}})', max },
      { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
    ],
    steps: [
      { weight: 10, bake: '0s', gates: ['weight-gate'] },
      { weight: 25, bake: '0s', gates: ['weight-gate'] },
      { weight: 100, bake: '0s', gates: ['weight-gate'] },
    ],
    traffic: { exec: [SET_WEIGHT, '{{service}}', '{{weight}}', weightsFile], timeout: '5s', retries: 0, http: undefined },
    rollback: { verify: undefined, timeout: '10s' },
    ...overrides,
  });
}

function weights(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}

async function look(stateUrl: string, rolloutId: string): Promise<{ events: RolloutEvent[]; lock: LockOwner | undefined }> {
  const store = await openStateStore(stateUrl);
  try {
    return { events: await store.readEvents(rolloutId), lock: await store.getLock(SERVICE) };
  } finally {
    await store.close();
  }
}

async function newestId(stateUrl: string): Promise<string> {
  const store = await openStateStore(stateUrl);
  try {
    const [newest] = await store.listRollouts({ service: SERVICE, limit: 1 });
    return newest?.rolloutId ?? '';
  } finally {
    await store.close();
  }
}

async function waitFor(stateUrl: string, runner: RunningCli, predicate: (e: RolloutEvent) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = await newestId(stateUrl);
    if (id && (await look(stateUrl, id)).events.some(predicate)) return id;
    if (Date.now() > deadline) throw new Error(`event never appeared: ${JSON.stringify(runner.output())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a failure already in the log is never forgotten', () => {
  it('runner killed right after a failing measurement; the canary heals; resume rolls back without measuring again', async () => {
    const stateUrl = freshState();
    const plan = env.writePlan('forgotten-failure', {
      steps: [{ weight: 10, bake: '3s' }, { weight: 25, bake: '15s' }, { weight: 100, bake: '2s' }],
      rollback: { verify: undefined },
    });
    const runner = startCli(['rollout', 'run', plan, '--state', stateUrl], { env: { ROLLGATE_CRASH_AT: 'event:measurement:fail' } });
    const deadline = Date.now() + 30_000;
    while (env.service.state().weights[SERVICE] !== 25) {
      if (Date.now() > deadline) throw new Error(`never reached 25%: ${JSON.stringify(runner.output())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    const killed = await runner.done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const id = await newestId(stateUrl);
    expect(eventTypes((await look(stateUrl, id)).events).at(-1)).toBe('measurement');

    // The fault is gone before anyone resumes: measuring again would pass and promote.
    env.service.inject({ track: 'canary', errorRate: 0 });
    await env.waitForQuery(errorRateQuery('canary'), (v) => v < 0.01, 30_000);
    const resumed = await cli(stateUrl, ['rollout', 'resume', id, '--json']);
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resultLine(resumed.stdout)).toMatchObject({ status: 'rolled_back', weight: 0 });
    const { events } = await look(stateUrl, id);
    const after = eventTypes(events.slice(events.findIndex((e) => e.type === 'rollout.resumed')));
    expect(after.slice(0, 2)).toEqual(['rollout.resumed', 'rollback.started']);
    expect(after).not.toContain('measurement');
    expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'gate', reason: expect.stringMatching(/gate error-rate failed/) });
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 120_000);
});

describe("a dead runner's lock on a finished rollout", () => {
  it('is taken over (recorded) by run, resume and rollback, with no hand editing', async () => {
    const stateUrl = freshState();
    const file = join(env.dir, 'dead-lock.weights');
    const plan = weightPlan('dead-lock', file, 200);
    const promote = async (): Promise<string> => {
      const killed = await cli(stateUrl, ['rollout', 'run', plan], { ROLLGATE_CRASH_AT: 'event:rollout.promoted' });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const id = await newestId(stateUrl);
      const { events, lock } = await look(stateUrl, id);
      expect(eventTypes(events).at(-1)).toBe('rollout.promoted');
      expect(lock?.rolloutId).toBe(id); // died before releasing it
      return id;
    };

    const first = await promote();
    const resume = await cli(stateUrl, ['rollout', 'resume', first]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/already ended: promoted; the lock its dead runner left was taken over and released \(recorded\)/);
    expect((await look(stateUrl, first)).lock).toBeUndefined();

    const second = await promote();
    const rollback = await cli(stateUrl, ['rollback', second, '--reason', 'cleanup', '--yes']);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain('already promoted');
    expect((await look(stateUrl, second)).lock).toBeUndefined();

    const third = await promote();
    const run = await cli(stateUrl, ['rollout', 'run', plan, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(resultLine(run.stdout).rolloutId).not.toBe(third);

    for (const id of [first, second, third]) {
      const { events } = await look(stateUrl, id);
      expect(eventTypes(events).slice(-2)).toEqual(['rollout.promoted', 'lock.taken_over']);
      expect(events.at(-1)!.data).toMatchObject({ deadRunner: { pid: expect.any(Number) }, by: expect.any(String) });
      const verified = await cli(stateUrl, ['evidence', 'verify', id]);
      expect(verified.code, verified.stdout).toBe(0);
    }
  }, 120_000);
});

describe('an ended rollout takes no more requests', () => {
  it('a rollback session that finds the rollout already rolled back records nothing after the end, even with an abort flag set', async () => {
    // What `rollgate rollback` does when the runner it followed released its lock just after
    // recording the end: it takes over, finds the rollout rolled back, and must leave the log as is.
    const stateUrl = freshState();
    const run = await cli(stateUrl, ['rollout', 'run', weightPlan('ended', join(env.dir, 'ended.weights'), 20), '--json']);
    expect(run.code, run.stderr).toBe(1);
    const id = resultLine(run.stdout).rolloutId as string;
    const store = await openStateStore(stateUrl);
    try {
      await store.requestAbort(id, { reason: 'pager', severity: 'critical', by: 'oncall@host', at: new Date().toISOString() });
      const before = await store.readEvents(id);
      const session = await rollbackSession(id, { reason: 'pager', severity: 'critical' }, { store, cwd: env.dir, env: process.env, operator: 'oncall@host', runner: {}, onEvent: () => undefined });
      const result = await session.run();
      expect(result).toMatchObject({ status: 'rolled_back' });
      expect(await store.readEvents(id)).toEqual(before);
      expect(await store.getLock(SERVICE)).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('a rollback that ended incomplete', () => {
  it('`rollgate rollback` retries the failed compensations and the verification; exit 0 only once they succeed', async () => {
    const stateUrl = freshState();
    const file = join(env.dir, 'incomplete.weights');
    const marker = join(env.dir, 'undo-fails');
    const undoLog = join(env.dir, 'undo.log');
    writeFileSync(marker, '');
    const undo = `const fs = require('node:fs'); if (fs.existsSync(${JSON.stringify(marker)})) { console.error('undo refused'); process.exit(1); } fs.appendFileSync(${JSON.stringify(undoLog)}, 'undone\\n');`;
    const plan = weightPlan('incomplete', file, 20, {
      hooks: { beforeRollout: [{ exec: [process.execPath, '-e', '0'], undo: { exec: [process.execPath, '-e', undo] } }] },
      rollback: { verify: { gates: ['stable-error-rate'], within: '2s' }, timeout: '20s' },
    });
    env.service.inject({ track: 'stable', errorRate: 0.5 });
    try {
      await env.waitForQuery(errorRateQuery('stable'), (v) => v > 0.05, 30_000);
      const run = await cli(stateUrl, ['rollout', 'run', plan, '--json']);
      expect(run.code, run.stderr).toBe(4);
      const id = resultLine(run.stdout).rolloutId as string;
      expect(String(resultLine(run.stdout).reason)).toMatch(/rollback incomplete: beforeRollout\[0\]: .*stable did not pass stable-error-rate/);
      const status = await cli(stateUrl, ['rollout', 'status', id, '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ status: 'rolled_back', incomplete: [expect.stringMatching(/beforeRollout\[0\]/), expect.stringMatching(/stable did not pass/)] });

      // Still broken: retried, still incomplete (4).
      const again = await cli(stateUrl, ['rollback', id, '--reason', 'retry while broken', '--yes']);
      expect(again.code, again.stderr).toBe(4);

      // Repaired: the retry finishes it (0).
      rmSync(marker);
      env.service.inject({ track: 'stable', errorRate: 0 });
      await env.waitForQuery(errorRateQuery('stable'), (v) => v < 0.01, 30_000);
      const retry = await cli(stateUrl, ['rollback', id, '--reason', 'undo repaired', '--yes']);
      expect(retry.code, retry.stderr).toBe(0);
      expect(readFileSync(undoLog, 'utf8')).toBe('undone\n');
      const { events } = await look(stateUrl, id);
      expect(eventTypes(events).filter((t) => t === 'rollback.started')).toHaveLength(1);
      expect(eventTypes(events).filter((t) => t === 'rollback.retried')).toHaveLength(2);
      expect(events.at(-1)).toMatchObject({ type: 'rollout.rolled_back', data: { incomplete: [], verified: true } });
      // Done now: nothing left to retry.
      const done = await cli(stateUrl, ['rollback', id, '--reason', 'once more', '--yes']);
      expect(done.code).toBe(0);
      expect(done.stderr).toContain('already rolled back');
      expect(weights(file).at(-1)).toBe(0);
    } finally {
      env.service.inject({ track: 'stable', errorRate: 0 });
      rmSync(marker, { force: true });
    }
  }, 180_000);
});

describe('a fast double Ctrl-C', () => {
  it('records the rollback intent before `aborted`; resume then rolls back, never forward', async () => {
    const stateUrl = freshState();
    const file = join(env.dir, 'double-ctrl-c.weights');
    const marker = join(env.dir, 'hook-stuck');
    writeFileSync(marker, '');
    // At step 2 the hook ignores SIGTERM, so the runner is still busy when the second Ctrl-C comes.
    const ready = join(env.dir, 'hook-ready');
    const stuck = `const fs = require('node:fs'); if (process.argv[1] === '1' && fs.existsSync(${JSON.stringify(marker)})) { process.on('SIGTERM', () => {}); fs.writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000); }`;
    const plan = weightPlan('double-ctrl-c', file, 200, { hooks: { beforeStep: [{ exec: [process.execPath, '-e', stuck, '{{step}}'], timeout: '30s' }] } });
    const runner = startCli(['rollout', 'run', plan, '--state', stateUrl]);
    const id = await waitFor(stateUrl, runner, (e) => e.type === 'hook.started' && e.data.step === 1);
    // Signalled only once the hook ignores SIGTERM (a hook killed at once would let the rollback run first).
    while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
    runner.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    runner.child.kill('SIGINT');
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(130);
    const { events } = await look(stateUrl, id);
    const types = eventTypes(events);
    expect(types).toContain('rollout.aborted');
    expect(types.indexOf('rollback.started')).toBeGreaterThan(-1);
    expect(types.indexOf('rollback.started')).toBeLessThan(types.indexOf('rollout.aborted'));
    expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'signal', reason: 'SIGINT received' });

    rmSync(marker);
    const resumed = await cli(stateUrl, ['rollout', 'resume', id, '--json']);
    expect([1, 130], resumed.stderr).toContain(resumed.code);
    expect(resultLine(resumed.stdout)).toMatchObject({ status: 'rolled_back', weight: 0 });
    const after = eventTypes((await look(stateUrl, id)).events);
    expect(after).not.toContain('rollout.promoted');
    expect(after.filter((t) => t === 'step.completed')).toHaveLength(1);
    expect(weights(file), after.join(' ')).toEqual([10, 0]);
  }, 120_000);
});

describe('views say what the log says', () => {
  it('after `rollout approve`: no longer "awaiting approval"; approving twice says by whom and when; a promoted rollout keeps no stale reason', async () => {
    const stateUrl = freshState();
    const plan = weightPlan('stale-approval', join(env.dir, 'stale.weights'), 200, {
      steps: [{ weight: 10, bake: '0s', gates: ['weight-gate'] }, { weight: 100, bake: '0s', gates: ['weight-gate'], approval: true }],
    });
    const paused = await cli(stateUrl, ['rollout', 'run', plan, '--on-approval', 'exit', '--json']);
    expect(paused.code, paused.stderr).toBe(5);
    const id = resultLine(paused.stdout).rolloutId as string;
    expect(JSON.parse((await cli(stateUrl, ['rollout', 'status', id, '--json'])).stdout)).toMatchObject({ status: 'paused', awaitingApproval: true });

    const approve = await cli(stateUrl, ['rollout', 'approve', id]);
    expect(approve.code, approve.stderr).toBe(0);
    const status = JSON.parse((await cli(stateUrl, ['rollout', 'status', id, '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'paused', awaitingApproval: false, approval: { decision: 'approve', by: expect.any(String) }, reason: null });
    const text = await cli(stateUrl, ['rollout', 'status', id]);
    expect(text.stdout).not.toContain('awaiting approval');
    expect(text.stdout).toMatch(/approved by .* continue with: rollgate rollout resume/);

    const twice = await cli(stateUrl, ['rollout', 'approve', id]);
    expect(twice.code).toBe(0);
    const approval = status.approval as { by: string; at: string };
    expect(twice.stderr).toContain(`already approved by ${approval.by} at ${approval.at}`);

    const resumed = await cli(stateUrl, ['rollout', 'resume', id, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const promoted = JSON.parse((await cli(stateUrl, ['rollout', 'status', id, '--json'])).stdout) as Record<string, unknown>;
    expect(promoted).toMatchObject({ status: 'promoted', reason: null, awaitingApproval: false });
    const ended = await cli(stateUrl, ['rollout', 'resume', id]);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain(`rollout ${id} has already ended: promoted`);
    expect(ended.stderr).not.toContain('waiting for approval');
    // Approving a rollout that went on after the approval: the same answer, not an error.
    const late = await cli(stateUrl, ['rollout', 'approve', id, '--json']);
    expect(late.code).toBe(0);
    expect(JSON.parse(late.stdout)).toMatchObject({ alreadyApproved: true, by: approval.by });
  }, 120_000);

  it('a dry run is marked in every view and is never the service current state', async () => {
    const stateUrl = freshState();
    const file = join(env.dir, 'dry.weights');
    const plan = weightPlan('dry', file, 200);
    const real = await cli(stateUrl, ['rollout', 'run', plan, '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(resultLine(real.stdout)).toMatchObject({ dryRun: false });
    const dry = await cli(stateUrl, ['rollout', 'run', plan, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const dryId = resultLine(dry.stdout).rolloutId as string;
    expect(resultLine(dry.stdout)).toMatchObject({ status: 'promoted', dryRun: true });
    expect(weights(file)).toEqual([10, 25, 100]); // only the real run moved traffic

    // The service's current state is the real rollout, not the newer dry run.
    const ofService = JSON.parse((await cli(stateUrl, ['rollout', 'status', SERVICE, '--json'])).stdout) as Record<string, unknown>;
    expect(ofService).toMatchObject({ rolloutId: resultLine(real.stdout).rolloutId, dryRun: false });
    expect(JSON.parse((await cli(stateUrl, ['rollout', 'status', dryId, '--json'])).stdout)).toMatchObject({ dryRun: true, status: 'promoted' });
    const list = await cli(stateUrl, ['rollout', 'status']);
    expect(list.stdout.split('\n').find((l) => l.includes(dryId))).toMatch(/promoted \(dry run/);
    const line = await cli(stateUrl, ['rollout', 'run', plan, '--dry-run']);
    expect(line.stdout).toMatch(/promoted dry-run 100%/);
    expect(line.stderr).toMatch(/promoted at 100% \(dry run: no traffic was changed\)/);
    const report = await cli(stateUrl, ['evidence', 'report', dryId, '--format', 'json']);
    expect(JSON.parse(report.stdout)).toMatchObject({ summary: { dryRun: true } });
    const md = await cli(stateUrl, ['evidence', 'report', dryId, '--format', 'md']);
    expect(md.stdout).toMatch(/dry run/i);
  }, 120_000);
});
