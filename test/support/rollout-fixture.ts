/**
 * A live rollout environment for tests: the test service (weighted router + synthetic traffic),
 * a real Prometheus scraping it every second, a temp folder for plans and the file state store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openStateStore } from '../../src/lib/state/open.js';
import type { RolloutEvent, StateStore } from '../../src/lib/state/types.js';
import { startPrometheus, type PrometheusServer } from './prometheus.js';
import { startTestService, type TestService } from './test-service.js';

export const SERVICE = 'checkout';

export function errorRateQuery(track: 'canary' | 'stable', window = '4s'): string {
  // `or vector(0)`: no 5xx series at all means a zero numerator, not an empty result.
  return `(sum(rate(http_requests_total{service="{{service}}",track="${track}",code=~"5.."}[${window}])) or vector(0)) / sum(rate(http_requests_total{service="{{service}}",track="${track}"}[${window}]))`;
}

export interface LiveEnv {
  service: TestService;
  prometheus: PrometheusServer;
  dir: string;
  stateUrl: string;
  /** Writes a plan (deep-merged over the base plan) and returns its path. */
  writePlan(name: string, overrides?: Record<string, unknown>): string;
  basePlan(): Record<string, unknown>;
  openStore(): Promise<StateStore>;
  events(rolloutId: string): Promise<RolloutEvent[]>;
  /** Waits until the Prometheus query returns a value matching `predicate`. */
  waitForQuery(query: string, predicate: (value: number) => boolean, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)) {
      out[key] = merge(current as Record<string, unknown>, value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}

export async function startLiveEnv(options: { rps?: number; stateUrl?: string; extraScrapeTargets?: string[]; prometheusConfig?: string; services?: string[] } = {}): Promise<LiveEnv> {
  // More services (each with its own weight and traffic) for tests that run rollouts side by side.
  const service = await startTestService({ rps: options.rps ?? 100, services: options.services ?? [SERVICE] });
  const prometheus = await startPrometheus({
    scrapeTargets: [`127.0.0.1:${service.port}`, ...(options.extraScrapeTargets ?? [])],
    scrapeIntervalMs: 1_000,
    ...(options.prometheusConfig ? { extraConfig: options.prometheusConfig } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-live-'));
  const stateUrl = options.stateUrl ?? `file:${join(dir, 'state')}`;

  const basePlan = (): Record<string, unknown> => ({
    apiVersion: 'rollgate/v1',
    kind: 'RolloutPlan',
    metadata: { name: 'checkout-canary', service: SERVICE },
    vars: { router: service.url },
    prometheus: { url: prometheus.url, timeout: '2s' },
    traffic: { http: { method: 'PUT', url: '{{router}}/weights/{{service}}', json: { canary: '{{weight}}' } }, timeout: '2s', retries: 1 },
    analysis: { interval: '1s', failureLimit: 0, inconclusiveLimit: 3, onInconclusive: 'rollback', errorLimit: 2, onError: 'rollback', errorTimeout: '20s' },
    gates: [
      { name: 'error-rate', query: errorRateQuery('canary'), max: 0.05 },
      { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
    ],
    steps: [
      // The canary's series appear with its first traffic; a rate needs two scrapes of them.
      { weight: 10, bake: '5s', gates: ['error-rate'] },
      { weight: 25, bake: '3s', gates: ['error-rate'] },
      { weight: 50, bake: '3s', gates: ['error-rate'] },
      { weight: 100, bake: '3s', gates: ['error-rate'] },
    ],
    rollback: { auto: true, verify: { gates: ['stable-error-rate'], within: '10s' } },
  });

  // Prometheus' discovery hands targets to the scraper only after ~5 s: wait for the first scrape.
  const readyBy = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`);
    const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
    if (Number(body.data?.result?.[0]?.value[1]) >= 1) break;
    if (Date.now() > readyBy) throw new Error('Prometheus never scraped the test service');
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    service,
    prometheus,
    dir,
    stateUrl,
    basePlan,
    writePlan(name, overrides = {}) {
      const file = join(dir, `${name}.yaml`);
      const plan = merge(basePlan(), overrides);
      // Steps given without `gates:` watch the canary only, as the base steps do: stable-error-rate
      // is for rollback verification, and at 100% the stable track has no traffic to measure.
      if (Array.isArray(plan.steps)) plan.steps = (plan.steps as Array<Record<string, unknown>>).map((step) => ({ gates: ['error-rate'], ...step }));
      writeFileSync(file, stringify(plan));
      return file;
    },
    openStore: () => openStateStore(stateUrl),
    async events(rolloutId) {
      const store = await openStateStore(stateUrl);
      try {
        return await store.readEvents(rolloutId);
      } finally {
        await store.close();
      }
    },
    async waitForQuery(query, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      const rendered = query.replaceAll('{{service}}', SERVICE);
      for (;;) {
        const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(rendered)}`);
        const body = (await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        const raw = body.data?.result?.[0]?.value[1];
        const value = raw === undefined ? Number.NaN : Number(raw);
        if (!Number.isNaN(value) && predicate(value)) return value;
        if (Date.now() > deadline) throw new Error(`query never matched: ${rendered} (last ${value})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await prometheus.stop();
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The last NDJSON line of `rollout run --json`: the result document. */
export function resultLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n').filter(Boolean);
  return JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
}

export function eventTypes(events: RolloutEvent[]): string[] {
  return events.map((e) => e.type);
}
