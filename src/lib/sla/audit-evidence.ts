/**
 * Records an SLA audit as hash-chained evidence in the state store, like a rollout: one record
 * with `kind: 'audit'` and an event log — `audit.started` (policy, period request, Prometheus),
 * one `audit.slo` per SLO and one `audit.rule` per rule (the queries as sent, compact answers,
 * the results), then `audit.finished` with the verdict (or `audit.failed` when Prometheus gave
 * no answer). `evidence verify <auditId>` and `evidence report <auditId>` read it back.
 *
 * The record's `status` is the store's generic one: `promoted` for a finished audit, `failed`
 * for one without an answer; the verdict itself is in `reason` and in the events.
 */
import { EventLog } from '../log/event-log.js';
import { redactUrl } from '../redact.js';
import type { StateStore } from '../state/types.js';
import type { AuditResult } from './audit-types.js';
import type { SlaPolicyModel } from './model.js';

export const AUDIT_EVENT = {
  started: 'audit.started',
  slo: 'audit.slo',
  rule: 'audit.rule',
  finished: 'audit.finished',
  failed: 'audit.failed',
} as const;

export interface AuditStart {
  auditId: string;
  policy: SlaPolicyModel;
  prometheusUrl: string;
  request: Record<string, string | undefined>;
  operator: string;
  toolVersion: string;
  now: Date;
}

export class AuditEvidence {
  private constructor(
    private readonly store: StateStore,
    private readonly log: EventLog,
    readonly auditId: string,
  ) {}

  static async begin(store: StateStore, start: AuditStart): Promise<AuditEvidence> {
    const at = start.now.toISOString();
    await store.createRollout({
      rolloutId: start.auditId,
      service: start.policy.service,
      planName: start.policy.name,
      planFile: start.policy.file,
      planSha256: start.policy.sha256,
      status: 'running',
      step: -1,
      weight: 0,
      createdAt: at,
      updatedAt: at,
      operator: start.operator,
      kind: 'audit',
    });
    const log = await EventLog.open(store, start.auditId);
    await log.append(AUDIT_EVENT.started, {
      auditId: start.auditId,
      policy: { name: start.policy.name, service: start.policy.service, source: start.policy.source, file: start.policy.file, sha256: start.policy.sha256 },
      slos: start.policy.slos.map((s) => ({ name: s.name, objective: s.objective, sli: s.sli, window: s.window, minEvents: s.minEvents, exclude: s.exclude })),
      rules: start.policy.rules,
      prometheusUrl: redactUrl(start.prometheusUrl),
      stateStore: store.url,
      request: start.request,
      operator: start.operator,
      toolVersion: start.toolVersion,
    });
    return new AuditEvidence(store, log, start.auditId);
  }

  /** One event per SLO and rule (queries, compact answers, results), then the verdict. */
  async finish(result: AuditResult): Promise<{ events: number; head: string }> {
    for (const slo of result.slos) await this.log.append(AUDIT_EVENT.slo, { slo });
    for (const rule of result.rules) await this.log.append(AUDIT_EVENT.rule, { rule });
    await this.log.append(AUDIT_EVENT.finished, {
      verdict: result.verdict,
      from: result.from,
      to: result.to,
      queryCount: result.queryCount,
      violated: [...result.slos.filter((s) => s.status === 'violated').map((s) => s.name), ...result.rules.filter((r) => r.violated && r.severity === 'critical').map((r) => r.name)],
      insufficient: [...result.slos.filter((s) => s.status === 'insufficient_data').map((s) => s.name), ...result.rules.filter((r) => r.insufficient).map((r) => r.name)],
    });
    await this.store.updateRollout(this.auditId, { status: 'promoted', reason: result.verdict, updatedAt: new Date().toISOString() });
    return { events: this.log.lastSeq, head: this.log.head };
  }

  /** No answer from Prometheus: recorded, so the evidence says the audit ran and why it has no verdict. */
  async fail(reason: string): Promise<void> {
    await this.log.append(AUDIT_EVENT.failed, { reason });
    await this.store.updateRollout(this.auditId, { status: 'failed', reason: `no verdict: ${reason}`, updatedAt: new Date().toISOString() });
  }
}

/** `audit-checkout-20261201t120000-3fa2c1`: an audit ID never looks like a rollout's. */
export function newAuditId(service: string, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  return `audit-${service}-${stamp}-${random}`;
}
