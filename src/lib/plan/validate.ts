/**
 * Semantic checks of a RolloutPlan: what a schema cannot say (gate references, increasing
 * weights, thresholds that make sense, placeholders, PromQL syntax, inline secrets).
 *
 * They run on the plain data even when the schema check failed, so one run reports every
 * problem of the file; every field is therefore type-checked before use, and a field of the
 * wrong type is skipped here (the schema check reports it).
 */
import { parseDuration } from '../duration.js';
import { isSensitiveKey } from '../redact.js';
import { placeholdersIn, renderTemplate } from '../template.js';
import { didYouMean } from './did-you-mean.js';
import { ACTION_RUNTIME_PLACEHOLDERS, BUILTIN_PLACEHOLDERS, QUERY_RUNTIME_PLACEHOLDERS, unknownPlaceholderMessage } from './plan-vars.js';
import type { PathIssue, PathSegment } from './positions.js';
import { findPromqlError, RUNTIME_PLACEHOLDER_SAMPLES, templateOffset } from './promql.js';
import { renderPromqlTemplate, UnsafePlaceholderError } from './promql-vars.js';
import { parseBaselineLimit, parsePercent } from './resolve.js';

type Data = Record<string, unknown>;

function record(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Data) : undefined;
}
function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The raw text of a placeholder as written (`{{ version }}`), to point at it in the source. */
function placeholderText(template: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\{\\{\\s*${escaped}\\s*\\}\\}`).exec(template)?.[0] ?? `{{${name}}}`;
}

/** Header names whose values are credentials: they must come from files or the environment. */
const SECRET_HEADER_RE = /^(?:authorization|proxy-authorization|cookie)$|pass(?:word|wd)?|token|secret|api[-_]?key/i;

class PlanChecker {
  readonly issues: PathIssue[] = [];
  /** Placeholder values for rendering queries and URLs before parsing them. */
  private readonly sampleVars: Record<string, string>;
  private readonly queryPlaceholders: Set<string>;
  private readonly actionPlaceholders: Set<string>;

  constructor(
    private readonly plan: Data,
    vars: Readonly<Record<string, string>>,
  ) {
    // service and name count as known even when metadata lacks them: the schema reports that once.
    const known = [...Object.keys(vars), ...BUILTIN_PLACEHOLDERS];
    this.queryPlaceholders = new Set([...known, ...QUERY_RUNTIME_PLACEHOLDERS]);
    this.actionPlaceholders = new Set([...known, ...ACTION_RUNTIME_PLACEHOLDERS]);
    this.sampleVars = { service: 'service', name: 'name', ...vars, ...RUNTIME_PLACEHOLDER_SAMPLES };
  }

  private add(path: PathSegment[], message: string, extra: Partial<PathIssue> = {}): void {
    this.issues.push({ path, message, ...extra });
  }

  run(): PathIssue[] {
    this.checkPublic();
    const gateNames = this.checkGates();
    this.checkSteps(gateNames);
    this.checkAnalysis();
    this.checkPrometheus();
    const traffic = record(this.plan.traffic);
    if (traffic) this.checkAction(traffic, ['traffic']);
    this.checkHooks();
    this.checkRollback(gateNames);
    const approval = record(this.plan.approval);
    if (approval) this.positiveDuration(approval.timeout, ['approval', 'timeout']);
    return this.issues;
  }

  /** `public:` names declared vars; a var named like a secret stays secret whatever it says. */
  private checkPublic(): void {
    const declared = Object.keys(record(this.plan.vars) ?? {});
    list(this.plan.public).forEach((name, index) => {
      if (typeof name !== 'string') return;
      if (!declared.includes(name)) this.add(['public', index], `"${name}" is not a var of this plan${didYouMean(name, declared)}`);
      else if (isSensitiveKey(name)) this.add(['public', index], `"${name}" is named like a secret (token, password, auth, key, ...) and is always masked: rename the var to make it public`);
    });
  }

  /** A duration that must be > 0; malformed ones are the schema's to report. */
  private positiveDuration(value: unknown, path: PathSegment[]): void {
    const raw = text(value);
    if (raw === undefined) return;
    const parsed = parseDuration(raw);
    if (parsed === 0) this.add(path, `must be longer than 0 (got ${raw})`);
  }

  private checkGates(): Set<string> {
    const names = new Map<string, number>();
    list(this.plan.gates).forEach((value, index) => {
      const gate = record(value);
      if (!gate) return;
      const path = ['gates', index];
      const name = text(gate.name);
      if (name !== undefined) {
        const first = names.get(name);
        if (first !== undefined) this.add([...path, 'name'], `duplicate gate name "${name}" (also gates[${first}])`);
        else names.set(name, index);
      }
      this.checkThresholds(gate, path);
      const gateName = name ?? `gates[${index}]`;
      for (const key of ['query', 'baseline'] as const) {
        const query = text(gate[key]);
        if (query !== undefined) this.checkQuery(query, [...path, key], gateName);
      }
      const minSamples = record(gate.minSamples);
      const samplesQuery = text(minSamples?.query);
      if (samplesQuery !== undefined) this.checkQuery(samplesQuery, [...path, 'minSamples', 'query'], gateName);
      this.positiveDuration(gate.for, [...path, 'for']);
      this.positiveDuration(gate.step, [...path, 'step']);
    });
    return new Set(names.keys());
  }

  private checkThresholds(gate: Data, path: PathSegment[]): void {
    const max = num(gate.max);
    const min = num(gate.min);
    const hasBaseline = gate.baseline !== undefined;
    const limits = (['maxIncrease', 'maxDecrease'] as const).filter((key) => gate[key] !== undefined);
    if (max === undefined && min === undefined && !hasBaseline && limits.length === 0 && gate.max === undefined && gate.min === undefined) {
      this.add(path, 'has no threshold: set max, min, or baseline with maxIncrease/maxDecrease');
    }
    if (max !== undefined && min !== undefined && min > max) this.add([...path, 'min'], `${min} is above max ${max}: no value could pass`);
    if (gate.for !== undefined && gate.max === undefined && gate.min === undefined) {
      this.add([...path, 'for'], 'needs max or min: a sustained window applies to a fixed threshold');
    }
    if (gate.step !== undefined && gate.for === undefined) this.add([...path, 'step'], 'is the resolution of the `for` window: set for as well, or remove step');
    if (hasBaseline && limits.length === 0) this.add([...path, 'baseline'], 'needs maxIncrease or maxDecrease to compare against the baseline');
    for (const key of limits) {
      if (!hasBaseline) this.add([...path, key], 'needs a baseline query to compare against');
      const value = gate[key];
      const parsed = parseBaselineLimit(value);
      if (parsed === undefined) this.add([...path, key], `expected a relative limit such as "10%" or an absolute number, got ${JSON.stringify(value)}`);
      else if (parsed.value < 0) this.add([...path, key], `must not be negative (got ${String(value)})`);
    }
  }

  /**
   * Placeholders known; each value placed safely for where it stands (promql-vars.ts: escaped in a
   * string literal, refused where it would change the structure); then PromQL syntax of the query
   * as it will be sent, run-time placeholders replaced by sample values.
   */
  private checkQuery(query: string, path: PathSegment[], gateName: string): void {
    const unknown = placeholdersIn(query).filter((name) => !this.queryPlaceholders.has(name));
    for (const name of unknown) {
      const hint = ACTION_RUNTIME_PLACEHOLDERS.includes(name as never) && !QUERY_RUNTIME_PLACEHOLDERS.includes(name as never) ? ` ({{${name}}} is only known in actions)` : '';
      this.add(path, unknownPlaceholderMessage(name, this.queryPlaceholders) + hint, { needle: placeholderText(query, name) });
    }
    if (unknown.length > 0) return;
    let rendered: string;
    try {
      rendered = renderPromqlTemplate(query, this.sampleVars);
    } catch (error) {
      if (!(error instanceof UnsafePlaceholderError)) throw error;
      this.add(path, `gate "${gateName}": ${error.message}`, { needle: placeholderText(query, error.placeholder) });
      return;
    }
    const error = findPromqlError(rendered);
    if (!error) return;
    // Point at the offending token in the source: through the placeholders to the template, then
    // through the YAML quoting; the same occurrence of its text is the fallback.
    const valueOffset = templateOffset(query, error.offset, (prefix) => renderPromqlTemplate(prefix, this.sampleVars));
    const needleIndex = error.near ? rendered.slice(0, error.offset).split(error.near).length - 1 : 0;
    this.add(path, error.message, { valueOffset, ...(error.near ? { needle: error.near, needleIndex } : {}) });
  }

  private checkWeights(weights: unknown[], path: (index: number) => PathSegment[]): void {
    let previous: number | undefined;
    weights.forEach((raw, index) => {
      const weight = parsePercent(raw);
      if (weight === undefined) return;
      if (weight > 100) this.add(path(index), `${weight} is above 100`);
      else if (weight < 1) this.add(path(index), `${weight} is below 1: a step sends some traffic to the canary`);
      else if (previous !== undefined && weight <= previous) this.add(path(index), `${weight} is not above the previous step's weight ${previous}: weights must increase`);
      // An out-of-range weight is reported once; comparing the next one against it would only echo it.
      if (weight >= 1 && weight <= 100) previous = weight;
    });
  }

  private checkSteps(gateNames: Set<string>): void {
    const hasSteps = this.plan.steps !== undefined;
    const canary = record(this.plan.canary);
    if (hasSteps && this.plan.canary !== undefined) this.add(['canary'], 'use either steps or the canary shorthand, not both', { at: 'key' });
    if (!hasSteps && this.plan.canary === undefined) this.add(['steps'], 'is required (or the shorthand canary: { weights: [10, 50, 100], bake: 5m })');
    const steps = list(this.plan.steps);
    this.checkWeights(
      steps.map((step) => record(step)?.weight),
      (index) => ['steps', index, 'weight'],
    );
    steps.forEach((value, index) => {
      const step = record(value);
      if (!step) return;
      if (Array.isArray(step.gates) && step.gates.length === 0) {
        // An empty list would bake without measuring anything and promote: never a silent pass.
        this.add(['steps', index, 'gates'], 'is empty: a step without gates would be promoted without measuring; name at least one gate, or remove gates: to check every gate');
      }
      list(step.gates).forEach((name, position) => {
        if (typeof name === 'string' && !gateNames.has(name)) this.add(['steps', index, 'gates', position], `unknown gate "${name}"${didYouMean(name, gateNames)}`);
      });
    });
    if (canary) this.checkWeights(list(canary.weights), (index) => ['canary', 'weights', index]);
  }

  private checkAnalysis(): void {
    const analysis = record(this.plan.analysis);
    if (!analysis) return;
    this.positiveDuration(analysis.interval, ['analysis', 'interval']);
    this.positiveDuration(analysis.errorTimeout, ['analysis', 'errorTimeout']);
  }

  private checkSecretHeaders(headers: unknown, path: PathSegment[], instead: string): void {
    for (const [name, value] of Object.entries(record(headers) ?? {})) {
      if (SECRET_HEADER_RE.test(name) && typeof value === 'string' && value !== '') {
        this.add([...path, name], `secrets must not be written in the plan: use ${instead}`, { at: 'key' });
      }
    }
  }

  private checkUrl(url: string, path: PathSegment[]): void {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) this.add(path, `${JSON.stringify(url)} is not an http(s) URL`);
    else if (parsed.password !== '') this.add(path, 'holds a password: secrets come from files or the environment (basicAuth.passwordFile, passwordEnv)');
  }

  private checkPrometheus(): void {
    const prometheus = record(this.plan.prometheus);
    if (!prometheus) return;
    const url = text(prometheus.url);
    if (url !== undefined && url !== '') this.checkUrl(url, ['prometheus', 'url']);
    this.positiveDuration(prometheus.timeout, ['prometheus', 'timeout']);
    this.positiveDuration(prometheus.maxSampleAge, ['prometheus', 'maxSampleAge']);
    this.checkSecretHeaders(prometheus.headers, ['prometheus', 'headers'], 'prometheus.bearerTokenFile, bearerTokenEnv or basicAuth.passwordFile');
    if (prometheus.bearerTokenFile !== undefined && prometheus.bearerTokenEnv !== undefined) {
      this.add(['prometheus', 'bearerTokenEnv'], 'set one of bearerTokenFile or bearerTokenEnv, not both', { at: 'key' });
    }
    const basicAuth = record(prometheus.basicAuth);
    // An inline `password:` is reported as a secret by the schema check; one message is enough.
    if (basicAuth && basicAuth.passwordFile === undefined && basicAuth.passwordEnv === undefined && basicAuth.password === undefined) {
      this.add(['prometheus', 'basicAuth'], 'needs passwordFile or passwordEnv (a password is never written in the plan)');
    }
  }

  /** Every `{{name}}` of an action template must be known; strings nested in `json` too. */
  private checkActionTemplate(value: unknown, path: PathSegment[]): void {
    if (typeof value === 'string') {
      for (const name of placeholdersIn(value)) {
        if (!this.actionPlaceholders.has(name)) this.add(path, unknownPlaceholderMessage(name, this.actionPlaceholders), { needle: placeholderText(value, name) });
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => this.checkActionTemplate(item, [...path, index]));
    } else if (record(value)) {
      for (const [key, item] of Object.entries(value as Data)) this.checkActionTemplate(item, [...path, key]);
    }
  }

  private checkAction(action: Data, path: PathSegment[]): void {
    const hasExec = action.exec !== undefined;
    const hasHttp = action.http !== undefined;
    if (hasExec && hasHttp) this.add([...path, 'http'], 'set either exec or http, not both', { at: 'key' });
    if (!hasExec && !hasHttp) this.add(path, 'needs exec (an argv list) or http (a request)');
    this.positiveDuration(action.timeout, [...path, 'timeout']);
    const exec = list(action.exec);
    if (exec.length > 0 && exec[0] === '') this.add([...path, 'exec', 0], 'the program name must not be empty');
    this.checkActionTemplate(action.exec, [...path, 'exec']);
    const http = record(action.http);
    if (!http) return;
    for (const key of ['url', 'headers', 'body', 'json'] as const) this.checkActionTemplate(http[key], [...path, 'http', key]);
    const url = text(http.url);
    if (url !== undefined && url !== '' && placeholdersIn(url).every((name) => this.actionPlaceholders.has(name))) {
      this.checkUrl(renderTemplate(url, this.sampleVars), [...path, 'http', 'url']);
    }
    this.checkSecretHeaders(http.headers, [...path, 'http', 'headers'], 'headersFromEnv or headersFromFile');
  }

  private checkHooks(): void {
    const hooks = record(this.plan.hooks);
    if (!hooks) return;
    for (const [phase, entries] of Object.entries(hooks)) {
      list(entries).forEach((value, index) => {
        const hook = record(value);
        if (!hook) return;
        this.checkAction(hook, ['hooks', phase, index]);
        const undo = record(hook.undo);
        if (undo) this.checkAction(undo, ['hooks', phase, index, 'undo']);
      });
    }
  }

  private checkRollback(gateNames: Set<string>): void {
    const rollback = record(this.plan.rollback);
    if (!rollback) return;
    this.positiveDuration(rollback.timeout, ['rollback', 'timeout']);
    const verify = record(rollback.verify);
    if (!verify) return;
    this.positiveDuration(verify.within, ['rollback', 'verify', 'within']);
    list(verify.gates).forEach((name, position) => {
      if (typeof name === 'string' && !gateNames.has(name)) this.add(['rollback', 'verify', 'gates', position], `unknown gate "${name}"${didYouMean(name, gateNames)}`);
    });
  }
}

/**
 * Semantic issues of a RolloutPlan given as plain data (schema-valid or not).
 * `vars` are the placeholder values (see collectVars); never throws on any input.
 */
export function validatePlanSemantics(plan: unknown, vars: Readonly<Record<string, string>>): PathIssue[] {
  const data = record(plan);
  if (!data) return [];
  return new PlanChecker(data, vars).run();
}
