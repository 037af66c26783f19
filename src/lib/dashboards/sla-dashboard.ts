/**
 * An SLA policy's dashboard (any format, through the one SLO model): per SLO the SLI against the
 * objective, the error budget remaining over the SLO window, the burn rate of each multi-window
 * multi-burn-rate alert (long and short window) against its page/ticket factor, and the policy's
 * sustained-breach rules against their thresholds.
 *
 * By default every panel queries the raw series the policy names, so the dashboard works the moment
 * it is imported. With recorded series (`sla rules` output loaded into Prometheus) the error ratios
 * come from those instead.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { formatDuration, toPromDuration } from '../duration.js';
import { errorRatioQuery } from '../sla/audit-queries.js';
import { budgetRatio } from '../sla/budget.js';
import { BURN_RATE_WINDOWS_MS, nominalPeriodMs } from '../sla/burn-windows.js';
import type { SlaPolicyModel, SlaRule, Slo } from '../sla/model.js';
import { SERIES } from '../sla/rules.js';
import { dashboardBuilder, seriesPanel, statPanel, target, type ThresholdLine } from './panels.js';
import { toGrafana } from './query-vars.js';

/** One multi-window multi-burn-rate alert: fires when both windows burn faster than the factor. */
export interface BurnAlertWindow {
  severity: 'page' | 'ticket';
  longWindowMs: number;
  shortWindowMs: number;
  /** Burn-rate factor for this SLO's period (14.4 for 1h over 30 days, ...). */
  factor: number;
}

/** Where the error ratio of an SLO over a window comes from. */
export interface ErrorRatioSource {
  /** PromQL for the error ratio (0..1) of `slo` over `windowMs`. */
  errorRatio(slo: Slo, windowMs: number): string;
  /** Said in panel descriptions. */
  describe: string;
}

export interface SlaDashboardOptions {
  datasourceUid?: string;
  runbooks?: Array<{ title: string; url: string }>;
  /** The burn-rate alerts of an SLO (the MWMB table scaled to its period). */
  alertWindows: (slo: Slo) => BurnAlertWindow[];
  /** Default: the raw series (rawErrorRatio). */
  source?: ErrorRatioSource;
}

const DAY = 86_400_000;

/** The error ratio straight from the series the policy names: the audit's own queries (one place for them). */
export const rawErrorRatio: ErrorRatioSource = {
  describe: 'computed from the raw series the policy names',
  errorRatio: (slo, windowMs) => errorRatioQuery(slo.sli, windowMs),
};

/**
 * The error ratio from the series `rollgate sla rules` records (rules.ts SERIES): one per burn-rate
 * window and one over the SLO period, each labelled with the service and the SLO.
 */
export const recordedErrorRatio = (service: string): ErrorRatioSource => ({
  describe: 'read from the series `rollgate sla rules` records',
  errorRatio(slo, windowMs) {
    const ids = `{service=${JSON.stringify(service)}, slo=${JSON.stringify(slo.name)}}`;
    if (BURN_RATE_WINDOWS_MS.includes(windowMs)) return `${SERIES.errorRatio(windowMs)}${ids}`;
    if (windowMs === nominalPeriodMs(slo.window)) return `${SERIES.periodErrorRatio}${ids}`;
    // A window the rules do not record: computed from the raw series.
    return errorRatioQuery(slo.sli, windowMs);
  },
});

function ruleThresholds(rule: SlaRule): ThresholdLine[] {
  const lines: ThresholdLine[] = [];
  if (rule.max !== undefined) lines.push({ value: rule.max, bad: 'above' });
  if (rule.min !== undefined) lines.push({ value: rule.min, bad: 'below' });
  return lines;
}

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const times = (n: number): string => `${Number(n.toPrecision(6))}×`;

export function buildSlaDashboard(policy: SlaPolicyModel, options: SlaDashboardOptions): dashboard.Dashboard {
  const source = options.source ?? rawErrorRatio;
  const runbooks = [...(options.runbooks ?? [])];
  for (const slo of policy.slos) {
    const url = slo.alerting.runbookUrl ?? slo.alerting.annotations.runbook_url ?? slo.alerting.annotations.runbook;
    if (url && !runbooks.some((r) => r.url === url)) runbooks.push({ title: `Runbook: ${slo.name}`, url });
  }
  const builder = dashboardBuilder({
    title: `rollgate SLOs: ${policy.name}`,
    uid: `rollgate-sla-${slug(policy.name)}`.slice(0, 40),
    tags: ['rollgate', 'slo', policy.source],
    ...(options.datasourceUid ? { datasourceUid: options.datasourceUid } : {}),
    service: policy.service,
    serviceValues: { kind: 'fixed' },
    runbooks,
    time: { from: 'now-7d', to: 'now' },
  });
  const q = (expr: string): string => toGrafana(expr, policy.service);

  for (const slo of policy.slos) {
    const periodMs = nominalPeriodMs(slo.window);
    const period = formatDuration(periodMs);
    const budget = budgetRatio(slo.objective);
    const objective = slo.objective / 100;
    const windowRatio = q(source.errorRatio(slo, periodMs));
    const links = (() => {
      const url = slo.alerting.runbookUrl ?? slo.alerting.annotations.runbook_url ?? slo.alerting.annotations.runbook;
      return url ? [{ title: 'Runbook', url }] : [];
    })();
    builder.withRow(new dashboard.RowBuilder(`SLO ${slo.name}: ${slo.objective}% over ${slo.window.kind === 'rolling' ? period : `the calendar ${slo.window.unit} (${period} shown)`}`));
    builder.withPanel(
      seriesPanel({
        title: `${slo.name}: SLI vs objective`,
        description: `${slo.description ? `${slo.description} ` : ''}SLI = 1 - error ratio, ${source.describe}; over the SLO window (${period}) and over the last hour. Objective ${slo.objective}%.`,
        targets: [target(`1 - ${windowRatio}`, `SLI (${period})`, 'A'), target(`1 - ${q(source.errorRatio(slo, 3_600_000))}`, 'SLI (1h)', 'B')],
        thresholds: [{ value: objective, bad: 'below' }],
        unit: 'percentunit',
        width: 12,
        links,
      }),
    );
    builder.withPanel(
      statPanel({
        title: `${slo.name}: error budget remaining`,
        description: `Share of the error budget (${Number((budget * 100).toPrecision(6))}% of events over ${period}) not yet spent; below 0 the SLO is violated.`,
        targets: [target(`1 - (${windowRatio}) / ${budget}`, 'budget remaining', 'A')],
        thresholds: [
          { value: 0, bad: 'below' },
          { value: 0.25, bad: 'below', color: 'green' },
        ],
        unit: 'percentunit',
        width: 12,
      }),
    );
    for (const alert of options.alertWindows(slo)) {
      const long = formatDuration(alert.longWindowMs);
      const short = formatDuration(alert.shortWindowMs);
      builder.withPanel(
        seriesPanel({
          title: `${slo.name}: ${alert.severity} burn rate ${long}/${short} (${times(alert.factor)})`,
          description: `Burn rate = error ratio / error budget (${budget}). The ${alert.severity} alert fires while both the ${long} and the ${short} burn rates are above ${times(alert.factor)}.`,
          targets: [target(`${q(source.errorRatio(slo, alert.longWindowMs))} / ${budget}`, `burn ${long}`, 'A'), target(`${q(source.errorRatio(slo, alert.shortWindowMs))} / ${budget}`, `burn ${short}`, 'B')],
          thresholds: [{ value: alert.factor, bad: 'above', color: alert.severity === 'page' ? 'red' : 'orange' }],
          width: 12,
          links,
        }),
      );
    }
  }

  if (policy.rules.length > 0) builder.withRow(new dashboard.RowBuilder('Rules (sustained breaches)'));
  for (const rule of policy.rules) {
    const query = q(rule.query);
    const forText = `for ${formatDuration(rule.forMs)}`;
    if (rule.maxIncrease !== undefined || rule.maxDecrease !== undefined) {
      const offsetMs = rule.offsetMs ?? DAY;
      const offset = formatDuration(offsetMs);
      const lines: ThresholdLine[] = [];
      if (rule.maxIncrease !== undefined) lines.push({ value: rule.maxIncrease, bad: 'above' });
      if (rule.maxDecrease !== undefined) lines.push({ value: -rule.maxDecrease, bad: 'below' });
      builder.withPanel(
        seriesPanel({
          title: `Rule ${rule.name}: change vs ${offset} ago`,
          description: `Relative change of the rule's query against the same query offset ${offset}; breached ${forText} (severity ${rule.severity}).`,
          targets: [target(`(${query}) / (${offsetQuery(rule.query, toPromDuration(offsetMs), policy.service)}) - 1`, 'change', 'A')],
          thresholds: lines,
          unit: 'percentunit',
          width: 12,
        }),
      );
      continue;
    }
    builder.withPanel(
      seriesPanel({
        title: `Rule ${rule.name}`,
        description: `Breached when ${rule.max !== undefined ? `above ${rule.max}` : `below ${rule.min}`} ${forText} (severity ${rule.severity}).`,
        targets: [target(query, rule.name, 'A')],
        thresholds: ruleThresholds(rule),
        width: 12,
      }),
    );
  }
  return builder.build();
}

/**
 * `query offset 24h` for a whole expression: the last value of a subquery shifted by the offset
 * (Prometheus has no offset on arbitrary expressions, but has one on subqueries).
 */
function offsetQuery(query: string, offset: string, service: string): string {
  return toGrafana(`last_over_time((${query})[5m:1m] offset ${offset})`, service);
}
