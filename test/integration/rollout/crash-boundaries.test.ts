/**
 * The runner SIGKILLed at every event boundary of a rollout that fails at step 2, then
 * `rollout resume`: it never promotes, traffic ends on stable, and the evidence verifies (chain and
 * recorded head). Two kinds of boundary: after an event and its head are durable (`event:N`), and
 * between the file store's two writes of an append — the log line durable, the head not (`line:N`).
 *
 * The gate is `vector({{weight}})` against a real Prometheus: it passes at 10% and fails at 25%,
 * every time, so the only thing that varies is where the runner died.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';
import { runCli } from '../../support/cli.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { eventTypes, resultLine, SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

const SET_WEIGHT = fileURLToPath(new URL('../../fixtures/scripts/set-weight.sh', import.meta.url));

let env: LiveEnv;
useLiveEnv((live) => (env = live));

function failsAtStep2(name: string, weightsFile: string): string {
  return env.writePlan(name, {
    gates: [{ name: 'weight-gate', query: 'vector({{weight}})', max: 20 }],
    steps: [
      { weight: 10, bake: '0s', gates: ['weight-gate'] },
      { weight: 25, bake: '0s', gates: ['weight-gate'] },
      { weight: 100, bake: '0s', gates: ['weight-gate'] },
    ],
    traffic: { exec: [SET_WEIGHT, '{{service}}', '{{weight}}', weightsFile], timeout: '5s', retries: 0, http: undefined },
    rollback: { verify: undefined, timeout: '10s' },
  });
}

function weights(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}

async function storedRollout(stateUrl: string): Promise<{ rolloutId: string; events: RolloutEvent[]; lock: unknown }> {
  const store = await openStateStore(stateUrl);
  try {
    const [record] = await store.listRollouts({ service: SERVICE, limit: 1 });
    if (!record) return { rolloutId: '', events: [], lock: await store.getLock(SERVICE) };
    return { rolloutId: record.rolloutId, events: await store.readEvents(record.rolloutId), lock: await store.getLock(SERVICE) };
  } finally {
    await store.close();
  }
}

/** Runs `items` through `work`, `limit` at a time (each in its own state store, so they never share a lock). */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

/** Runs the rollout until ROLLGATE_CRASH_AT kills it, resumes it, and checks what must hold. Returns the resume's exit code. */
async function killAndResume(boundary: string, stateUrl: string, tag: string): Promise<string> {
  const weightsFile = join(env.dir, `crash-${tag}.weights`);
  const plan = failsAtStep2(`crash-${tag}`, weightsFile);
  const killed = await runCli(['rollout', 'run', plan, '--json', '--state', stateUrl], { env: { ROLLGATE_CRASH_AT: boundary } });
  expect(killed.signal, `${boundary}: ${killed.stderr}`).toBe('SIGKILL');

  const resumed = await runCli(['rollout', 'resume', SERVICE, '--json', '--state', stateUrl]);
  const { rolloutId, events, lock } = await storedRollout(stateUrl);
  const context = `${boundary} (${stateUrl}): resume exit ${resumed.code}: ${resumed.stderr}\n${eventTypes(events).join(' ')}`;
  // Rolled back by the resume (1), or it had ended already (2, "already ended: rolled back").
  expect([1, 2], context).toContain(resumed.code);
  if (resumed.code === 1) expect(resultLine(resumed.stdout), context).toMatchObject({ status: 'rolled_back', weight: 0 });
  else expect(resumed.stderr, context).toMatch(/already ended: rolled back/);
  expect(eventTypes(events), context).not.toContain('rollout.promoted');
  expect(eventTypes(events).at(-1), context).toMatch(/^(rollout\.rolled_back|lock\.taken_over)$/);
  expect(eventTypes(events).filter((t) => t === 'rollback.started'), context).toHaveLength(1);
  const applied = weights(weightsFile);
  expect(applied, context).not.toContain(100);
  if (applied.length > 0) expect(applied.at(-1), context).toBe(0);
  // Nobody is left holding the service: a finished rollout's dead lock is taken over and released.
  expect(lock, context).toBeUndefined();

  const verified = await runCli(['evidence', 'verify', rolloutId, '--json', '--state', stateUrl]);
  expect(verified.code, `${context}\n${verified.stdout}`).toBe(0);
  expect(JSON.parse(verified.stdout), context).toMatchObject({ intact: true, events: events.length, recordedHead: { seq: events.length } });
  return String(resumed.code);
}

describe('SIGKILL at every event boundary, then resume', () => {
  it('never promotes; traffic ends at 0; the chain and its head verify', async () => {
    // The uninterrupted run: how many boundaries there are.
    const referenceWeights = join(env.dir, 'reference.weights');
    const referenceState = `file:${join(env.dir, 'crash-reference')}`;
    const reference = await runCli(['rollout', 'run', failsAtStep2('crash-reference', referenceWeights), '--json', '--state', referenceState]);
    expect(reference.code, reference.stderr).toBe(1);
    expect(weights(referenceWeights)).toEqual([10, 25, 0]);
    const total = (await storedRollout(referenceState)).events.length;
    expect(total).toBeGreaterThan(10);

    const boundaries = Array.from({ length: total }, (_, i) => i + 1).flatMap((n) => [`event:${n}`, `line:${n}`]);
    const timings: number[] = [];
    const outcomes = new Map<string, string>();
    await pool(boundaries, 3, async (boundary) => {
      const started = Date.now();
      const tag = boundary.replace(':', '-');
      outcomes.set(boundary, await killAndResume(boundary, `file:${join(env.dir, `crash-${tag}`)}`, tag));
      timings.push(Date.now() - started);
    });
    expect(outcomes.size).toBe(boundaries.length);
    const mean = timings.reduce((a, b) => a + b, 0) / timings.length;
    // eslint-disable-next-line no-console
    console.log(`crash boundaries: ${boundaries.length} kills over ${total} events; kill + resume + verify took ${Math.round(mean)} ms on average (3 at a time)`);
  }, 600_000);
});

describe('the same on Redis (the head is set in the append script: no in-between state exists)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('never promotes at a spread of boundaries, including right after the failing measurement', async () => {
    const stateUrl = `${redis.url.replace(/\/\d*$/, '')}/4`;
    // One rollout of the service at a time in one store: these run one after another, on an emptied server.
    for (const boundary of ['event:1', 'event:4', 'event:measurement:fail', 'event:rollback.started', 'event:rollout.rolled_back']) {
      await redis.flush();
      expect(await killAndResume(boundary, stateUrl, `redis-${boundary.replaceAll(':', '-')}`), boundary).toMatch(/^[12]$/);
    }
  }, 300_000);
});
