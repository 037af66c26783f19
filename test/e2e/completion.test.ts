/**
 * `rollgate completion bash|zsh|fish`: the script is sourced in a real bash, the completion
 * function is called as bash calls it on <Tab> (COMP_WORDS/COMP_CWORD), and COMPREPLY is checked.
 * Rollout IDs and services come from a real file state store, through `rollgate __complete`
 * found on PATH as a user's shell would find it.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import type { RolloutRecord } from '../../src/lib/state/types.js';
import { BIN, runCli } from '../support/cli.js';

let tmp = '';
let binDir = '';
let script = '';

function record(rolloutId: string, service: string, updatedAt: string, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return { rolloutId, service, planName: `${service}-canary`, planFile: 'plan.yaml', planSha256: '0'.repeat(64), status: 'promoted', step: 3, weight: 100, createdAt: updatedAt, updatedAt, ...extra };
}

/** Runs the completion function in a real bash for the words typed so far; returns COMPREPLY. */
function complete(words: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string[] {
  const program = [
    'source "$1"; shift',
    'COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}',
    '_rollgate',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', script, ...words], {
    cwd: options.cwd ?? tmp,
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, ROLLGATE_STATE: '', ...options.env },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-completion-'));
  binDir = path.join(tmp, 'bin');
  await mkdir(binDir);
  // `rollgate` on PATH, as `npm link` or a global install puts it.
  await writeFile(path.join(binDir, 'rollgate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(path.join(binDir, 'rollgate'), 0o755);
  const generated = await runCli(['completion', 'bash']);
  expect(generated.code, generated.stderr).toBe(0);
  script = path.join(tmp, 'rollgate.bash');
  await writeFile(script, generated.stdout);

  // A real file store in the default place (./.rollgate) and one named by --state.
  const store = new FileStateStore(path.join(tmp, '.rollgate'));
  await store.createRollout(record('checkout-20261201t100000-aaaaaa', 'checkout', '2026-12-01T10:00:00.000Z'));
  await store.createRollout(record('checkout-20261201t120000-bbbbbb', 'checkout', '2026-12-01T12:00:00.000Z'));
  await store.createRollout(record('payments-20261201t110000-cccccc', 'payments', '2026-12-01T11:00:00.000Z'));
  await store.createRollout(record('audit-checkout-sla-1', 'checkout', '2026-12-01T13:00:00.000Z', { kind: 'audit' }));
  await store.close();
  const other = new FileStateStore(path.join(tmp, 'other-state'));
  await other.createRollout(record('search-20261201t090000-dddddd', 'search', '2026-12-01T09:00:00.000Z'));
  await other.close();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
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
  });

  it('completes rollout IDs (newest first) and services from the state store, audits left out', () => {
    const started = Date.now();
    const words = complete(['rollgate', 'rollout', 'status', '']);
    const ms = Date.now() - started;
    expect(words).toEqual(['checkout-20261201t120000-bbbbbb', 'payments-20261201t110000-cccccc', 'checkout-20261201t100000-aaaaaa', 'checkout', 'payments']);
    expect(complete(['rollgate', 'rollout', 'approve', 'pay'])).toEqual(['payments-20261201t110000-cccccc', 'payments']);
    expect(complete(['rollgate', 'rollback', 'checkout-2026120'])).toEqual(['checkout-20261201t120000-bbbbbb', 'checkout-20261201t100000-aaaaaa']);
    expect(complete(['rollgate', 'evidence', 'verify', 'pay'])).toContain('payments');
    // Only the first argument is a rollout.
    expect(complete(['rollgate', 'rollout', 'resume', 'checkout', ''])).toEqual([]);
    console.log(`completion of rollout IDs (bash + node + __complete): ${ms} ms`);
  });

  it('uses --state from the command line, then ROLLGATE_STATE', () => {
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'file:./other-state', ''])).toEqual(['search-20261201t090000-dddddd', 'search']);
    expect(complete(['rollgate', 'rollout', 'status', ''], { env: { ROLLGATE_STATE: `file:${path.join(tmp, 'other-state')}` } })).toEqual(['search-20261201t090000-dddddd', 'search']);
    // A store that does not exist (or a Redis URL) offers nothing and prints no error.
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'file:./nowhere', ''])).toEqual([]);
    expect(complete(['rollgate', 'rollout', 'status', '--state', 'redis://127.0.0.1:1/0', ''])).toEqual([]);
  });

  it('zsh and fish scripts are generated from the same tree', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef rollgate/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain("'rollout:status') path='rollout status'");
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain("complete -c rollgate -n '__rollgate_at '\\''rollout'\\''' -a 'status'");
    expect(fish.stdout).toContain("-l on-approval -x -a 'wait exit'");
    expect(fish.stdout).toContain('(rollgate __complete rollouts 2>/dev/null)');
    const bad = await runCli(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
  });
});
