/**
 * Checks shared by the three policy formats: PromQL syntax with `{{range}}` filled by a sample
 * duration, label names Prometheus accepts, IANA time zones, RFC 3339 intervals, objectives.
 * They return data-path issues; the loaders position them in the YAML source.
 */
import type { z } from 'zod';
import { didYouMean } from '../plan/did-you-mean.js';
import { fromZodIssue } from '../plan/schema-issues.js';
import type { PathIssue, PathSegment } from '../plan/positions.js';
import { findPromqlError, templateOffset } from '../plan/promql.js';
import { unknownPlaceholderMessage } from '../plan/plan-vars.js';
import { placeholdersIn, renderTemplate } from '../template.js';

export type Data = Record<string, unknown>;

export function record(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Data) : undefined;
}
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The sample filled into `{{range}}` to parse a query at load time (any valid range would do). */
export const RANGE_SAMPLE = '5m';

/** The query as the file spells it, when the checked one was rewritten from it (Sloth's `{{.window}}`). */
export interface WrittenQuery {
  text: string;
  /** The rewrite, which must turn a prefix of `text` into a prefix of the checked query. */
  toQuery: (text: string) => string;
}

/**
 * Placeholders known, then PromQL syntax with every placeholder replaced by a sample value.
 * `known` maps each allowed placeholder to its sample.
 */
export function queryIssues(query: string, path: PathSegment[], known: Readonly<Record<string, string>>, written?: WrittenQuery): PathIssue[] {
  const issues: PathIssue[] = [];
  const unknown = placeholdersIn(query).filter((name) => !(name in known));
  for (const name of unknown) {
    const written = new RegExp(`\\{\\{\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\}\\}`).exec(query)?.[0];
    issues.push({ path, message: unknownPlaceholderMessage(name, Object.keys(known)), ...(written ? { needle: written } : {}) });
  }
  if (unknown.length > 0) return issues;
  const rendered = renderTemplate(query, known);
  const error = findPromqlError(rendered);
  if (!error) return issues;
  // The offending token's place in the value as written, for its line:col in the file.
  const source = written ?? { text: query, toQuery: (text: string) => text };
  const valueOffset = templateOffset(source.text, error.offset, (prefix) => renderTemplate(source.toQuery(prefix), known));
  const needleIndex = error.near ? rendered.slice(0, error.offset).split(error.near).length - 1 : 0;
  issues.push({ path, message: error.message, valueOffset, ...(error.near ? { needle: error.near, needleIndex } : {}) });
  return issues;
}

/** A query evaluated over a window must say where the window goes. */
export function requireRange(query: string, path: PathSegment[], placeholder = '{{range}}'): PathIssue[] {
  return placeholdersIn(query).includes('range') ? [] : [{ path, message: `has no [${placeholder}]: the window length is filled in there (5m for alerts, 30d for the period)` }];
}

/** Prometheus label names (and annotation keys, which follow the same rule in rule files). */
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Alert names must be valid metric names for Prometheus 2.x rule files. */
export const ALERT_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function labelIssues(labels: unknown, path: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [name, value] of Object.entries(record(labels) ?? {})) {
    if (!LABEL_NAME_RE.test(name)) issues.push({ path: [...path, name], at: 'key', message: `"${name}" is not a Prometheus label name: use letters, digits and "_", not starting with a digit` });
    else if (name.startsWith('__')) issues.push({ path: [...path, name], at: 'key', message: `"${name}": names starting with "__" are reserved by Prometheus` });
    if (value !== undefined && typeof value !== 'string') issues.push({ path: [...path, name], message: `expected a string, got ${JSON.stringify(value)} (quote it: "${String(value)}")` });
  }
  return issues;
}

/** True when the runtime knows the IANA zone (Node ships full ICU). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const COMMON_ZONES = ['UTC', 'Europe/Berlin', 'Europe/London', 'Europe/Paris', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];

export function timeZoneIssues(zone: unknown, path: PathSegment[]): PathIssue[] {
  if (typeof zone !== 'string' || zone === '' || isTimeZone(zone)) return [];
  const candidates = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : COMMON_ZONES;
  return [{ path, message: `"${zone}" is not an IANA time zone${didYouMean(zone, candidates)}` }];
}

/** `from` before `to` in each exclusion (the schema checks the format). */
export function exclusionIssues(exclusions: unknown, path: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  list(exclusions).forEach((value, index) => {
    const entry = record(value);
    const from = Date.parse(text(entry?.from) ?? '');
    const to = Date.parse(text(entry?.to) ?? '');
    if (Number.isFinite(from) && Number.isFinite(to) && from >= to) issues.push({ path: [...path, index, 'to'], message: `${String(entry?.to)} is not after from ${String(entry?.from)}` });
  });
  return issues;
}

/** An objective in percent: above 0, below 100 (100% leaves no error budget to burn). */
export function objectiveIssue(percent: number | undefined, path: PathSegment[], written: unknown, unit: 'percent' | 'ratio' = 'percent'): PathIssue[] {
  if (percent === undefined) return [];
  const limit = unit === 'percent' ? '100' : '1';
  if (percent > 100) return [{ path, message: `${String(written)} is above ${limit}` }];
  if (percent === 100) return [{ path, message: `${String(written)} leaves no error budget: use ${unit === 'percent' ? 'an objective' : 'a target'} below ${limit}` }];
  if (percent <= 0) return [{ path, message: `${String(written)} must be above 0` }];
  return [];
}

/**
 * zod issues → positioned-later issues, as for plans, with two refinements for policies: a
 * missing value of a union (objective) is "required", and a calendar window mapping is checked
 * against the calendar schema so its own keys are named.
 */
export function schemaIssues(issues: readonly z.core.$ZodIssue[], root: z.ZodType, unions: ReadonlyArray<{ last: string; schema: z.ZodType }> = []): PathIssue[] {
  return issues.flatMap((issue) => {
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'invalid_union') {
      const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
      if (input === undefined) return [{ path, message: 'is required' }];
      const union = unions.find((entry) => path[path.length - 1] === entry.last);
      if (union && record(input)) {
        const inner = union.schema.safeParse(input, { reportInput: true });
        if (!inner.success) return inner.error.issues.flatMap((found) => fromZodIssue({ ...found, path: [...path, ...found.path] } as z.core.$ZodIssue, root));
      }
    }
    return fromZodIssue(issue, root);
  });
}

/** Duplicate names in a list of named entries. */
export function duplicateNameIssues(entries: unknown, path: PathSegment[], what: string): PathIssue[] {
  const seen = new Map<string, number>();
  const issues: PathIssue[] = [];
  list(entries).forEach((value, index) => {
    const name = text(record(value)?.name);
    if (name === undefined) return;
    const first = seen.get(name);
    if (first !== undefined) issues.push({ path: [...path, index, 'name'], message: `duplicate ${what} name "${name}" (also ${path.join('.')}[${first}])` });
    else seen.set(name, index);
  });
  return issues;
}

export function httpUrlIssues(url: unknown, path: PathSegment[]): PathIssue[] {
  if (typeof url !== 'string') return [];
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return [];
  } catch {
    // reported below
  }
  return [{ path, message: `${JSON.stringify(url)} is not an http(s) URL` }];
}
