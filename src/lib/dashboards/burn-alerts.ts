/**
 * The burn-rate alerts a dashboard draws for an SLO: the SRE workbook's multi-window
 * multi-burn-rate table (src/lib/sla/burn-windows.ts, shared with `sla rules` and `sla audit`)
 * scaled to the SLO's period, without the severities the SLO's alerting disables.
 */
import { burnAlertWindows, nominalPeriodMs } from '../sla/burn-windows.js';
import type { Slo } from '../sla/model.js';
import type { BurnAlertWindow } from './sla-dashboard.js';

export function sloAlertWindows(slo: Slo): BurnAlertWindow[] {
  return burnAlertWindows(nominalPeriodMs(slo.window))
    .filter((w) => !slo.alerting[w.severity].disable)
    .map((w) => ({ severity: w.severity, longWindowMs: w.longWindowMs, shortWindowMs: w.shortWindowMs, factor: w.factor }));
}
