/**
 * The multi-window multi-burn-rate alert table of the SRE workbook (chapter 5, "Alerting on
 * SLOs", table 5-8), in one place for the rules generator and the audit.
 *
 * The workbook states each alert as a share of the error budget consumed within a long window:
 * page at 2% in 1h and 5% in 6h, ticket at 10% in 1d and 10% in 3d. Over a 30-day SLO period that
 * is a burn rate of 14.4, 6, 3 and 1; for another period the same shares give
 * factor = consumed × period / longWindow (a 28-day period pages at 13.44×). Each long window is
 * paired with a short window of 1/12 its length, which must burn as fast, so an alert stops
 * soon after the burn stops.
 */
import type { SloWindow } from './model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type BurnSeverity = 'page' | 'ticket';

/** One row of the workbook's table, before scaling to an SLO period. */
export interface BurnWindowPair {
  severity: BurnSeverity;
  longWindowMs: number;
  shortWindowMs: number;
  /** Share of the period's error budget consumed within the long window when the alert fires (0.02 = 2%). */
  budgetConsumed: number;
}

/** A row scaled to an SLO period: fire when both windows burn faster than `factor`. */
export interface BurnAlertWindow extends BurnWindowPair {
  /** Burn rate threshold: the error ratio must exceed factor × (1 - objective) over both windows. */
  factor: number;
}

/** SRE workbook table 5-8 (page: 2% in 1h, 5% in 6h; ticket: 10% in 1d, 10% in 3d). */
export const MWMB_TABLE: readonly BurnWindowPair[] = [
  { severity: 'page', longWindowMs: HOUR, shortWindowMs: 5 * MINUTE, budgetConsumed: 0.02 },
  { severity: 'page', longWindowMs: 6 * HOUR, shortWindowMs: 30 * MINUTE, budgetConsumed: 0.05 },
  { severity: 'ticket', longWindowMs: DAY, shortWindowMs: 2 * HOUR, budgetConsumed: 0.1 },
  { severity: 'ticket', longWindowMs: 3 * DAY, shortWindowMs: 6 * HOUR, budgetConsumed: 0.1 },
];

/** Every window a burn rate is computed over, shortest first: 5m, 30m, 1h, 2h, 6h, 1d, 3d. */
export const BURN_RATE_WINDOWS_MS: readonly number[] = [...new Set(MWMB_TABLE.flatMap((row) => [row.shortWindowMs, row.longWindowMs]))].sort((a, b) => a - b);

/** The period the workbook's factors are stated for. */
export const REFERENCE_PERIOD_MS = 30 * DAY;

/** Rounds away binary floating-point noise (0.02 × 720 = 14.400000000000002). */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/** factor = budget consumed × period / long window. */
export function burnFactor(budgetConsumed: number, periodMs: number, longWindowMs: number): number {
  return tidy((budgetConsumed * periodMs) / longWindowMs);
}

/** The workbook's table scaled to an SLO period (30 days gives 14.4, 6, 3, 1). */
export function burnAlertWindows(periodMs: number): BurnAlertWindow[] {
  return MWMB_TABLE.map((row) => ({ ...row, factor: burnFactor(row.budgetConsumed, periodMs, row.longWindowMs) }));
}

/**
 * The length alerting assumes for an SLO window. Rolling windows are exact; calendar periods use
 * their nominal length (week 7d, month 30d, quarter 90d), as Prometheus rules cannot follow
 * calendar boundaries. The audit measures exact calendar periods itself.
 */
export function nominalPeriodMs(window: SloWindow): number {
  if (window.kind === 'rolling') return window.durationMs;
  return { week: 7 * DAY, month: 30 * DAY, quarter: 90 * DAY }[window.unit];
}

/** Milliseconds as a compact Prometheus duration for names and ranges: `5m`, `1h`, `3d`, `90s`, `1h30m`. */
export function promWindow(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * Time a burn at `errorRatio` takes to fire an alert row: budget × longWindow × factor / errorRatio
 * (workbook: 100% errors at 99.9% page after 0.001 × 1h × 14.4 = 52s). Infinity when it never fires.
 */
export function detectionTimeMs(row: BurnAlertWindow, objectivePercent: number, errorRatio: number): number {
  const budget = (100 - objectivePercent) / 100;
  const threshold = row.factor * budget;
  if (errorRatio <= threshold) return Infinity;
  return (threshold / errorRatio) * row.longWindowMs;
}
