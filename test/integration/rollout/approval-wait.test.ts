/**
 * Waiting for an approval is never silent in CI: the rollout says what it waits for, since when and
 * how to approve, and repeats it periodically (ROLLGATE_APPROVAL_REMINDER) until someone approves
 * from another process. Also under -q: it is a warning.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, startCli } from '../../support/cli.js';
import { SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

describe('waiting for an approval in CI', () => {
  it('says what, since when and how to approve, reminds every interval, and goes on once approved', async () => {
    const plan = env.writePlan('approval-wait', { steps: [{ weight: 10, bake: '1s', approval: true }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const runner = startCli(['rollout', 'run', plan, '-q', '--state', env.stateUrl], { env: { ROLLGATE_APPROVAL_REMINDER: '1s' } });
    // Wait for two reminders before approving.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (runner.output().stderr.match(/still waiting for approval/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 200));
    const { stderr } = runner.output();
    const id = /rollgate rollout approve (checkout-\S+)/.exec(stderr)?.[1];
    expect(id, stderr).toBeDefined();
    expect(stderr).toMatch(new RegExp(`warn\\s+waiting for approval of step 1/2 since \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+(ms|s)\\) — approve with: rollgate rollout approve ${id}`));
    expect(stderr).toMatch(new RegExp(`warn\\s+still waiting for approval of step 1/2 since \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+s\\) — approve with: rollgate rollout approve ${id}`));
    const approve = await runCli(['rollout', 'approve', SERVICE, '--state', env.stateUrl]);
    expect(approve.code, approve.stderr).toBe(0);
    const done = await runner.done;
    expect(done.code, done.stderr).toBe(0);
    // No reminder after the approval was recorded.
    const after = done.stderr.slice(done.stderr.lastIndexOf('still waiting'));
    expect(after.split('\n').slice(1).join('\n')).not.toContain('waiting for approval');
  }, 90_000);

  it('status --watch ends with the outcome as its exit code: paused for approval 5, rolled back 1', async () => {
    const paused = env.writePlan('watch-paused', { steps: [{ weight: 10, bake: '1s', approval: true }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const run = await runCli(['rollout', 'run', paused, '--on-approval', 'exit', '--state', env.stateUrl]);
    expect(run.code, run.stderr).toBe(5);
    const watchPaused = await runCli(['rollout', 'status', SERVICE, '--watch', '--state', env.stateUrl]);
    expect(watchPaused.code, watchPaused.stderr).toBe(5);
    const rollback = await runCli(['rollback', SERVICE, '--reason', 'test', '--yes', '--state', env.stateUrl]);
    expect(rollback.code, rollback.stderr).toBe(0);
    const watchRolledBack = await runCli(['rollout', 'status', SERVICE, '--watch', '--state', env.stateUrl]);
    expect(watchRolledBack.code, watchRolledBack.stderr).toBe(1);
    // Without --watch the status itself is the answer: exit 0.
    expect((await runCli(['rollout', 'status', SERVICE, '--state', env.stateUrl])).code).toBe(0);
  }, 90_000);

  it.skipIf(spawnSync('tmux', ['-V']).status !== 0)('status --watch on a terminal redraws one block in place, then exits with the outcome', async () => {
    const plan = env.writePlan('watch-tty', { steps: [{ weight: 10, bake: '3s' }, { weight: 50, bake: '2s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    await new Promise((r) => setTimeout(r, 1_500));
    const socket = `rollgate-watch-${process.pid}`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '120', '-y', '40', `cd ${ROOT} && env -u CI -u NO_COLOR TERM=xterm-256color ${process.execPath} ${BIN} rollout status ${SERVICE} --watch --state ${env.stateUrl}; echo EXIT=$?; sleep 60`]);
      let screen = '';
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 200))) screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p'], { encoding: 'utf8' });
      expect((await runner.done).code).toBe(0);
      // (The visible screen only: tmux keeps what a full clear erased in its scrollback.)
      expect(screen).toMatch(/EXIT=0/);
      // Several states were shown, but only the last block is left on the screen: redrawn, not appended.
      expect(screen.match(/^field\s+value$/gm), screen).toHaveLength(1);
      expect(screen).toMatch(/^status\s+promoted$/m);
      expect(screen).toMatch(/^weight\s+100%$/m);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  }, 90_000);
});
