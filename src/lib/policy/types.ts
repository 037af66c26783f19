/** The resolved RolloutPolicy: percentages as numbers, durations in ms, windows typed by shape. */

export interface PolicyRules {
  requiredGates?: string[];
  minBakeMs?: number;
  maxFirstWeight?: number;
  maxStepIncrease?: number;
  approvalAbove?: number;
  requireAutoRollback?: boolean;
  allowedTrafficHosts?: string[];
}

interface WindowBase {
  name: string;
  reason?: string;
  /** Index in `freezeWindows`, to point at it in messages. */
  index: number;
}

/** A one-off window [from, to). */
export interface FixedFreezeWindow extends WindowBase {
  kind: 'fixed';
  from: Date;
  to: Date;
}

/** A recurring window: starts at every cron occurrence in `timezone`, lasts `duration`. */
export interface CronFreezeWindow extends WindowBase {
  kind: 'cron';
  cron: string;
  /** As written (`48h`, `2d`): days and weeks are calendar days in the time zone. */
  duration: string;
  timezone: string;
}

export type FreezeWindow = FixedFreezeWindow | CronFreezeWindow;

export interface ResolvedPolicy {
  name: string;
  /** Path as given by the user. */
  file: string;
  /** sha256 (hex) of the file's bytes, recorded in the evidence of every rollout it governed. */
  sha256: string;
  rules: PolicyRules;
  freezeWindows: FreezeWindow[];
}
