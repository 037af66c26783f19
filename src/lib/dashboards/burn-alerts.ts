/**
 * The burn-rate alerts a dashboard draws for an SLO: the SRE workbook's multi-window
 * multi-burn-rate table (the one copy, src/lib/sla/burn-windows.ts), with each factor scaled to
 * the SLO's period, and the severities the SLO's alerting disables left out.
 */
import { burnAlertWindows } from '../sla/burn-windows.js';
import type { Slo } from '../sla/model.js';
import { sloPeriodMs, type BurnAlertWindow } from './sla-dashboard.js';

export function sloAlertWindows(slo: Slo): BurnAlertWindow[] {
  return burnAlertWindows(sloPeriodMs(slo))
    .filter((w) => !slo.alerting[w.severity].disable)
    .map((w) => ({ severity: w.severity, longWindowMs: w.longWindowMs, shortWindowMs: w.shortWindowMs, factor: w.factor }));
}
