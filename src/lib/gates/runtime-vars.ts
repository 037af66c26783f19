/**
 * Gate queries keep `{{weight}}`, `{{step}}` and `{{range}}` after loading (see plan-vars.ts);
 * they are filled here, just before a measurement, from what is true at that moment.
 * `{{range}}` is the analysis interval (at least 1s), the natural rate() window for one measurement.
 */
import { toPromDuration } from '../duration.js';
import type { GateSpec } from '../plan/types.js';
import { renderTemplate } from '../template.js';

export interface QueryRuntime {
  rangeMs: number;
  weight?: number;
  step?: number;
}

export function withRuntimeVars(gate: GateSpec, runtime: QueryRuntime): GateSpec {
  const vars: Record<string, string> = { range: toPromDuration(runtime.rangeMs) };
  if (runtime.weight !== undefined) vars.weight = String(runtime.weight);
  if (runtime.step !== undefined) vars.step = String(runtime.step);
  // Unknown names stay as written: a gate check outside a rollout has no weight or step.
  const keep = ['weight', 'step'];
  const render = (query: string): string => renderTemplate(query, vars, keep);
  return {
    ...gate,
    query: render(gate.query),
    ...(gate.baseline !== undefined ? { baseline: render(gate.baseline) } : {}),
    ...(gate.minSamples ? { minSamples: { ...gate.minSamples, query: render(gate.minSamples.query) } } : {}),
  };
}
