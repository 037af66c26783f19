/**
 * The same rollout through a real pseudo terminal (util-linux `script`): colour, the live view,
 * and the approval prompt answered with a key press. And the dry run and `status --watch`.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ANSI, BIN, ROOT, runCli, startCli } from '../../support/cli.js';
import { eventTypes, resultLine, SERVICE, type LiveEnv } from '../../support/rollout-fixture.js';
import { useLiveEnv } from '../../support/use-live-env.js';

let env: LiveEnv;
useLiveEnv((live) => (env = live));

function quote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Runs the binary on a pseudo terminal; `answer` is typed once `when` appears on the screen. */
function onTerminal(args: string[], answer: { when: string; keys: string }): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve) => {
    // A pty from `script` has no size until told; real terminals always have one.
    const command = `stty cols 120 rows 40; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
    const envVars = { ...process.env, TERM: 'xterm-256color', FORCE_COLOR: undefined, NO_COLOR: undefined, CI: undefined };
    for (const key of Object.keys(envVars)) if (envVars[key as keyof typeof envVars] === undefined) delete envVars[key as keyof typeof envVars];
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: envVars, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      if (!answered && screen.includes(answer.when)) {
        answered = true;
        setTimeout(() => child.stdin.write(answer.keys), 300);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('on a terminal', () => {
  it('shows colour and the live view, and the approval prompt promotes on Enter', async () => {
    const plan = env.writePlan('tty-approval', { steps: [{ weight: 10, bake: '5s', approval: true }, { weight: 100, bake: '2s' }] });
    const { code, screen } = await onTerminal(['rollout', 'run', plan, '--state', env.stateUrl], { when: 'What now?', keys: '\r' });
    expect(code, screen.slice(-2_000)).toBe(0);
    expect(screen).toMatch(ANSI);
    expect(screen).toContain('Promote: go on to the next step');
    expect(screen).toMatch(/step 1\/2 · canary 10%/); // the live status line
    expect(screen).toContain('promoted at 100%');
    const id = /(checkout-\d{8}t\d{6}-[0-9a-f]{6})/.exec(screen)?.[1];
    const events = await env.events(id!);
    expect(events.find((e) => e.type === 'approval.decided')?.data).toMatchObject({ decision: 'approve', comment: 'answered at the terminal prompt' });
  }, 90_000);
});

describe('Ctrl-C on a terminal', () => {
  it('records the rollback reason "SIGINT received" (the spinner turns Ctrl-C into a signal without a name)', async () => {
    const plan = env.writePlan('tty-ctrl-c', { steps: [{ weight: 10, bake: '2s' }, { weight: 25, bake: '30s' }, { weight: 100, bake: '2s' }], rollback: { verify: undefined } });
    const { code, screen } = await onTerminal(['rollout', 'run', plan, '--state', env.stateUrl], { when: 'canary 25%', keys: '\u0003' });
    expect(code, screen.slice(-2_000)).toBe(130);
    const id = /(checkout-\d{8}t\d{6}-[0-9a-f]{6})/.exec(screen)?.[1];
    const events = await env.events(id!);
    expect(events.find((e) => e.type === 'rollback.started')?.data).toMatchObject({ trigger: 'signal', reason: 'SIGINT received' });
    expect(JSON.stringify(events)).not.toContain('undefined received');
    expect(env.service.state().weights[SERVICE]).toBe(0);
  }, 90_000);
});

describe('dry run and watch', () => {
  it('--dry-run evaluates the gates but changes no traffic', async () => {
    const before = env.service.state().weightHistory.length;
    const plan = env.writePlan('dry-run', { steps: [{ weight: 10, bake: '2s' }, { weight: 100, bake: '1s' }], analysis: { onInconclusive: 'continue' } });
    const result = await runCli(['rollout', 'run', plan, '--dry-run', '--json', '--state', env.stateUrl]);
    expect(result.code, result.stderr).toBe(0);
    expect(env.service.state().weightHistory.length).toBe(before);
    const events = await env.events(resultLine(result.stdout).rolloutId as string);
    expect(events[0]!.data.dryRun).toBe(true);
    expect(eventTypes(events)).toContain('measurement');
    expect(events.filter((e) => e.type === 'weight.applied').every((e) => (e.data.action as { command: string[] }).command[0] === '(dry run: not executed)')).toBe(true);
  }, 60_000);

  it('status --watch follows a rollout until it ends, one plain line per change', async () => {
    const plan = env.writePlan('watched', { steps: [{ weight: 10, bake: '5s' }, { weight: 100, bake: '2s' }] });
    const runner = startCli(['rollout', 'run', plan, '--state', env.stateUrl]);
    await new Promise((r) => setTimeout(r, 1_500));
    const watch = await runCli(['rollout', 'status', SERVICE, '--watch', '--state', env.stateUrl]);
    expect((await runner.done).code).toBe(0);
    expect(watch.code, watch.stderr).toBe(0);
    const lines = watch.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(/promoted step 2\/2 weight 100%/);
    expect(watch.stderr).not.toMatch(ANSI);
  }, 60_000);
});
