/**
 * Runtime checks of what the stores read back (files a person may have edited, Redis values another
 * version may have written). A value that does not fit is reported as a corrupt store, never trusted.
 */
import * as z from 'zod';
import { StateError } from '../errors.js';
import type { AbortRequest, ApprovalDecision, LockOwner, RolloutEvent, RolloutRecord } from './types.js';

const rolloutStatus = z.enum(['running', 'paused', 'promoted', 'rolled_back', 'failed', 'aborted']);

export const rolloutRecordSchema = z.object({
  rolloutId: z.string().min(1),
  service: z.string().min(1),
  planName: z.string(),
  planFile: z.string(),
  planSha256: z.string(),
  status: rolloutStatus,
  step: z.number().int(),
  weight: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  reason: z.string().optional(),
  operator: z.string().optional(),
  kind: z.enum(['rollout', 'audit']).optional(),
  dryRun: z.boolean().optional(),
  head: z.object({ seq: z.number().int().nonnegative(), hash: z.string() }).optional(),
}) satisfies z.ZodType<RolloutRecord>;

export const lockOwnerSchema = z.object({
  token: z.string().min(1),
  rolloutId: z.string(),
  pid: z.number().int(),
  host: z.string(),
  user: z.string(),
  acquiredAt: z.string(),
  heartbeatAt: z.string(),
  ttlMs: z.number().int().positive(),
}) satisfies z.ZodType<LockOwner>;

export const abortRequestSchema = z.object({
  reason: z.string(),
  severity: z.enum(['critical', 'major', 'minor']),
  by: z.string(),
  at: z.string(),
  source: z
    .object({
      kind: z.literal('alertmanager'),
      fingerprint: z.string(),
      alertname: z.string(),
      labels: z.record(z.string(), z.string()),
      annotations: z.record(z.string(), z.string()),
      generatorURL: z.string(),
      startsAt: z.string(),
    })
    .optional(),
}) satisfies z.ZodType<AbortRequest>;

export const approvalDecisionSchema = z.object({
  step: z.number().int(),
  decision: z.enum(['approve', 'rollback']),
  by: z.string(),
  at: z.string(),
  comment: z.string().optional(),
}) satisfies z.ZodType<ApprovalDecision>;

/** Loose on purpose: the stores only need seq and rolloutId; verifyChain judges the rest. */
export const storedEventSchema = z.looseObject({
  seq: z.number().int().positive(),
  rolloutId: z.string(),
}) satisfies z.ZodType<Pick<RolloutEvent, 'seq' | 'rolloutId'>>;

/** Parses JSON text with a schema; anything else is a StateError naming where it came from. */
export function parseStored<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${where} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateError(`${where} is not what rollgate wrote: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** Rollout IDs and service names become file names and Redis key parts: keep them to a safe alphabet. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}
