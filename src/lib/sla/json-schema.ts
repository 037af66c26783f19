/** JSON Schema of the SLAPolicy format, generated from its zod schema (the single source of truth). */
import * as z from 'zod';
import { SlaPolicySchema } from './policy-schema.js';

/** The SLAPolicy JSON Schema for editors (`# yaml-language-server: $schema=...`); draft-07 like the plan's. */
export function slaPolicyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SlaPolicySchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'rollgate SLAPolicy v1' };
}
