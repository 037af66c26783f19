/** Options and retry pacing shared by the exec and http actions. */

import { sleep } from '../sleep.js';
export interface ActionRunOptions {
  /** Bound on each attempt, not on the whole action: `(retries + 1) × timeoutMs` plus backoff at most. */
  timeoutMs: number;
  /** Extra attempts after the first. */
  retries: number;
  /** Aborting kills the running attempt and skips the remaining ones. */
  signal?: AbortSignal | undefined;
  cwd?: string | undefined;
  /** Added to the environment of rollgate for the child (exec) and to look up headersFromEnv (http). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Values masked in everything the result carries. */
  secrets?: readonly string[] | undefined;
  /** First backoff; doubles per attempt up to RETRY_DELAY_MAX_MS. Tests shorten it. */
  retryDelayMs?: number | undefined;
  /** exec: time between SIGTERM and SIGKILL. */
  killGraceMs?: number | undefined;
}

export const RETRY_DELAY_MS = 250;
export const RETRY_DELAY_MAX_MS = 2_000;

/** Backoff before attempt `attempt + 1`: 250 ms, 500 ms, 1 s, 2 s, 2 s... */
export function retryDelayMs(attempt: number, base: number = RETRY_DELAY_MS): number {
  return Math.min(base * 2 ** (attempt - 1), Math.max(base, RETRY_DELAY_MAX_MS));
}

/** Waits `ms`; resolves false at once when the signal aborts (the caller then stops retrying). */
export async function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  await sleep(ms, signal);
  return !signal?.aborted;
}

/** The abort reason as one line: an Error's message, a string as is. */
export function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason.name === 'AbortError' ? 'the operation was cancelled' : reason.message;
  if (typeof reason === 'string' && reason !== '') return reason;
  return 'the operation was cancelled';
}
