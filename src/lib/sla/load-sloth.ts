/**
 * Sloth specs as they are: `version: prometheus/v1` files (snake_case keys) and the Kubernetes
 * `PrometheusServiceLevel` resource (`apiVersion: sloth.slok.dev/v1`, camelCase keys in `spec`).
 * `{{.window}}` becomes `{{range}}`; the SLO period is Sloth's default, 30 days.
 */
import * as z from 'zod';
import type { PathIssue, PathSegment } from '../plan/positions.js';
import { fromZodIssue } from '../plan/schema-issues.js';
import { ALERT_NAME_RE, duplicateNameIssues, labelIssues, list, num, objectiveIssue, queryIssues, RANGE_SAMPLE, record, requireRange, text, type Data } from './checks.js';
import type { ModelContext } from './load-rollgate.js';
import type { SlaPolicyModel, Sli, Slo, SloAlerting } from './model.js';

/** Sloth's default SLO period (its `--default-slo-period`). */
export const SLOTH_PERIOD_MS = 30 * 86_400_000;

const Labels = z.record(z.string(), z.string());

/** The two spellings of one spec: keys as written in `prometheus/v1` files and in the Kubernetes resource. */
interface Keys {
  errorQuery: string;
  totalQuery: string;
  errorRatioQuery: string;
  pageAlert: string;
  ticketAlert: string;
}
const SNAKE: Keys = { errorQuery: 'error_query', totalQuery: 'total_query', errorRatioQuery: 'error_ratio_query', pageAlert: 'page_alert', ticketAlert: 'ticket_alert' };
const CAMEL: Keys = { errorQuery: 'errorQuery', totalQuery: 'totalQuery', errorRatioQuery: 'errorRatioQuery', pageAlert: 'pageAlert', ticketAlert: 'ticketAlert' };

function specSchema(keys: Keys) {
  const alert = z.strictObject({ disable: z.boolean().optional(), labels: Labels.optional(), annotations: Labels.optional() });
  const slo = z.strictObject({
    name: z.string().min(1),
    objective: z.number(),
    description: z.string().optional(),
    labels: Labels.optional(),
    sli: z.strictObject({
      events: z.strictObject({ [keys.errorQuery]: z.string().min(1), [keys.totalQuery]: z.string().min(1) }).optional(),
      raw: z.strictObject({ [keys.errorRatioQuery]: z.string().min(1) }).optional(),
      plugin: z.unknown().optional(),
    }),
    alerting: z
      .strictObject({
        name: z.string().optional(),
        labels: Labels.optional(),
        annotations: Labels.optional(),
        [keys.pageAlert]: alert.optional(),
        [keys.ticketAlert]: alert.optional(),
      })
      .optional(),
  });
  return { slo, slos: z.array(slo).min(1) };
}

const snake = specSchema(SNAKE);
const camel = specSchema(CAMEL);

export const SlothSpecSchema = z.strictObject({
  version: z.literal('prometheus/v1'),
  service: z.string().min(1),
  labels: Labels.optional(),
  slos: snake.slos,
});

export const SlothKubernetesSchema = z.strictObject({
  apiVersion: z.literal('sloth.slok.dev/v1'),
  kind: z.literal('PrometheusServiceLevel'),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
  spec: z.strictObject({ service: z.string().min(1), labels: Labels.optional(), slos: camel.slos }),
});

/** `{{.window}}` (Go template, any spacing) → `{{range}}`. */
export function slothWindowToRange(query: string): string {
  return query.replace(/\{\{\s*\.window\s*\}\}/g, '{{range}}');
}

/** Sloth's own check on names: its IDs become Prometheus label values and rule group names. */
const SLOTH_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkSlos(slos: unknown, base: PathSegment[], keys: Keys): PathIssue[] {
  const issues: PathIssue[] = [...duplicateNameIssues(slos, base, 'SLO')];
  list(slos).forEach((value, index) => {
    const slo = record(value);
    if (!slo) return;
    const path = [...base, index];
    const name = text(slo.name);
    if (name !== undefined && name !== '' && !SLOTH_NAME_RE.test(name)) issues.push({ path: [...path, 'name'], message: 'use letters, digits, ".", "_" and "-", starting with a letter or digit' });
    issues.push(...objectiveIssue(num(slo.objective), [...path, 'objective'], slo.objective));
    issues.push(...labelIssues(slo.labels, [...path, 'labels']));
    const sli = record(slo.sli);
    if (sli) {
      const kinds = ['events', 'raw', 'plugin'].filter((kind) => sli[kind] !== undefined);
      if (sli.plugin !== undefined) issues.push({ path: [...path, 'sli', 'plugin'], at: 'key', message: 'plugins are not supported: rollgate needs the SLI as queries (sli.events or sli.raw)' });
      else if (kinds.length === 0) issues.push({ path: [...path, 'sli'], message: `needs events {${keys.errorQuery}, ${keys.totalQuery}} or raw {${keys.errorRatioQuery}}` });
      else if (kinds.length > 1) issues.push({ path: [...path, 'sli', kinds[1]!], at: 'key', message: `one SLI type per SLO: ${kinds[0]} is already set` });
      const queries: Array<[PathSegment[], unknown]> = [
        [[...path, 'sli', 'events', keys.errorQuery], record(sli.events)?.[keys.errorQuery]],
        [[...path, 'sli', 'events', keys.totalQuery], record(sli.events)?.[keys.totalQuery]],
        [[...path, 'sli', 'raw', keys.errorRatioQuery], record(sli.raw)?.[keys.errorRatioQuery]],
      ];
      for (const [queryPath, raw] of queries) {
        if (typeof raw !== 'string' || raw === '') continue;
        const query = slothWindowToRange(raw);
        const found = queryIssues(query, queryPath, { range: RANGE_SAMPLE }, { text: raw, toQuery: slothWindowToRange });
        issues.push(...found);
        if (found.length === 0) issues.push(...requireRange(query, queryPath, '{{.window}}'));
      }
    }
    const alerting = record(slo.alerting);
    if (alerting) {
      const alertName = text(alerting.name);
      if (alertName !== undefined && alertName !== '' && !ALERT_NAME_RE.test(alertName)) issues.push({ path: [...path, 'alerting', 'name'], message: `"${alertName}" is not a valid alert name: use letters, digits, "_" and ":", not starting with a digit` });
      issues.push(...labelIssues(alerting.labels, [...path, 'alerting', 'labels']), ...labelIssues(alerting.annotations, [...path, 'alerting', 'annotations']));
      for (const key of [keys.pageAlert, keys.ticketAlert]) {
        const target = record(alerting[key]);
        issues.push(...labelIssues(target?.labels, [...path, 'alerting', key, 'labels']), ...labelIssues(target?.annotations, [...path, 'alerting', key, 'annotations']));
      }
    }
  });
  return issues;
}

type RawSlothSlo = z.infer<typeof snake.slo>;

function toAlerting(raw: Data | undefined, keys: Keys): SloAlerting {
  const target = (key: string) => {
    const entry = record(raw?.[key]);
    return { labels: { ...(record(entry?.labels) as Record<string, string> | undefined) }, annotations: { ...(record(entry?.annotations) as Record<string, string> | undefined) }, disable: entry?.disable === true };
  };
  const name = text(raw?.name);
  const annotations = { ...(record(raw?.annotations) as Record<string, string> | undefined) };
  // Sloth users put the runbook link in an annotation named `runbook`; keep it there and use it as the link.
  const runbook = annotations.runbook ?? annotations.runbook_url;
  return {
    ...(name ? { name } : {}),
    labels: { ...(record(raw?.labels) as Record<string, string> | undefined) },
    annotations,
    page: target(keys.pageAlert),
    ticket: target(keys.ticketAlert),
    ...(runbook ? { runbookUrl: runbook } : {}),
  };
}

function toSli(sli: RawSlothSlo['sli'], keys: Keys): Sli {
  const events = record(sli.events);
  if (events) return { kind: 'errorRatio', errors: slothWindowToRange(String(events[keys.errorQuery])), total: slothWindowToRange(String(events[keys.totalQuery])) };
  return { kind: 'ratio', query: slothWindowToRange(String(record(sli.raw)?.[keys.errorRatioQuery])) };
}

function toModel(spec: { service: string; labels?: Record<string, string> | undefined; slos: unknown[] }, name: string, keys: Keys, context: ModelContext): SlaPolicyModel {
  const slos: Slo[] = (spec.slos as RawSlothSlo[]).map((slo) => ({
    name: slo.name,
    ...(slo.description !== undefined ? { description: slo.description } : {}),
    objective: slo.objective,
    window: { kind: 'rolling', durationMs: SLOTH_PERIOD_MS },
    sli: toSli(slo.sli, keys),
    exclude: [],
    labels: { ...(spec.labels ?? {}), ...(slo.labels ?? {}) },
    alerting: toAlerting(record(slo.alerting), keys),
  }));
  return {
    name,
    service: spec.service,
    source: 'sloth',
    file: context.file,
    sha256: context.sha256,
    slos,
    rules: [],
  };
}

export interface SlothCheck {
  issues: PathIssue[];
  model?: SlaPolicyModel;
}

/** A Sloth `prometheus/v1` spec: every issue, or the model. */
export function checkSlothSpec(data: unknown, context: ModelContext): SlothCheck {
  const parsed = SlothSpecSchema.safeParse(data, { reportInput: true });
  const issues = [...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => fromZodIssue(issue, SlothSpecSchema))), ...checkSlos(record(data)?.slos, ['slos'], SNAKE)];
  if (!parsed.success || issues.length > 0) return { issues };
  return { issues, model: toModel(parsed.data, parsed.data.service, SNAKE, context) };
}

/** A Sloth `PrometheusServiceLevel` Kubernetes resource: every issue, or the model. */
export function checkSlothKubernetes(data: unknown, context: ModelContext): SlothCheck {
  const parsed = SlothKubernetesSchema.safeParse(data, { reportInput: true });
  const issues = [...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => fromZodIssue(issue, SlothKubernetesSchema))), ...checkSlos(record(record(data)?.spec)?.slos, ['spec', 'slos'], CAMEL)];
  if (!parsed.success || issues.length > 0) return { issues };
  return { issues, model: toModel(parsed.data.spec, parsed.data.metadata.name, CAMEL, context) };
}
