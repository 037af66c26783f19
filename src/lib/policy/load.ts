/**
 * Loading a RolloutPolicy file with the plan loader's machinery (one YAML parse with positions,
 * `${ENV}` interpolation, zod issues turned into `file:line:col` messages), then the checks a
 * schema cannot make: one shape per freeze window, cron expressions, time zones, from before to.
 */
import { Cron } from 'croner';
import { DateTime, IANAZone } from 'luxon';
import { PlanError, type PlanIssue } from '../errors.js';
import { parseDuration } from '../duration.js';
import { parseYamlSource, readInputFile, sortByPosition } from '../plan/load.js';
import { formatPath, type PathIssue, type PathSegment } from '../plan/positions.js';
import { parsePercent } from '../plan/resolve.js';
import { fromZodIssue } from '../plan/schema-issues.js';
import { RolloutPolicySchema, type RawFreezeWindow, type RawRolloutPolicy } from './schema.js';
import type { FreezeWindow, PolicyRules, ResolvedPolicy } from './types.js';

export interface PolicyCheck {
  file: string;
  sha256?: string;
  issues: PlanIssue[];
  policy?: ResolvedPolicy;
}

const OFFSET_RE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

function parseInstant(text: string, timezone: string | undefined): DateTime {
  return DateTime.fromISO(text.trim(), { zone: timezone ?? 'UTC', setZone: true });
}

function checkWindow(window: RawFreezeWindow, path: PathSegment[]): PathIssue[] {
  const issues: PathIssue[] = [];
  const add = (key: string, message: string): void => void issues.push({ path: [...path, key], message });
  const fixed = window.from !== undefined || window.to !== undefined;
  const recurring = window.cron !== undefined || window.duration !== undefined;
  if (window.timezone !== undefined && !IANAZone.isValidZone(window.timezone)) add('timezone', `"${window.timezone}" is not an IANA time zone (for example Europe/Berlin, America/New_York, UTC)`);
  const zoneOk = window.timezone === undefined || IANAZone.isValidZone(window.timezone);
  if (fixed && recurring) {
    issues.push({ path: [...path, window.cron !== undefined ? 'cron' : 'duration'], message: 'a freeze window is either fixed (from, to) or recurring (cron, duration), not both' });
    return issues;
  }
  if (!fixed && !recurring) {
    issues.push({ path, message: 'a freeze window needs from and to (fixed) or cron and duration (recurring)' });
    return issues;
  }
  if (fixed) {
    for (const key of ['from', 'to'] as const) {
      const value = window[key];
      if (value === undefined) add(key, `is required with ${key === 'from' ? 'to' : 'from'}`);
      else if (window.timezone === undefined && !OFFSET_RE.test(value.trim())) add(key, `"${value}" has no UTC offset: write it as 2026-12-20T00:00:00+01:00 (or Z), or give the window a timezone`);
      else if (zoneOk && !parseInstant(value, window.timezone).isValid) add(key, `"${value}" is not an RFC 3339 time such as 2026-12-20T00:00:00+01:00`);
    }
    if (issues.length === 0 && window.from !== undefined && window.to !== undefined) {
      const from = parseInstant(window.from, window.timezone);
      const to = parseInstant(window.to, window.timezone);
      if (to.toMillis() <= from.toMillis()) add('to', `${window.to} is not after from (${window.from})`);
    }
    return issues;
  }
  if (window.cron === undefined) add('cron', 'is required with duration: when the window starts, e.g. "0 0 * * SAT"');
  else {
    try {
      new Cron(window.cron, { timezone: zoneOk ? window.timezone : undefined, legacyMode: true });
    } catch (error) {
      add('cron', `"${window.cron}" is not a cron expression: ${error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error)}`);
    }
  }
  if (window.duration === undefined) add('duration', 'is required with cron: how long each window lasts, e.g. 48h');
  else if ((parseDuration(window.duration) ?? 0) <= 0) add('duration', 'must be longer than 0');
  return issues;
}

/** Runs on the plain data even when the schema check failed, so one run reports every problem: fields of the wrong type are skipped (the schema reports them). */
function checkRules(raw: Partial<RawRolloutPolicy>): PathIssue[] {
  const issues: PathIssue[] = [];
  const rules: Record<string, unknown> = isRecord(raw.rules) ? raw.rules : {};
  for (const key of ['maxFirstWeight', 'maxStepIncrease', 'approvalAbove'] as const) {
    const value = rules[key];
    const percent = value === undefined ? undefined : parsePercent(value);
    if (percent !== undefined && (percent < 0 || percent > 100)) issues.push({ path: ['rules', key], message: `${percent} is not a percentage between 0 and 100` });
  }
  const seen = new Set<string>();
  windowsOf(raw).forEach(({ window, index }) => {
    if (typeof window.name !== 'string') return;
    if (seen.has(window.name)) issues.push({ path: ['freezeWindows', index, 'name'], message: `another freeze window is already named "${window.name}"` });
    seen.add(window.name);
    if (Object.values(window).every((value) => typeof value === 'string')) issues.push(...checkWindow(window as RawFreezeWindow, ['freezeWindows', index]));
  });
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function windowsOf(raw: Partial<RawRolloutPolicy>): Array<{ window: Record<string, unknown>; index: number }> {
  const list: unknown[] = Array.isArray(raw.freezeWindows) ? raw.freezeWindows : [];
  return list.flatMap((window, index) => (isRecord(window) ? [{ window, index }] : []));
}

function resolveWindow(window: RawFreezeWindow, index: number): FreezeWindow {
  const base = { name: window.name, index, ...(window.reason !== undefined ? { reason: window.reason } : {}) };
  if (window.cron !== undefined) return { ...base, kind: 'cron', cron: window.cron, duration: window.duration!, timezone: window.timezone ?? 'UTC' };
  return { ...base, kind: 'fixed', from: parseInstant(window.from!, window.timezone).toJSDate(), to: parseInstant(window.to!, window.timezone).toJSDate() };
}

function resolvePolicy(raw: RawRolloutPolicy, file: string, sha256: string): ResolvedPolicy {
  const r = raw.rules ?? {};
  const percent = (value: unknown): number | undefined => (value === undefined ? undefined : parsePercent(value));
  const rules: PolicyRules = {
    ...(r.requiredGates ? { requiredGates: [...r.requiredGates] } : {}),
    ...(r.minBake !== undefined ? { minBakeMs: parseDuration(r.minBake) ?? 0 } : {}),
    ...(r.maxFirstWeight !== undefined ? { maxFirstWeight: percent(r.maxFirstWeight)! } : {}),
    ...(r.maxStepIncrease !== undefined ? { maxStepIncrease: percent(r.maxStepIncrease)! } : {}),
    ...(r.approvalAbove !== undefined ? { approvalAbove: percent(r.approvalAbove)! } : {}),
    ...(r.requireAutoRollback !== undefined ? { requireAutoRollback: r.requireAutoRollback } : {}),
    ...(r.allowedTrafficHosts ? { allowedTrafficHosts: [...r.allowedTrafficHosts] } : {}),
  };
  return { name: raw.metadata.name, file, sha256, rules, freezeWindows: (raw.freezeWindows ?? []).map(resolveWindow) };
}

/** Checks a RolloutPolicy given as text or bytes; never throws on any content. */
export function checkPolicySource(content: string | Uint8Array, file: string, env: NodeJS.ProcessEnv = process.env): PolicyCheck {
  const parsed = parseYamlSource(content, file, env, 'a RolloutPolicy (apiVersion: rollgate/v1, kind: RolloutPolicy, ...)');
  if (!parsed.ok) return { file, sha256: parsed.sha256, issues: parsed.issues };
  const { source, data, envIssues, sha256 } = parsed;
  const schema = RolloutPolicySchema.safeParse(data, { reportInput: true });
  const found: PathIssue[] = [...envIssues];
  if (!schema.success) found.push(...schema.error.issues.flatMap((issue) => fromZodIssue(issue, RolloutPolicySchema)));
  if (isRecord(data)) found.push(...checkRules(data as Partial<RawRolloutPolicy>));
  const envPaths = new Set(envIssues.map((issue) => formatPath(issue.path)));
  const issues = found.filter((issue, i) => i < envIssues.length || !envPaths.has(formatPath(issue.path)));
  if (issues.length > 0 || !schema.success) return { file, sha256, issues: sortByPosition(issues.map((issue) => source.issue(issue))) };
  return { file, sha256, issues: [], policy: resolvePolicy(schema.data, file, sha256) };
}

/** Reads and checks a policy file; an unreadable file is an issue about the whole file. */
export async function checkPolicyFile(file: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PolicyCheck> {
  const read = await readInputFile(file, options.cwd ?? process.cwd(), 'policy');
  if ('issue' in read) return { file, issues: [read.issue] };
  return checkPolicySource(read.bytes, file, options.env ?? process.env);
}

/** Loads a RolloutPolicy or throws a PlanError with every issue of the file (exit 2). */
export async function loadPolicy(file: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ResolvedPolicy> {
  const checked = await checkPolicyFile(file, options);
  if (!checked.policy) throw new PlanError(checked.issues);
  return checked.policy;
}
