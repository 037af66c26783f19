/**
 * Rollouts end to end: the built binary against the live test service and a real Prometheus
 * scraping it every second.
 */
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/lib/evidence/chain.js';
import { runCli, startCli } from '../../support/cli.js';
import { errorRateQuery, eventTypes, resultLine, SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

const cli = (args: string[]) => runCli([...args, '--state', env.stateUrl]);

describe('rollout run', () => {
  it('promotes a healthy canary 10 → 25 → 50 → 100, in order, with an intact chain', async () => {
    const plan = env.writePlan('healthy');
    const historyBefore = env.service.state().weightHistory.length;
    const result = await cli(['rollout', 'run', plan, '--json']);
    expect(result.code, result.stderr + result.stdout.split('\n').slice(-4).join('\n')).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => l.schemaVersion === 1)).toBe(true);
    const final = lines.at(-1)!;
    // Steps as people read them: the 4th of 4 (stepIndex 3).
    expect(final).toMatchObject({ kind: 'result', service: SERVICE, status: 'promoted', weight: 100, step: 4, stepIndex: 3 });
    const applied = env.service.state().weightHistory.slice(historyBefore).map((h) => h.canary);
    expect(applied).toEqual([10, 25, 50, 100]);

    const events = await env.events(final.rolloutId as string);
    expect(verifyChain(events)).toMatchObject({ ok: true, count: events.length });
    const types = eventTypes(events);
    expect(types[0]).toBe('rollout.started');
    expect(types.at(-1)).toBe('rollout.promoted');
    expect(types.filter((t) => t === 'step.completed')).toHaveLength(4);
    const measurements = events.filter((e) => e.type === 'measurement');
    expect(measurements.length).toBeGreaterThanOrEqual(4);
    for (const m of measurements) {
      expect(m.data).toMatchObject({ gate: 'error-rate', verdict: 'pass', threshold: expect.any(String) });
      expect(m.data.query).toContain('track="canary"');
      expect(m.data.query).not.toContain('{{');
    }
    // NDJSON events on stdout are the same events as the log: `data` and `hash` as recorded, the
    // step beside them numbered as people read it (step 1 = data.step 0).
    const streamed = lines.filter((l) => l.kind === 'event');
    expect(streamed.length).toBe(events.length);
    for (const [i, line] of streamed.entries()) {
      const { schemaVersion: _v, kind: _k, step, stepIndex, ...event } = line;
      expect(event).toEqual(events[i]);
      if (typeof events[i]!.data.step === 'number') expect([step, stepIndex]).toEqual([(events[i]!.data.step as number) + 1, events[i]!.data.step]);
      else expect([step, stepIndex]).toEqual([undefined, undefined]);
    }
    expect(streamed.filter((l) => l.type === 'step.started').map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(verifyChain(streamed.map(({ schemaVersion: _v, kind: _k, step: _s, stepIndex: _i, ...event }) => event))).toMatchObject({ ok: true });

    const status = await cli(['rollout', 'status', final.rolloutId as string, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ rolloutId: final.rolloutId, status: 'promoted', weight: 100, step: 4, stepIndex: 3, steps: 4 });
  }, 60_000);

  it('rolls a faulty canary back to 0 within interval + 2 s of the breach being visible', async () => {
    const plan = env.writePlan('faulty', { steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '20s' }, { weight: 50, bake: '3s' }, { weight: 100, bake: '3s' }] });
    const run = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    // Errors start at 25%.
    const deadline = Date.now() + 30_000;
    while (env.service.state().weights[SERVICE] !== 25) {
      if (Date.now() > deadline) throw new Error('never reached 25%');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Measured from the fault injection: a point that cannot come after the rollback. (Measured from
    // "the breach is visible to this test's own query", the figure went negative when the runner saw
    // it first, e.g. -42 ms.)
    const injectedAt = Date.now();
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    await env.waitForQuery(errorRateQuery('canary'), (v) => v > 0.05);
    const visibleAt = Date.now();
    const result = await run.done;
    expect(result.code, result.stderr).toBe(1);
    const back = env.service.state().weightHistory.filter((h) => h.canary === 0).at(-1);
    expect(back).toBeDefined();
    const latencyMs = Date.parse(back!.at) - injectedAt;
    // eslint-disable-next-line no-console
    console.log(`fault-to-rollback latency: ${latencyMs} ms (breach visible to the test after ${visibleAt - injectedAt} ms; scrape 1 s, analysis interval 1 s, 4 s rate window)`);
    expect(latencyMs).toBeGreaterThan(0);
    // The floor is scrape interval + enough of the 4 s rate window for 10% errors to cross 5%, + analysis interval.
    expect(latencyMs).toBeLessThanOrEqual(visibleAt - injectedAt + 1_000 + 2_000);
    expect(result.stderr).toMatch(/rolling back from 25%: gate error-rate failed/);

    const rolloutId = /(checkout-\S+): rolled back to 0%/.exec(result.stderr)?.[1];
    const events = await env.events(rolloutId!);
    expect(verifyChain(events).ok).toBe(true);
    const types = eventTypes(events);
    expect(types).toContain('rollback.started');
    expect(types.at(-1)).toBe('rollout.rolled_back');
    const started = events.find((e) => e.type === 'rollback.started')!;
    expect(started.data).toMatchObject({ trigger: 'gate', fromWeight: 25 });
    expect(events.find((e) => e.type === 'rollback.verification')?.data).toMatchObject({ passed: true });
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 60_000);

  it('no traffic is inconclusive, never a pass: onInconclusive rollback rolls back', async () => {
    env.service.setTraffic(0);
    await new Promise((r) => setTimeout(r, 6_000)); // let the 5s rate windows drain
    const plan = env.writePlan('no-traffic', { analysis: { inconclusiveLimit: 1 }, rollback: { verify: undefined } });
    const result = await cli(['rollout', 'run', plan, '--json']);
    expect(result.code, result.stderr).toBe(1);
    expect(resultLine(result.stdout)).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(String(resultLine(result.stdout).reason)).toMatch(/inconclusive/);
    const events = await env.events(resultLine(result.stdout).rolloutId as string);
    expect(events.filter((e) => e.type === 'measurement').every((e) => e.data.verdict === 'inconclusive')).toBe(true);
    expect(events.some((e) => e.type === 'step.completed')).toBe(false);
  }, 60_000);

  it('no traffic with onInconclusive pause and --on-approval exit pauses (exit 5); each approval lets the rollout go on', async () => {
    env.service.setTraffic(0);
    await new Promise((r) => setTimeout(r, 6_000));
    const plan = env.writePlan('pause', { analysis: { inconclusiveLimit: 0, onInconclusive: 'pause' }, steps: [{ weight: 10, bake: '5s' }, { weight: 100, bake: '3s' }] });
    const first = await cli(['rollout', 'run', plan, '--on-approval', 'exit', '--json']);
    expect(first.code, first.stderr).toBe(5);
    const paused = resultLine(first.stdout);
    expect(paused).toMatchObject({ status: 'paused', weight: 10 });
    const id = paused.rolloutId as string;

    const status = await cli(['rollout', 'status', id, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'paused', awaitingApproval: true });

    // A paused rollout still owns the service: no second rollout of it.
    const second = await cli(['rollout', 'run', plan]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`unfinished rollout: ${id} is paused at 10%`);

    // Rolling back needs consent, and no prompt ever waits in CI.
    const unconfirmed = await cli(['rollback', id, '--reason', 'not sure']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --yes to confirm in a non-interactive run');

    // Still no traffic: approving means "go on" — step 1 is over; step 2 asks again.
    expect((await cli(['rollout', 'approve', id, '--comment', 'no traffic is expected at night'])).code).toBe(0);
    const again = await cli(['rollout', 'resume', id, '--on-approval', 'exit', '--json']);
    expect(again.code, again.stderr).toBe(5);
    expect(resultLine(again.stdout)).toMatchObject({ rolloutId: id, status: 'paused', weight: 100 });

    expect((await cli(['rollout', 'approve', id])).code).toBe(0);
    const resumed = await cli(['rollout', 'resume', id, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resultLine(resumed.stdout)).toMatchObject({ rolloutId: id, status: 'promoted', weight: 100 });
    const events = await env.events(id);
    expect(verifyChain(events).ok).toBe(true);
    const decisions = events.filter((e) => e.type === 'approval.decided');
    expect(decisions).toHaveLength(2);
    expect(decisions[0]!.data).toMatchObject({ decision: 'approve', step: 0, comment: 'no traffic is expected at night' });
    expect(decisions[1]!.data).toMatchObject({ decision: 'approve', step: 1 });
    expect(events.filter((e) => e.type === 'bake.completed')).toEqual([]); // both bakes were ended by a person
    expect(eventTypes(events).filter((t) => t === 'rollout.resumed')).toHaveLength(2);
    env.service.setTraffic(100);
  }, 90_000);

  it('an approval not given within --approval-timeout leaves the rollout paused (exit 5)', async () => {
    const plan = env.writePlan('approval-timeout', { steps: [{ weight: 10, bake: '5s', approval: true }, { weight: 100, bake: '1s' }] });
    const result = await cli(['rollout', 'run', plan, '--approval-timeout', '2s', '--json']);
    expect(result.code, result.stderr).toBe(5);
    expect(resultLine(result.stdout)).toMatchObject({ status: 'paused', weight: 10 });
    expect(String(resultLine(result.stdout).reason)).toMatch(/not given within 2s/);
    const rollback = await cli(['rollback', resultLine(result.stdout).rolloutId as string, '--reason', 'nobody approved', '--yes']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 60_000);
});
