import { afterAll, beforeAll, beforeEach } from 'vitest';
import { SERVICE, startLiveEnv, type LiveEnv } from './rollout-fixture.js';

/**
 * One live environment per test file: started before the first test, reset to a healthy service
 * (no faults, 100 rps, weight 0, router working) before each, stopped after the last.
 */
export function useLiveEnv(onReady: (env: LiveEnv) => void): void {
  let env: LiveEnv | undefined;
  beforeAll(async () => {
    env = await startLiveEnv();
    onReady(env);
  }, 60_000);
  beforeEach(() => {
    env!.service.inject({ track: 'canary', errorRate: 0, latencyMs: 0 });
    env!.service.setTraffic(100);
    env!.service.setWeight(SERVICE, 0);
    env!.service.setRouterBroken(false);
  });
  afterAll(async () => {
    await env?.stop();
  });
}
