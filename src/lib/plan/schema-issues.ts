/**
 * zod issues → messages a person can act on, with the data path kept for positioning.
 * zod's defaults ("Invalid input: expected number, received string") name types, not the value
 * the user wrote; these name the value and, for unknown keys, the closest allowed key.
 */
import * as z from 'zod';
import { didYouMean } from './did-you-mean.js';
import type { PathIssue, PathSegment } from './positions.js';
import { Percent } from './schema.js';

type ZodIssue = z.core.$ZodIssue;

const SECRET_KEY_RE = /pass(?:word|wd)?|token|secret/i;

/** Short description of a value for messages: `"5 minutes"`, `140`, `a list`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function typeWord(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

/** The schema that validates the value at `path`, when it can be followed (objects, arrays, records). */
export function schemaAt(root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(segment)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    if (!current) return undefined;
  }
  return unwrap(current);
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
  return current;
}

/** `exec: "./set-weight.sh {{weight}}"` → the argv list to write instead. */
function suggestArgv(command: string): string {
  return `[${command.trim().split(/\s+/).map((word) => JSON.stringify(word)).join(', ')}]`;
}

/** Turns one zod issue into positioned-later issues (an unrecognized_keys issue gives one per key). */
export function fromZodIssue(issue: ZodIssue, root: z.ZodType): PathIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const schema = schemaAt(root, path);
      const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
      const fromElsewhere = allowed.filter((name) => /(?:File|Env)$/.test(name));
      return issue.keys.map((key) => {
        // `password: hunter2` is a secret in the plan: say so, rather than suggest a near key name.
        if (SECRET_KEY_RE.test(key) && fromElsewhere.length > 0) {
          return { path: [...path, key], at: 'key' as const, message: `secrets must not be written in the plan: use ${fromElsewhere.join(' or ')}` };
        }
        const hint = didYouMean(key, allowed);
        return { path: [...path, key], at: 'key' as const, message: `unknown key "${key}"${hint || (allowed.length > 0 ? `; allowed: ${allowed.join(', ')}` : '')}` };
      });
    }
    case 'invalid_type': {
      if (input === undefined) return [{ path, message: 'is required' }];
      if (issue.expected === 'array' && path[path.length - 1] === 'exec' && typeof input === 'string') {
        return [{ path, message: `must be an argv list, not a string (no shell runs it): write exec: ${suggestArgv(input)}` }];
      }
      return [{ path, message: `expected ${typeWord(issue.expected)}, got ${describeValue(input)}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => JSON.stringify(value));
      if (values.length === 1) return [{ path, message: `expected ${values[0]}, got ${describeValue(input)}` }];
      const hint = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      return [{ path, message: `${describeValue(input)} is not one of ${issue.values.map(String).join(', ')}${hint}` }];
    }
    case 'invalid_format':
      return [{ path, message: issue.message.startsWith('expected') ? `${issue.message}, got ${describeValue(input)}` : `${describeValue(input)}: ${issue.message}` }];
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
      if (issue.origin === 'array') return [{ path, message: small ? `needs at least ${bound} item${Number(bound) === 1 ? '' : 's'}` : `has more than ${bound} items` }];
      if (issue.origin === 'string') return [{ path, message: small && Number(bound) === 1 ? 'must not be empty' : issue.message }];
      return [{ path, message: `${describeValue(input)} is ${small ? 'below the minimum' : 'above the maximum'} ${bound}` }];
    }
    case 'invalid_union': {
      if (schemaAt(root, path) === Percent) return [{ path, message: `expected a percentage such as 10 or "10%", got ${describeValue(input)}` }];
      const expected = [...new Set(issue.errors.flatMap((branch) => branch.filter((inner) => inner.code === 'invalid_type').map((inner) => typeWord((inner as { expected: string }).expected))))];
      if (expected.length > 0) return [{ path, message: `expected ${expected.join(' or ')}, got ${describeValue(input)}` }];
      return [{ path, message: issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}
