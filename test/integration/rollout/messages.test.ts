/**
 * What a person reads during a rollout through the live test service, in CI (plain lines) and on
 * a terminal (tmux): each thing said once — a rollback's reason and value once, "promoted at
 * 100%" once — and statuses in words ("rolled back"), never the enum (`rolled_back`), which only
 * JSON and the stdout data line keep.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../../support/cli.js';
import type { LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

const count = (text: string, part: string): number => text.split(part).length - 1;
const STEPS = [{ weight: 10, bake: '3s' }, { weight: 100, bake: '2s' }];

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Runs the binary in a tmux pane (a real terminal, 120 columns unless told) and returns the screen's whole history. */
async function onTerminal(args: string[], columns = 120): Promise<{ code: number; screen: string }> {
  const socket = `rollgate-messages-${process.pid}-${Date.now()}`;
  const command = `cd ${quote(ROOT)} && env -u CI -u NO_COLOR -u FORCE_COLOR ${[process.execPath, BIN, ...args].map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
  try {
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', String(columns), '-y', '60', command]);
    let screen = '';
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 200))) {
      screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-S', '-'], { encoding: 'utf8' });
    }
    return { code: Number(/EXIT=(\d+)/.exec(screen)?.[1] ?? -1), screen };
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
}

function rollbackFacts(stderrOrScreen: string): void {
  // The measured value appears once (its measurement line); the limit once (the rollback line).
  const value = /gate error-rate: fail — (\S+ > max 0\.05)/.exec(stderrOrScreen)?.[1];
  expect(value, stderrOrScreen).toBeDefined();
  expect(count(stderrOrScreen, value!)).toBe(1);
  expect(stderrOrScreen).toMatch(/rolling back from 10%: gate error-rate failed \(1 failure, limit 0\)/);
  expect(count(stderrOrScreen, 'limit 0)')).toBe(1);
  expect(count(stderrOrScreen, 'rolled back to 0%')).toBe(1);
  expect(stderrOrScreen).not.toContain('rolled_back');
}

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

// Promotions first: the canary errors a rollback test injects stay in the rate window for seconds.
describe('CI (plain lines): promotion', () => {
  it('a promotion says "promoted at 100%" once', async () => {
    const plan = env.writePlan('messages-healthy', { steps: STEPS });
    const run = await runCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    expect(run.code, run.stderr).toBe(0);
    expect(count(run.stderr, 'promoted at 100%')).toBe(1);
    expect(run.stderr).toMatch(/ok\s+checkout-\S+: promoted at 100%/);
    expect(run.stdout).toMatch(/^checkout-\S+ promoted 100%\n$/);
  }, 60_000);
});

describe.skipIf(!hasTmux)('on a terminal (tmux): promotion', () => {
  it('a promotion: "promoted at 100%" once', async () => {
    const plan = env.writePlan('messages-tty-healthy', { steps: STEPS });
    const { code, screen } = await onTerminal(['rollout', 'run', plan, '--state', env.stateUrl]);
    expect(code, screen).toBe(0);
    expect(count(screen, 'promoted at 100%')).toBe(1);
    expect(screen).toMatch(/✔ checkout-\S+: promoted at 100%/);
    expect(screen).not.toMatch(/checkout-\S+ promoted 100%/);
  }, 90_000);
});

describe('CI (plain lines): rollback', () => {
  it('a rollback says its reason once, in words; stdout keeps the data line', async () => {
    env.service.inject({ track: 'canary', errorRate: 0.6, latencyMs: 0 });
    const plan = env.writePlan('messages-faulty', { steps: STEPS });
    const run = await runCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    expect(run.code, run.stderr).toBe(1);
    rollbackFacts(run.stderr);
    expect(run.stdout).toMatch(/^checkout-\S+ rolled_back 0%\n$/);
  }, 60_000);

});

describe.skipIf(!hasTmux)('on a terminal (tmux): rollback', () => {
  it('a rollback: reason and value once, "rolled back" in words, no data line repeating it', async () => {
    env.service.inject({ track: 'canary', errorRate: 0.6, latencyMs: 0 });
    const plan = env.writePlan('messages-tty-faulty', { steps: STEPS });
    // 80 columns: the live line (gate values with coloured marks) must not wrap, or each redraw
    // would erase a log line above it — the very lines that say why it rolled back.
    const { code, screen } = await onTerminal(['rollout', 'run', plan, '--state', env.stateUrl], 80);
    expect(code, screen).toBe(1);
    rollbackFacts(screen);
    const order = ['step 1/2: canary 10%', 'weight 10% applied', 'gate error-rate: fail', 'rolling back from 10%', 'weight 0% applied (rollback)', 'stable verified healthy', 'rolled back to 0%'].map((text) => screen.indexOf(text));
    expect(order.every((at) => at >= 0), screen).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  }, 90_000);

});
