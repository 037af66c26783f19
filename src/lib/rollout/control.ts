/**
 * Control flow inside the engine. These never leave src/lib/rollout: the engine turns them into a
 * recorded outcome (see outcome.ts), which the command maps to an exit code.
 */
import type { RollbackTrigger } from './events.js';

/** The forward path cannot go on: roll back. */
export class RollbackRequired extends Error {
  constructor(
    readonly trigger: RollbackTrigger,
    readonly reason: string,
    readonly by?: string,
    readonly severity?: string,
  ) {
    super(reason);
  }
}

/** Stop here and leave the rollout paused (approval exit, approval timeout). */
export class PauseRequired extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** No verdict could be reached within the plan's limits (errorTimeout while holding). */
export class NoVerdict extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
