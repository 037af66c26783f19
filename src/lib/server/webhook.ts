/**
 * Alertmanager alerts → emergency rollbacks, the way `rollgate rollback` asks for one: a durable
 * abort request in the shared state store, which the rollout's runner (on whatever machine) picks
 * up within a second, records in its evidence with the alert, and rolls back.
 *
 * Idempotent through the store, not memory: a rollout's abort request is durable, so the same alert
 * delivered twice (Alertmanager retries, repeat_interval, an HA pair of Alertmanagers, a restarted
 * serve) finds the request already there and asks nothing more. A rollout gets at most one request.
 */
import { isTerminal } from '../rollout/reduce.js';
import { isLockDead } from '../state/lock-liveness.js';
import type { RolloutRecord, StateStore } from '../state/types.js';
import { interpretAlert, type WebhookPayload } from './alertmanager.js';
import type { ServeConfig } from './config.js';

export type AlertOutcome =
  /** An abort request was written for the service's running rollout. */
  | 'requested'
  /** This alert (fingerprint) already asked for this rollout's rollback. */
  | 'duplicate'
  /** Another request (a person, another alert) already asked for this rollout's rollback. */
  | 'already-requested'
  /** The service has no running rollout: nothing to roll back. */
  | 'no-running-rollout'
  | 'resolved'
  | 'not-for-rollgate';

export interface AlertResult {
  fingerprint: string;
  alertname: string;
  outcome: AlertOutcome;
  service?: string;
  rolloutId?: string;
  /** For a requested rollback: whether a live runner holds the rollout (it aborts within a second). */
  runner?: 'live' | 'gone';
  detail?: string;
}

export interface WebhookDeps {
  store: StateStore;
  config: ServeConfig;
  /** Recorded as who asked, e.g. `rollgate serve@host (alertmanager receiver rollgate)`. */
  by: (receiver: string) => string;
  now?: () => Date;
}

/** The rollout a rollback of `service` applies to: its unfinished, real (not dry-run) rollout. */
export async function runningRolloutOf(store: StateStore, service: string): Promise<RolloutRecord | undefined> {
  const records = await store.listRollouts({ service, limit: 50 });
  return records.find((r) => r.kind !== 'audit' && r.dryRun !== true && !isTerminal(r.status));
}

/** Serialises work per key within this process, so two concurrent deliveries cannot both see "no request yet". */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

export function createWebhookHandler(deps: WebhookDeps): (payload: WebhookPayload) => Promise<AlertResult[]> {
  const queue = new KeyedQueue();
  const now = deps.now ?? (() => new Date());
  return async (payload) => {
    const results: AlertResult[] = [];
    for (const alert of payload.alerts) {
      const meaning = interpretAlert(alert, deps.config);
      const base = { fingerprint: alert.fingerprint, alertname: alert.labels.alertname ?? '' };
      if (meaning.kind === 'resolved') {
        results.push({ ...base, outcome: 'resolved' });
        continue;
      }
      if (meaning.kind === 'not-for-rollgate') {
        results.push({ ...base, outcome: 'not-for-rollgate', detail: meaning.why });
        continue;
      }
      const { ask } = meaning;
      results.push(
        await queue.run(ask.service, async (): Promise<AlertResult> => {
          const record = await runningRolloutOf(deps.store, ask.service);
          if (!record) return { ...base, outcome: 'no-running-rollout', service: ask.service };
          const at = { ...base, service: ask.service, rolloutId: record.rolloutId };
          const existing = await deps.store.getAbortRequest(record.rolloutId);
          if (existing) {
            const same = existing.source?.fingerprint === alert.fingerprint;
            return { ...at, outcome: same ? 'duplicate' : 'already-requested', ...(same ? {} : { detail: `already asked by ${existing.by}: ${existing.reason}` }) };
          }
          await deps.store.requestAbort(record.rolloutId, { reason: ask.reason, severity: ask.severity, by: deps.by(payload.receiver), at: now().toISOString(), source: ask.source });
          const lock = await deps.store.getLock(ask.service);
          const live = lock !== undefined && lock.rolloutId === record.rolloutId && !isLockDead(lock, now());
          return {
            ...at,
            outcome: 'requested',
            runner: live ? 'live' : 'gone',
            ...(live ? {} : { detail: `no live runner holds ${record.rolloutId}: the request is recorded; take it over with: rollgate rollback ${record.rolloutId} --reason "..."` }),
          };
        }),
      );
    }
    return results;
  };
}

/** The one word for the request's counter and log line: the most consequential alert outcome. */
export function requestOutcome(results: readonly AlertResult[]): string {
  const order: AlertOutcome[] = ['requested', 'duplicate', 'already-requested', 'no-running-rollout', 'resolved', 'not-for-rollgate'];
  for (const outcome of order) if (results.some((r) => r.outcome === outcome)) return outcome.replaceAll('-', '_');
  return 'empty';
}
