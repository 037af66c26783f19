/**
 * Counting measurements against the plan's limits during one step (Argo Rollouts semantics:
 * a limit is exceeded when the count is strictly greater than it).
 *
 * - failures: critical gate failures per gate per step; > failureLimit → the step fails.
 * - inconclusive: empty/NaN/below-minSamples per gate per step; > inconclusiveLimit → onInconclusive.
 * - errors: CONSECUTIVE provider errors per gate; > errorLimit → onError. A good answer resets it,
 *   because a flapping network is not the canary's fault.
 * Warning-severity failures are counted for the report but never decide anything.
 */
import type { Measurement } from '../gates/types.js';
import type { AnalysisConfig } from '../plan/types.js';

/** `1 failure`, `2 failures`: said in words, not `failure(s)`. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export interface GateCount {
  passes: number;
  failures: number;
  warnings: number;
  inconclusive: number;
  consecutiveErrors: number;
  errors: number;
}

export type LimitDecision =
  | { kind: 'continue' }
  | { kind: 'fail'; gate: string; reason: string }
  | { kind: 'inconclusive'; gate: string; reason: string }
  | { kind: 'error'; gate: string; reason: string };

export class LimitCounter {
  private readonly counts = new Map<string, GateCount>();

  constructor(private readonly config: AnalysisConfig) {}

  count(gate: string): GateCount {
    let entry = this.counts.get(gate);
    if (!entry) {
      entry = { passes: 0, failures: 0, warnings: 0, inconclusive: 0, consecutiveErrors: 0, errors: 0 };
      this.counts.set(gate, entry);
    }
    return entry;
  }

  /** Records one round of measurements and says what the limits require now (fail beats inconclusive beats error). */
  record(measurements: readonly Measurement[]): LimitDecision {
    for (const m of measurements) {
      const c = this.count(m.gate);
      if (m.verdict !== 'error') c.consecutiveErrors = 0;
      switch (m.verdict) {
        case 'pass':
          c.passes += 1;
          break;
        case 'fail':
          if (m.severity === 'warning') c.warnings += 1;
          else c.failures += 1;
          break;
        case 'inconclusive':
          c.inconclusive += 1;
          break;
        case 'error':
          c.errors += 1;
          c.consecutiveErrors += 1;
          break;
      }
    }
    return this.decide(measurements);
  }

  /** "continue" treats an inconclusive measurement as not taken: it is forgotten once acted on. */
  forgetInconclusive(gate: string): void {
    this.count(gate).inconclusive = 0;
  }

  resetErrors(): void {
    for (const c of this.counts.values()) c.consecutiveErrors = 0;
  }

  /** What the limits require now, judged on the gates of `measurements` (a round, or all recorded ones). */
  decide(measurements: readonly Measurement[]): LimitDecision {
    const { failureLimit, inconclusiveLimit, errorLimit } = this.config;
    for (const m of measurements) {
      if (m.verdict === 'fail' && m.severity !== 'warning' && this.count(m.gate).failures > failureLimit) {
        return { kind: 'fail', gate: m.gate, reason: `gate ${m.gate} failed: ${m.reason} (${countOf(this.count(m.gate).failures, 'failure')}, limit ${failureLimit})` };
      }
    }
    // Warning gates are recorded and reported only: no data or no answer from them decides nothing either.
    for (const m of measurements) {
      if (m.verdict === 'inconclusive' && m.severity !== 'warning' && this.count(m.gate).inconclusive > inconclusiveLimit) {
        return { kind: 'inconclusive', gate: m.gate, reason: `gate ${m.gate} inconclusive: ${m.reason} (${countOf(this.count(m.gate).inconclusive, 'time')}, limit ${inconclusiveLimit})` };
      }
    }
    for (const m of measurements) {
      if (m.verdict === 'error' && m.severity !== 'warning' && this.count(m.gate).consecutiveErrors > errorLimit) {
        return { kind: 'error', gate: m.gate, reason: `gate ${m.gate}: ${m.reason} (${countOf(this.count(m.gate).consecutiveErrors, 'consecutive error')}, limit ${errorLimit})` };
      }
    }
    return { kind: 'continue' };
  }

  /** Gates (of those given) that never produced a passing measurement in this step. */
  neverPassed(gates: readonly string[], severityOf: (gate: string) => 'critical' | 'warning'): string[] {
    return gates.filter((g) => severityOf(g) === 'critical' && this.count(g).passes === 0);
  }
}
