/**
 * `rollgate demo`, the orchestration: a sandbox on 127.0.0.1 in which two real rollouts run
 * through the real engine and leave real evidence.
 *
 * 1. the demo service (src/lib/demo/test-service.ts): a weighted router in front of a stable and a
 *    canary version, with its own synthetic traffic (the load generator), exposing /metrics;
 * 2. a local Prometheus from PATH scraping it every second (src/lib/demo/prometheus.ts);
 * 3. two commented plans written into the demo's directory (src/lib/demo/plans.ts);
 * 4. the healthy rollout (v2): expected to be promoted to 100%;
 * 5. v2 becomes the new stable (the router goes back to 0% canary), then the faulty rollout (v3),
 *    whose canary starts failing once it takes 25% of the traffic: expected to be rolled back;
 * 6. everything started is stopped, whatever happened; the directory (plans + file state store
 *    with both hash-chained event logs) is kept.
 *
 * Library code: nothing is printed. Progress is reported through `onProgress`; each rollout is
 * driven by the caller's `drive` (the command renders its events through the Ui exactly as
 * `rollout run` does); the result says what happened and where the evidence is.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledError } from '../errors.js';
import { loadPlan } from '../plan/load.js';
import type { ResolvedPlan } from '../plan/types.js';
import { reduceEvents } from '../rollout/reduce.js';
import { openStateStore } from '../state/open.js';
import type { RolloutEvent, RolloutStatus, StateStore } from '../state/types.js';
import { DEMO_FAULT, DEMO_SERVICE, writeDemoPlans, type DemoPlanFiles, type DemoPlanKind } from './plans.js';
import { startDemoPrometheus, type DemoPrometheus } from './prometheus.js';
import { startTestService, type TestService } from './test-service.js';

/** What happened so far, for the command to render. */
export type DemoProgress =
  | { kind: 'dir'; dir: string; created: boolean }
  | { kind: 'service.started'; url: string; service: string; rps: number }
  | { kind: 'prometheus.starting' }
  | { kind: 'prometheus.ready'; url: string; binary: string }
  | { kind: 'plans.written'; files: DemoPlanFiles }
  | { kind: 'rollout.starting'; plan: DemoPlanKind; file: string; expected: RolloutStatus }
  | { kind: 'fault.injected'; weight: number; errorRate: number }
  | { kind: 'rollout.finished'; rollout: DemoRolloutResult }
  | { kind: 'stable.replaced'; version: string }
  | { kind: 'stopping' };

/** Runs one rollout of a loaded plan to its end; returns its ID and the exit code `rollout run` would give. */
export type DemoDriver = (
  plan: ResolvedPlan,
  context: { store: StateStore; stateUrl: string; observe: (event: RolloutEvent) => void },
) => Promise<{ rolloutId: string; exitCode: number }>;

export interface DemoRolloutResult {
  plan: DemoPlanKind;
  file: string;
  rolloutId: string;
  status: RolloutStatus;
  expected: RolloutStatus;
  asExpected: boolean;
  /** Canary weight at the end (0 after a rollback). */
  weight: number;
  /** Highest canary weight reached. */
  peakWeight: number;
  reason?: string;
  exitCode: number;
  events: number;
  /** sha256 of the last event: the head of the evidence chain. */
  head: string | null;
}

export interface DemoResult {
  dir: string;
  stateDir: string;
  stateUrl: string;
  plans: DemoPlanFiles;
  rollouts: DemoRolloutResult[];
  /** The healthy rollout was promoted and the faulty one rolled back. */
  ok: boolean;
  durationMs: number;
}

export interface RunDemoOptions {
  /** Where plans and state go (created when missing); default a new temporary directory. */
  dir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  drive: DemoDriver;
  onProgress?: (progress: DemoProgress) => void;
  /** Ctrl-C: stop at the next phase boundary (a running rollout is interrupted by its driver). */
  signal?: AbortSignal;
  /** Synthetic requests per second (default 100). */
  rps?: number;
}

const EXPECTED: Record<DemoPlanKind, RolloutStatus> = { healthy: 'promoted', faulty: 'rolled_back' };

export async function runDemo(options: RunDemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const { signal } = options;

  let dir: string;
  if (options.dir !== undefined) {
    dir = path.resolve(options.cwd, options.dir);
    const made = await mkdir(dir, { recursive: true });
    progress({ kind: 'dir', dir, created: made !== undefined });
  } else {
    dir = await mkdtemp(path.join(tmpdir(), 'rollgate-demo-'));
    progress({ kind: 'dir', dir, created: true });
  }
  const stateDir = path.join(dir, 'state');
  const stateUrl = `file:${stateDir}`;
  const checkSignal = (where: string): void => {
    if (signal?.aborted) throw new CancelledError(`demo interrupted ${where}`, `what was recorded so far: rollgate rollout status --state ${stateUrl}`);
  };
  const rps = options.rps ?? 100;

  let service: TestService | undefined;
  let prometheus: DemoPrometheus | undefined;
  let store: StateStore | undefined;
  try {
    service = await startTestService({ rps, services: [DEMO_SERVICE] });
    progress({ kind: 'service.started', url: service.url, service: DEMO_SERVICE, rps });

    progress({ kind: 'prometheus.starting' });
    prometheus = await startDemoPrometheus({ targets: [`127.0.0.1:${service.port}`], pathEnv: options.env.PATH, ...(signal ? { signal } : {}) });
    progress({ kind: 'prometheus.ready', url: prometheus.url, binary: prometheus.binary });
    checkSignal('after Prometheus started');

    const plans = await writeDemoPlans(dir, { routerUrl: service.url, prometheusUrl: prometheus.url });
    progress({ kind: 'plans.written', files: plans });
    store = await openStateStore(stateUrl, { cwd: options.cwd });

    const rollouts: DemoRolloutResult[] = [];
    for (const kind of ['healthy', 'faulty'] as const) {
      checkSignal(`before the ${kind} rollout`);
      if (kind === 'faulty') {
        // v2 was promoted: it is the new stable, and the router sends nothing to the canary slot until v3 starts.
        service.setWeight(DEMO_SERVICE, 0);
        service.inject({ track: 'canary', errorRate: 0, latencyMs: 0 });
        progress({ kind: 'stable.replaced', version: 'v2' });
      }
      const result = await runOne(kind, plans[kind], { service, store, stateUrl, options, progress });
      rollouts.push(result);
      progress({ kind: 'rollout.finished', rollout: result });
      checkSignal(`during the ${kind} rollout`);
    }
    return { dir, stateDir, stateUrl, plans, rollouts, ok: rollouts.every((r) => r.asExpected), durationMs: Date.now() - started };
  } finally {
    progress({ kind: 'stopping' });
    await store?.close().catch(() => undefined);
    await prometheus?.stop().catch(() => undefined);
    await service?.stop().catch(() => undefined);
  }
}

async function runOne(
  kind: DemoPlanKind,
  file: string,
  env: { service: TestService; store: StateStore; stateUrl: string; options: RunDemoOptions; progress: (p: DemoProgress) => void },
): Promise<DemoRolloutResult> {
  const { service, store, stateUrl, options, progress } = env;
  const plan = await loadPlan(file, { env: options.env, cwd: options.cwd });
  const expected = EXPECTED[kind];
  progress({ kind: 'rollout.starting', plan: kind, file, expected });

  let faultInjected = false;
  const observe = (event: RolloutEvent): void => {
    if (kind !== 'faulty' || faultInjected || event.type !== 'weight.applied') return;
    const weight = typeof event.data.weight === 'number' ? event.data.weight : 0;
    if (event.data.ok === true && event.data.rollback !== true && weight >= DEMO_FAULT.fromWeight) {
      faultInjected = true;
      service.inject({ track: 'canary', errorRate: DEMO_FAULT.errorRate });
      progress({ kind: 'fault.injected', weight, errorRate: DEMO_FAULT.errorRate });
    }
  };
  const { rolloutId, exitCode } = await options.drive(plan, { store, stateUrl, observe });

  const events = await store.readEvents(rolloutId);
  const view = reduceEvents(events);
  const peakWeight = events.reduce((peak, e) => (e.type === 'weight.applied' && e.data.ok === true && typeof e.data.weight === 'number' ? Math.max(peak, e.data.weight) : peak), 0);
  return {
    plan: kind,
    file,
    rolloutId,
    status: view.status,
    expected,
    asExpected: view.status === expected,
    weight: view.weight,
    peakWeight,
    ...(view.reason ? { reason: view.reason } : {}),
    exitCode,
    events: events.length,
    head: events.at(-1)?.hash ?? null,
  };
}
