/**
 * Runs one action of a plan (traffic, a hook or its undo) and returns what happened as an
 * ActionResult for the evidence log. An action failing — bad exit code, timeout, HTTP 500, an
 * unknown placeholder, a missing secret — is a result with `ok: false`, never an exception:
 * the rollout engine decides what a failure means. Only programming errors throw.
 */
import type { ActionSpec } from '../plan/types.js';
import { MissingVarError, renderTemplate } from '../template.js';
import { redactText, redactUrl } from '../redact.js';
import type { ActionResult } from './types.js';
import type { ActionRunOptions } from './retry.js';

export interface RunActionOptions {
  /** Aborting kills the running attempt (exec: the whole process group) and skips retries. */
  signal?: AbortSignal;
  /** Working directory of exec actions, and base of relative headersFromFile paths. */
  cwd?: string;
  /** Merged over process.env for exec children and headersFromEnv lookups. */
  env?: NodeJS.ProcessEnv;
  /** Secret values (tokens read elsewhere) to mask in the result. */
  secrets?: string[];
  /** First retry backoff in ms (default 250, doubling up to 2 s). */
  retryDelayMs?: number;
  /** exec: grace between SIGTERM and SIGKILL on timeout or abort (default 2 s). */
  killGraceMs?: number;
}

/**
 * Substitutes `{{vars}}` (per argument for exec) and runs the action with its timeout and retries.
 * Never throws for a failure of the action; throws only when the spec has neither or both of
 * `exec` and `http`, which plan validation rules out.
 */
export async function runAction(spec: ActionSpec, vars: Record<string, string>, options: RunActionOptions = {}): Promise<ActionResult> {
  if ((spec.exec === undefined) === (spec.http === undefined)) {
    throw new Error('an action needs exactly one of exec or http (the plan validator should have refused this one)');
  }
  const runOptions: ActionRunOptions = {
    timeoutMs: spec.timeoutMs,
    retries: spec.retries,
    signal: options.signal,
    cwd: options.cwd,
    env: options.env,
    secrets: options.secrets ?? [],
    retryDelayMs: options.retryDelayMs,
    killGraceMs: options.killGraceMs,
  };
  const secrets = runOptions.secrets ?? [];

  if (spec.exec !== undefined) {
    let argv: string[];
    try {
      argv = spec.exec.map((arg, index) => {
        try {
          return renderTemplate(arg, vars);
        } catch (error) {
          if (error instanceof MissingVarError) error.message = `exec argument ${index}: ${error.message}`;
          throw error;
        }
      });
    } catch (error) {
      return notStarted('exec', spec.exec, error, secrets);
    }
    const { runExec } = await import('./exec-action.js');
    return runExec(argv, runOptions);
  }

  const http = spec.http!;
  const { prepareRequest, runHttp, HttpActionInputError } = await import('./http-action.js');
  let request;
  try {
    request = await prepareRequest(http, vars, runOptions);
  } catch (error) {
    if (error instanceof MissingVarError || error instanceof HttpActionInputError) {
      return notStarted('http', [http.method ?? 'POST', redactUrl(http.url)], error, secrets);
    }
    throw error;
  }
  return runHttp(request, runOptions);
}

/** The result of an action that failed before anything ran (templating or input error). */
function notStarted(kind: 'exec' | 'http', command: string[], error: unknown, secrets: readonly string[]): ActionResult {
  if (!(error instanceof Error)) throw error;
  if (kind === 'exec' && !(error instanceof MissingVarError)) throw error;
  return {
    ok: false,
    kind,
    // The template as written: it shows where the placeholder is and holds no substituted value.
    command: command.map((part) => redactText(part, secrets)),
    stdout: '',
    stderr: '',
    durationMs: 0,
    attempts: 0,
    timedOut: false,
    error: redactText(`${error.message}; nothing was run`, secrets),
  };
}
