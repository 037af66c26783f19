/**
 * `rollgate completion zsh|fish` in a real zsh and a real fish: the generated script is loaded as
 * a user loads it (sourced, or installed in zsh's $fpath / fish's completions directory), the
 * shell is asked what <Tab> offers after a command line, and the answer is checked. zsh runs its
 * whole completion system on a pseudo-terminal (zpty), fish answers `complete -C`. Rollout IDs and
 * services come from real file state stores through `rollgate __complete`, found on PATH.
 * A missing shell fails these tests: scripts/setup.sh installs both.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionSandbox, DEFAULT_STORE_IDS, fishComplete, OTHER_STORE_IDS, requireShell, zshComplete, type CompletionSandbox } from '../support/completion.js';

let box: CompletionSandbox;

beforeAll(async () => {
  box = await completionSandbox();
});

afterAll(async () => {
  await box?.cleanup();
});

const sorted = (words: string[]): string[] => [...words].sort();

describe.each(['zsh', 'fish'] as const)('rollgate completion %s, in a real shell', (shell) => {
  // Checked in every test (not in a beforeAll, whose failure would count the tests as skipped).
  const ask = async (line: string, options: { env?: NodeJS.ProcessEnv; installed?: boolean } = {}): Promise<string[]> => {
    requireShell(shell);
    return shell === 'zsh' ? zshComplete(box, line, options) : fishComplete(box, line, options).words;
  };

  it('completes the top-level commands, hidden ones left out', async () => {
    const top = await ask('rollgate ');
    for (const name of ['plan', 'gate', 'rollout', 'rollback', 'evidence', 'sla', 'init', 'completion', 'demo', 'schema', 'serve', 'dashboard', 'help']) expect(top).toContain(name);
    expect(top).not.toContain('__complete');
    expect(sorted(await ask('rollgate ro'))).toEqual(['rollback', 'rollout']);
  });

  it('completes nested verbs, also after global flags with values', async () => {
    expect(sorted(await ask('rollgate rollout '))).toEqual(['approve', 'resume', 'run', 'status']);
    expect(await ask('rollgate rollout st')).toEqual(['status']);
    expect(sorted(await ask('rollgate evidence '))).toEqual(['report', 'verify']);
    expect(sorted(await ask('rollgate sla '))).toEqual(['audit', 'rules']);
    expect(await ask('rollgate plan v')).toEqual(['validate']);
    // `file:x` is --state's value, not an unknown command: the path is still found.
    expect(sorted(await ask('rollgate --state file:x -q evidence '))).toEqual(['report', 'verify']);
  });

  it("completes a verb's flags with the inherited global ones, and flag values per verb", async () => {
    const flags = await ask('rollgate rollout run --');
    expect(flags).toEqual(expect.arrayContaining(['--set', '--on-approval', '--approval-timeout', '--dry-run', '--override-freeze', '--json', '--state', '--prometheus', '--help']));
    expect(flags).not.toContain('--version');
    expect(flags).not.toContain('--watch');
    expect(await ask('rollgate rollout status --w')).toEqual(['--watch']);
    expect(await ask('rollgate --v')).toEqual(expect.arrayContaining(['--version', '--verbose']));
    expect(sorted(await ask('rollgate rollout run plan.yaml --on-approval '))).toEqual(['exit', 'wait']);
    // One flag name, two verbs, two sets of values.
    expect(sorted(await ask('rollgate evidence report x --format '))).toEqual(['html', 'json', 'junit', 'md']);
    expect(sorted(await ask('rollgate sla rules p.yaml --format '))).toEqual(['prometheus', 'prometheus-operator']);
    // --flag=value in one word: zsh completes the value after the `=`, fish the whole word.
    expect(sorted(await ask('rollgate evidence report x --format=j'))).toEqual(shell === 'zsh' ? ['json', 'junit'] : ['--format=json', '--format=junit']);
    expect(await ask('rollgate init --steps b')).toEqual(['blue-green']);
    expect(sorted(await ask('rollgate completion '))).toEqual(['bash', 'fish', 'zsh']);
    expect(await ask('rollgate help ')).toEqual(expect.arrayContaining(['exit-codes', 'rollout', 'plan']));
    expect(sorted(await ask('rollgate help rollout '))).toEqual(['approve', 'resume', 'run', 'status']);
    expect(await ask('rollgate help rollout run ')).toEqual([]);
  });

  it('completes file arguments and file-valued flags with files', async () => {
    expect(await ask('rollgate plan validate pl')).toContain('plan.yaml');
    expect(await ask('rollgate plan validate plan.yaml pl')).toContain('plan.yaml');
    expect(await ask('rollgate evidence report x --out pl')).toContain('plan.yaml');
  });

  it('completes rollout IDs and services from the state store for status, approve, resume, rollback and evidence', async () => {
    const all = [...DEFAULT_STORE_IDS, 'checkout', 'payments'];
    // Newest first, then the services: the order __complete gives, kept by both shells.
    expect(await ask('rollgate rollout status ')).toEqual(all);
    expect(sorted(await ask('rollgate rollout approve pay'))).toEqual(['payments', 'payments-20261201t110000-cccccc']);
    expect(sorted(await ask('rollgate rollout resume checkout-'))).toEqual(['checkout-20261201t100000-aaaaaa', 'checkout-20261201t120000-bbbbbb']);
    expect(sorted(await ask('rollgate rollback checkout-2026120'))).toEqual(['checkout-20261201t100000-aaaaaa', 'checkout-20261201t120000-bbbbbb']);
    expect(sorted(await ask('rollgate rollback --reason "5xx spike" pay'))).toEqual(['payments', 'payments-20261201t110000-cccccc']);
    // evidence takes a rollout or an exported log file.
    expect(sorted(await ask('rollgate evidence verify pay'))).toEqual(['payments', 'payments-20261201t110000-cccccc']);
    expect(await ask('rollgate evidence report ')).toEqual(expect.arrayContaining([...all, 'plan.yaml']));
    // The audit record is not a rollout; only the first argument is one.
    expect(await ask('rollgate rollout status audit-')).toEqual([]);
    expect(await ask('rollgate rollout resume checkout ')).toEqual([]);
  });

  it('reads the store named by --state on the line, then ROLLGATE_STATE; a missing or Redis store offers nothing', async () => {
    const other = sorted([...OTHER_STORE_IDS, 'search']);
    expect(sorted(await ask('rollgate rollout status --state file:./other-state '))).toEqual(other);
    expect(sorted(await ask('rollgate --state=file:./other-state rollback '))).toEqual(other);
    expect(sorted(await ask('rollgate rollout status ', { env: { ROLLGATE_STATE: `file:${path.join(box.dir, 'other-state')}` } }))).toEqual(other);
    expect(await ask('rollgate rollout status --state file:./nowhere ')).toEqual([]);
    expect(await ask('rollgate rollout status --state redis://127.0.0.1:1/0 ')).toEqual([]);
  });

  it('works installed for good, as the docs say, from the first <Tab>', async () => {
    // zsh: `_rollgate` in a directory on $fpath, autoloaded by compinit; fish: ~/.config/fish/completions.
    expect(await ask('rollgate rollout st', { installed: true })).toEqual(['status']);
    expect(sorted(await ask('rollgate rollout approve pay', { installed: true }))).toEqual(['payments', 'payments-20261201t110000-cccccc']);
  });
});

describe('fish shows what each candidate is', () => {
  it('rollouts newest first with service, status and time; services with their count; commands and flags with a summary', () => {
    requireShell('fish');
    const rollouts = fishComplete(box, 'rollgate rollout status ');
    expect(rollouts.words).toEqual([...DEFAULT_STORE_IDS, 'checkout', 'payments']);
    expect(rollouts.descriptions.get('checkout-20261201t120000-bbbbbb')).toBe('checkout, rolled back, 2026-12-01 12:00 UTC');
    expect(rollouts.descriptions.get('checkout')).toBe('service, 2 rollouts');
    expect(fishComplete(box, 'rollgate rollout ').descriptions.get('approve')).toBe('approve a rollout paused at an approval step');
    expect(fishComplete(box, 'rollgate --st').descriptions.get('--state')).toBe('state store: file:./.rollgate');
    // rollgate gone from PATH (the script kept after an uninstall): no rollouts, and no fish error
    // at every Tab (fishComplete fails on any stderr).
    const withoutRollgate = (process.env.PATH ?? '').split(':').filter((dir) => dir && !existsSync(path.join(dir, 'rollgate'))).join(':');
    expect(fishComplete(box, 'rollgate rollout status ', { env: { PATH: withoutRollgate } }).words).toEqual([]);
    // A flag's values stand alone (not each with the flag's description).
    const formats = fishComplete(box, 'rollgate evidence report x --format ');
    expect(formats.words.sort()).toEqual(['html', 'json', 'junit', 'md']);
    expect([...formats.descriptions.values()].filter(Boolean)).toEqual([]);
  });
});
