import { UsageError } from '../errors.js';
import type { RolloutRecord, StateStore } from '../state/types.js';
import { isTerminal, reduceEvents, type RolloutView } from './reduce.js';

export interface FoundRollout {
  rolloutId: string;
  record: RolloutRecord;
  view: RolloutView;
}

/**
 * Resolves what a user typed: a rollout ID, or a service name (its unfinished rollout if there is
 * one, else its newest; dry runs only when the service has nothing else).
 */
export async function findRollout(store: StateStore, target: string): Promise<FoundRollout> {
  let record = await store.getRollout(target);
  if (!record) {
    const ofService = await store.listRollouts({ service: target, limit: 50 });
    // A dry run never changed traffic: it is the service's current rollout only when there is nothing else.
    const real = ofService.filter((r) => r.dryRun !== true);
    record = real.find((r) => !isTerminal(r.status)) ?? real[0] ?? ofService[0];
  }
  if (!record) throw new UsageError(`no rollout or service "${target}" in ${store.url}`, 'list them with: rollgate rollout status');
  const view = reduceEvents(await store.readEvents(record.rolloutId));
  return { rolloutId: record.rolloutId, record, view };
}
