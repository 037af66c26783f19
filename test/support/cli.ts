/** Runs the built binary as a user would, with stdout, stderr and exit code kept apart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/rollgate', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  nodeArgs?: string[];
  timeoutMs?: number;
}

/** Plain, non-interactive surroundings: what CI gives a step. */
export const CI_ENV: NodeJS.ProcessEnv = { CI: '1', NO_COLOR: '1' };

export interface RunningCli {
  child: ChildProcess;
  /** Date.now() when it was spawned. */
  startedAt: number;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<CliResult>;
}

/** Starts the binary and returns at once: for tests that signal it or act beside it. */
export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const env = { ...process.env, ...CI_ENV, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  if (!options.env?.FORCE_COLOR) delete env.FORCE_COLOR;
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.stdin!.end(options.input ?? '');
  return { child, startedAt, output: () => ({ stdout, stderr }), done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[/;

/**
 * The messages of one level from plain stderr: timestamped lines (`<ISO time> <level> <message>`)
 * and errors at a position, which stay first on their line (`file:line:col: message`).
 */
export function stderrMessages(stderr: string, level = 'error'): string[] {
  return stderr.split('\n').flatMap((line) => {
    const logged = /^\d{4}-\d\d-\d\dT[\d:.]+Z (\w+)\s+(.*)$/.exec(line);
    if (logged) return logged[1] === level ? [logged[2]!] : [];
    // Diagnostics are first on their line, unstamped: `plan.yaml:3:5: ...`, `plan.yaml:3:5: warning: ...`,
    // and for a file as a whole (it cannot be read) `nope.yaml: no such file`.
    if (/^\S+?(:\d+:\d+)?: warning: /.test(line)) return level === 'warn' ? [line] : [];
    return level === 'error' && /^\S+?(:\d+:\d+)?: /.test(line) && !/^(error|hint|warning): /.test(line) ? [line] : [];
  });
}
