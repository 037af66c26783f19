/** A recorded evidence log put into a real state store as the engine would have left it (head moved with each append). */
import { openStateStore } from '../../src/lib/state/open.js';
import type { RolloutEvent, RolloutStatus } from '../../src/lib/state/types.js';

export async function storeRecordedRollout(stateUrl: string, log: readonly RolloutEvent[], options: { cwd?: string; status?: RolloutStatus } = {}): Promise<void> {
  const store = await openStateStore(stateUrl, options.cwd ? { cwd: options.cwd } : {});
  try {
    const started = log[0]!.data as { service: string; planName: string; planFile: string; planSha256: string; operator: string };
    await store.createRollout({ rolloutId: log[0]!.rolloutId, service: started.service, planName: started.planName, planFile: started.planFile, planSha256: started.planSha256, status: options.status ?? 'rolled_back', step: 1, weight: 0, createdAt: log[0]!.at, updatedAt: log.at(-1)!.at, operator: started.operator });
    for (const event of log) await store.appendEvent(event);
  } finally {
    await store.close();
  }
}
