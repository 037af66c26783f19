/**
 * The SRE workbook's multi-window multi-burn-rate table (ch. 5, "Alerting on SLOs", table 5-8):
 * share of the budget spent within the long window that warrants the alert. The factors (14.4, 6,
 * 3, 1 for 30 days) follow from share × period / long window, so they scale with the period.
 *
 * TODO(sla-rules): this copy goes as soon as src/lib/sla/burn-windows.ts lands on main.
 */
export interface BurnAlertWindow {
  severity: 'page' | 'ticket';
  longWindowMs: number;
  shortWindowMs: number;
  budgetShare: number;
}

const m = 60_000;
const h = 60 * m;
export const BURN_ALERT_WINDOWS: readonly BurnAlertWindow[] = [
  { severity: 'page', longWindowMs: h, shortWindowMs: 5 * m, budgetShare: 0.02 },
  { severity: 'page', longWindowMs: 6 * h, shortWindowMs: 30 * m, budgetShare: 0.05 },
  { severity: 'ticket', longWindowMs: 24 * h, shortWindowMs: 2 * h, budgetShare: 0.1 },
  { severity: 'ticket', longWindowMs: 72 * h, shortWindowMs: 6 * h, budgetShare: 0.1 },
];

/** Burn rates reported at the end of the period. */
export const BURN_RATE_WINDOWS_MS: readonly number[] = [5 * m, 30 * m, h, 2 * h, 6 * h, 24 * h, 72 * h];
