/**
 * Step numbers in machine output. People read "step 2/4", so every JSON and NDJSON document names
 * the step as people do: `step` is 1-based (0 before the first step started), and `stepIndex` is
 * the 0-based index (-1 before the first step) for scripts that index `plan.steps`.
 *
 * The evidence log keeps what it recorded (`data.step` is the 0-based index, covered by each
 * event's hash): logs written before this stay readable and verifiable, so the conversion happens
 * here, at the output boundary, never in the log.
 */
export interface StepFields {
  /** 1-based step number; 0 before the first step started. */
  step: number;
  /** 0-based index into the plan's steps; -1 before the first step started. */
  stepIndex: number;
}

export function stepFields(index: number): StepFields {
  return { step: index + 1, stepIndex: index };
}

/** The step fields of a recorded event, when its `data.step` holds a step index. */
export function eventStepFields(data: Readonly<Record<string, unknown>>): StepFields | undefined {
  const index = data.step;
  return typeof index === 'number' && Number.isInteger(index) ? stepFields(index) : undefined;
}
