/**
 * `kind: SLAPolicy` (rollgate/v1): schema and semantic checks on plain data (so one run reports
 * every problem of the file), then conversion into the SLO model.
 */
import { parseDuration } from '../duration.js';
import { placeholdersIn } from '../template.js';
import type { PathIssue, PathSegment } from '../plan/positions.js';
import { parsePercent, resolvePrometheus } from '../plan/resolve.js';
import { validatePlanSemantics } from '../plan/validate.js';
import {
  ALERT_NAME_RE,
  duplicateNameIssues,
  exclusionIssues,
  httpUrlIssues,
  labelIssues,
  list,
  num,
  objectiveIssue,
  queryIssues,
  RANGE_SAMPLE,
  record,
  requireRange,
  schemaIssues,
  text,
  timeZoneIssues,
  type Data,
} from './checks.js';
import type { Exclusion, SlaPolicyModel, SlaRule, Sli, Slo, SloAlerting, SloWindow } from './model.js';
import { CalendarWindowSchema, SlaPolicySchema, type RawAlerting, type RawSlaPolicy, type RawSlaRule, type RawSlo } from './policy-schema.js';

/** Default comparison point of maxIncrease/maxDecrease rules: the same time yesterday. */
export const DEFAULT_RULE_OFFSET_MS = 24 * 3_600_000;

const SLI_KINDS = ['errorRatio', 'timeslices', 'ratio'] as const;

/** `"5%"` → 0.05; undefined when it is not a relative limit. */
export function parseRelativeLimit(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  return match ? Number(match[1]) / 100 : undefined;
}

class PolicyChecker {
  readonly issues: PathIssue[] = [];
  private readonly samples: Record<string, string>;

  constructor(private readonly policy: Data) {
    const metadata = record(policy.metadata);
    this.samples = { service: text(metadata?.service) ?? 'service', name: text(metadata?.name) ?? 'name', range: RANGE_SAMPLE };
  }

  private add(found: PathIssue[]): void {
    this.issues.push(...found);
  }

  run(): PathIssue[] {
    this.add(labelIssues(record(this.policy.metadata)?.labels, ['metadata', 'labels']));
    this.add(exclusionIssues(this.policy.exclude, ['exclude']));
    this.add(duplicateNameIssues(this.policy.slos, ['slos'], 'SLO'));
    list(this.policy.slos).forEach((slo, index) => {
      const data = record(slo);
      if (data) this.checkSlo(data, ['slos', index]);
    });
    this.add(duplicateNameIssues(this.policy.rules, ['rules'], 'rule'));
    list(this.policy.rules).forEach((rule, index) => {
      const data = record(rule);
      if (data) this.checkRule(data, ['rules', index]);
    });
    // The Prometheus section is the plans' own: reuse their checks (URL, inline secrets, auth).
    if (this.policy.prometheus !== undefined) this.add(validatePlanSemantics({ prometheus: this.policy.prometheus }, {}).filter((issue) => issue.path[0] === 'prometheus'));
    return this.issues;
  }

  /** `ranged`: the query is evaluated over windows, so `{{range}}` is known (and, with `needsRange`, required). */
  private query(query: unknown, path: PathSegment[], needsRange: boolean, ranged = true): void {
    const value = text(query);
    if (value === undefined || value === '') return;
    if (!ranged && placeholdersIn(value).includes('range')) {
      this.add([{ path, message: '{{range}} is only filled in SLI queries: write the window of the rule, e.g. [5m]', needle: '{{range}}' }]);
      return;
    }
    const { range, ...builtins } = this.samples;
    const found = queryIssues(value, path, ranged ? { ...builtins, range: range! } : builtins);
    this.add(found);
    if (found.length === 0 && needsRange) this.add(requireRange(value, path));
  }

  private checkSlo(slo: Data, path: PathSegment[]): void {
    this.add(objectiveIssue(parsePercent(slo.objective), [...path, 'objective'], slo.objective));
    const window = slo.window;
    if (typeof window === 'string' && parseDuration(window) === 0) this.add([{ path: [...path, 'window'], message: `must be longer than 0 (got ${window})` }]);
    this.add(timeZoneIssues(record(window)?.timezone, [...path, 'window', 'timezone']));
    this.add(exclusionIssues(slo.exclude, [...path, 'exclude']));
    this.add(labelIssues(slo.labels, [...path, 'labels']));

    const kinds = SLI_KINDS.filter((kind) => slo[kind] !== undefined);
    if (kinds.length === 0) this.add([{ path, message: 'needs an SLI: errorRatio {errors, total}, timeslices {query, max|min, slice} or ratio {query}' }]);
    for (const extra of kinds.slice(1)) this.add([{ path: [...path, extra], at: 'key', message: `one SLI per SLO: ${kinds[0]} is already set` }]);

    const errorRatio = record(slo.errorRatio);
    if (errorRatio) {
      this.query(errorRatio.errors, [...path, 'errorRatio', 'errors'], true);
      this.query(errorRatio.total, [...path, 'errorRatio', 'total'], true);
    }
    const ratio = record(slo.ratio);
    if (ratio) this.query(ratio.query, [...path, 'ratio', 'query'], true);
    const slices = record(slo.timeslices);
    if (slices) {
      this.query(slices.query, [...path, 'timeslices', 'query'], false);
      const max = num(slices.max);
      const min = num(slices.min);
      if (slices.max === undefined && slices.min === undefined) this.add([{ path: [...path, 'timeslices'], message: 'needs max or min: the threshold a good slice meets' }]);
      if (max !== undefined && min !== undefined && min > max) this.add([{ path: [...path, 'timeslices', 'min'], message: `${min} is above max ${max}: no slice could be good` }]);
      if (typeof slices.slice === 'string' && parseDuration(slices.slice) === 0) this.add([{ path: [...path, 'timeslices', 'slice'], message: `must be longer than 0 (got ${slices.slice})` }]);
    }
    if (slo.minEvents !== undefined && kinds.length > 0 && !kinds.includes('errorRatio')) {
      this.add([{ path: [...path, 'minEvents'], at: 'key', message: `needs an errorRatio SLI: its total query counts the events (this SLO uses ${kinds[0]})` }]);
    }
    const alerting = record(slo.alerting);
    if (alerting) this.checkAlerting(alerting, [...path, 'alerting']);
  }

  private checkAlerting(alerting: Data, path: PathSegment[]): void {
    const name = text(alerting.name);
    if (name !== undefined && name !== '' && !ALERT_NAME_RE.test(name)) this.add([{ path: [...path, 'name'], message: `"${name}" is not a valid alert name: use letters, digits, "_" and ":", not starting with a digit` }]);
    this.add(httpUrlIssues(alerting.runbook, [...path, 'runbook']));
    this.add(labelIssues(alerting.labels, [...path, 'labels']));
    this.add(labelIssues(alerting.annotations, [...path, 'annotations']));
    for (const target of ['page', 'ticket'] as const) {
      const entry = record(alerting[target]);
      this.add(labelIssues(entry?.labels, [...path, target, 'labels']));
      this.add(labelIssues(entry?.annotations, [...path, target, 'annotations']));
    }
  }

  private checkRule(rule: Data, path: PathSegment[]): void {
    // A rule's query is evaluated as written, over no window of rollgate's: no {{range}} there.
    this.query(rule.query, [...path, 'query'], false, false);
    const relative = (['maxIncrease', 'maxDecrease'] as const).filter((key) => rule[key] !== undefined);
    if (rule.max === undefined && rule.min === undefined && relative.length === 0) this.add([{ path, message: 'has no threshold: set max, min, maxIncrease or maxDecrease' }]);
    const max = num(rule.max);
    const min = num(rule.min);
    if (max !== undefined && min !== undefined && min > max) this.add([{ path: [...path, 'min'], message: `${min} is above max ${max}: every value would be a violation` }]);
    for (const key of relative) {
      if (parseRelativeLimit(rule[key]) === undefined) this.add([{ path: [...path, key], message: `expected a relative limit such as "5%", got ${JSON.stringify(rule[key])}` }]);
    }
    if (rule.offset !== undefined && relative.length === 0) this.add([{ path: [...path, 'offset'], at: 'key', message: 'is the comparison point of maxIncrease/maxDecrease: set one of them, or remove offset' }]);
    if (typeof rule.offset === 'string' && parseDuration(rule.offset) === 0) this.add([{ path: [...path, 'offset'], message: `must be longer than 0 (got ${rule.offset})` }]);
  }
}

/** Every issue of an SLAPolicy given as plain data (after env interpolation); never throws. */
export function checkRollgatePolicy(data: unknown): { issues: PathIssue[]; parsed?: RawSlaPolicy } {
  const parsed = SlaPolicySchema.safeParse(data, { reportInput: true });
  const found = parsed.success ? [] : schemaIssues(parsed.error.issues, SlaPolicySchema, [{ last: 'window', schema: CalendarWindowSchema }]);
  const policy = record(data);
  const semantic = policy ? new PolicyChecker(policy).run() : [];
  const issues = [...found, ...semantic];
  return parsed.success && issues.length === 0 ? { issues, parsed: parsed.data } : { issues };
}

function toWindow(window: RawSlo['window']): SloWindow {
  if (typeof window === 'string') return { kind: 'rolling', durationMs: parseDuration(window) ?? 0 };
  return { kind: 'calendar', unit: window.calendar, timezone: window.timezone };
}

function toSli(slo: RawSlo, fill: (query: string) => string): Sli {
  if (slo.errorRatio) return { kind: 'errorRatio', errors: fill(slo.errorRatio.errors), total: fill(slo.errorRatio.total) };
  if (slo.ratio) return { kind: 'ratio', query: fill(slo.ratio.query) };
  const slices = slo.timeslices!;
  return {
    kind: 'timeslices',
    query: fill(slices.query),
    ...(slices.max !== undefined ? { max: slices.max } : {}),
    ...(slices.min !== undefined ? { min: slices.min } : {}),
    sliceMs: parseDuration(slices.slice) ?? 0,
  };
}

/** Exclusions of the policy and the SLO together, in time order. */
export function mergeExclusions(...groups: Array<Exclusion[] | undefined>): Exclusion[] {
  return groups.flatMap((group) => group ?? []).sort((a, b) => Date.parse(a.from) - Date.parse(b.from) || Date.parse(a.to) - Date.parse(b.to));
}

export function toAlerting(raw: RawAlerting | undefined): SloAlerting {
  const disabled = raw?.disable === true;
  return {
    ...(raw?.name !== undefined ? { name: raw.name } : {}),
    labels: { ...(raw?.labels ?? {}) },
    annotations: { ...(raw?.annotations ?? {}) },
    page: { labels: { ...(raw?.page?.labels ?? {}) }, annotations: { ...(raw?.page?.annotations ?? {}) }, disable: disabled || raw?.page?.disable === true },
    ticket: { labels: { ...(raw?.ticket?.labels ?? {}) }, annotations: { ...(raw?.ticket?.annotations ?? {}) }, disable: disabled || raw?.ticket?.disable === true },
    ...(raw?.runbook !== undefined ? { runbookUrl: raw.runbook } : {}),
  };
}

function toRule(rule: RawSlaRule, fill: (query: string) => string): SlaRule {
  const maxIncrease = parseRelativeLimit(rule.maxIncrease);
  const maxDecrease = parseRelativeLimit(rule.maxDecrease);
  const relative = maxIncrease !== undefined || maxDecrease !== undefined;
  return {
    name: rule.name,
    query: fill(rule.query),
    ...(rule.max !== undefined ? { max: rule.max } : {}),
    ...(rule.min !== undefined ? { min: rule.min } : {}),
    ...(maxIncrease !== undefined ? { maxIncrease } : {}),
    ...(maxDecrease !== undefined ? { maxDecrease } : {}),
    ...(relative ? { offsetMs: rule.offset !== undefined ? (parseDuration(rule.offset) ?? DEFAULT_RULE_OFFSET_MS) : DEFAULT_RULE_OFFSET_MS } : {}),
    forMs: rule.for !== undefined ? (parseDuration(rule.for) ?? 0) : 0,
    severity: rule.severity ?? 'critical',
  };
}

export interface ModelContext {
  file: string;
  sha256: string;
  prometheusUrl?: string;
}

/** A checked SLAPolicy → the SLO model. `{{service}}` and `{{name}}` are filled; `{{range}}` stays. */
export function rollgatePolicyToModel(policy: RawSlaPolicy, context: ModelContext): SlaPolicyModel {
  const builtins = { service: policy.metadata.service, name: policy.metadata.name };
  const fill = (query: string): string => query.replace(/\{\{\s*(service|name)\s*\}\}/g, (_, key: 'service' | 'name') => builtins[key]);
  const slos: Slo[] = policy.slos.map((slo) => ({
    name: slo.name,
    ...(slo.description !== undefined ? { description: slo.description } : {}),
    objective: parsePercent(slo.objective) ?? 0,
    window: toWindow(slo.window),
    sli: toSli(slo, fill),
    ...(slo.minEvents !== undefined ? { minEvents: slo.minEvents } : {}),
    exclude: mergeExclusions(policy.exclude, slo.exclude),
    labels: { ...(policy.metadata.labels ?? {}), ...(slo.labels ?? {}) },
    alerting: toAlerting(slo.alerting),
  }));
  return {
    name: policy.metadata.name,
    service: policy.metadata.service,
    source: 'rollgate',
    file: context.file,
    sha256: context.sha256,
    prometheus: resolvePrometheus(policy.prometheus, context.prometheusUrl),
    slos,
    rules: (policy.rules ?? []).map((rule) => toRule(rule, fill)),
  };
}
