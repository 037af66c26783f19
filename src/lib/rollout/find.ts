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
/**
 * The rollout a service name stands for: its running one, else its newest. A dry run never changed
 * traffic: it is the service's current rollout only when there is nothing else.
 */
export async function serviceRollout(store: StateStore, service: string): Promise<RolloutRecord | undefined> {
  const ofService = await store.listRollouts({ service, limit: 50 });
  const real = ofService.filter((r) => r.dryRun !== true);
  return real.find((r) => !isTerminal(r.status)) ?? real[0] ?? ofService[0];
}

export async function findRollout(store: StateStore, target: string): Promise<FoundRollout> {
  const record = (await store.getRollout(target)) ?? (await serviceRollout(store, target));
  if (!record) throw new UsageError(`no rollout or service "${target}" in ${store.url}`, 'list them with: rollgate rollout status');
  const view = reduceEvents(await store.readEvents(record.rolloutId));
  return { rolloutId: record.rolloutId, record, view };
}
