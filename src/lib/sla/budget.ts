/**
 * Error-budget and burn-rate arithmetic (SRE workbook, ch. 5 "Alerting on SLOs"). Pure functions
 * over numbers; the audit feeds them what Prometheus computed.
 */

export interface ErrorBudget {
  /** Share of events (or time) allowed to be bad: 1 - objective. */
  total: number;
  /** Share of the budget spent: error ratio / total. Above 1 when overspent. */
  consumed: number;
  /** 1 - consumed; negative when overspent. */
  remaining: number;
  /** The budget as time: total × audited time (exclusions removed). 99.9% over 30d → 2592 s = 43.2 min. */
  totalSeconds: number;
  remainingSeconds: number;
}

/** Budget of an SLO with `objectivePercent` whose achieved error ratio over `includedSeconds` was `errorRatio`. */
export function errorBudget(objectivePercent: number, errorRatio: number, includedSeconds: number): ErrorBudget {
  const total = budgetRatio(objectivePercent);
  const consumed = errorRatio / total;
  const remaining = 1 - consumed;
  const totalSeconds = total * includedSeconds;
  return { total, consumed, remaining, totalSeconds, remainingSeconds: remaining * totalSeconds };
}

/** 1 - objective, computed from the percent so that 99.9 gives 0.001 without float noise beyond 1e-15. */
export function budgetRatio(objectivePercent: number): number {
  return Number(((100 - objectivePercent) / 100).toPrecision(12));
}

/** How fast the budget burns: 1 means exactly the whole budget over the whole period. */
export function burnRate(errorRatio: number, objectivePercent: number): number {
  return errorRatio / budgetRatio(objectivePercent);
}
