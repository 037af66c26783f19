import { StateError } from '../errors.js';

/**
 * A stored event log that cannot be read back as events: a line that is not JSON, a torn last line
 * (partial write), an entry that is not canonical. `evidence verify` reports it as a broken chain
 * at `position` (exit 1) rather than as an unreachable store (exit 3).
 */
export class CorruptEventLogError extends StateError {
  constructor(
    readonly rolloutId: string,
    /** 1-based position of the first unreadable entry. */
    readonly position: number,
    readonly reason: string,
    hint?: string,
  ) {
    super(`event log of rollout ${rolloutId} is corrupt at entry #${position}: ${reason}`, hint);
  }
}
