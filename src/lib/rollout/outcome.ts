import type { RolloutStatus } from '../state/types.js';

/** How a runner's work ended, and the documented exit code for it. */
export interface RolloutOutcome {
  status: RolloutStatus;
  step: number;
  weight: number;
  reason?: string;
  /** 0 promoted, 1 rolled back, 3 no verdict, 4 rollback failed/incomplete, 5 paused, 130 interrupted. */
  exitCode: number;
}
