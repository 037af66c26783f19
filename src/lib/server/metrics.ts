/**
 * `GET /metrics`: the rollouts of every runner sharing the state store, read from the store at
 * scrape time (so one `serve` shows them all), in Prometheus text format through prom-client.
 *
 * Per service, the series describe its current rollout (the unfinished one, else the newest), as
 * `rollgate rollout status` derives it from the event log. Audit records and dry runs are skipped:
 * a dry run never moved traffic, so it is never a service's state.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { EventType } from '../rollout/events.js';
import { isTerminal, reduceEvents } from '../rollout/reduce.js';
import { stepFields } from '../rollout/step-number.js';
import type { RolloutRecord, RolloutStatus, StateStore } from '../state/types.js';

export const ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'promoted', 'rolled_back', 'failed', 'aborted'];
/** How many records a scrape looks at (newest first); outcomes are counted over these. */
const SCRAPE_RECORD_LIMIT = 5_000;

export interface CurrentRollout {
  service: string;
  rolloutId: string;
  status: RolloutStatus;
  /** 0-based step index, -1 before the first step (the gauge shows it 1-based, as `rollout status --json`). */
  step: number;
  weight: number;
  /** Last measured value of each gate (the worst series), from the rollout's log. */
  gates: Map<string, number>;
}

export interface StoreSnapshot {
  current: CurrentRollout[];
  /** service → outcome (promoted, rolled_back, failed) → count. */
  outcomes: Map<string, Map<string, number>>;
}

export async function readSnapshot(store: StateStore): Promise<StoreSnapshot> {
  const records = (await store.listRollouts({ limit: SCRAPE_RECORD_LIMIT })).filter((r) => r.kind !== 'audit' && r.dryRun !== true);
  const byService = new Map<string, RolloutRecord[]>();
  const outcomes = new Map<string, Map<string, number>>();
  for (const record of records) {
    byService.set(record.service, [...(byService.get(record.service) ?? []), record]);
    if (isTerminal(record.status)) {
      const counts = outcomes.get(record.service) ?? new Map<string, number>();
      counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
      outcomes.set(record.service, counts);
    }
  }
  const current: CurrentRollout[] = [];
  for (const [service, ofService] of byService) {
    // Newest first: the unfinished one owns the service's traffic; else the newest tells how it ended.
    const record = ofService.find((r) => !isTerminal(r.status)) ?? ofService[0];
    if (!record) continue;
    const events = await store.readEvents(record.rolloutId);
    const view = reduceEvents(events);
    const gates = new Map<string, number>();
    for (const event of events) {
      if (event.type !== EventType.measurement) continue;
      const { gate, value } = event.data as { gate?: unknown; value?: unknown };
      if (typeof gate === 'string' && typeof value === 'number' && Number.isFinite(value)) gates.set(gate, value);
    }
    current.push({ service, rolloutId: record.rolloutId, status: events.length > 0 ? view.status : record.status, step: events.length > 0 ? view.step : record.step, weight: events.length > 0 ? view.weight : record.weight, gates });
  }
  return { current, outcomes };
}

export interface ServeMetrics {
  registry: Registry;
  /** Counts one answered webhook request. */
  countWebhook(outcome: string): void;
  /** Reads the store and renders the exposition text. */
  render(store: StateStore): Promise<string>;
  contentType: string;
}

export function createServeMetrics(): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const weight = new Gauge({ name: 'rollgate_rollout_weight', help: 'Canary weight (percent) of the current rollout of each service.', labelNames: ['service', 'rollout'], registers: [registry] });
  const step = new Gauge({ name: 'rollgate_rollout_step', help: 'Step of the current rollout of each service, 1-based as `rollout status` shows it; 0 before the first step.', labelNames: ['service', 'rollout'], registers: [registry] });
  const status = new Gauge({ name: 'rollgate_rollout_status', help: 'Status of the current rollout of each service: one series per status, 1 for the current one.', labelNames: ['service', 'rollout', 'status'], registers: [registry] });
  const total = new Counter({ name: 'rollgate_rollouts_total', help: 'Finished rollouts in the state store, by outcome (promoted, rolled_back, failed).', labelNames: ['service', 'outcome'], registers: [registry] });
  const gate = new Gauge({ name: 'rollgate_gate_last_value', help: 'Last measured value of each gate of the current rollout of each service.', labelNames: ['service', 'gate'], registers: [registry] });
  const webhook = new Counter({ name: 'rollgate_webhook_requests_total', help: 'Alertmanager webhook requests answered by this server, by outcome.', labelNames: ['outcome'], registers: [registry] });
  for (const outcome of ['requested', 'duplicate', 'already_requested', 'no_running_rollout', 'resolved', 'not_for_rollgate', 'empty', 'unauthorized', 'too_large', 'malformed', 'error']) webhook.inc({ outcome }, 0);

  // One scrape at a time: the store-derived series are reset and refilled as a whole.
  let scraping: Promise<string> = Promise.resolve('');
  const renderOnce = async (store: StateStore): Promise<string> => {
    const snapshot = await readSnapshot(store);
    for (const metric of [weight, step, status, total, gate]) metric.reset();
    for (const rollout of snapshot.current) {
      const labels = { service: rollout.service, rollout: rollout.rolloutId };
      weight.set(labels, rollout.weight);
      step.set(labels, stepFields(rollout.step).step);
      for (const s of ROLLOUT_STATUSES) status.set({ ...labels, status: s }, s === rollout.status ? 1 : 0);
      for (const [name, value] of rollout.gates) gate.set({ service: rollout.service, gate: name }, value);
    }
    for (const [service, counts] of snapshot.outcomes) for (const [outcome, count] of counts) total.inc({ service, outcome }, count);
    return registry.metrics();
  };
  return {
    registry,
    contentType: registry.contentType,
    countWebhook: (outcome) => webhook.inc({ outcome }),
    render(store) {
      const next = scraping.then(
        () => renderOnce(store),
        () => renderOnce(store),
      );
      scraping = next.catch(() => '');
      return next;
    },
  };
}
