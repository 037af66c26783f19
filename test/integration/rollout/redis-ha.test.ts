/**
 * Rollouts on a highly available state store, with real processes: `rollgate rollout run` against
 * a Sentinel group whose master is SIGKILLed mid-rollout and mid-rollback, and a dozen rollouts at
 * once on a 3-node Redis Cluster with a node SIGKILLed and restarted under them. Every event the
 * runner reported (its NDJSON) must be in the store, the chain must verify, and the rollouts must
 * end as they would have without the fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../../src/lib/evidence/chain.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import type { RolloutEvent } from '../../../src/lib/state/types.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../../support/cli.js';
import { startRedisCluster, startSentinelGroup, type RedisCluster, type SentinelGroup } from '../../support/redis.js';
import { resultLine, SERVICE, startLiveEnv, type LiveEnv } from '../../support/rollout-fixture.js';

const CLUSTER_SERVICES = Array.from({ length: 12 }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);

let env: LiveEnv;
let group: SentinelGroup;
let cluster: RedisCluster;

beforeAll(async () => {
  [env, group, cluster] = await Promise.all([startLiveEnv({ rps: 40, services: [SERVICE, ...CLUSTER_SERVICES] }), startSentinelGroup(), startRedisCluster()]);
}, 90_000);
afterAll(async () => {
  await Promise.all([env?.stop(), group?.stop(), cluster?.stop()]);
});

/** Event lines of `rollout run --json` with the time each reached us. */
interface Reported {
  event: RolloutEvent & { kind: string };
  seenAt: number;
}

function watchEvents(runner: RunningCli): Reported[] {
  const seen: Reported[] = [];
  let buffer = '';
  runner.child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const doc = JSON.parse(line) as RolloutEvent & { kind: string };
      if (doc.kind === 'event') seen.push({ event: doc, seenAt: Date.now() });
    }
  });
  return seen;
}

async function waitFor(seen: Reported[], predicate: (e: RolloutEvent) => boolean, runner: RunningCli, timeoutMs = 40_000): Promise<Reported> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = seen.find((r) => predicate(r.event));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`event never reported; runner output: ${JSON.stringify(runner.output())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every reported event is in the store, byte for byte (same hash at the same seq); the stored chain verifies up to the record's head. */
async function expectAllRecorded(stateUrl: string, rolloutId: string, reported: Reported[]): Promise<RolloutEvent[]> {
  const store = await openStateStore(stateUrl);
  try {
    const stored = await store.readEvents(rolloutId);
    expect(reported.length).toBeGreaterThan(5);
    for (const { event } of reported) {
      expect(stored[event.seq - 1]?.hash, `event #${event.seq} (${event.type})`).toBe(event.hash);
    }
    expect(stored.length).toBe(reported.at(-1)!.event.seq);
    expect(verifyChain(stored)).toMatchObject({ ok: true, count: stored.length });
    expect((await store.getRollout(rolloutId))?.head).toEqual({ seq: stored.length, hash: stored.at(-1)!.hash });
    return stored;
  } finally {
    await store.close();
  }
}

/** The longest time between two consecutive reported events, and the gap between the last event before `at` and the first after it. */
function gaps(reported: Reported[], at: number): { longest: number; across: number } {
  let longest = 0;
  for (let i = 1; i < reported.length; i += 1) longest = Math.max(longest, reported[i]!.seenAt - reported[i - 1]!.seenAt);
  const before = reported.filter((r) => r.seenAt < at).at(-1);
  const after = reported.find((r) => r.seenAt >= at);
  return { longest, across: before && after ? after.seenAt - before.seenAt : Number.NaN };
}

describe('Redis Sentinel: master SIGKILLed', () => {
  const steps = [
    { weight: 10, bake: '5s' },
    { weight: 25, bake: '4s' },
    { weight: 50, bake: '3s' },
    { weight: 100, bake: '2s' },
  ];

  it('mid-rollout: the runner holds traffic through the failover, the rollout ends promoted, every reported event is stored, the chain verifies', async () => {
    await group.waitForReplicas(1);
    const plan = env.writePlan('ha-sentinel-forward', { analysis: { inconclusiveLimit: 20 }, steps });
    const runner = startCli(['rollout', 'run', plan, '--json', '--state', group.url], { timeoutMs: 120_000 });
    const reported = watchEvents(runner);
    await waitFor(reported, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    const killedAt = Date.now();
    const killed = await group.killMaster();
    const failoverMs = await group.waitForFailover(killed);
    const result: CliResult = await runner.done;
    expect(result.code, result.stderr).toBe(0);
    const outcome = resultLine(result.stdout);
    expect(outcome).toMatchObject({ status: 'promoted', weight: 100 });
    // The runner said it was holding, and when the store was back (stderr; stdout stays NDJSON).
    expect(result.stderr).toMatch(/state store redis-sentinel:\/\/\S+ not answering \(.*\); traffic is held where it is while retrying for up to 30s/);
    expect(result.stderr).toMatch(/answers again after \d/);
    const rolloutId = outcome.rolloutId as string;
    await expectAllRecorded(group.url, rolloutId, reported);
    // Nothing was done twice or skipped: each step's weight applied once, in order.
    expect(reported.filter((r) => r.event.type === 'weight.applied').map((r) => r.event.data.weight)).toEqual([10, 25, 50, 100]);
    const verify = await runCli(['evidence', 'verify', rolloutId, '--state', group.url]);
    expect(verify.code, verify.stderr).toBe(0);
    const { longest, across } = gaps(reported, killedAt);
    console.log(`sentinel, master killed mid-rollout: failover took ${failoverMs} ms; events paused ${across} ms across the kill (longest gap in the run ${longest} ms)`);
    await group.restartAsReplica(killed);
    await group.waitForReplicas(1);
  }, 120_000);

  it('during a rollback: the rollback finishes through the failover (rolled back, weight 0, verified), every reported event is stored', async () => {
    await group.waitForReplicas(1);
    const plan = env.writePlan('ha-sentinel-rollback', {
      analysis: { inconclusiveLimit: 20 },
      steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '20s' }, { weight: 100, bake: '2s' }],
      // An onRollback hook of 1 s, so the kill lands inside the rollback (it is otherwise over in milliseconds).
      hooks: { onRollback: [{ name: 'page-oncall', exec: [process.execPath, '-e', 'setTimeout(() => {}, 1000)'], timeout: '30s' }] },
    });
    const runner = startCli(['rollout', 'run', plan, '--json', '--state', group.url], { timeoutMs: 120_000 });
    const reported = watchEvents(runner);
    await waitFor(reported, (e) => e.type === 'weight.applied' && e.data.weight === 25, runner);
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    await waitFor(reported, (e) => e.type === 'hook.started' && e.data.point === 'onRollback', runner);
    const killedAt = Date.now();
    const killed = await group.killMaster();
    const failoverMs = await group.waitForFailover(killed);
    env.service.inject({ track: 'canary', errorRate: 0 });
    const result = await runner.done;
    expect(result.code, result.stderr).toBe(1);
    const outcome = resultLine(result.stdout);
    expect(outcome).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(env.service.state().weights[SERVICE]).toBe(0);
    const stored = await expectAllRecorded(group.url, outcome.rolloutId as string, reported);
    expect(stored.at(-1)?.type).toBe('rollout.rolled_back');
    expect(stored.some((e) => e.type === 'rollback.verification')).toBe(true);
    // The rest of the rollback was recorded after the kill, through the failover.
    const afterKill = reported.filter((r) => r.seenAt >= killedAt).map((r) => r.event.type);
    expect(afterKill).toEqual(expect.arrayContaining(['hook.finished', 'rollback.verification', 'rollout.rolled_back']));
    const { across } = gaps(reported, killedAt);
    console.log(`sentinel, master killed during a rollback: failover took ${failoverMs} ms; events paused ${across} ms across the kill`);
    await group.restartAsReplica(killed);
    await group.waitForReplicas(1);
  }, 120_000);
});

describe('Redis Cluster', () => {
  it('a dozen rollouts of different services at once, a node SIGKILLed and restarted under them: all promoted, chains intact, status lists them, keys on every node', async () => {
    const runners = CLUSTER_SERVICES.map((service) => {
      const plan = env.writePlan(`ha-cluster-${service}`, {
        metadata: { name: `${service}-canary`, service },
        analysis: { inconclusiveLimit: 20 },
        steps: [
          { weight: 20, bake: '5s' },
          { weight: 50, bake: '3s' },
          { weight: 100, bake: '2s' },
        ],
      });
      const runner = startCli(['rollout', 'run', plan, '--json', '--state', cluster.url], { timeoutMs: 150_000 });
      return { service, runner, reported: watchEvents(runner) };
    });
    // Every runner is under way before the node goes down.
    for (const { runner, reported } of runners) await waitFor(reported, (e) => e.type === 'weight.applied' && e.data.weight === 20, runner, 60_000);
    const restartedAt = Date.now();
    await cluster.restartNode(cluster.ports[0]!, 1_000);
    const results = await Promise.all(runners.map((r) => r.runner.done));
    const ids: string[] = [];
    let longestAcross = 0;
    for (const [i, result] of results.entries()) {
      expect(result.code, `${runners[i]!.service}: ${result.stderr}`).toBe(0);
      const outcome = resultLine(result.stdout);
      expect(outcome).toMatchObject({ status: 'promoted', service: runners[i]!.service, weight: 100 });
      ids.push(outcome.rolloutId as string);
      await expectAllRecorded(cluster.url, outcome.rolloutId as string, runners[i]!.reported);
      longestAcross = Math.max(longestAcross, gaps(runners[i]!.reported, restartedAt).across);
    }
    const status = await runCli(['rollout', 'status', '--json', '--state', cluster.url]);
    expect(status.code, status.stderr).toBe(0);
    const listed = (JSON.parse(status.stdout) as { rollouts: Array<{ rolloutId: string; status: string }> }).rollouts;
    for (const id of ids) expect(listed.find((r) => r.rolloutId === id)?.status).toBe('promoted');
    const perNode = await cluster.keysPerNode();
    // Hash tags spread rollouts over the shards. 12 random IDs all missing one of three nodes has a
    // chance of (2/3)^12 ≈ 0.8% (seen once in CI), so the check is that more than one node holds keys.
    expect(perNode.filter((n) => n > 0).length, `keys per node: ${perNode.join(', ')}`).toBeGreaterThanOrEqual(2);
    console.log(`cluster: 12 rollouts promoted; node down 1 s, longest pause across the restart ${longestAcross} ms; keys per node ${perNode.join('/')}`);
  }, 180_000);
});
