/**
 * A rollout paused at an approval (`--on-approval exit`) and then resumed says, like `rollout run`,
 * what it waits for, since when and how to approve — in CI (plain lines, periodic reminders), under
 * --json (the open request as an event) and on a terminal (tmux: the waiting line, and the prompt's
 * "Wait" choice naming the rollout). The pause itself says in one line that both an approval and a
 * resume are needed. SIGTERM never asks for a second Ctrl-C, and the result says exit 130.
 * Also: `status --watch` prints only changes (CI) and redraws in place at 80 columns (tmux), and a
 * dry run never says a weight was applied. Against the live test service and a real Prometheus.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, startCli } from '../../support/cli.js';
import { SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

const STEPS = [{ weight: 10, bake: '1s', approval: true }, { weight: 100, bake: '1s' }];
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && !check(); ) await new Promise((r) => setTimeout(r, 200));
}

/** Starts a rollout that pauses at its approval and exits 5; returns its ID and what it printed. */
async function pausedAtApproval(name: string): Promise<{ id: string; stderr: string }> {
  const plan = env.writePlan(name, { steps: STEPS, analysis: { onInconclusive: 'continue' } });
  const run = await runCli(['rollout', 'run', plan, '--on-approval', 'exit', '--state', env.stateUrl]);
  expect(run.code, run.stderr).toBe(5);
  const id = /(checkout-\S+)/.exec(run.stdout)?.[1];
  expect(id, run.stdout).toBeDefined();
  return { id: id!, stderr: run.stderr };
}

describe('CI: a pause at an approval, then resume', () => {
  it('the pause says in one line: approve, then resume', async () => {
    const { id, stderr } = await pausedAtApproval('resume-exit-line');
    expect(stderr).toMatch(new RegExp(`paused: waiting for approval of step 1 \\(10%\\).* — to go on, approve then resume: rollgate rollout approve ${id} && rollgate rollout resume ${id}`));
    // The approval command is said once (in that line), not in a separate "approve with" line too.
    expect(stderr.split(`rollgate rollout approve ${id}`).length - 1, stderr).toBe(1);
    await runCli(['rollback', SERVICE, '--reason', 'test', '--yes', '--state', env.stateUrl]);
  }, 90_000);

  it('resume at the open approval says what it waits for, reminds, and goes on once approved', async () => {
    const { id } = await pausedAtApproval('resume-wait-ci');
    const resume = startCli(['rollout', 'resume', id, '--state', env.stateUrl], { env: { ROLLGATE_APPROVAL_REMINDER: '1s' } });
    await until(() => (resume.output().stderr.match(/still waiting for approval/g) ?? []).length >= 2);
    const { stderr } = resume.output();
    expect(stderr).toMatch(new RegExp(`warn\\s+waiting for approval of step 1/2 since \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+(ms|s)\\) — approve with: rollgate rollout approve ${id}`));
    expect(stderr).toMatch(new RegExp(`warn\\s+still waiting for approval of step 1/2 since .* — approve with: rollgate rollout approve ${id}`));
    expect((await runCli(['rollout', 'approve', id, '--state', env.stateUrl])).code).toBe(0);
    const done = await resume.done;
    expect(done.code, done.stderr).toBe(0);
  }, 120_000);

  it('resume --json prints the open request as an event before it waits', async () => {
    const { id } = await pausedAtApproval('resume-wait-json');
    const resume = startCli(['rollout', 'resume', id, '--json', '--state', env.stateUrl]);
    await until(() => resume.output().stdout.includes('"approval.requested"'));
    const lines = resume.output().stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const waiting = lines.find((line) => line.type === 'approval.requested');
    expect(waiting, resume.output().stdout).toMatchObject({ kind: 'event', rolloutId: id, step: 1 });
    expect((await runCli(['rollout', 'approve', id, '--state', env.stateUrl])).code).toBe(0);
    const done = await resume.done;
    expect(done.code, done.stderr).toBe(0);
    const result = JSON.parse(done.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ kind: 'result', status: 'promoted' });
  }, 120_000);
});

describe.skipIf(!hasTmux)('terminal (tmux): resume at an open approval', () => {
  it('shows the waiting line and a "Wait" choice naming the rollout; approved from elsewhere, the prompt is withdrawn and the process exits', async () => {
    const { id } = await pausedAtApproval('resume-wait-tty');
    const socket = `rollgate-resume-${process.pid}`;
    const command = `cd ${quote(ROOT)} && env -u CI -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${[process.execPath, BIN, 'rollout', 'resume', id, '--state', env.stateUrl].map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '120', '-y', '40', command]);
      let screen = '';
      const capture = (): string => (screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-S', '-'], { encoding: 'utf8' }));
      await until(() => capture().includes('What now?'));
      expect(screen).toMatch(new RegExp(`waiting for approval: .* — approve with: rollgate rollout approve ${id}`));
      expect(screen).toContain(`Wait: approve later with \`rollgate rollout approve ${id}\``);
      expect((await runCli(['rollout', 'approve', id, '--state', env.stateUrl])).code).toBe(0);
      await until(() => capture().includes('promoted at 100%'));
      expect(screen).toMatch(/checkout-\S+: promoted at 100%/);
      // The question answered elsewhere is withdrawn: the process ends instead of holding the terminal.
      await until(() => /EXIT=\d+/.test(capture()));
      expect(screen).toContain('EXIT=0');
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 120_000);
});

describe('CI: SIGTERM during rollout run', () => {
  it('rolls back without mentioning Ctrl-C, and the result says exit 130 as the process does', async () => {
    const plan = env.writePlan('sigterm-ci', { steps: [{ weight: 10, bake: '30s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const run = startCli(['rollout', 'run', plan, '--json', '--state', env.stateUrl]);
    await until(() => run.output().stdout.includes('"weight.applied"'));
    run.child.kill('SIGTERM');
    const done = await run.done;
    expect(done.code, done.stderr).toBe(130);
    expect(done.stderr).toMatch(/SIGTERM: rolling back checkout-\S+/);
    expect(done.stderr).not.toContain('Ctrl-C');
    const result = JSON.parse(done.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({ kind: 'result', status: 'rolled_back', exitCode: 130 });
  }, 90_000);
});

describe('status --watch prints only changes', () => {
  it('CI: one line per change, never the same line twice', async () => {
    const plan = env.writePlan('watch-ci-changes', { steps: [{ weight: 10, bake: '4s' }, { weight: 100, bake: '3s' }], analysis: { onInconclusive: 'continue' } });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    await until(() => /checkout-\S+ started/.test(runner.output().stderr), 30_000);
    const watch = await runCli(['rollout', 'status', SERVICE, '--watch', '--state', env.stateUrl]);
    expect((await runner.done).code).toBe(0);
    expect(watch.code, watch.stderr).toBe(0);
    const lines = watch.stderr.trim().split('\n').map((line) => line.replace(/^\S+\s+info\s+/, ''));
    expect(lines.length, watch.stderr).toBeGreaterThan(1);
    for (const [i, line] of lines.entries()) if (i > 0) expect(line, watch.stderr).not.toBe(lines[i - 1]);
  }, 90_000);

  it.skipIf(!hasTmux)('terminal at 80 columns: one block redrawn in place', async () => {
    const plan = env.writePlan('watch-tty-80', { steps: [{ weight: 10, bake: '3s' }, { weight: 50, bake: '2s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    await until(() => /checkout-\S+ started/.test(runner.output().stderr), 30_000);
    const socket = `rollgate-watch80-${process.pid}`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '80', '-y', '40', `cd ${quote(ROOT)} && env -u CI -u NO_COLOR TERM=xterm-256color ${process.execPath} ${BIN} rollout status ${SERVICE} --watch --state ${env.stateUrl}; echo EXIT=$?; sleep 60`]);
      let screen = '';
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 200))) screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p'], { encoding: 'utf8' });
      expect((await runner.done).code).toBe(0);
      expect(screen).toMatch(/EXIT=0/);
      expect(screen.match(/^field\s+value\s*$/gm), screen).toHaveLength(1);
      expect(screen.match(/^rollout\s+checkout-/gm), screen).toHaveLength(1);
      expect(screen).toMatch(/^status\s+promoted\s*$/m);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 90_000);
});

describe.skipIf(!hasTmux)('terminal (tmux): SIGTERM during rollout run', () => {
  it('rolls back and exits 130 without asking for a second Ctrl-C', async () => {
    const plan = env.writePlan('sigterm-tty', { steps: [{ weight: 10, bake: '30s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const socket = `rollgate-sigterm-${process.pid}`;
    const run = [process.execPath, BIN, 'rollout', 'run', plan, '--state', env.stateUrl].map(quote).join(' ');
    const command = `cd ${quote(ROOT)} && env -u CI -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color sh -c ${quote(`${run} & echo PID=$!; wait $!; echo EXIT=$?`)}; sleep 60`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '120', '-y', '40', command]);
      let screen = '';
      const capture = (): string => (screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-S', '-'], { encoding: 'utf8' }));
      await until(() => capture().includes('weight 10% applied'));
      const pid = Number(/PID=(\d+)/.exec(screen)?.[1]);
      expect(pid, screen).toBeGreaterThan(0);
      process.kill(pid, 'SIGTERM');
      await until(() => /EXIT=\d+/.test(capture()));
      expect(screen).toMatch(/EXIT=130/);
      // Terminal mode (symbols, no timestamps), where a Ctrl-C would be told about a second one.
      expect(screen).toMatch(/^✔ weight 10% applied/m);
      expect(screen).toMatch(/SIGTERM: rolling back checkout-\S+/);
      expect(screen).not.toContain('Ctrl-C');
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 90_000);
});

describe('--dry-run never says a weight was applied', () => {
  const dryPlan = (): string => env.writePlan('dry-run-words', { steps: [{ weight: 10, bake: '1s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });

  it('CI', async () => {
    const run = await runCli(['rollout', 'run', dryPlan(), '--dry-run', '--state', env.stateUrl]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('weight 10%: dry run, not applied');
    expect(run.stderr).toContain('weight 100%: dry run, not applied');
    expect(run.stderr).not.toMatch(/weight \d+% applied/);
  }, 60_000);

  it.skipIf(!hasTmux)('terminal (tmux)', async () => {
    const socket = `rollgate-dry-${process.pid}`;
    const command = `cd ${quote(ROOT)} && env -u CI -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${[process.execPath, BIN, 'rollout', 'run', dryPlan(), '--dry-run', '--state', env.stateUrl].map(quote).join(' ')}; echo EXIT=$?; sleep 60`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '120', '-y', '40', command]);
      let screen = '';
      await until(() => /EXIT=\d+/.test((screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-J', '-S', '-'], { encoding: 'utf8' }))));
      expect(screen).toMatch(/EXIT=0/);
      expect(screen).toContain('weight 10%: dry run, not applied');
      expect(screen).not.toMatch(/weight \d+% applied/);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 60_000);
});
