/**
 * `plan backtest`: replays a plan's gates over a past period as simulated rollouts, back to back
 * (or every `every`), and sums up which would have been promoted, rolled back, paused or stopped
 * for lack of data, and which gates did it. Data is fetched once (series-store.ts), judged in
 * memory (simulate.ts).
 */
import { formatDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { describeThreshold } from '../gates/evaluate.js';
import type { Measurement } from '../gates/types.js';
import type { GateSpec, ResolvedPlan } from '../plan/types.js';
import type { PrometheusApi } from '../prometheus/types.js';
import { minimumDurationMs, roundSchedule, runStarts } from './schedule.js';
import { SeriesStore, type FetchStats } from './series-store.js';
import { registerNeeds, simulateRun, type FailedMeasurement, type Outcome, type SimulatedRun } from './simulate.js';

/** Far more than a year of 5-minute rollouts: a bound on a mistyped --every. */
const MAX_RUNS = 200_000;

export interface BacktestOptions {
  from: Date;
  to: Date;
  /** Time between simulated rollout starts (default: the plan's minimum duration, back to back). */
  everyMs?: number;
  /** `--expect healthy`: the period was healthy, so every rollback is a false positive. */
  expectHealthy?: boolean;
  /** The clock, for "--to is in the future". */
  now?: Date;
  concurrency?: number;
  signal?: AbortSignal;
}

export interface BacktestRun extends Omit<SimulatedRun, 'failures'> {
  /** Failing measurements during this run (warning gates included): where the timeline marks it. */
  failures: FailedMeasurement[];
}

export interface GateBacktest {
  name: string;
  severity: GateSpec['severity'];
  threshold: string;
  query: string;
  measurements: number;
  passes: number;
  /** Failing measurements (a critical gate fails the step only beyond failureLimit). */
  failures: number;
  inconclusive: number;
  /** Simulated rollouts this gate rolled back / paused / stopped for lack of data. */
  rollbacks: number;
  pauses: number;
  noData: number;
  /** Extremes of every value measured. */
  minValue: number | null;
  maxValue: number | null;
  /** The failing measurement furthest past the threshold (highest for max/maxIncrease gates, lowest otherwise). */
  worst: { value: number; at: string } | null;
}

export interface BacktestSummary {
  runs: number;
  promoted: number;
  rolled_back: number;
  paused: number;
  no_data: number;
  /** `healthy` with --expect healthy, else null. */
  expect: 'healthy' | null;
  /** With --expect healthy: the rollbacks, each a false positive; null otherwise. */
  falsePositives: number | null;
}

export interface BacktestResult {
  schemaVersion: 1;
  plan: { name: string; service: string; file: string; sha256: string };
  from: string;
  to: string;
  /** Between simulated rollout starts, as a duration (`1h30m`). */
  every: string;
  everyMs: number;
  /** The plan's minimum duration: one simulated rollout's length when promoted. */
  durationMs: number;
  analysisIntervalMs: number;
  runs: BacktestRun[];
  summary: BacktestSummary;
  gates: GateBacktest[];
  /** What it cost: range requests and points fetched, fetch and evaluation time. */
  stats: FetchStats & { evaluationMs: number };
}

function upperBound(gate: GateSpec): boolean {
  return gate.max !== undefined || gate.maxIncrease !== undefined;
}

class GateTally {
  private readonly gates = new Map<string, GateBacktest>();
  constructor(private readonly plan: ResolvedPlan) {
    for (const gate of plan.gates) {
      this.gates.set(gate.name, { name: gate.name, severity: gate.severity, threshold: describeThreshold(gate), query: gate.query, measurements: 0, passes: 0, failures: 0, inconclusive: 0, rollbacks: 0, pauses: 0, noData: 0, minValue: null, maxValue: null, worst: null });
    }
  }

  observe = (m: Measurement): void => {
    const g = this.gates.get(m.gate);
    if (!g) return;
    g.measurements += 1;
    if (m.verdict === 'pass') g.passes += 1;
    else if (m.verdict === 'fail') g.failures += 1;
    else if (m.verdict === 'inconclusive') g.inconclusive += 1;
    if (m.value === null || !Number.isFinite(m.value)) return;
    g.minValue = g.minValue === null ? m.value : Math.min(g.minValue, m.value);
    g.maxValue = g.maxValue === null ? m.value : Math.max(g.maxValue, m.value);
    if (m.verdict === 'fail') {
      const upper = upperBound(this.plan.gates.find((gate) => gate.name === m.gate)!);
      if (!g.worst || (upper ? m.value > g.worst.value : m.value < g.worst.value)) g.worst = { value: m.value, at: m.at };
    }
  };

  decided(run: SimulatedRun): void {
    const g = run.gate ? this.gates.get(run.gate) : undefined;
    if (!g) return;
    if (run.outcome === 'rolled_back') g.rollbacks += 1;
    else if (run.outcome === 'paused') g.pauses += 1;
    else if (run.outcome === 'no_data') g.noData += 1;
  }

  list(): GateBacktest[] {
    return [...this.gates.values()];
  }
}

/** Checks the period and the spacing; UsageError (exit 2) on nonsense. */
function periodOf(plan: ResolvedPlan, options: BacktestOptions): { fromMs: number; toMs: number; everyMs: number; durationMs: number } {
  const fromMs = options.from.getTime();
  const toMs = options.to.getTime();
  const now = (options.now ?? new Date()).getTime();
  if (!(toMs > fromMs)) throw new UsageError(`--to (${options.to.toISOString()}) must be after --from (${options.from.toISOString()})`);
  if (toMs > now) throw new UsageError(`--to (${options.to.toISOString()}) is in the future: a backtest replays stored data`, 'use --to now, or a past time');
  const durationMs = minimumDurationMs(plan);
  // A plan of bake-0 steps takes no time: space its simulated rollouts one analysis interval apart.
  const everyMs = options.everyMs ?? Math.max(durationMs, plan.analysis.intervalMs);
  if (!(everyMs > 0)) throw new UsageError('--every must be longer than 0');
  if (fromMs + durationMs > toMs) {
    throw new UsageError(`no simulated rollout fits between --from and --to: the plan takes at least ${formatDuration(durationMs)}, the period is ${formatDuration(toMs - fromMs)}`);
  }
  const count = Math.floor((toMs - durationMs - fromMs) / everyMs) + 1;
  if (count > MAX_RUNS) throw new UsageError(`--every ${formatDuration(everyMs)} over ${formatDuration(toMs - fromMs)} makes ${count} simulated rollouts, more than ${MAX_RUNS}`, 'use a longer --every or a shorter period');
  return { fromMs, toMs, everyMs, durationMs };
}

/** Runs the backtest of a loaded plan against a Prometheus. ProviderError (exit 3) when data cannot be fetched. */
export async function runBacktest(plan: ResolvedPlan, api: PrometheusApi, options: BacktestOptions): Promise<BacktestResult> {
  const { fromMs, toMs, everyMs, durationMs } = periodOf(plan, options);
  const schedule = roundSchedule(plan);
  const starts = runStarts(fromMs, toMs, everyMs, durationMs);

  const store = new SeriesStore();
  for (const start of starts) registerNeeds(store, plan, schedule, start);
  await store.fetch(api, options.concurrency ?? 4, options.signal);

  const evaluationStarted = Date.now();
  const tally = new GateTally(plan);
  const runs: BacktestRun[] = starts.map((start) => {
    const run = simulateRun(plan, schedule, store, start, tally.observe);
    tally.decided(run);
    return run;
  });
  const evaluationMs = Date.now() - evaluationStarted;

  const count = (outcome: Outcome): number => runs.filter((r) => r.outcome === outcome).length;
  const rolledBack = count('rolled_back');
  return {
    schemaVersion: 1,
    plan: { name: plan.name, service: plan.service, file: plan.file, sha256: plan.sha256 },
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    every: formatDuration(everyMs),
    everyMs,
    durationMs,
    analysisIntervalMs: plan.analysis.intervalMs,
    runs,
    summary: {
      runs: runs.length,
      promoted: count('promoted'),
      rolled_back: rolledBack,
      paused: count('paused'),
      no_data: count('no_data'),
      expect: options.expectHealthy ? 'healthy' : null,
      falsePositives: options.expectHealthy ? rolledBack : null,
    },
    gates: tally.list(),
    stats: { ...store.stats, evaluationMs },
  };
}
