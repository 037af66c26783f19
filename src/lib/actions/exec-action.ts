/**
 * The `exec` action: an argv run without a shell. Each argument is rendered on its own, so a
 * `{{var}}` holding quotes, `$(...)`, `;`, backticks or newlines stays one argument, verbatim.
 *
 * The child runs in its own process group: a timeout or an abort kills the whole group (a shell
 * script's `sleep` or `curl` children too), and a Ctrl-C in the terminal reaches rollgate only, so
 * a rollback's traffic action is not killed by the very signal that triggered the rollback.
 */
import type { ActionResult } from './types.js';
import { OutputCapture, boundedText } from './output.js';
import { abortReason, retryDelayMs, sleepUnlessAborted, type ActionRunOptions } from './retry.js';
import { redactText } from '../redact.js';

/** After SIGTERM, how long a command may clean up before SIGKILL. */
export const KILL_GRACE_MS = 2_000;

/** Spawn failures that another attempt cannot fix. */
const PERMANENT_SPAWN_ERRORS = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR', 'ENOEXEC', 'E2BIG', 'EPERM']);

const isPosix = process.platform !== 'win32';

/** Process groups still running, killed if rollgate exits while they run (detached children outlive us). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const group of liveGroups) killGroup(group, 'SIGKILL');
    });
  }
  liveGroups.add(pid);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(isPosix ? -pid : pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

interface AttemptOutcome {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the command could not be started at all. */
  spawnError?: { code?: string; message: string };
}

/**
 * Runs an already-rendered argv with timeout, abort and retries.
 * `argv[0]` is the program; relative paths resolve against `options.cwd`.
 */
export async function runExec(argv: readonly string[], options: ActionRunOptions): Promise<ActionResult> {
  const secrets = options.secrets ?? [];
  const command = argv.map((arg) => redactText(arg, secrets));
  const started = Date.now();
  const [file, ...args] = argv;
  if (file === undefined || file === '') throw new Error('exec action with an empty argv (the plan validator should have refused it)');

  let attempts = 0;
  let last: AttemptOutcome | undefined;
  for (;;) {
    if (options.signal?.aborted) break;
    attempts += 1;
    last = await runAttempt(file, args, options, secrets);
    const succeeded = !last.spawnError && !last.timedOut && !last.aborted && last.exitCode === 0;
    if (succeeded) break;
    const permanent = last.aborted || (last.spawnError?.code !== undefined && PERMANENT_SPAWN_ERRORS.has(last.spawnError.code));
    if (permanent || attempts > options.retries) break;
    if (!(await sleepUnlessAborted(retryDelayMs(attempts, options.retryDelayMs), options.signal))) break;
  }

  const result: ActionResult = {
    ok: false,
    kind: 'exec',
    command,
    stdout: last?.stdout ?? '',
    stderr: last?.stderr ?? '',
    durationMs: Date.now() - started,
    attempts,
    timedOut: last?.timedOut ?? false,
  };
  if (last?.exitCode !== undefined) result.exitCode = last.exitCode;
  if (last?.signal !== undefined) result.signal = last.signal;
  const error = describeFailure(last, options, attempts);
  if (error === undefined) result.ok = true;
  else result.error = redactText(error, secrets);
  return result;
}

function describeFailure(last: AttemptOutcome | undefined, options: ActionRunOptions, attempts: number): string | undefined {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (last === undefined || last.aborted || (options.signal?.aborted && last.exitCode !== 0)) {
    return `aborted: ${abortReason(options.signal)}`;
  }
  if (last.spawnError) return `could not start the command: ${last.spawnError.message}`;
  if (last.timedOut) return `timed out after ${options.timeoutMs} ms${tries}; the command and its children were killed`;
  if (last.signal) return `killed by ${last.signal}${tries}`;
  if (last.exitCode !== 0) {
    const hint = firstLine(last.stderr) ?? firstLine(last.stdout);
    return `exited with code ${last.exitCode}${tries}${hint ? `: ${hint}` : ''}`;
  }
  return undefined;
}

function firstLine(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return line === undefined ? undefined : line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

async function runAttempt(file: string, args: string[], options: ActionRunOptions, secrets: readonly string[]): Promise<AttemptOutcome> {
  // Loaded here, not at the top: `rollgate --help` must not pay for execa.
  const { execa } = await import('execa');
  const stdout = new OutputCapture();
  const stderr = new OutputCapture();
  let timedOut = false;
  let aborted = false;

  const subprocess = execa(file, args, {
    shell: false,
    // A command must never wait for input that nobody will type (CI, cron).
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: isPosix,
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    windowsHide: true,
  });
  const pid = subprocess.pid;
  if (pid !== undefined) trackGroup(pid);
  subprocess.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

  let forceKill: NodeJS.Timeout | undefined;
  const stop = () => {
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    forceKill ??= setTimeout(() => killGroup(pid, 'SIGKILL'), options.killGraceMs ?? KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  try {
    const outcome = await subprocess;
    const result: AttemptOutcome = {
      stdout: stdout.text(secrets),
      stderr: stderr.text(secrets),
      timedOut,
      aborted,
    };
    if (outcome.exitCode !== undefined) result.exitCode = outcome.exitCode;
    if (outcome.signal !== undefined) result.signal = outcome.signal;
    if (outcome.exitCode === undefined && outcome.signal === undefined && !timedOut && !aborted) {
      result.spawnError = { message: boundedText(outcome.shortMessage ?? outcome.message ?? 'the command could not be started', secrets, 1024) };
      if (outcome.code !== undefined) result.spawnError.code = outcome.code;
    }
    return result;
  } finally {
    clearTimeout(timer);
    if (forceKill) clearTimeout(forceKill);
    options.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) {
      // The leader is gone; a background child it left may still hold the group. Not ours to keep.
      if (timedOut || aborted) killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
  }
}
