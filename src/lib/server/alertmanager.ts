/**
 * The Alertmanager webhook payload (version 4, https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)
 * and the pure part of the decision: which alerts ask for a rollback of which service, with what
 * reason and severity. Talking to the state store is webhook.ts's job.
 */
import * as z from 'zod';
import type { AbortSource } from '../state/types.js';
import { rollbackSeverityOf, type RollbackSeverity, type ServeConfig } from './config.js';

const labelSet = z.record(z.string(), z.string());

// Loose objects: Alertmanager may add fields in later versions; the ones we rely on are checked.
export const webhookAlertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

export const webhookPayloadSchema = z.looseObject({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(webhookAlertSchema).max(10_000),
});

export type WebhookAlert = z.infer<typeof webhookAlertSchema>;
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** One line saying what is wrong with a payload (the 400 answer): the first issue with its path. */
export function describePayloadError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid Alertmanager webhook payload';
  const where = issue.path.map(String).join('.') || '(root)';
  const message = where === 'version' ? 'expected "4" (Alertmanager webhook payload version 4)' : issue.message;
  return `invalid Alertmanager webhook payload: ${where}: ${message}`.replace(/\s+/g, ' ');
}

/** A firing alert that asks for a rollback of a service. */
export interface RollbackAsk {
  service: string;
  reason: string;
  severity: RollbackSeverity;
  source: AbortSource;
}

/** What an alert means for rollgate. */
export type AlertMeaning =
  | { kind: 'rollback'; ask: RollbackAsk }
  | { kind: 'resolved' }
  | { kind: 'not-for-rollgate'; why: string };

/** `HighErrorRate: canary 5xx above 5% (http://prometheus/graph?...)`: alertname, summary, link. */
export function rollbackReason(alert: WebhookAlert): string {
  const name = alert.labels.alertname ?? 'alert';
  const summary = (alert.annotations.summary ?? alert.annotations.description ?? '').replace(/\s+/g, ' ').trim();
  const link = alert.generatorURL ? ` (${alert.generatorURL})` : '';
  return `alert ${name}${summary ? `: ${summary}` : ''}${link}`;
}

export function interpretAlert(alert: WebhookAlert, config: ServeConfig): AlertMeaning {
  // A resolved alert never undoes a rollback, nor asks for one.
  if (alert.status === 'resolved') return { kind: 'resolved' };
  if (alert.labels[config.actionLabel] !== config.actionValue) return { kind: 'not-for-rollgate', why: `no ${config.actionLabel}="${config.actionValue}" label` };
  const service = alert.labels[config.serviceLabel];
  if (!service) return { kind: 'not-for-rollgate', why: `no ${config.serviceLabel} label` };
  return {
    kind: 'rollback',
    ask: {
      service,
      reason: rollbackReason(alert),
      severity: rollbackSeverityOf(alert.labels, config),
      source: {
        kind: 'alertmanager',
        fingerprint: alert.fingerprint,
        alertname: alert.labels.alertname ?? '',
        labels: alert.labels,
        annotations: alert.annotations,
        generatorURL: alert.generatorURL,
        startsAt: alert.startsAt,
      },
    },
  };
}
