/**
 * `sla audit --pushgateway URL`: the audit's figures as Prometheus metrics, pushed with PUT as one
 * group per policy (job `rollgate_sla_audit`, grouping label `policy`), so each push replaces the
 * previous one and an SLO removed from the policy disappears. Built with prom-client's Registry
 * and Pushgateway (the exposition format is prom-client's, never hand-written); loaded lazily.
 *
 * Ratios are 0..1 (the objective too: 99.9% is 0.999). An SLO without a verdict (not enough data)
 * gets no rollgate_slo_compliant sample rather than a made-up 0 or 1; a null SLI or burn rate is
 * left out the same way.
 */
import { ProviderError } from '../errors.js';
import { redactUrl } from '../redact.js';
import type { AuditResult } from './audit-types.js';

export const PUSH_JOB = 'rollgate_sla_audit';

export interface PushTarget {
  url: string;
  policy: string;
  service: string;
  timeoutMs?: number;
}

/** Builds the registry of one audit (exported for tests and `--verbose` output). */
export async function auditRegistry(result: AuditResult, service: string, now: Date): Promise<import('prom-client').Registry> {
  const { Registry, Gauge, Counter } = await import('prom-client');
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const sli = gauge('rollgate_slo_sli', 'Achieved SLI over the audited period (0..1)', ['service', 'slo']);
  const objective = gauge('rollgate_slo_objective', 'SLO objective (0..1)', ['service', 'slo']);
  const remaining = gauge('rollgate_slo_error_budget_remaining', 'Share of the error budget left at the end of the period (negative when overspent)', ['service', 'slo']);
  const burn = gauge('rollgate_slo_burn_rate', 'Burn rate over the window ending at the end of the period', ['service', 'slo', 'window']);
  const compliant = gauge('rollgate_slo_compliant', '1 when the SLO met its objective over the period, 0 when not; absent without a verdict', ['service', 'slo']);
  const firing = gauge('rollgate_slo_alert_firing', '1 when a burn-rate alert of this severity would fire at the end of the period', ['service', 'slo', 'severity']);
  const violations = new Counter({ name: 'rollgate_rule_violations_total', help: 'Sustained violations of the rule in the audited period', labelNames: ['service', 'rule', 'severity'], registers: [registry] });
  const lastRun = gauge('rollgate_sla_audit_last_run_timestamp_seconds', 'When the audit ran (unix seconds)', ['service']);
  for (const s of result.slos) {
    const labels = { service, slo: s.name };
    objective.set(labels, s.objective / 100);
    if (s.sli !== null) sli.set(labels, s.sli);
    if (s.errorBudget) remaining.set(labels, s.errorBudget.remaining);
    if (s.compliant !== null) compliant.set(labels, s.compliant ? 1 : 0);
    for (const b of s.burnRates) if (b.rate !== null) burn.set({ ...labels, window: b.window }, b.rate);
    for (const severity of ['page', 'ticket'] as const) {
      const rows = s.alerts.filter((a) => a.severity === severity);
      if (rows.length > 0) firing.set({ ...labels, severity }, rows.some((a) => a.firing) ? 1 : 0);
    }
  }
  for (const r of result.rules) violations.inc({ service, rule: r.name, severity: r.severity }, r.violations.length);
  lastRun.set({ service }, now.getTime() / 1_000);
  return registry;
}

/** PUTs the audit's metrics; an unreachable or refusing Pushgateway is a ProviderError naming it (exit 3). */
export async function pushAudit(result: AuditResult, target: PushTarget, now = new Date()): Promise<void> {
  const registry = await auditRegistry(result, target.service, now);
  const { Pushgateway } = await import('prom-client');
  const gateway = new Pushgateway(target.url, { timeout: target.timeoutMs ?? 10_000 }, registry);
  const address = redactUrl(target.url);
  try {
    const { resp } = await gateway.push({ jobName: PUSH_JOB, groupings: { policy: target.policy } });
    const status = (resp as { statusCode?: number } | undefined)?.statusCode;
    if (status !== undefined && (status < 200 || status >= 300)) throw new Error(`HTTP ${status}`);
  } catch (error) {
    throw new ProviderError(`Pushgateway ${address} did not take the metrics: ${(error as Error).message}`, address, 'unreachable', { cause: error });
  }
}
