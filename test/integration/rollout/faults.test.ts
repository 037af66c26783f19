/**
 * Failing parts during a rollout: traffic actions that fail or hang, a router answering 500,
 * hook compensation order, and hostile {{vars}}. Each test states where traffic must end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifyChain } from '../../../src/lib/evidence/chain.js';
import { runCli } from '../../support/cli.js';
import { eventTypes, resultLine, SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

const SET_WEIGHT = fileURLToPath(new URL('../../fixtures/scripts/set-weight.sh', import.meta.url));
const PRINT_ARGV = fileURLToPath(new URL('../../fixtures/scripts/print-argv.mjs', import.meta.url));
const APPEND = "require('node:fs').appendFileSync(process.argv[1], process.argv[2] + '\\n')";

let env: LiveEnv;
useLiveEnv((live) => (env = live));

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli([...args, '--state', env.stateUrl], { env: extraEnv });

/** A plan whose traffic goes through set-weight.sh into a weights file. */
function execPlan(name: string, weightsFile: string, overrides: Record<string, unknown> = {}): string {
  return env.writePlan(name, {
    traffic: { exec: [SET_WEIGHT, '{{service}}', '{{weight}}', weightsFile], timeout: '1s', retries: 0, http: undefined },
    steps: [{ weight: 10, bake: '1s' }, { weight: 25, bake: '1s' }, { weight: 100, bake: '1s' }],
    analysis: { onInconclusive: 'continue' },
    rollback: { verify: undefined, timeout: '4s' },
    ...overrides,
  });
}

function weights(file: string): number[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}

describe('failing traffic actions', () => {
  it('a traffic action that fails at 25% rolls back to 0 (exit 1)', async () => {
    const file = join(env.dir, 'fail.weights');
    const result = await cli(['rollout', 'run', execPlan('fail-at-25', file), '--json'], { SET_WEIGHT_FAIL_AT: '25' });
    expect(result.code, result.stderr).toBe(1);
    const res = resultLine(result.stdout);
    expect(res).toMatchObject({ status: 'rolled_back', weight: 0 });
    expect(String(res.reason)).toMatch(/traffic action failed setting 25%.*router refused weight 25/);
    expect(weights(file)).toEqual([10, 0]);
    const events = await env.events(res.rolloutId as string);
    const failed = events.find((e) => e.type === 'weight.applied' && e.data.weight === 25)!;
    expect(failed.data).toMatchObject({ ok: false, action: { exitCode: 1 } });
    expect(verifyChain(events).ok).toBe(true);
  }, 60_000);

  it('a traffic action that hangs is killed at its timeout and rolled back', async () => {
    const file = join(env.dir, 'hang.weights');
    const started = Date.now();
    const result = await cli(['rollout', 'run', execPlan('hang-at-25', file), '--json'], { SET_WEIGHT_HANG_AT: '25' });
    expect(result.code, result.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(weights(file)).toEqual([10, 0]);
    const events = await env.events(resultLine(result.stdout).rolloutId as string);
    expect(events.find((e) => e.type === 'weight.applied' && e.data.weight === 25)?.data).toMatchObject({ ok: false, action: { timedOut: true } });
  }, 60_000);

  it('when traffic cannot be restored: exit 4, and the record says what the canary may still receive', async () => {
    const file = join(env.dir, 'stuck.weights');
    const result = await cli(['rollout', 'run', execPlan('stuck', file), '--json'], { SET_WEIGHT_FAIL_AT: '0', SET_WEIGHT_HANG_AT: '25' });
    expect(result.code, result.stderr).toBe(4);
    const res = resultLine(result.stdout);
    expect(res.status).toBe('failed');
    expect(String(res.reason)).toMatch(/traffic could not be restored[\s\S]*the canary may still receive 25% of traffic/);
    const events = await env.events(res.rolloutId as string);
    expect(eventTypes(events).at(-1)).toBe('rollback.failed');
    // The restore was retried until the rollback's time bound.
    expect(events.filter((e) => e.type === 'weight.applied' && e.data.weight === 0).at(-1)?.data.rounds).toBeGreaterThan(1);

    // A failed rollout still owns the service: a new run is refused until it is finished.
    const again = await cli(['rollout', 'run', execPlan('stuck-again', file)]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`unfinished rollout: ${String(res.rolloutId)} is rollback failed at 10%`);
    // Once the router works again, the same rollback finishes (idempotent, one rollback in the log).
    const finish = await cli(['rollback', res.rolloutId as string, '--reason', 'router repaired', '--yes']);
    expect(finish.code, finish.stderr).toBe(0);
    expect(weights(file).at(-1)).toBe(0);
    expect(eventTypes(await env.events(res.rolloutId as string)).filter((t) => t === 'rollback.started')).toHaveLength(1);
  }, 60_000);

  it('a Prometheus that never answers is never a pass: no promotion, no verdict (exit 3) — and nothing is changed, said once', async () => {
    const file = join(env.dir, 'no-prometheus.weights');
    const plan = execPlan('no-prometheus', file, {
      prometheus: { url: 'http://127.0.0.1:1', timeout: '500ms' },
      analysis: { errorLimit: 4, onError: 'hold', errorTimeout: '3s', onInconclusive: 'continue' },
      steps: [{ weight: 10, bake: '2s' }, { weight: 100, bake: '1s' }],
    });
    // Checked before anything is changed: a rollout that cannot measure is not started at all.
    const result = await cli(['rollout', 'run', plan, '--json']);
    expect(result.code, result.stderr).toBe(3);
    const doc = JSON.parse(result.stdout.trim()) as { error: { kind: string; message: string } };
    expect(doc.error).toMatchObject({ kind: 'provider' });
    expect(doc.error.message).toMatch(/^cannot reach Prometheus at http:\/\/127\.0\.0\.1:1\/? \(ECONNREFUSED\): the rollout was not started, nothing was changed$/);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.match(/cannot reach Prometheus/g)).toHaveLength(1);
    expect(existsSync(file) ? weights(file) : []).toEqual([]);
    const status = await cli(['rollout', 'status', '--json']);
    expect((JSON.parse(status.stdout) as { rollouts: Array<{ service: string; status: string }> }).rollouts.filter((r) => r.status === 'running')).toEqual([]);
  }, 60_000);

  it('a router answering 500: rollback fails (exit 4); once the router is back, `rollgate rollback` finishes it (exit 0)', async () => {
    const plan = env.writePlan('router-500', { steps: [{ weight: 10, bake: '5s' }, { weight: 25, bake: '1s' }], rollback: { verify: undefined, timeout: '3s' }, traffic: { retries: 0 } });
    const run = runCli(['rollout', 'run', plan, '--json', '--state', env.stateUrl]);
    const deadline = Date.now() + 20_000;
    while (env.service.state().weights[SERVICE] !== 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    env.service.setRouterBroken(true);
    const result = await run;
    expect(result.code, result.stderr).toBe(4);
    const res = resultLine(result.stdout);
    expect(String(res.reason)).toMatch(/500/);
    expect(env.service.state().weights[SERVICE]).toBe(10);

    env.service.setRouterBroken(false);
    const rollback = await cli(['rollback', res.rolloutId as string, '--reason', 'router fixed, finish the rollback', '--yes']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(env.service.state().weights[SERVICE]).toBe(0);
    const events = await env.events(res.rolloutId as string);
    expect(eventTypes(events).at(-1)).toBe('rollout.rolled_back');
    expect(eventTypes(events).filter((t) => t === 'rollback.started')).toHaveLength(1); // one rollback, continued
    expect(verifyChain(events).ok).toBe(true);
  }, 60_000);
});

describe('bake 0', () => {
  it('with Prometheus down, measures at the interval (no busy loop) until errorTimeout', async () => {
    // `rollout run` checks that Prometheus answers before it changes anything (a dead one is exit 3
    // at once): this peer answers that check, then goes down (503) for every gate query, as a
    // Prometheus dying right after the start would.
    const down = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const query = new URLSearchParams(Buffer.concat(chunks).toString()).get('query') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('query');
        if (query === 'vector(1)') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '1'] }] } }));
        } else {
          res.writeHead(503, { 'Content-Type': 'text/plain' });
          res.end('down');
        }
      });
    });
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', () => r()));
    onTestFinished(() => new Promise<void>((r) => down.close(() => r())));
    const file = join(env.dir, 'bake0.weights');
    const plan = execPlan('bake0-no-prometheus', file, {
      prometheus: { url: `http://127.0.0.1:${(down.address() as AddressInfo).port}`, timeout: '500ms' },
      analysis: { errorLimit: 1, onError: 'hold', errorTimeout: '3s' },
      steps: [{ weight: 10, bake: '0s' }, { weight: 100, bake: '0s' }],
    });
    const result = await cli(['rollout', 'run', plan, '--json']);
    expect(result.code, result.stderr).toBe(3);
    const events = await env.events(resultLine(result.stdout).rolloutId as string);
    const rounds = events.filter((e) => e.type === 'measurement' && e.data.gate === 'error-rate').length;
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(rounds).toBeLessThanOrEqual(8); // ~3 s of errorTimeout at a 1 s interval, not hundreds
    expect((await cli(['rollback', resultLine(result.stdout).rolloutId as string, '--reason', 'cleanup', '--yes'])).code).toBe(0);
  }, 60_000);
});

describe('secrets', () => {
  it('a secret var from the environment reaches actions, also after resume, and never the evidence', async () => {
    const token = `tok-${Date.now()}-s3cr3t`;
    const log = join(env.dir, 'token.log');
    const weightsFile = join(env.dir, 'token.weights');
    const plan = execPlan('secret-var', weightsFile, {
      vars: { router: env.service.url, routerToken: '${ROUTER_TOKEN}' },
      hooks: { beforeStep: [{ exec: [process.execPath, '-e', APPEND, log, 'step {{step}} {{routerToken}}'] }] },
      steps: [{ weight: 10, bake: '1s', approval: true }, { weight: 100, bake: '1s' }],
    });
    const first = await cli(['rollout', 'run', plan, '--on-approval', 'exit', '--json'], { ROUTER_TOKEN: token });
    expect(first.code, first.stderr).toBe(5);
    const id = resultLine(first.stdout).rolloutId as string;
    expect((await cli(['rollout', 'approve', id])).code).toBe(0);
    const resumed = await cli(['rollout', 'resume', id, '--json'], { ROUTER_TOKEN: token });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([`step 0 ${token}`, `step 1 ${token}`]);
    const everything = JSON.stringify(await env.events(id)) + first.stdout + first.stderr + resumed.stdout + resumed.stderr;
    expect(everything).not.toContain(token);
    expect(everything).toContain('***');
  }, 60_000);
});

describe('hooks and templating', () => {
  it('compensates executed hooks in reverse order, then runs onRollback after traffic is back', async () => {
    const log = join(env.dir, 'hooks.log');
    const weightsFile = join(env.dir, 'hooks.weights');
    const hook = (tag: string) => ({ exec: [process.execPath, '-e', APPEND, log, tag] });
    const plan = execPlan('hooks', weightsFile, {
      hooks: {
        beforeRollout: [
          { ...hook('A'), undo: hook('undo A') },
          { ...hook('B'), undo: hook('undo B') },
        ],
        beforeStep: [{ ...hook('C{{step}}'), undo: hook('undo C{{step}}') }],
        onRollback: [hook('R')],
      },
      // Only the order is checked here: a bound generous enough for four node start-ups on a loaded machine.
      rollback: { verify: undefined, timeout: '30s' },
    });
    const result = await cli(['rollout', 'run', plan], { SET_WEIGHT_FAIL_AT: '25' });
    expect(result.code, result.stderr).toBe(1);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['A', 'B', 'C0', 'C1', 'undo C1', 'undo C0', 'undo B', 'undo A', 'R']);
    expect(weights(weightsFile)).toEqual([10, 0]);
  }, 60_000);

  it('{{vars}} holding quotes, $(...), backticks and newlines reach actions verbatim, never a shell', async () => {
    const marker = join(env.dir, `pwned-${Date.now()}`);
    const hostile = `it's "quoted" $(touch ${marker}) \`touch ${marker}\` ; touch ${marker} && echo\nsecond line`;
    const weightsFile = join(env.dir, 'hostile.weights');
    const plan = execPlan('hostile', weightsFile, {
      vars: { router: env.service.url, note: 'placeholder' },
      hooks: { beforeRollout: [{ exec: [process.execPath, PRINT_ARGV, '{{note}}', 'x{{note}}y'] }] },
      steps: [{ weight: 100, bake: '1s' }],
    });
    const result = await cli(['rollout', 'run', plan, '--json', '--set', `note=${hostile}`]);
    expect(result.code, result.stderr).toBe(0);
    const events = await env.events(resultLine(result.stdout).rolloutId as string);
    const hookDone = events.find((e) => e.type === 'hook.finished')!;
    const argv = JSON.parse((hookDone.data.action as { stdout: string }).stdout) as string[];
    expect(argv).toEqual([hostile, `x${hostile}y`]);
    expect(existsSync(marker)).toBe(false);
  }, 60_000);
});
