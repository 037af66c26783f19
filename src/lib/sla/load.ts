/**
 * Loading an SLA policy in any of the three formats rollgate reads — SLAPolicy (rollgate/v1),
 * Sloth (`prometheus/v1` or its Kubernetes resource) and OpenSLO v1 (`SLO` + `SLI`, several
 * documents per file allowed) — into the one SLO model. The format is detected from the file
 * itself; every issue is reported at its `file:line:col`, nothing is queried before the file is valid.
 */
import { createHash } from 'node:crypto';
import { isMap, parseAllDocuments } from 'yaml';
import { PlanError, type PlanIssue } from '../errors.js';
import { interpolateTree } from '../plan/env-interpolation.js';
import { dedupe, readInputFile, sortByPosition } from '../plan/load.js';
import { parseDocuments, type ParsedDocument } from './documents.js';
import { resolvePrometheus } from '../plan/resolve.js';
import { record, text } from './checks.js';
import { checkOpenSlo } from './load-openslo.js';
import { checkRollgatePolicy, rollgatePolicyToModel } from './load-rollgate.js';
import { checkSlothKubernetes, checkSlothSpec } from './load-sloth.js';
import { policyFormatOf } from './format.js';
import type { PolicySource, SlaPolicyModel } from './model.js';

export interface LoadSlaPolicyOptions {
  /** Environment for `${VAR}` interpolation in SLAPolicy files (default: process.env). Sloth and OpenSLO files are read as they are. */
  env?: NodeJS.ProcessEnv;
  /** Base for relative paths (default: process.cwd()). */
  cwd?: string;
  /** `--prometheus` / ROLLGATE_PROMETHEUS_URL, chosen by the caller: beats the policy's url, and is the only url of Sloth and OpenSLO files. */
  prometheusUrl?: string;
}

/** What checking one policy file found. */
export interface PolicyCheck {
  file: string;
  /** Which format the file is in. */
  format: PolicySource;
  /** `kind:` as declared (SLAPolicy, PrometheusServiceLevel, SLO); null for a Sloth `prometheus/v1` spec, which has none. */
  kind: string | null;
  sha256: string;
  /** Every problem of the file, ordered by position. Empty when valid. */
  issues: PlanIssue[];
  /** Present exactly when `issues` is empty. */
  policy?: SlaPolicyModel;
}

export { policyFormatOf } from './format.js';

/**
 * Is this text an SLA policy (of any format)? Cheap enough for `plan validate` to dispatch on:
 * parses the documents, interpolates nothing.
 */
export function looksLikePolicy(content: string): boolean {
  try {
    return parseAllDocuments(content, { logLevel: 'error' }).some((doc) => 'contents' in doc && policyFormatOf(doc.toJS({ maxAliasCount: 100 })) !== undefined);
  } catch {
    return false;
  }
}

function toData(entry: ParsedDocument): { data?: unknown; issue?: PlanIssue } {
  try {
    return { data: entry.source.doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { issue: entry.source.issueAt(entry.source.doc.contents?.range?.[0] ?? 0, `YAML error: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

const EXPECTED = 'expected an SLA policy: apiVersion: rollgate/v1 + kind: SLAPolicy, a Sloth spec (version: prometheus/v1) or OpenSLO v1 (apiVersion: openslo/v1, kind: SLO)';

/**
 * Checks a policy given as text or bytes; never throws on any content (issues are returned).
 * `file` is used in messages and in the model; OpenSLO `indicatorRef`s not found in the file are
 * looked up in the files next to it (which is why `options.cwd` matters here).
 */
export async function checkSlaPolicySource(content: string | Uint8Array, file: string, options: LoadSlaPolicyOptions = {}): Promise<PolicyCheck> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const textContent = typeof content === 'string' ? content : new TextDecoder('utf-8').decode(content);
  const { documents, issues: syntaxIssues } = parseDocuments(textContent, file);
  const base = { file, sha256 };
  const unknownFormat = (issues: PlanIssue[]): PolicyCheck => ({ ...base, format: 'rollgate', kind: null, issues });
  if (syntaxIssues.length > 0) return unknownFormat(syntaxIssues);
  if (documents.length === 0) return unknownFormat([{ file, line: 1, col: 1, path: '', message: `the file is empty: ${EXPECTED}` }]);

  const loaded: ParsedDocument[] = [];
  for (const entry of documents) {
    if (!isMap(entry.source.doc.contents)) return unknownFormat([entry.source.issueAt(entry.source.doc.contents?.range?.[0] ?? 0, `expected a mapping at the top level (${EXPECTED})`)]);
    const { data, issue } = toData(entry);
    if (issue) return unknownFormat([issue]);
    loaded.push({ source: entry.source, data });
  }
  const first = loaded[0]!;
  const found = policyFormatOf(first.data);
  if (!found) return unknownFormat([first.source.issueAt(0, EXPECTED)]);
  // An OpenSLO file may open with its SLI: it is an SLO file all the same.
  const detected = found.format === 'openslo' ? { format: found.format, kind: 'SLO' } : found;
  const context = { file, sha256, ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}) };
  const result = (issues: PlanIssue[], policy?: SlaPolicyModel): PolicyCheck => {
    if (issues.length > 0 || !policy) return { ...base, ...detected, issues: sortByPosition(issues) };
    // Sloth and OpenSLO files name no Prometheus: --prometheus / the environment does.
    const withPrometheus = policy.prometheus || !options.prometheusUrl ? policy : { ...policy, prometheus: resolvePrometheus(undefined, options.prometheusUrl) };
    return { ...base, ...detected, issues: [], policy: withPrometheus };
  };

  if (detected.format === 'openslo') {
    const checked = await checkOpenSlo(loaded, context, options.cwd ?? process.cwd());
    return result(checked.issues, checked.model);
  }
  if (loaded.length > 1) return result([loaded[1]!.source.issueAt(loaded[1]!.source.doc.range?.[0] ?? 0, `one ${detected.format === 'sloth' ? 'Sloth spec' : 'SLAPolicy'} per file: only OpenSLO files hold several documents`)]);

  if (detected.format === 'sloth') {
    const checked = detected.kind === 'PrometheusServiceLevel' || text(record(first.data)?.apiVersion)?.startsWith('sloth.slok.dev/') ? checkSlothKubernetes(first.data, context) : checkSlothSpec(first.data, context);
    return result(checked.issues.map((issue) => first.source.issue(issue)), checked.model);
  }

  // SLAPolicy: `${ENV}` interpolated on the YAML tree, as in plans, so positions survive.
  const envIssues = interpolateTree(first.source.doc.contents, options.env ?? process.env);
  const checked = checkRollgatePolicy(toData(first).data);
  const issues = [...envIssues, ...dedupe(checked.issues, envIssues)].map((issue) => first.source.issue(issue));
  return result(issues, issues.length === 0 && checked.parsed ? rollgatePolicyToModel(checked.parsed, context) : undefined);
}

/** Reads and checks one policy file; never throws for a bad file (an unreadable one is an issue at 1:1). */
export async function checkSlaPolicyFile(file: string, options: LoadSlaPolicyOptions = {}): Promise<PolicyCheck> {
  const read = await readInputFile(file, options.cwd ?? process.cwd(), 'policy');
  if ('issue' in read) return { file, format: 'rollgate', kind: null, sha256: '', issues: [read.issue] };
  return checkSlaPolicySource(read.bytes, file, options);
}

/**
 * Loads an SLA policy in any supported format into the SLO model, or throws a PlanError carrying
 * every issue of the file (`policy.yaml:12:16: slos[0].objective: 100 leaves no error budget ...`).
 */
export async function loadSlaPolicy(file: string, options: LoadSlaPolicyOptions = {}): Promise<SlaPolicyModel> {
  const checked = await checkSlaPolicyFile(file, options);
  if (!checked.policy) throw new PlanError(checked.issues);
  return checked.policy;
}
