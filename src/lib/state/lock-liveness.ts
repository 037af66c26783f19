/**
 * Is the runner holding a lock gone? Only a dead holder's lock may be taken over; a live one is
 * never stolen, however old it looks.
 */
import os from 'node:os';
import type { LockOwner } from './types.js';

/** true when a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function pidExists(pid: number): boolean {
  // pid 0 or negative would signal a whole process group: never a valid lock holder.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Same host: dead at once when its pid no longer exists. A lock read with its server-side TTL
 * (Redis): alive while the key has not expired on the server — no two hosts' clocks are compared.
 * Otherwise (file store): dead when the heartbeat is older than ttlMs — on this host that covers a
 * pid reused by an unrelated process after a reboot.
 */
export function isLockDead(owner: LockOwner, now: Date, host: string = os.hostname()): boolean {
  if (owner.host === host && !pidExists(owner.pid)) return true;
  if (owner.expiresInMs !== undefined) return owner.expiresInMs <= 0;
  const heartbeat = Date.parse(owner.heartbeatAt);
  // An unreadable heartbeat proves nothing either way; treat as alive rather than steal.
  if (Number.isNaN(heartbeat)) return false;
  return now.getTime() - heartbeat > owner.ttlMs;
}
