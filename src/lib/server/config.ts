/**
 * `rollgate serve --config FILE`: which alert labels mean "roll back", and how alert severities map
 * onto rollback severities. Everything has a default, so the file is optional.
 *
 * ```yaml
 * alertmanager:
 *   actionLabel: rollgate_action     # the label that asks for a rollback ...
 *   actionValue: rollback            # ... with this value
 *   serviceLabel: service            # which service's running rollout to roll back
 *   severityLabel: severity
 *   severities: { page: critical }   # extra alert severity → critical|major|minor mappings
 * ```
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, parseDocument } from 'yaml';
import * as z from 'zod';
import { PlanError, UsageError } from '../errors.js';
import { PlanSource } from '../plan/positions.js';
import { fromZodIssue } from '../plan/schema-issues.js';

export type RollbackSeverity = 'critical' | 'major' | 'minor';
const rollbackSeverity = z.enum(['critical', 'major', 'minor']);

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Prometheus label name');

export const serveConfigSchema = z.strictObject({
  alertmanager: z
    .strictObject({
      actionLabel: labelName.optional(),
      actionValue: z.string().min(1).optional(),
      serviceLabel: labelName.optional(),
      severityLabel: labelName.optional(),
      severities: z.record(z.string(), rollbackSeverity).optional(),
    })
    .optional(),
});

export interface ServeConfig {
  actionLabel: string;
  actionValue: string;
  serviceLabel: string;
  severityLabel: string;
  /** Lower-cased alert severity → rollback severity. */
  severities: Record<string, RollbackSeverity>;
  /** Severity of an alert without a known severity label: an alert asking for a rollback is an incident. */
  defaultSeverity: RollbackSeverity;
}

/** The usual severity words of alerting rules (Prometheus mixins, PagerDuty, Opsgenie). */
const DEFAULT_SEVERITIES: Record<string, RollbackSeverity> = {
  critical: 'critical',
  page: 'critical',
  emergency: 'critical',
  high: 'critical',
  error: 'critical',
  major: 'major',
  warning: 'major',
  warn: 'major',
  ticket: 'major',
  medium: 'major',
  minor: 'minor',
  info: 'minor',
  low: 'minor',
  none: 'minor',
};

export function defaultServeConfig(): ServeConfig {
  return { actionLabel: 'rollgate_action', actionValue: 'rollback', serviceLabel: 'service', severityLabel: 'severity', severities: { ...DEFAULT_SEVERITIES }, defaultSeverity: 'critical' };
}

/** Parses the config text; problems are `file:line:col: ...` (PlanError, exit 2). */
export function parseServeConfig(text: string, file: string): ServeConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const source = new PlanSource(file, text, doc, lineCounter);
  if (doc.errors.length > 0) throw new PlanError(doc.errors.map((error) => source.issueAt(error.pos[0], `YAML syntax error: ${error.message}`)));
  const config = defaultServeConfig();
  if (doc.contents === null) return config;
  if (!isMap(doc.contents)) throw new PlanError([source.issueAt(doc.contents.range?.[0] ?? 0, 'expected a mapping at the top level (alertmanager: {...})')]);
  const parsed = serveConfigSchema.safeParse(doc.toJS({ maxAliasCount: 100 }), { reportInput: true });
  if (!parsed.success) throw new PlanError(parsed.error.issues.flatMap((issue) => fromZodIssue(issue, serveConfigSchema)).map((issue) => source.issue(issue)));
  const am = parsed.data.alertmanager ?? {};
  for (const [word, severity] of Object.entries(am.severities ?? {})) config.severities[word.toLowerCase()] = severity;
  return {
    ...config,
    ...(am.actionLabel ? { actionLabel: am.actionLabel } : {}),
    ...(am.actionValue ? { actionValue: am.actionValue } : {}),
    ...(am.serviceLabel ? { serviceLabel: am.serviceLabel } : {}),
    ...(am.severityLabel ? { severityLabel: am.severityLabel } : {}),
  };
}

export async function loadServeConfig(file: string | undefined): Promise<ServeConfig> {
  if (file === undefined) return defaultServeConfig();
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseServeConfig(text, file);
}

/** The rollback severity of an alert: its severity label through the mapping, else the default. */
export function rollbackSeverityOf(labels: Record<string, string>, config: ServeConfig): RollbackSeverity {
  const word = labels[config.severityLabel]?.trim().toLowerCase();
  return (word !== undefined ? config.severities[word] : undefined) ?? config.defaultSeverity;
}
