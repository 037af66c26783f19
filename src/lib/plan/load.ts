/**
 * Loading a plan file: read once (sha256 of the bytes), parse YAML with positions, interpolate
 * `${ENV}`, dispatch on `kind`, check schema and semantics, resolve. Every issue of the file is
 * collected and reported together, each at its `file:line:col`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { LineCounter, isMap, parseDocument } from 'yaml';
import { PlanError, fileIssue, type PlanIssue } from '../errors.js';
import { isSensitiveKey, redactText, secretVarValues } from '../redact.js';
import { didYouMean } from './did-you-mean.js';
import { interpolateTree, type EnvValue } from './env-interpolation.js';
import { checkSetOverrides, collectVars } from './plan-vars.js';
import { formatPath, PlanSource, type PathIssue, type PathSegment } from './positions.js';
import { resolvePlan } from './resolve.js';
import { RolloutPlanSchema, type RawRolloutPlan } from './schema.js';
import { fromZodIssue } from './schema-issues.js';
import type { ResolvedPlan } from './types.js';
import { policyFormatOf, type PolicySource } from '../sla/format.js';
import { validatePlanSemantics } from './validate.js';
import { planWarnings, unusedSetMessage, unusedSetNames } from './warnings.js';
import { firstYamlProblem } from './yaml-errors.js';

export interface LoadPlanOptions {
  /** `--set name=value` overrides of plan vars (they win over `vars:`). */
  set?: Record<string, string>;
  /** Environment for `${VAR}` interpolation (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Base for relative file paths (default: process.cwd()). */
  cwd?: string;
  /** `--prometheus` / ROLLGATE_PROMETHEUS_URL, already chosen by the caller: beats the plan's url. */
  prometheusUrl?: string;
  /**
   * Told each warning of a valid plan (see warnings.ts) as it is loaded, so commands that only
   * take the plan (show, run, gate check, backtest) say them too, before anything else happens.
   */
  onWarning?: (warning: PlanIssue) => void;
}

/** The kinds of document rollgate knows; only RolloutPlan is supported by this version. */
export const DOCUMENT_KINDS = ['RolloutPlan', 'SLAPolicy', 'RolloutPolicy'] as const;

/** What checking one file found: its issues, or the resolved plan when there are none. */
export interface PlanCheck {
  /** The path as the user gave it. */
  file: string;
  /** `kind:` as declared in the file, when it is a string. */
  kind?: string;
  /** sha256 (hex) of the bytes read; absent when the file could not be read. */
  sha256?: string;
  /** Every problem of the file, ordered by position. Empty when valid. */
  issues: PlanIssue[];
  /** Present exactly when `issues` is empty. */
  plan?: ResolvedPlan;
  /** Valid but probably not meant (see warnings.ts); only computed for a valid plan. Never fatal. */
  warnings?: PlanIssue[];
  /** The parsed file with positions, when the plan is valid (policy checks point into it). */
  source?: PlanSource;
  /** The plan as written (after `${ENV}` interpolation), when it is valid. */
  raw?: RawRolloutPlan;
  /** Set when the file is an SLA policy (SLAPolicy, Sloth, OpenSLO) rather than a plan: `plan validate` hands it to the SLA loader. */
  slaFormat?: PolicySource;
}

export function sortByPosition(issues: PlanIssue[]): PlanIssue[] {
  // Array.prototype.sort is stable: issues at one position keep the order they were found in.
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Drops repeated issues, and issues on a value whose `${ENV}` reference already failed (they follow from it). */
export function dedupe(issues: PathIssue[], envIssues: PathIssue[]): PathIssue[] {
  const envPaths = new Set(envIssues.map((issue) => formatPath(issue.path)));
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\0${issue.message}`;
    if (seen.has(key) || envPaths.has(formatPath(issue.path))) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The vars whose values are secrets: named like one (token, password, auth, ...), or holding a
 * value that came from the environment and not listed in `public:`. A `--set` over such a var
 * keeps it secret: what it replaces was secret, and over-masking is cheap.
 */
function secretVarNames(data: unknown, vars: Readonly<Record<string, string>>, interpolated: PathSegment[][]): string[] {
  const declaredPublic = (data as { public?: unknown }).public;
  const publicNames = new Set(Array.isArray(declaredPublic) ? declaredPublic.filter((n): n is string => typeof n === 'string') : []);
  const fromEnv = new Set(interpolated.filter((path) => path.length === 2 && path[0] === 'vars').map((path) => String(path[1])));
  return Object.keys(vars).filter((name) => isSensitiveKey(name) || (fromEnv.has(name) && !publicNames.has(name)));
}

/** Shorter environment values are not masked: "1" or "v2" masked everywhere would garble the output, and no credential is that short. */
const MIN_SECRET_VALUE_LENGTH = 4;

/**
 * Environment values placed straight into an action (under an `exec` argv or an `http` spec, in
 * traffic, hooks, undo or verification) rather than through a var: they are secrets too, whatever
 * `public:` says (it names vars). Defaults written in the plan are not secret.
 */
function secretActionValues(envValues: readonly EnvValue[]): string[] {
  const values = envValues.filter(({ path, value }) => value.length >= MIN_SECRET_VALUE_LENGTH && path.some((segment) => segment === 'exec' || segment === 'http')).map(({ value }) => value);
  return [...new Set(values)];
}

function checkRolloutPlan(source: PlanSource, data: unknown, envIssues: PathIssue[], sha256: string, options: LoadPlanOptions, interpolated: PathSegment[][] = [], envValues: EnvValue[] = []): Pick<PlanCheck, 'issues' | 'plan' | 'warnings'> {
  const { vars, issues: varIssues } = collectVars(data, options.set);
  const parsed = RolloutPlanSchema.safeParse(data, { reportInput: true });
  const schemaIssues = parsed.success ? [] : parsed.error.issues.flatMap((issue) => fromZodIssue(issue, RolloutPlanSchema));
  const found = [...envIssues, ...dedupe([...varIssues, ...schemaIssues, ...validatePlanSemantics(data, vars)], envIssues)];
  if (found.length > 0 || !parsed.success) {
    // A PromQL error quotes the query near the fault, which may hold a secret var's value.
    const secrets = [...secretVarValues(vars, secretVarNames(data, vars, interpolated)), ...secretActionValues(envValues)];
    return { issues: sortByPosition(found.map((issue) => source.issue(secrets.length > 0 ? { ...issue, message: redactText(issue.message, secrets) } : issue))) };
  }
  const secretVars = secretVarNames(data, vars, interpolated);
  const plan = resolvePlan(parsed.data, { file: source.file, sha256, vars, secretVars, secretValues: secretActionValues(envValues), ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}) });
  const setWarnings = unusedSetNames(options.set ?? {}, data).map((unused) => fileIssue(source.file, unusedSetMessage(unused)));
  const warnings = [...setWarnings, ...planWarnings(plan, parsed.data).map((warning) => source.issue(warning))];
  return { issues: [], plan, ...(warnings.length > 0 ? { warnings: sortByPosition(warnings) } : {}) };
}

/** A YAML file parsed with positions and `${ENV}` interpolated, or the issues that stopped it. */
export type ParsedYaml =
  | { ok: true; source: PlanSource; data: unknown; envIssues: PathIssue[]; sha256: string; kind?: string; interpolated: PathSegment[][]; envValues: EnvValue[] }
  | { ok: false; sha256: string; issues: PlanIssue[] };

/**
 * The part of loading every rollgate document shares (plans, rollout policies): read the bytes
 * once (sha256), parse YAML with positions, interpolate `${ENV}`, take the plain data and its
 * `kind:`. `expected` names the document in messages about an empty or non-mapping file.
 */
export function parseYamlSource(content: string | Uint8Array, file: string, env: NodeJS.ProcessEnv, expected = 'a RolloutPlan (apiVersion: rollgate/v1, kind: RolloutPlan, ...)'): ParsedYaml {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const text = typeof content === 'string' ? content : new TextDecoder('utf-8').decode(content);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true, logLevel: 'error' });
  const source = new PlanSource(file, text, doc, lineCounter);
  const failed = (issues: PlanIssue[]): ParsedYaml => ({ ok: false, sha256, issues: sortByPosition(issues) });

  const syntax = firstYamlProblem(text, doc.errors);
  if (syntax) return failed([source.issueAt(syntax.offset, syntax.message)]);
  if (doc.contents === null) return failed([source.issueAt(0, `the file is empty: expected ${expected}`)]);
  if (!isMap(doc.contents)) return failed([source.issueAt(doc.contents.range?.[0] ?? 0, `expected a mapping at the top level (${expected.replace(/^an? \w+ \((.*)\)$/, '$1')})`)]);

  const interpolated: PathSegment[][] = [];
  const envValues: EnvValue[] = [];
  const envIssues = interpolateTree(doc.contents, env, [], [], interpolated, envValues);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // toJS refuses alias bombs and dangling aliases; report them like syntax errors.
    return failed([source.issueAt(0, `YAML error: ${error instanceof Error ? error.message : String(error)}`)]);
  }
  const kind = (data as { kind?: unknown }).kind;
  return { ok: true, source, data, envIssues, sha256, interpolated, envValues, ...(typeof kind === 'string' ? { kind } : {}) };
}

/**
 * Checks a plan given as text or bytes; never throws on any content (issues are returned).
 * `file` is only used in messages and in the resolved plan.
 */
export function checkPlanSource(content: string | Uint8Array, file: string, options: LoadPlanOptions = {}): PlanCheck {
  checkSetOverrides(options.set ?? {});
  const parsed = parseYamlSource(content, file, options.env ?? process.env);
  if (!parsed.ok) return { file, sha256: parsed.sha256, issues: parsed.issues };
  const { source, data, envIssues, sha256, kind: declaredKind, interpolated, envValues } = parsed;
  const result = (rest: Omit<PlanCheck, 'file' | 'sha256'>): PlanCheck => ({ file, sha256, ...rest });

  // Dispatch on kind: RolloutPolicy files are checked by src/lib/policy, SLA policies by src/lib/sla/load.ts (plan validate sends them there).
  const sla = policyFormatOf(data);
  if (sla) {
    const path = declaredKind !== undefined ? ['kind'] : [];
    return result({ ...(declaredKind ? { kind: declaredKind } : {}), slaFormat: sla.format, issues: [source.issue({ path, message: 'this is an SLA policy, not a rollout plan: use it with rollgate sla audit or sla rules' })] });
  }
  if (declaredKind === 'RolloutPolicy') {
    return result({ kind: declaredKind, issues: [source.issue({ path: ['kind'], message: 'a RolloutPolicy is not a plan: give it with --policy FILE (or ROLLGATE_POLICY); `rollgate plan validate` checks it on its own' })] });
  }
  if (declaredKind !== undefined && declaredKind !== 'RolloutPlan') {
    return result({ kind: declaredKind, issues: [source.issue({ path: ['kind'], message: `"${declaredKind}" is not a kind rollgate knows${didYouMean(declaredKind, DOCUMENT_KINDS)}; this version loads RolloutPlan` })] });
  }
  const checked = checkRolloutPlan(source, data, envIssues, sha256, options, interpolated, envValues);
  if (options.onWarning) for (const warning of checked.warnings ?? []) options.onWarning(warning);
  return result({ ...(declaredKind ? { kind: declaredKind } : {}), ...checked, ...(checked.plan ? { source, raw: data as RawRolloutPlan } : {}) });
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** Why a file cannot be read, in words (`no such file`, `is a directory, not a plan file`). */
export function readErrorReason(error: unknown, what: string): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const known = READ_ERRORS[code];
  return known ? (code === 'EISDIR' ? `${known}, not a ${what} file` : known) : error instanceof Error ? error.message : String(error);
}

/**
 * The bytes of an input file, or the issue saying why it cannot be read (`nope.yaml: no such
 * file`): about the file as a whole, so without a line and column.
 */
export async function readInputFile(file: string, cwd: string, what: 'plan' | 'policy'): Promise<{ bytes: Uint8Array } | { issue: PlanIssue }> {
  try {
    return { bytes: await readFile(resolvePath(cwd, file)) };
  } catch (error) {
    return { issue: fileIssue(file, readErrorReason(error, what)) };
  }
}

/**
 * Reads and checks one plan file; never throws for a bad file (an unreadable one is an issue
 * about the whole file). `plan validate` calls it for each of its files.
 */
export async function checkPlanFile(file: string, options: LoadPlanOptions = {}): Promise<PlanCheck> {
  const read = await readInputFile(file, options.cwd ?? process.cwd(), 'plan');
  if ('issue' in read) return { file, issues: [read.issue] };
  return checkPlanSource(read.bytes, file, options);
}

/** Like loadPlan, from text or bytes already in memory. Throws PlanError with every issue. */
export function loadPlanSource(content: string | Uint8Array, file: string, options: LoadPlanOptions = {}): ResolvedPlan {
  const checked = checkPlanSource(content, file, options);
  if (!checked.plan) throw new PlanError(checked.issues);
  return checked.plan;
}

/**
 * Loads a RolloutPlan: the resolved plan, or a PlanError carrying every issue of the file
 * (`plan.yaml:14:7: steps[2].weight: 140 is above 100`). A `--set` name that can never be a
 * var is a UsageError.
 */
export async function loadPlan(file: string, options: LoadPlanOptions = {}): Promise<ResolvedPlan> {
  const checked = await checkPlanFile(file, options);
  if (!checked.plan) throw new PlanError(checked.issues);
  return checked.plan;
}
