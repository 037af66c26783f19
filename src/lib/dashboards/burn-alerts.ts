/**
 * The burn-rate alerts a dashboard draws for an SLO: the SRE workbook's multi-window
 * multi-burn-rate table (the one copy the SLA code keeps), with each factor scaled to the SLO's
 * period, and the severities the SLO's alerting disables left out.
 */
import { BURN_ALERT_WINDOWS } from '../sla/audit-alert-table.js';
import { scaledFactor } from '../sla/budget.js';
import type { Slo } from '../sla/model.js';
import { sloPeriodMs, type BurnAlertWindow } from './sla-dashboard.js';

export function sloAlertWindows(slo: Slo): BurnAlertWindow[] {
  const periodMs = sloPeriodMs(slo);
  return BURN_ALERT_WINDOWS.filter((w) => !slo.alerting[w.severity].disable).map((w) => ({
    severity: w.severity,
    longWindowMs: w.longWindowMs,
    shortWindowMs: w.shortWindowMs,
    factor: scaledFactor(w.budgetShare, periodMs, w.longWindowMs),
  }));
}
