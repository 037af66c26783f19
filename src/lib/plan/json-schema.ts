/** JSON Schema of the plan format, generated from the zod schema (the single source of truth). */
import * as z from 'zod';
import { RolloutPlanSchema } from './schema.js';

/**
 * The RolloutPlan JSON Schema for editors (`# yaml-language-server: $schema=...`).
 * Draft-07 because yaml-language-server and most editors support it best; `io: 'input'` so
 * fields with defaults stay optional, as users write them.
 */
export function rolloutPlanJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RolloutPlanSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'rollgate RolloutPlan v1' };
}
