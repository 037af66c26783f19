/**
 * Several processes around one rollout: approval and emergency rollback from a second process
 * (file store and a real Redis), the service lock, SIGKILL of the runner then resume, SIGINT.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/lib/evidence/chain.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';
import { runCli, startCli, type RunningCli } from '../../support/cli.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { eventTypes, resultLine, SERVICE, startLiveEnv, type LiveEnv } from '../../support/rollout-fixture.js';

const SET_WEIGHT = fileURLToPath(new URL('../../fixtures/scripts/set-weight.sh', import.meta.url));

let env: LiveEnv;
let redis: RedisServer;

beforeAll(async () => {
  [env, redis] = await Promise.all([startLiveEnv(), startRedis()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([env?.stop(), redis?.stop()]);
});
beforeEach(() => {
  env.service.setWeight(SERVICE, 0);
  env.service.inject({ track: 'canary', errorRate: 0 });
});

async function eventsIn(stateUrl: string, rolloutId: string): Promise<RolloutEvent[]> {
  const store = await openStateStore(stateUrl);
  try {
    return await store.readEvents(rolloutId);
  } finally {
    await store.close();
  }
}

/** Waits until the runner's newest rollout has an event matching `predicate`; returns the rollout ID. */
async function waitForEvent(stateUrl: string, predicate: (e: RolloutEvent) => boolean, runner?: RunningCli, timeoutMs = 30_000): Promise<{ rolloutId: string; event: RolloutEvent }> {
  const deadline = Date.now() + timeoutMs;
  const since = runner?.startedAt ?? 0;
  const store = await openStateStore(stateUrl);
  try {
    for (;;) {
      const [newest] = await store.listRollouts({ service: SERVICE, limit: 1 });
      // Only the runner's own rollout: earlier tests' rollouts of the service are in the same store.
      if (newest && Date.parse(newest.createdAt) >= since) {
        const event = (await store.readEvents(newest.rolloutId)).find(predicate);
        if (event) return { rolloutId: newest.rolloutId, event };
      }
      if (Date.now() > deadline) throw new Error(`event never appeared; runner output: ${JSON.stringify(runner?.output())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await store.close();
  }
}

const longBake = () => ({ steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '30s' }, { weight: 100, bake: '2s' }], rollback: { verify: undefined } });

describe('from a second process', () => {
  it('approves a runner waiting at an approval step (CI, no prompt)', async () => {
    const plan = env.writePlan('approval', { steps: [{ weight: 10, bake: '5s', approval: true }, { weight: 100, bake: '2s' }] });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl, '--json']);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'approval.requested', runner);
    const status = await runCli(['rollout', 'status', SERVICE, '--json', '--state', env.stateUrl]);
    expect(JSON.parse(status.stdout)).toMatchObject({ rolloutId, awaitingApproval: true, runner: 'live', weight: 10 });

    const approve = await runCli(['rollout', 'approve', SERVICE, '--state', env.stateUrl], { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKFLOW: 'deploy', GITHUB_RUN_ID: '42', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SERVER_URL: 'https://github.example' } });
    expect(approve.code, approve.stderr).toBe(0);
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(0);
    expect(resultLine(result.stdout)).toMatchObject({ rolloutId, status: 'promoted' });
    const decided = (await eventsIn(env.stateUrl, rolloutId)).find((e) => e.type === 'approval.decided')!;
    expect(decided.data).toMatchObject({ decision: 'approve', step: 0 });
    expect(String(decided.data.by)).toMatch(/deploy/);
    expect(Date.parse(decided.at)).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a second runner for the same service while the first holds the lock', async () => {
    const plan = env.writePlan('locked', longBake());
    const first = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'weight.applied', first);
    const second = await runCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`service ${SERVICE} is locked by rollout ${rolloutId}`);
    const rollback = await runCli(['rollback', rolloutId, '--reason', 'test cleanup', '--yes', '--state', env.stateUrl]);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect((await first.done).code).toBe(1);
  }, 60_000);

  for (const backend of ['file', 'redis'] as const) {
    it(`emergency rollback reaches a running runner within 1 s (${backend} store)`, async () => {
      const stateUrl = backend === 'file' ? env.stateUrl : `${redis.url.replace(/\/\d*$/, '')}/3`;
      const plan = env.writePlan(`emergency-${backend}`, longBake());
      const runner = startCli(['rollout', 'run', plan, '--state', stateUrl]);
      const { rolloutId } = await waitForEvent(stateUrl, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
      const askedAt = Date.now();
      const rollback = await runCli(['rollback', SERVICE, '--reason', 'pager: 5xx spike', '--severity', 'major', '--yes', '--state', stateUrl]);
      expect(rollback.code, rollback.stderr).toBe(0);
      const result = await runner.done;
      expect(result.code).toBe(1);
      expect(env.service.state().weights[SERVICE]).toBe(0);
      const events = await eventsIn(stateUrl, rolloutId);
      const abort = events.find((e) => e.type === 'abort.requested')!;
      expect(abort.data).toMatchObject({ reason: 'pager: 5xx spike', severity: 'major' });
      // From the durable request (written by the rollback command) to the runner recording it.
      const reactedMs = Date.parse(abort.at) - Date.parse(String(abort.data.requestedAt));
      // eslint-disable-next-line no-console
      console.log(`${backend}: runner reacted ${reactedMs} ms after the abort request (${Date.parse(abort.at) - askedAt} ms after the command started)`);
      expect(reactedMs).toBeGreaterThanOrEqual(0);
      expect(reactedMs).toBeLessThan(1_000);
      expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'abort', fromWeight: 25 });
      expect(eventTypes(events).at(-1), eventTypes(events).join(' ')).toBe('rollout.rolled_back');
      expect(verifyChain(events).ok).toBe(true);
    }, 60_000);
  }
});

describe('state store outage', () => {
  it('Redis killed mid-step: traffic is held for retryFor, then put back on stable without the store, and the exit (3) says so', async () => {
    // retryFor=2s: the store is retried (traffic held where it is) for 2 s instead of the default 30 s.
    const stateUrl = `${redis.url.replace(/\/\d*$/, '')}/5?retryFor=2s`;
    const plan = env.writePlan('redis-outage', longBake());
    const runner = startCli(['rollout', 'run', plan, '--state', stateUrl]);
    await waitForEvent(stateUrl, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    await redis.kill();
    const result = await runner.done;
    await redis.restart();
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/traffic was put back on stable \(weight 0\) but this could not be recorded/);
    expect(result.stderr).toContain(redis.url.replace(/\/\d*$/, '').replace('redis://', ''));
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 60_000);
});

describe('crashes and signals', () => {
  it('SIGKILL during a bake, then resume: finishes without going backwards, no event lost or duplicated', async () => {
    const plan = env.writePlan('crash-mid-step', { steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '4s' }, { weight: 50, bake: '2s' }, { weight: 100, bake: '2s' }] });
    const history = env.service.state().weightHistory.length;
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'measurement' && e.data.step === 1, runner);
    runner.child.kill('SIGKILL');
    await runner.done;
    const before = await eventsIn(env.stateUrl, rolloutId);

    const status = await runCli(['rollout', 'status', rolloutId, '--json', '--state', env.stateUrl]);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'running', runner: 'gone', weight: 25 });

    const resumed = await runCli(['rollout', 'resume', rolloutId, '--json', '--state', env.stateUrl]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resultLine(resumed.stdout)).toMatchObject({ status: 'promoted', weight: 100 });
    const after = await eventsIn(env.stateUrl, rolloutId);
    expect(after.slice(0, before.length)).toEqual(before); // nothing rewritten
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => i + 1));
    expect(verifyChain(after).ok).toBe(true);
    expect(after.filter((e) => e.type === 'step.completed').map((e) => e.data.step)).toEqual([0, 1, 2, 3]);
    const applied = env.service.state().weightHistory.slice(history).map((h) => h.canary);
    expect(applied).toEqual([10, 25, 25, 50, 100]); // the current weight re-applied, never lower
  }, 90_000);

  it('SIGKILL between steps, then resume', async () => {
    const plan = env.writePlan('crash-between', { steps: [{ weight: 10, bake: '5s' }, { weight: 100, bake: '2s' }] });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'step.completed', runner, 30_000);
    runner.child.kill('SIGKILL');
    await runner.done;
    const resumed = await runCli(['rollout', 'resume', SERVICE, '--json', '--state', env.stateUrl]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const events = await eventsIn(env.stateUrl, rolloutId);
    expect(verifyChain(events).ok).toBe(true);
    expect(events.filter((e) => e.type === 'step.completed').map((e) => e.data.step)).toEqual([0, 1]);
    // Step 2 may have started before the kill; it is then started again, never completed twice.
    expect(eventTypes(events).filter((t) => t === 'step.started').length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'step.started' && e.data.step === 0)).toHaveLength(1);
  }, 60_000);

  it('SIGINT: rolled back, exit 130', async () => {
    const plan = env.writePlan('sigint', longBake());
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    runner.child.kill('SIGINT');
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(130);
    expect(env.service.state().weights[SERVICE]).toBe(0);
    const events = await eventsIn(env.stateUrl, rolloutId);
    expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'signal' });
    expect(eventTypes(events).at(-1)).toBe('rollout.rolled_back');
  }, 60_000);

  it('a second SIGINT while traffic is being restored: aborted (130) with the traffic state recorded, then finished by rollback', async () => {
    const weightsFile = `${env.dir}/sigint-restore.weights`;
    const plan = env.writePlan('sigint-restore', {
      ...longBake(),
      traffic: { exec: [SET_WEIGHT, '{{service}}', '{{weight}}', weightsFile], timeout: '30s', retries: 0, http: undefined },
      // set-weight.sh moves no real traffic, so the canary has none: only the signals matter here.
      analysis: { onInconclusive: 'continue' },
    });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl], { env: { SET_WEIGHT_HANG_AT: '0' } });
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    runner.child.kill('SIGINT');
    await waitForEvent(env.stateUrl, (e) => e.type === 'weight.applying' && e.data.weight === 0, runner);
    await new Promise((r) => setTimeout(r, 300));
    runner.child.kill('SIGINT');
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(130);
    const events = await eventsIn(env.stateUrl, rolloutId);
    expect(eventTypes(events).at(-1)).toBe('rollout.aborted');
    expect(String(events.at(-1)!.data.reason)).toMatch(/a change to 25% was under way|last confirmed weight 25%/);
    const finish = await runCli(['rollback', rolloutId, '--reason', 'finish', '--yes', '--state', env.stateUrl]);
    expect(finish.code, finish.stderr).toBe(0);
    expect(readFileSync(weightsFile, 'utf8').trim().split('\n').map(Number)).toEqual([10, 25, 0]);
  }, 90_000);

  it('a second SIGINT during the rollback leaves a recorded aborted state that rollback finishes', async () => {
    const plan = env.writePlan('sigint-twice', {
      ...longBake(),
      // onRollback hook that takes a while, so the second Ctrl-C lands during the rollback
      hooks: { onRollback: [{ exec: [process.execPath, '-e', 'setTimeout(() => {}, 20000)'], timeout: '30s' }] },
    });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    const { rolloutId } = await waitForEvent(env.stateUrl, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    runner.child.kill('SIGINT');
    await waitForEvent(env.stateUrl, (e) => e.type === 'hook.started' && e.data.point === 'onRollback', runner);
    runner.child.kill('SIGINT');
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(130);
    const events = await eventsIn(env.stateUrl, rolloutId);
    expect(eventTypes(events).at(-1)).toBe('rollout.aborted');
    expect(String(events.at(-1)!.data.reason)).toMatch(/canary weight 0%/);
    const status = await runCli(['rollout', 'status', rolloutId, '--json', '--state', env.stateUrl]);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'aborted' });

    const finish = await runCli(['rollback', rolloutId, '--reason', 'finish after double Ctrl-C', '--yes', '--state', env.stateUrl]);
    expect(finish.code, finish.stderr).toBe(0);
    const done = await eventsIn(env.stateUrl, rolloutId);
    expect(eventTypes(done).at(-1)).toBe('rollout.rolled_back');
    expect(eventTypes(done).filter((t) => t === 'rollback.started')).toHaveLength(1);
    expect(verifyChain(done).ok).toBe(true);
  }, 90_000);
});
