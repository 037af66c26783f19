/**
 * Fault injection for the crash tests: `ROLLGATE_CRASH_AT=<point>:<which>` SIGKILLs this process
 * at that point of an append, so a test can stop a runner at every event boundary.
 *   line:<seq>            the log line of event #seq is durable, the record (chain head) not yet (file store)
 *   event:<seq>           event #seq and its head are durable, nothing after it has happened
 *   event:<type>[:<verdict>]  the same, at the first event of that type (and data.verdict)
 * Unset (always, outside tests) it costs one lookup per append.
 */
import type { RolloutEvent } from '../state/types.js';

export type CrashPointName = 'line' | 'event';

export function crashPoint(point: CrashPointName, event: RolloutEvent): void {
  const at = process.env.ROLLGATE_CRASH_AT;
  if (at === undefined || !at.startsWith(`${point}:`)) return;
  const [which, verdict] = at.slice(point.length + 1).split(':');
  const hit = which === String(event.seq) || (which === event.type && (verdict === undefined || event.data.verdict === verdict));
  if (hit) process.kill(process.pid, 'SIGKILL');
}
