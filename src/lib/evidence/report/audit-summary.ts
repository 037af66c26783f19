/**
 * The audit report's one shape, read from an audit's event log alone (src/lib/sla/audit-evidence.ts
 * writes it): every format (md, html, json, junit) and `sla audit --json` render from this.
 */
import type { AuditVerdict, RuleResult, SloResult } from '../../sla/audit-types.js';
import type { RolloutEvent } from '../../state/types.js';
import type { ChainResult } from './summary.js';

export interface AuditReport {
  auditId: string;
  policy: { name: string; service: string; source: string; file: string; sha256: string };
  prometheusUrl: string | null;
  stateStore: string | null;
  operator: string | null;
  toolVersion: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** `no_answer`: Prometheus did not answer; `unfinished`: the log stops before a verdict. */
  verdict: AuditVerdict | 'no_answer' | 'unfinished';
  reason: string | null;
  from: string | null;
  to: string | null;
  queryCount: number | null;
  slos: SloResult[];
  rules: RuleResult[];
  chain: ChainResult;
}

/** True when the log is an audit's (its first event is `audit.started`). */
export function isAuditLog(events: readonly RolloutEvent[]): boolean {
  return events[0]?.type === 'audit.started';
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function summarizeAudit(events: readonly RolloutEvent[], chain: ChainResult): AuditReport {
  const started = events[0]?.data ?? {};
  const policy = (started.policy ?? {}) as Partial<AuditReport['policy']>;
  const report: AuditReport = {
    auditId: events[0]?.rolloutId ?? 'unknown',
    policy: { name: policy.name ?? '', service: policy.service ?? '', source: policy.source ?? '', file: policy.file ?? '', sha256: policy.sha256 ?? '' },
    prometheusUrl: str(started.prometheusUrl),
    stateStore: str(started.stateStore),
    operator: str(started.operator),
    toolVersion: str(started.toolVersion),
    startedAt: events[0]?.at ?? null,
    finishedAt: null,
    verdict: 'unfinished',
    reason: null,
    from: null,
    to: null,
    queryCount: null,
    slos: [],
    rules: [],
    chain,
  };
  for (const event of events.slice(1)) {
    if (event.type === 'audit.slo') report.slos.push(event.data.slo as SloResult);
    else if (event.type === 'audit.rule') report.rules.push(event.data.rule as RuleResult);
    else if (event.type === 'audit.finished') {
      report.verdict = event.data.verdict as AuditVerdict;
      report.from = str(event.data.from);
      report.to = str(event.data.to);
      report.queryCount = typeof event.data.queryCount === 'number' ? event.data.queryCount : null;
      report.finishedAt = event.at;
    } else if (event.type === 'audit.failed') {
      report.verdict = 'no_answer';
      report.reason = str(event.data.reason);
      report.finishedAt = event.at;
    }
  }
  return report;
}

/** The `sla audit --json` document (product.md's shape, plus status, reasons and counts). */
export function auditJson(report: AuditReport, evidence: Record<string, unknown>): Record<string, unknown> {
  return {
    schemaVersion: 1,
    auditId: report.auditId,
    verdict: report.verdict,
    ...(report.reason ? { reason: report.reason } : {}),
    from: report.from,
    to: report.to,
    policy: report.policy,
    evidence,
    slos: report.slos.map((s) => ({
      name: s.name,
      objective: s.objective,
      from: s.from,
      to: s.to,
      period: s.period,
      sli: s.sli,
      compliant: s.compliant,
      status: s.status,
      reasons: s.reasons,
      lowTraffic: s.lowTraffic,
      excluded: s.excluded,
      counts: s.counts,
      errorBudget: s.errorBudget,
      burnRates: s.burnRates,
      alerts: s.alerts.map((a) => ({ severity: a.severity, longWindow: a.longWindow, shortWindow: a.shortWindow, factor: a.factor, threshold: a.threshold, firing: a.firing, intervals: a.intervals })),
    })),
    rules: report.rules.map((r) => ({ name: r.name, severity: r.severity, condition: r.condition, for: r.for, violated: r.violated, insufficient: r.insufficient, reasons: r.reasons, violations: r.violations })),
  };
}

/** SLI as a percent for people: 99.9652%. */
export function percent(ratio: number | null, digits = 4): string {
  return ratio === null ? 'no data' : `${Number((ratio * 100).toFixed(digits))}%`;
}

/** 43.2 min, 2.5 h, 3.1 d — budget time for people (negative when overspent). */
export function budgetTime(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number(s.toFixed(1))} s`;
  if (s < 3_600) return `${sign}${Number((s / 60).toFixed(1))} min`;
  if (s < 86_400) return `${sign}${Number((s / 3_600).toFixed(2))} h`;
  return `${sign}${Number((s / 86_400).toFixed(2))} d`;
}

export function verdictText(report: Pick<AuditReport, 'verdict' | 'reason'>): string {
  switch (report.verdict) {
    case 'compliant':
      return 'COMPLIANT: every SLO met its objective and no critical rule was violated';
    case 'violated':
      return 'VIOLATED: an SLO missed its objective or a critical rule was violated';
    case 'insufficient_data':
      return 'NO VERDICT: not enough data to judge (see the reasons below)';
    case 'no_answer':
      return `NO VERDICT: Prometheus gave no answer${report.reason ? ` (${report.reason})` : ''}`;
    case 'unfinished':
      return 'UNFINISHED: the log stops before a verdict';
  }
}

export function intervalText(i: { start: string; end: string }): string {
  return `${i.start} → ${i.end}`;
}
