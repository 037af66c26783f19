/** `rollgate schema plan|policy`: the JSON Schema of a format (RolloutPlan, SLAPolicy), for editor completion. */
import { ExitCode, UsageError } from '../lib/errors.js';
import { rolloutPlanJsonSchema } from '../lib/plan/json-schema.js';
import type { CommandContext } from './context.js';

export interface SchemaInput {
  kind: string;
}

export async function run(ctx: CommandContext, input: SchemaInput): Promise<number> {
  if (input.kind === 'plan') {
    // The schema itself is the document, with or without --json: editors read it as is.
    ctx.ui.out(JSON.stringify(rolloutPlanJsonSchema(), null, 2));
    return ExitCode.ok;
  }
  if (input.kind === 'rollout-policy') {
    const { rolloutPolicyJsonSchema } = await import('../lib/policy/schema.js');
    ctx.ui.out(JSON.stringify(rolloutPolicyJsonSchema(), null, 2));
    return ExitCode.ok;
  }
  if (input.kind === 'policy') {
    const { slaPolicyJsonSchema } = await import('../lib/sla/json-schema.js');
    ctx.ui.out(JSON.stringify(slaPolicyJsonSchema(), null, 2));
    return ExitCode.ok;
  }
  throw new UsageError(`schema: unknown kind "${input.kind}"`, 'use: rollgate schema plan | policy | rollout-policy');
}
