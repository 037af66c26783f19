/**
 * The `{{name}}` placeholders a plan may use and their values: `vars:` merged with `--set`
 * (which wins), plus the built-ins `service` and `name` from metadata.
 */
import { UsageError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import type { PathIssue } from './positions.js';

/** Filled from `metadata` at load time. */
export const BUILTIN_PLACEHOLDERS = ['service', 'name'] as const;
/** Left in gate queries for run time: the step's weight and index, and the query range. */
export const QUERY_RUNTIME_PLACEHOLDERS = ['weight', 'step', 'range'] as const;
/** Substituted by the engine in action arguments at run time. */
export const ACTION_RUNTIME_PLACEHOLDERS = ['weight', 'step', 'rolloutId'] as const;

const RESERVED = new Set<string>([...BUILTIN_PLACEHOLDERS, ...QUERY_RUNTIME_PLACEHOLDERS, ...ACTION_RUNTIME_PLACEHOLDERS]);
/** Same grammar as the placeholder pattern in src/lib/template.ts: anything else could never be used. */
const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Rejects `--set` names that could never reach a placeholder; the plan is not involved, so a usage error. */
export function checkSetOverrides(set: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(set)) {
    if (RESERVED.has(name)) throw new UsageError(`--set ${name}=...: "${name}" is a built-in placeholder and cannot be overridden`, name === 'service' || name === 'name' ? `change metadata.${name} in the plan` : undefined);
    if (!VAR_NAME_RE.test(name)) throw new UsageError(`--set ${name}=...: "${name}" is not a valid var name`, 'use letters, digits, "_", "." and "-", starting with a letter or "_"');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The placeholder values of a plan (not yet validated, so every field is checked before use),
 * and the problems of its `vars:` names.
 */
export function collectVars(plan: unknown, set: Readonly<Record<string, string>> = {}): { vars: Record<string, string>; issues: PathIssue[] } {
  const issues: PathIssue[] = [];
  const vars: Record<string, string> = {};
  const declared = isRecord(plan) && isRecord(plan.vars) ? plan.vars : {};
  for (const [name, value] of Object.entries(declared)) {
    if (RESERVED.has(name)) {
      issues.push({ path: ['vars', name], at: 'key', message: `"${name}" is a built-in placeholder${name === 'service' || name === 'name' ? ` (metadata.${name})` : ' set at run time'}; choose another name` });
    } else if (!VAR_NAME_RE.test(name)) {
      issues.push({ path: ['vars', name], at: 'key', message: `"${name}" cannot be used as {{${name}}}: use letters, digits, "_", "." and "-", starting with a letter or "_"` });
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      vars[name] = String(value);
    }
  }
  Object.assign(vars, set);
  const metadata = isRecord(plan) && isRecord(plan.metadata) ? plan.metadata : {};
  if (typeof metadata.service === 'string') vars.service = metadata.service;
  if (typeof metadata.name === 'string') vars.name = metadata.name;
  return { vars, issues };
}

/** `unknown placeholder {{versoin}} (did you mean {{version}}?)` */
export function unknownPlaceholderMessage(name: string, known: Iterable<string>): string {
  return `unknown placeholder {{${name}}}${didYouMean(name, known, (match) => `{{${match}}}`)}`;
}
