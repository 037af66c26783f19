/**
 * Runs the queries a gate needs (its query — instant, or a range over the `for` window — plus the
 * baseline and the minSamples guard, concurrently) and hands the results to the pure evaluation.
 * A ProviderError never escapes: it becomes a measurement with verdict `error`, because a provider
 * problem is neither a pass nor a failure (it is counted against the plan's errorLimit).
 */
import pLimit from 'p-limit';
import { ProviderError } from '../errors.js';
import type { GateSpec } from '../plan/types.js';
import type { PrometheusApi } from '../prometheus/types.js';
import { errorMeasurement, evaluateGate, type GateData } from './evaluate.js';
import type { Measurement } from './types.js';

export interface MeasureOptions {
  /** Evaluation time (default: now). */
  at?: Date;
  /** Range-query step for `for` gates without their own `step` (default: for/10, between 1s and 15s). */
  stepMs?: number;
  signal?: AbortSignal;
}

/** The step of a `for` window: the gate's own, the caller's, or about ten points per window. */
export function windowStepMs(gate: GateSpec, fallbackMs?: number): number {
  const step = gate.stepMs ?? fallbackMs ?? Math.min(15_000, Math.max(1_000, Math.floor((gate.forMs ?? 0) / 10)));
  // Prometheus refuses range queries of more than 11,000 points per series; stay well below.
  return Math.max(1, step, Math.ceil((gate.forMs ?? 0) / 10_000));
}

/** Measures one gate once. Never throws a ProviderError (see the module comment). */
export async function measureGate(api: PrometheusApi, gate: GateSpec, options: MeasureOptions = {}): Promise<Measurement> {
  const at = options.at ?? new Date();
  const { signal } = options;
  try {
    const data: GateData = { at };
    const main = async (): Promise<void> => {
      if (gate.forMs !== undefined) {
        const stepMs = windowStepMs(gate, options.stepMs);
        const start = new Date(at.getTime() - gate.forMs);
        data.range = { series: await api.range(gate.query, start, at, stepMs, signal), start, end: at, stepMs };
      } else {
        data.samples = await api.instant(gate.query, at, signal);
      }
    };
    const baseline = async (): Promise<void> => {
      if (gate.baseline !== undefined) data.baseline = await api.instant(gate.baseline, at, signal);
    };
    const guard = async (): Promise<void> => {
      if (gate.minSamples) data.minSamples = await api.instant(gate.minSamples.query, at, signal);
    };
    await Promise.all([main(), baseline(), guard()]);
    return evaluateGate(gate, data);
  } catch (error) {
    if (error instanceof ProviderError) return errorMeasurement(gate, at, error);
    throw error;
  }
}

/** Measures several gates at the same time `at`, at most `concurrency` at once; results in the gates' order. */
export async function measureGates(api: PrometheusApi, gates: readonly GateSpec[], options: MeasureOptions & { concurrency?: number } = {}): Promise<Measurement[]> {
  // One shared time, so gates checked together describe the same moment.
  const at = options.at ?? new Date();
  const limit = pLimit(Math.max(1, options.concurrency ?? 8));
  return Promise.all(gates.map((gate) => limit(() => measureGate(api, gate, { ...options, at }))));
}
