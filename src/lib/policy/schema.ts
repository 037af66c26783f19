/**
 * zod schema of the RolloutPolicy v1 format: org guardrails checked against plans, and freeze
 * windows. The single source of its types and of its JSON Schema (`rollgate schema rollout-policy`).
 * Checks a schema cannot express (one shape per freeze window, valid cron and time zones, from
 * before to) are in validate.ts.
 */
import * as z from 'zod';
import { Duration, Name, Percent } from '../plan/schema.js';

export const PolicyRulesSchema = z
  .strictObject({
    requiredGates: z.array(z.string().min(1)).optional().describe('gate names every plan must define (critical) and check in every step'),
    minBake: Duration.optional().describe('every step bakes at least this long'),
    maxFirstWeight: Percent.optional().describe("the first step's weight at most"),
    maxStepIncrease: Percent.optional().describe('percentage points at most between consecutive steps'),
    approvalAbove: Percent.optional().describe('traffic goes above this weight only after a person approved: the step before each such step needs approval: true'),
    requireAutoRollback: z.boolean().optional().describe('plans must keep rollback.auto on'),
    allowedTrafficHosts: z
      .array(z.string().min(1))
      .optional()
      .describe('hosts http actions (traffic and hooks) may call: "router.internal", "router.internal:8080" or "*.internal"'),
  })
  .describe('rules every plan must meet');

export const FreezeWindowSchema = z
  .strictObject({
    name: Name,
    reason: z.string().optional().describe('why deploys are frozen; shown when a rollout is refused'),
    from: z.string().optional().describe('fixed window start: RFC 3339 with an offset (or a local time with timezone:)'),
    to: z.string().optional().describe('fixed window end (exclusive)'),
    cron: z.string().optional().describe('recurring window: when it starts, a 5-field cron expression (6 fields: with seconds)'),
    duration: Duration.optional().describe('recurring window: how long it lasts; d and w are calendar days in the time zone (DST-aware), h/m/s exact'),
    timezone: z.string().optional().describe('IANA time zone of cron (and of from/to without an offset); default UTC'),
  })
  .describe('a freeze window: {name, from, to, reason} or {name, cron, duration, timezone}');

export const RolloutPolicySchema = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal('rollgate/v1'),
    kind: z.literal('RolloutPolicy'),
    metadata: z.strictObject({
      name: Name,
      labels: z.record(z.string(), z.string()).optional(),
    }),
    rules: PolicyRulesSchema.optional(),
    freezeWindows: z.array(FreezeWindowSchema).optional(),
  })
  .describe('rollgate RolloutPolicy v1');

export type RawRolloutPolicy = z.infer<typeof RolloutPolicySchema>;
export type RawFreezeWindow = z.infer<typeof FreezeWindowSchema>;

/** JSON Schema for editors, draft-07 like the plan's (see plan/json-schema.ts). */
export function rolloutPolicyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RolloutPolicySchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'rollgate RolloutPolicy v1' };
}
