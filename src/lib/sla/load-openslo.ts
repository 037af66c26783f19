/**
 * OpenSLO v1: `SLO` documents with an inline `indicator` or an `indicatorRef` to an `SLI`
 * document (same file, or a file next to it), Prometheus metric sources (`spec.query`),
 * `ratioMetric` good/bad/total (counters or gauges) or raw, `thresholdMetric` with Timeslices,
 * rolling and calendar time windows. Each objective of an SLO becomes one SLO of the model.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import * as z from 'zod';
import type { PlanIssue } from '../errors.js';
import { toPromDuration } from '../duration.js';
import { didYouMean } from '../plan/did-you-mean.js';
import type { PathIssue, PathSegment } from '../plan/positions.js';
import { fromZodIssue } from '../plan/schema-issues.js';
import { objectiveIssue, queryIssues, RANGE_SAMPLE, record, text, timeZoneIssues } from './checks.js';
import type { ModelContext } from './load-rollgate.js';
import { parseDocuments, type ParsedDocument } from './documents.js';
import type { SlaPolicyModel, Sli, Slo, SloAlerting, SloWindow } from './model.js';

/** OpenSLO duration shorthand: a number and one unit (m, h, d, w, M, Q, Y). */
const DURATION_SHORTHAND_RE = /^(\d+)([mhdwMQY])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const CALENDAR_UNITS: Record<string, 'week' | 'month' | 'quarter'> = { '1w': 'week', '1M': 'month', '1Q': 'quarter' };

const Labels = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const Metadata = z.looseObject({ name: z.string().min(1), displayName: z.string().optional(), labels: Labels.optional(), annotations: z.record(z.string(), z.string()).optional() });

const MetricSource = z.strictObject({
  metricSourceRef: z.string().optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
});
const MetricHolder = z.strictObject({ metricSource: MetricSource });

export const OpenSloSliSpecSchema = z.strictObject({
  description: z.string().optional(),
  thresholdMetric: MetricHolder.optional(),
  ratioMetric: z
    .strictObject({
      counter: z.boolean().optional(),
      good: MetricHolder.optional(),
      bad: MetricHolder.optional(),
      total: MetricHolder.optional(),
      rawType: z.enum(['success', 'failure']).optional(),
      raw: MetricHolder.optional(),
    })
    .optional(),
});

export const OpenSloSliSchema = z.strictObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLI'),
  metadata: Metadata,
  spec: OpenSloSliSpecSchema,
});

const TimeWindow = z.strictObject({
  duration: z.string().regex(DURATION_SHORTHAND_RE, { message: 'expected a duration shorthand such as 28d, 1w, 1M or 1Q' }),
  isRolling: z.boolean().optional(),
  calendar: z.strictObject({ startTime: z.string().min(1), timeZone: z.string().min(1) }).optional(),
});

const Objective = z.strictObject({
  displayName: z.string().optional(),
  op: z.enum(['lte', 'gte', 'lt', 'gt']).optional(),
  value: z.number().optional(),
  target: z.number().optional(),
  targetPercent: z.number().optional(),
  timeSliceTarget: z.number().optional(),
  timeSliceWindow: z.union([z.number(), z.string()]).optional(),
});

export const OpenSloSloSchema = z.strictObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLO'),
  metadata: Metadata,
  spec: z.strictObject({
    description: z.string().optional(),
    service: z.string().min(1),
    indicator: z.strictObject({ metadata: Metadata, spec: OpenSloSliSpecSchema }).optional(),
    indicatorRef: z.string().min(1).optional(),
    timeWindow: z.array(TimeWindow).length(1, { message: 'needs exactly one time window' }),
    budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices']),
    objectives: z.array(Objective).min(1),
    alertPolicies: z.array(z.unknown()).optional(),
  }),
});

type RawSlo = z.infer<typeof OpenSloSloSchema>;
type RawSliSpec = z.infer<typeof OpenSloSliSpecSchema>;
type RawObjective = z.infer<typeof Objective>;

/** Other OpenSLO kinds a file may carry next to its SLOs; rollgate does not use them. */
const IGNORED_KINDS = ['Service', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'DataSource'];

interface LocatedSli {
  spec: RawSliSpec;
  /** Positions issues of the SLI's own fields. */
  at: (issue: PathIssue) => PlanIssue;
  path: PathSegment[];
}

const isVectorSelector = (query: string): boolean => /^\s*(?:[A-Za-z_:][\w:]*\s*(?:\{[^{}]*\})?|\{[^{}]*\})\s*$/.test(query);

/**
 * One side of a ratio as an amount over `{{range}}`: a counter's increase, or a gauge's average
 * (a gauge that is already a rate, averaged, weighs each moment like its events).
 */
function amountOver(query: string, counter: boolean): string {
  const q = query.trim();
  if (q.includes('{{range}}')) return q;
  const fn = counter ? 'increase' : 'avg_over_time';
  return isVectorSelector(q) ? `sum(${fn}(${q}[{{range}}]))` : `sum(${fn}((${q})[{{range}}:]))`;
}

/** The Prometheus query of a metric source; an issue when it is another backend or has none. */
function sourceQuery(holder: unknown, path: PathSegment[], issues: PathIssue[]): string | undefined {
  const source = record(record(holder)?.metricSource);
  if (!source) return undefined;
  const type = text(source.type);
  if (type !== undefined && type.toLowerCase() !== 'prometheus') {
    issues.push({ path: [...path, 'metricSource', 'type'], message: `"${type}" metric sources are not supported: rollgate reads Prometheus (type: Prometheus, spec.query)` });
    return undefined;
  }
  if (source.metricSourceRef !== undefined) {
    issues.push({ path: [...path, 'metricSource', 'metricSourceRef'], at: 'key', message: 'DataSource references are not supported: write the query inline (spec.query); the Prometheus URL comes from --prometheus' });
    return undefined;
  }
  const query = text(record(source.spec)?.query);
  if (query === undefined || query.trim() === '') {
    issues.push({ path: [...path, 'metricSource', 'spec', 'query'], message: 'is required: the PromQL of this metric' });
    return undefined;
  }
  const found = queryIssues(query, [...path, 'metricSource', 'spec', 'query'], { range: RANGE_SAMPLE });
  issues.push(...found);
  return found.length === 0 ? query : undefined;
}

/** `30d` → ms (rolling); undefined for M/Q/Y, which have no fixed length. */
function shorthandMs(duration: string): number | undefined {
  const match = DURATION_SHORTHAND_RE.exec(duration);
  const unit = match ? UNIT_MS[match[2]!] : undefined;
  return match && unit ? Number(match[1]) * unit : undefined;
}

function sliceMs(value: number | string | undefined): number | undefined {
  if (typeof value === 'number') return value > 0 ? value * 1_000 : undefined;
  if (typeof value === 'string') return shorthandMs(value) ?? (/^\d+s$/.test(value) ? Number(value.slice(0, -1)) * 1_000 : undefined);
  return undefined;
}

function percentOf(objective: RawObjective): number | undefined {
  if (objective.targetPercent !== undefined) return objective.targetPercent;
  // 0.999 * 100 is 99.89999999999999 in binary floating point: round to what was written.
  if (objective.target !== undefined) return Number((objective.target * 100).toPrecision(12));
  return undefined;
}

function sliName(slo: RawSlo, objective: RawObjective, index: number): string {
  if (slo.spec.objectives.length === 1) return slo.metadata.name;
  const label = (objective.displayName ?? String(index + 1)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${slo.metadata.name}-${label || index + 1}`;
}

const NO_ALERTING: SloAlerting = { labels: {}, annotations: {}, page: { labels: {}, annotations: {}, disable: false }, ticket: { labels: {}, annotations: {}, disable: false } };

class OpenSloConverter {
  readonly issues: PlanIssue[] = [];

  constructor(private readonly slis: Map<string, LocatedSli>) {}

  /** One SLO document → SLOs of the model (one per objective), or issues. */
  convert(slo: RawSlo, at: (issue: PathIssue) => PlanIssue): Slo[] {
    const local: PathIssue[] = [];
    const window = this.window(slo, local);
    const sli = this.indicator(slo, at, local);
    const out: Slo[] = [];
    slo.spec.objectives.forEach((objective, index) => {
      const path: PathSegment[] = ['spec', 'objectives', index];
      const percent = percentOf(objective);
      if (percent === undefined) local.push({ path, message: 'needs target (0..1) or targetPercent' });
      else if (objective.target !== undefined && objective.targetPercent !== undefined) local.push({ path: [...path, 'targetPercent'], at: 'key', message: 'set target or targetPercent, not both' });
      else if (objective.target !== undefined) local.push(...objectiveIssue(percent, [...path, 'target'], objective.target, 'ratio'));
      else local.push(...objectiveIssue(percent, [...path, 'targetPercent'], objective.targetPercent));
      const built = sli ? this.sliFor(slo, sli, objective, path, local) : undefined;
      if (percent === undefined || !built || !window) return;
      out.push({
        name: sliName(slo, objective, index),
        ...(slo.spec.description !== undefined ? { description: slo.spec.description } : {}),
        objective: percent,
        window,
        sli: built,
        exclude: [],
        labels: {},
        alerting: structuredClone(NO_ALERTING),
      });
    });
    this.issues.push(...local.map(at));
    return local.length > 0 ? [] : out;
  }

  private window(slo: RawSlo, issues: PathIssue[]): SloWindow | undefined {
    const window = slo.spec.timeWindow[0]!;
    const path: PathSegment[] = ['spec', 'timeWindow', 0];
    if (window.calendar) {
      if (window.isRolling === true) {
        issues.push({ path: [...path, 'isRolling'], message: 'a calendar window is not rolling: remove isRolling or the calendar' });
        return undefined;
      }
      const unit = CALENDAR_UNITS[window.duration];
      const zoneIssues = timeZoneIssues(window.calendar.timeZone, [...path, 'calendar', 'timeZone']);
      issues.push(...zoneIssues);
      if (!unit) {
        issues.push({ path: [...path, 'duration'], message: `calendar windows of ${window.duration} are not supported: use 1w, 1M or 1Q` });
        return undefined;
      }
      if (!Number.isFinite(Date.parse(window.calendar.startTime.replace(' ', 'T')))) issues.push({ path: [...path, 'calendar', 'startTime'], message: `${JSON.stringify(window.calendar.startTime)} is not a date-time such as 2026-01-01 00:00:00` });
      return zoneIssues.length > 0 ? undefined : { kind: 'calendar', unit, timezone: window.calendar.timeZone };
    }
    const ms = shorthandMs(window.duration);
    if (ms === undefined || ms === 0) {
      issues.push({ path: [...path, 'duration'], message: `a rolling window needs a fixed length such as 28d or 4w (got ${window.duration}); for months use calendar` });
      return undefined;
    }
    return { kind: 'rolling', durationMs: ms };
  }

  private indicator(slo: RawSlo, at: (issue: PathIssue) => PlanIssue, issues: PathIssue[]): LocatedSli | undefined {
    const { indicator, indicatorRef } = slo.spec;
    if (indicator && indicatorRef) {
      issues.push({ path: ['spec', 'indicatorRef'], at: 'key', message: 'set indicator or indicatorRef, not both' });
      return undefined;
    }
    if (indicator) return { spec: indicator.spec, at, path: ['spec', 'indicator', 'spec'] };
    if (!indicatorRef) {
      issues.push({ path: ['spec'], message: 'needs an indicator (inline) or an indicatorRef (the name of an SLI)' });
      return undefined;
    }
    const found = this.slis.get(indicatorRef);
    if (!found) issues.push({ path: ['spec', 'indicatorRef'], message: `no SLI named "${indicatorRef}" in this file or the files next to it${didYouMean(indicatorRef, this.slis.keys())}` });
    return found;
  }

  /** The SLI of one objective: the budgeting method decides between occurrences and timeslices. */
  private sliFor(slo: RawSlo, sli: LocatedSli, objective: RawObjective, objectivePath: PathSegment[], issues: PathIssue[]): Sli | undefined {
    const sliIssues: PathIssue[] = [];
    const method = slo.spec.budgetingMethod;
    const { ratioMetric, thresholdMetric } = sli.spec;
    const fail = (path: PathSegment[], message: string, at?: 'key'): undefined => {
      sliIssues.push({ path: [...sli.path, ...path], message, ...(at ? { at } : {}) });
      this.issues.push(...sliIssues.map(sli.at));
      return undefined;
    };
    const done = <T>(value: T | undefined): T | undefined => {
      // Issues of a referenced SLI are positioned in its own document (maybe another file).
      this.issues.push(...sliIssues.map(sli.at));
      return sliIssues.length > 0 ? undefined : value;
    };
    if (method === 'RatioTimeslices') {
      issues.push({ path: ['spec', 'budgetingMethod'], message: 'RatioTimeslices is not supported: use Occurrences or Timeslices' });
      return undefined;
    }
    if (ratioMetric && thresholdMetric) return fail(['thresholdMetric'], 'set ratioMetric or thresholdMetric, not both', 'key');
    if (!ratioMetric && !thresholdMetric) return fail([], 'needs ratioMetric or thresholdMetric');

    if (thresholdMetric) {
      const query = sourceQuery(thresholdMetric, [...sli.path, 'thresholdMetric'], sliIssues);
      if (method !== 'Timeslices') {
        issues.push({ path: ['spec', 'budgetingMethod'], message: 'a thresholdMetric SLI needs budgetingMethod: Timeslices (each slice is good or bad by op and value)' });
        return done(undefined);
      }
      const slice = this.slice(objective, objectivePath, issues);
      if (objective.op === undefined || objective.value === undefined) {
        issues.push({ path: objectivePath, message: 'needs op and value: the threshold a good slice meets' });
        return done(undefined);
      }
      if (!query || slice === undefined) return done(undefined);
      const good = objective.op === 'lte' || objective.op === 'lt' ? { max: objective.value } : { min: objective.value };
      return done<Sli>({ kind: 'timeslices', query: query.replaceAll('{{range}}', toPromDuration(slice)), ...good, sliceMs: slice });
    }

    const ratio = ratioMetric!;
    const counter = ratio.counter ?? false;
    const base: PathSegment[] = ['ratioMetric'];
    if (ratio.raw) {
      if (ratio.good || ratio.bad || ratio.total) return fail([...base, 'raw'], 'raw cannot be combined with good, bad or total', 'key');
      const query = sourceQuery(ratio.raw, [...sli.path, ...base, 'raw'], sliIssues);
      if (ratio.rawType === undefined) sliIssues.push({ path: [...sli.path, ...base], message: 'needs rawType: success or failure (what the raw ratio counts)' });
      if (!query || ratio.rawType === undefined) return done(undefined);
      const averaged = query.includes('{{range}}') ? query : isVectorSelector(query) ? `avg_over_time(${query}[{{range}}])` : `avg_over_time((${query})[{{range}}:])`;
      const errorRatio = ratio.rawType === 'failure' ? averaged : `1 - (${averaged})`;
      if (method === 'Timeslices') return done(this.ratioSlices(errorRatio, objective, objectivePath, issues));
      return done<Sli>({ kind: 'ratio', query: errorRatio });
    }
    if (!ratio.total) return fail(base, 'needs total with good or bad (or raw with rawType)');
    if (ratio.good && ratio.bad) return fail([...base, 'bad'], 'set good or bad, not both', 'key');
    if (!ratio.good && !ratio.bad) return fail(base, 'needs good or bad next to total');
    const total = sourceQuery(ratio.total, [...sli.path, ...base, 'total'], sliIssues);
    const partKey = ratio.good ? 'good' : 'bad';
    const part = sourceQuery(ratio[partKey], [...sli.path, ...base, partKey], sliIssues);
    if (!total || !part) return done(undefined);
    const totalAmount = amountOver(total, counter);
    const partAmount = amountOver(part, counter);
    const errors = partKey === 'bad' ? partAmount : `(${totalAmount}) - (${partAmount})`;
    if (method === 'Timeslices') return done(this.ratioSlices(`(${errors}) / (${totalAmount})`, objective, objectivePath, issues));
    return done<Sli>({ kind: 'errorRatio', errors, total: totalAmount });
  }

  /** Timeslices over a ratio: a slice is good when its good ratio is at least timeSliceTarget. */
  private ratioSlices(errorRatio: string, objective: RawObjective, objectivePath: PathSegment[], issues: PathIssue[]): Sli | undefined {
    const slice = this.slice(objective, objectivePath, issues);
    if (objective.timeSliceTarget === undefined) issues.push({ path: objectivePath, message: 'needs timeSliceTarget (0..1): the good ratio a good slice reaches' });
    else if (objective.timeSliceTarget <= 0 || objective.timeSliceTarget > 1) issues.push({ path: [...objectivePath, 'timeSliceTarget'], message: `${objective.timeSliceTarget} is not in (0, 1]` });
    if (slice === undefined || objective.timeSliceTarget === undefined) return undefined;
    // A slice is bad when its error ratio exceeds 1 - timeSliceTarget.
    const max = Number((1 - objective.timeSliceTarget).toPrecision(12));
    return { kind: 'timeslices', query: errorRatio.replaceAll('{{range}}', toPromDuration(slice)), max, sliceMs: slice };
  }

  private slice(objective: RawObjective, objectivePath: PathSegment[], issues: PathIssue[]): number | undefined {
    if (objective.timeSliceWindow === undefined) {
      issues.push({ path: objectivePath, message: 'needs timeSliceWindow (e.g. 5m) with budgetingMethod: Timeslices' });
      return undefined;
    }
    const ms = sliceMs(objective.timeSliceWindow);
    if (ms === undefined) issues.push({ path: [...objectivePath, 'timeSliceWindow'], message: `${JSON.stringify(objective.timeSliceWindow)} is not a slice length such as 5m or 300 (seconds)` });
    return ms;
  }
}

/** SLI documents of the YAML/YML files next to `file` (for indicatorRef), positioned in their own files. */
async function siblingSlis(file: string, cwd: string): Promise<Map<string, LocatedSli>> {
  const found = new Map<string, LocatedSli>();
  const absolute = resolvePath(cwd, file);
  const dir = dirname(absolute);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return found;
  }
  for (const name of names.sort()) {
    if (!/\.ya?ml$/i.test(name) || name === basename(absolute)) continue;
    let content: string;
    try {
      content = await readFile(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    if (!content.includes('openslo/') || !/kind:\s*SLI\b/.test(content)) continue;
    // Shown as the user would reach it: relative to where rollgate was started when possible.
    const shown = join(dirname(file), name);
    for (const entry of parseDocuments(content, shown).documents) addSli(found, entry);
  }
  return found;
}

function addSli(into: Map<string, LocatedSli>, entry: ParsedDocument): PathIssue[] {
  let data: unknown;
  try {
    data = entry.source.doc.toJS({ maxAliasCount: 100 });
  } catch {
    return [];
  }
  const doc = record(data);
  if (text(doc?.apiVersion) !== 'openslo/v1' || text(doc?.kind) !== 'SLI') return [];
  const parsed = OpenSloSliSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) return parsed.error.issues.flatMap((issue) => fromZodIssue(issue, OpenSloSliSchema));
  into.set(parsed.data.metadata.name, { spec: parsed.data.spec, at: (issue) => entry.source.issue(issue), path: ['spec'] });
  return [];
}

/** Every issue of an OpenSLO file (its documents already parsed), or the model. */
export async function checkOpenSlo(documents: ParsedDocument[], context: ModelContext, cwd: string): Promise<{ issues: PlanIssue[]; model?: SlaPolicyModel }> {
  const issues: PlanIssue[] = [];
  const slis = new Map<string, LocatedSli>();
  const slos: Array<{ raw: RawSlo; at: (issue: PathIssue) => PlanIssue }> = [];
  for (const entry of documents) {
    const data = record(entry.data);
    const at = (issue: PathIssue): PlanIssue => entry.source.issue(issue);
    const kind = text(data?.kind);
    if (text(data?.apiVersion) !== 'openslo/v1') {
      issues.push(at({ path: ['apiVersion'], message: `expected "openslo/v1", got ${JSON.stringify(data?.apiVersion ?? null)}: every document of an OpenSLO file is OpenSLO v1` }));
      continue;
    }
    if (kind === 'SLI') {
      issues.push(...addSli(slis, entry).map(at));
    } else if (kind === 'SLO') {
      const parsed = OpenSloSloSchema.safeParse(data, { reportInput: true });
      if (!parsed.success) issues.push(...parsed.error.issues.flatMap((issue) => fromZodIssue(issue, OpenSloSloSchema)).map(at));
      else slos.push({ raw: parsed.data, at });
    } else if (kind === undefined || !IGNORED_KINDS.includes(kind)) {
      issues.push(at({ path: ['kind'], message: `${JSON.stringify(kind ?? null)} is not an OpenSLO kind rollgate reads${didYouMean(kind ?? '', ['SLO', 'SLI', ...IGNORED_KINDS])}: SLO and SLI (${IGNORED_KINDS.join(', ')} are skipped)` }));
    }
  }
  if (slos.length === 0 && issues.length === 0) issues.push(documents[0]!.source.issueAt(0, 'no SLO document: an OpenSLO file needs at least one kind: SLO'));
  const needsSiblings = slos.some((slo) => slo.raw.spec.indicatorRef !== undefined && !slis.has(slo.raw.spec.indicatorRef));
  if (needsSiblings) for (const [name, sli] of await siblingSlis(context.file, cwd)) if (!slis.has(name)) slis.set(name, sli);

  const converter = new OpenSloConverter(slis);
  const model: Slo[] = [];
  const services = new Map<string, RawSlo>();
  for (const slo of slos) {
    const first = services.values().next().value;
    if (first && !services.has(slo.raw.spec.service)) {
      issues.push(slo.at({ path: ['spec', 'service'], message: `"${slo.raw.spec.service}" differs from "${first.spec.service}" (${first.metadata.name}): one file describes one service` }));
    }
    services.set(slo.raw.spec.service, slo.raw);
    model.push(...converter.convert(slo.raw, slo.at));
  }
  issues.push(...converter.issues);
  const names = new Map<string, string>();
  for (const slo of slos) {
    const name = slo.raw.metadata.name;
    if (names.has(name)) issues.push(slo.at({ path: ['metadata', 'name'], message: `duplicate SLO name "${name}"` }));
    names.set(name, name);
  }
  if (issues.length > 0 || slos.length === 0) return { issues };
  const first = slos[0]!.raw;
  const stem = basename(context.file, extname(context.file));
  return {
    issues,
    model: {
      name: slos.length === 1 ? first.metadata.name : stem,
      service: first.spec.service,
      source: 'openslo',
      file: context.file,
      sha256: context.sha256,
      slos: model,
      rules: [],
    },
  };
}
