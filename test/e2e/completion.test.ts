/**
 * `rollgate completion bash|zsh|fish`: the script is sourced in a real bash, the completion
 * function is called as bash calls it on <Tab> (COMP_WORDS/COMP_CWORD), and COMPREPLY is checked.
 * Rollout IDs and services come from a real file state store, through `rollgate __complete`
 * found on PATH as a user's shell would find it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import { runCli } from '../support/cli.js';
import { completionSandbox, requireShell, rolloutRecord, type CompletionSandbox } from '../support/completion.js';

let box: CompletionSandbox;

/** Runs the completion function in a real bash for the words typed so far; returns COMPREPLY. */
function complete(words: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string[] {
  const program = [
    'source "$1"; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}',
    '_rollgate',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', box.scripts.bash, ...words], {
    cwd: options.cwd ?? box.dir,
    env: { ...box.env, ...options.env },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  requireShell('bash');
  box = await completionSandbox();
});

afterAll(async () => {
  await box?.cleanup();
});

describe('rollgate completion bash, in a real bash', () => {
  it('completes commands and nested verbs from the commander tree', () => {
    const top = complete(['rollgate', '']);
    for (const name of ['plan', 'gate', 'rollout', 'rollback', 'evidence', 'init', 'completion', 'demo', 'schema', 'help']) expect(top).toContain(name);
    expect(top).not.toContain('__complete');
    expect(complete(['rollgate', 'ro'])).toEqual(['rollout', 'rollback']);
    expect(complete(['rollgate', 'rollout', ''])).toEqual(expect.arrayContaining(['run', 'status', 'approve', 'resume']));
    expect(complete(['rollgate', 'plan', 'v'])).toEqual(['validate']);
    // Global flags before the command do not hide it.
    expect(complete(['rollgate', '--state', 'file:x', 'evidence', ''])).toEqual(expect.arrayContaining(['report', 'verify']));
  });

  it("completes a command's flags with the inherited global flags, and flag values with their choices", () => {
    const flags = complete(['rollgate', 'rollout', 'run', '--']);
    expect(flags).toEqual(expect.arrayContaining(['--set', '--on-approval', '--approval-timeout', '--dry-run', '--json', '--state', '--prometheus', '--help']));
    expect(complete(['rollgate', 'rollout', 'run', '--on-approval', ''])).toEqual(['wait', 'exit']);
    expect(complete(['rollgate', 'evidence', 'report', 'x', '--format', ''])).toEqual(['md', 'html', 'json', 'junit']);
    expect(complete(['rollgate', 'init', '--steps', 'b'])).toEqual(['blue-green']);
    expect(complete(['rollgate', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(complete(['rollgate', 'help', ''])).toContain('exit-codes');
    expect(complete(['rollgate', 'help', 'sla', ''])).toEqual(['audit', 'rules']);
  });

  it('completes rollout IDs (newest first) and services from the state store, audits left out', () => {
    const started = Date.now();
    const words = complete(['rollgate', 'rollout', 'status', '']);
    const ms = Date.now() - started;
    expect(words).toEqual(['checkout-20261201t120000-bbbbbb', 'payments-20261201t110000-cccccc', 'checkout-20261201t100000-aaaaaa', 'checkout', 'payments']);
    expect(complete(['rollgate', 'rollout', 'approve', 'pay'])).toEqual(['payments-20261201t110000-cccccc', 'payments']);
    expect(complete(['rollgate', 'rollback', 'checkout-2026120'])).toEqual(['checkout-20261201t120000-bbbbbb', 'checkout-20261201t100000-aaaaaa']);
    expect(complete(['rollgate', 'evidence', 'verify', 'pay'])).toContain('payments');
    // Under another name (an alias, a function), the rollgate on PATH is asked, not that name.
    expect(complete(['rg', 'rollout', 'status', 'pay'])).toEqual(['payments-20261201t110000-cccccc', 'payments']);
    // Only the first argument is a rollout.
    expect(complete(['rollgate', 'rollout', 'resume', 'checkout', ''])).toEqual([]);
    console.log(`completion of rollout IDs (bash + node + __complete): ${ms} ms`);
  });

  it('uses --state from the command line, then ROLLGATE_STATE', () => {
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'file:./other-state', ''])).toEqual(['search-20261201t090000-dddddd', 'search']);
    expect(complete(['rollgate', 'rollout', 'status', ''], { env: { ROLLGATE_STATE: `file:${path.join(box.dir, 'other-state')}` } })).toEqual(['search-20261201t090000-dddddd', 'search']);
    // A store that does not exist (or a Redis URL) offers nothing and prints no error.
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'file:./nowhere', ''])).toEqual([]);
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'redis://127.0.0.1:1/0', ''])).toEqual([]);
  });

  it('refuses a shell it has no script for', async () => {
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
  });
});

/**
 * In an interactive bash on a terminal (tmux), as a person types: readline itself splits the line
 * (at `:` and `=` too, COMP_WORDBREAKS), which calling the function with chosen COMP_WORDS does not.
 */
describe('rollgate completion bash, typed in an interactive bash (tmux)', () => {
  const socket = `rollgate-completion-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'bash', '-S', '-100');
  async function until(what: (text: string) => boolean, label: string): Promise<string> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const text = screen();
      if (what(text)) return text;
      if (Date.now() > deadline) throw new Error(`${label}: not on the screen after 30 s:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(() => {
    // tmux is installed by scripts/setup.sh: missing, this fails rather than skips.
    const env = Object.entries({ ...box.env, PS1: '$ ' }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'bash', '-x', '160', '-y', '40', '-c', box.dir, 'env', '-i', ...env, 'bash', '--norc', '--noprofile']);
    tmux('send-keys', '-t', 'bash', `source ${box.scripts.bash}; echo sourced-ok`, 'Enter');
  });
  afterAll(() => {
    // kill-server leaves the socket file behind: removed too.
    const socketPath = spawnSync('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).stdout.trim();
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    if (socketPath.includes(socket)) rmSync(socketPath, { force: true });
  });

  it('completes a rollout from the store named by --state file:..., and --flag=value, as typed', async () => {
    await until((t) => t.includes('\nsourced-ok'), 'source');
    // Typed up to where the two candidates part: the first Tab inserts nothing, the second lists.
    tmux('send-keys', '-t', 'bash', 'rollgate rollout status --state file:./other-state search', 'Tab', 'Tab');
    // bash lists them sorted: the service, then its rollout.
    await until((t) => /^search +search-20261201t090000-dddddd *$/m.test(t), 'rollouts of ./other-state');
    tmux('send-keys', '-t', 'bash', 'C-u');
    tmux('send-keys', '-t', 'bash', 'clear', 'Enter');
    await until((t) => !t.includes('search-2026'), 'clear');
    tmux('send-keys', '-t', 'bash', 'rollgate evidence report x --format=j', 'Tab', 'Tab');
    const formats = await until((t) => /json\s+junit/.test(t), 'json and junit after --format=j');
    expect(formats).not.toContain('plan.yaml');
    // After the one rollout argument nothing fits: nothing is listed (no file names either).
    tmux('send-keys', '-t', 'bash', 'C-u');
    tmux('send-keys', '-t', 'bash', 'clear', 'Enter');
    await until((t) => !t.includes('junit'), 'clear');
    tmux('send-keys', '-t', 'bash', 'rollgate rollout resume search ', 'Tab', 'Tab');
    tmux('send-keys', '-t', 'bash', 'C-u');
    tmux('send-keys', '-t', 'bash', 'echo after-tabs', 'Enter');
    const after = await until((t) => t.includes('\nafter-tabs'), 'the line typed after the tabs');
    expect(after).not.toContain('plan.yaml');
    // Files where a file is expected.
    tmux('send-keys', '-t', 'bash', 'rollgate plan validate pl', 'Tab');
    await until((t) => t.includes('rollgate plan validate plan.yaml'), 'plan.yaml completed');
  }, 90_000);
});

/**
 * Completion runs `rollgate __complete rollouts` on every <Tab>: measured over a store of 200
 * rollouts (20 services), as a shell calls it. Reported, not asserted against a tight limit (two
 * shared cores); the budget it is compared with is a person's perception of a Tab, ~100-150 ms.
 */
describe('rollgate __complete rollouts over 200 rollouts', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-completion-200-'));
    const store = new FileStateStore(path.join(dir, '.rollgate'));
    for (let i = 0; i < 200; i++) {
      const at = new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString();
      await store.createRollout(rolloutRecord(`svc${i % 20}-${at.replace(/[-:.]/g, '').toLowerCase()}-${String(i).padStart(6, '0')}`, `svc${i % 20}`, at));
    }
    await store.close();
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists 200 IDs newest first and 20 services; time per call reported', () => {
    const times: Record<string, number[]> = { plain: [], describe: [], node: [] };
    let lines: string[] = [];
    for (let round = 0; round < 9; round++) {
      for (const [kind, args] of [['plain', [box.binDir + '/rollgate', '__complete', 'rollouts']], ['describe', [box.binDir + '/rollgate', '__complete', 'rollouts', '--describe']], ['node', [process.execPath, '-e', '0']]] as const) {
        const started = process.hrtime.bigint();
        const result = spawnSync(args[0], args.slice(1), { cwd: dir, env: { ...box.env, ROLLGATE_STATE: '' }, encoding: 'utf8' });
        times[kind]!.push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(result.status, result.stderr).toBe(0);
        if (kind === 'plain') lines = result.stdout.split('\n').filter(Boolean);
        if (kind === 'describe') expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(220);
      }
    }
    expect(lines).toHaveLength(220);
    expect(lines[0]).toBe('svc19-20261109t070000000z-000199');
    expect(lines.slice(200)).toEqual(expect.arrayContaining(['svc0', 'svc19']));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`__complete rollouts, 200 rollouts, median of 9: ${median(times.plain!).toFixed(0)} ms (--describe ${median(times.describe!).toFixed(0)} ms; node -e 0: ${median(times.node!).toFixed(0)} ms)`);
  }, 120_000);
});
