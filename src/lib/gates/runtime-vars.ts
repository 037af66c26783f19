/**
 * Gate queries keep `{{weight}}`, `{{step}}` and `{{range}}` after loading (see plan-vars.ts);
 * they are filled here, just before a measurement, from what is true at that moment.
 * `{{range}}` is the analysis interval (at least 1s), the natural rate() window for one measurement.
 *
 * They go through the same PromQL-aware rendering as plan vars (plan/promql-vars.ts), and the
 * finished query is parsed again before it is sent: a query that is not what the plan said is
 * refused (exit 2), never sent.
 */
import { toPromDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { findPromqlError } from '../plan/promql.js';
import { renderPromqlTemplate, UnsafePlaceholderError } from '../plan/promql-vars.js';
import type { GateSpec } from '../plan/types.js';
import { placeholdersIn } from '../template.js';

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
  const render = (query: string, field: string): string => {
    let rendered: string;
    try {
      rendered = renderPromqlTemplate(query, vars, keep);
    } catch (error) {
      if (error instanceof UnsafePlaceholderError) throw new UsageError(`gate "${gate.name}": ${field}: ${error.message}`);
      throw error;
    }
    // With placeholders still open (weight/step outside a rollout) the caller refuses the gate itself.
    if (placeholdersIn(rendered).length === 0) {
      const problem = findPromqlError(rendered);
      if (problem) {
        // Where in the finished query, as promtool says it (line:col), since it is not the text of the plan.
        const before = rendered.slice(0, problem.offset);
        const at = `${before.split('\n').length}:${problem.offset - before.lastIndexOf('\n')}`;
        throw new UsageError(`gate "${gate.name}": ${field}: the query to send is not valid PromQL (${at}: ${problem.message}); it was not sent`);
      }
    }
    return rendered;
  };
  return {
    ...gate,
    query: render(gate.query, 'query'),
    ...(gate.baseline !== undefined ? { baseline: render(gate.baseline, 'baseline') } : {}),
    ...(gate.minSamples ? { minSamples: { ...gate.minSamples, query: render(gate.minSamples.query, 'minSamples.query') } } : {}),
  };
}
