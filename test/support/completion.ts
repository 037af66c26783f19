/**
 * What the shell completion tests share: a temporary directory with `rollgate` on PATH (as
 * `npm link` puts it), real file state stores with rollouts in them, the generated scripts, and
 * the ways to ask a real zsh and a real fish for completions without a person at the keyboard.
 */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import type { RolloutRecord } from '../../src/lib/state/types.js';
import { BIN, runCli } from './cli.js';

export interface CompletionSandbox {
  /** The working directory of the shells: holds ./.rollgate, ./other-state and plan.yaml. */
  dir: string;
  binDir: string;
  /** Generated script per shell, as files. */
  scripts: Record<'bash' | 'zsh' | 'fish', string>;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export function rolloutRecord(rolloutId: string, service: string, updatedAt: string, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return { rolloutId, service, planName: `${service}-canary`, planFile: 'plan.yaml', planSha256: '0'.repeat(64), status: 'promoted', step: 3, weight: 100, createdAt: updatedAt, updatedAt, ...extra };
}

/** The rollouts every completion test expects (newest first), in ./.rollgate of the sandbox. */
export const DEFAULT_STORE_IDS = ['checkout-20261201t120000-bbbbbb', 'payments-20261201t110000-cccccc', 'checkout-20261201t100000-aaaaaa'];
export const OTHER_STORE_IDS = ['search-20261201t090000-dddddd'];

/**
 * Fails (never skips) when a shell is missing: scripts/setup.sh installs zsh and fish, so on CI a
 * missing shell is a broken set-up, not a reason to test less.
 */
const installed = new Set<string>();
export function requireShell(shell: 'bash' | 'zsh' | 'fish'): void {
  if (installed.has(shell)) return;
  const probe = spawnSync(shell, ['--version'], { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) installed.add(shell);
  else throw new Error(`${shell} is not installed (${probe.error?.message ?? `exit ${probe.status}`}): bash scripts/setup.sh installs it (apt-get install ${shell})`);
}

export async function completionSandbox(): Promise<CompletionSandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-completion-'));
  const binDir = path.join(dir, 'bin');
  await mkdir(binDir);
  await writeFile(path.join(binDir, 'rollgate'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(path.join(binDir, 'rollgate'), 0o755);
  await writeFile(path.join(dir, 'plan.yaml'), '# a file for the file arguments\n');

  const scripts = { bash: '', zsh: '', fish: '' };
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const generated = await runCli(['completion', shell]);
    if (generated.code !== 0) throw new Error(`rollgate completion ${shell} exited ${generated.code}: ${generated.stderr}`);
    scripts[shell] = path.join(dir, `rollgate.${shell}`);
    await writeFile(scripts[shell], generated.stdout);
  }

  // A real file store in the default place (./.rollgate) and one named by --state.
  const store = new FileStateStore(path.join(dir, '.rollgate'));
  await store.createRollout(rolloutRecord('checkout-20261201t100000-aaaaaa', 'checkout', '2026-12-01T10:00:00.000Z'));
  await store.createRollout(rolloutRecord('checkout-20261201t120000-bbbbbb', 'checkout', '2026-12-01T12:00:00.000Z', { status: 'rolled_back' }));
  await store.createRollout(rolloutRecord('payments-20261201t110000-cccccc', 'payments', '2026-12-01T11:00:00.000Z'));
  await store.createRollout(rolloutRecord('audit-checkout-sla-1', 'checkout', '2026-12-01T13:00:00.000Z', { kind: 'audit' }));
  await store.close();
  const other = new FileStateStore(path.join(dir, 'other-state'));
  await other.createRollout(rolloutRecord('search-20261201t090000-dddddd', 'search', '2026-12-01T09:00:00.000Z'));
  await other.close();

  // Installed for good, as the docs say: fish's completions directory, a directory on zsh's $fpath.
  await mkdir(path.join(dir, 'config', 'fish', 'completions'), { recursive: true });
  await copyFile(scripts.fish, path.join(dir, 'config', 'fish', 'completions', 'rollgate.fish'));
  await mkdir(path.join(dir, 'zsh-fpath'));
  await copyFile(scripts.zsh, path.join(dir, 'zsh-fpath', '_rollgate'));
  await writeFile(path.join(dir, 'zsh-driver.zsh'), ZSH_DRIVER);
  await writeFile(path.join(dir, 'zsh-setup.zsh'), ZSH_SETUP);

  // HOME and XDG dirs inside the sandbox: no user's rc file or completion takes part.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}:${process.env.PATH}`,
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    ROLLGATE_STATE: '',
  };
  return { dir, binDir, scripts, env, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Completed {
  words: string[];
  /** word → description, where the shell has one. */
  descriptions: Map<string, string>;
}

/**
 * fish: `complete -C LINE` prints what fish would offer at the end of LINE, one `word<TAB>description`
 * a line, after loading the script the way a user does (sourced, or autoloaded from
 * ~/.config/fish/completions when `installed`).
 */
export function fishComplete(box: CompletionSandbox, line: string, options: { env?: NodeJS.ProcessEnv; installed?: boolean } = {}): Completed {
  const program = options.installed ? 'complete -C "$ROLLGATE_LINE"' : 'source "$ROLLGATE_SCRIPT"; complete -C "$ROLLGATE_LINE"';
  const result = spawnSync('fish', [...(options.installed ? [] : ['--no-config']), '-c', program], {
    cwd: box.dir,
    env: { ...box.env, ROLLGATE_SCRIPT: box.scripts.fish, ROLLGATE_LINE: line, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error || result.status !== 0 || result.stderr !== '') throw new Error(`fish: ${result.error?.message ?? `exit ${result.status}`}\n${result.stderr}`);
  const descriptions = new Map<string, string>();
  const words = result.stdout.split('\n').filter(Boolean).map((entry) => {
    const [word = '', description] = entry.split('\t');
    if (description !== undefined) descriptions.set(word, description);
    return word;
  });
  return { words, descriptions };
}

/**
 * zsh through zpty: an interactive `zsh -f` on a pseudo-terminal runs compinit, loads the script
 * (sourced, or from $fpath when `installed`), and gets LINE typed followed by <Tab>; the real
 * completion system then runs `_rollgate`. Every `compadd` (the builtin all of compsys adds
 * matches with) also writes the matches it adds to a file; after the completion the shell exits.
 */
const ZSH_DRIVER = `
zmodload zsh/zpty || exit 3
zpty rg 'zsh -f -i'
zpty -w rg "source \${(q)1}"
local chunk screen
while zpty -r rg chunk; do
  screen+=$chunk
  [[ $screen == *ROLLGATE_READY* ]] && break
done
zpty -w -n rg "$2"$'\\t'
while zpty -r rg chunk; do screen+=$chunk; done
zpty -d rg
print -r -- "$screen"
`;

const ZSH_SETUP = `
PS1= PROMPT= RPS1=
[[ -n $ROLLGATE_FPATH ]] && fpath=($ROLLGATE_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
  # Calls that only collect (-O, -A) or filter (-D) matches add nothing: passed on as they are.
  if (( \${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __rollgate_added
  builtin compadd -O __rollgate_added "$@"
  (( $#__rollgate_added )) && print -rl -- $__rollgate_added >> $ROLLGATE_CAPTURE
  builtin compadd "$@"
}
__rollgate_done() { print -r -- '#done' >> $ROLLGATE_CAPTURE; exit }
comppostfuncs=( __rollgate_done )
[[ -n $ROLLGATE_SCRIPT ]] && source $ROLLGATE_SCRIPT
print ROLLGATE_$'READY'
`;

let zshCalls = 0;

export async function zshComplete(box: CompletionSandbox, line: string, options: { env?: NodeJS.ProcessEnv; installed?: boolean } = {}): Promise<string[]> {
  const capture = path.join(box.dir, `zsh-capture-${++zshCalls}`);
  const result = spawnSync('zsh', ['-f', path.join(box.dir, 'zsh-driver.zsh'), path.join(box.dir, 'zsh-setup.zsh'), line], {
    cwd: box.dir,
    env: {
      ...box.env,
      ROLLGATE_CAPTURE: capture,
      ...(options.installed ? { ROLLGATE_FPATH: path.join(box.dir, 'zsh-fpath'), ROLLGATE_SCRIPT: '' } : { ROLLGATE_SCRIPT: box.scripts.zsh }),
      ...options.env,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const captured = await readFile(capture, 'utf8').catch(() => '');
  const lines = captured.split('\n').filter(Boolean);
  // '#done' is written after every completion that ran: its absence means _rollgate never did.
  if (result.error || result.status !== 0 || lines.at(-1) !== '#done') {
    throw new Error(`zsh completion of ${JSON.stringify(line)} did not finish (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}\n--- terminal ---\n${result.stdout}`);
  }
  return lines.slice(0, -1);
}
