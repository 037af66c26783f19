import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError, UsageError, formatPlanIssue } from '../../../src/lib/errors.js';
import { checkPlanFile, checkPlanSource, loadPlan, loadPlanSource } from '../../../src/lib/plan/load.js';
import { PLAN_DEFAULTS } from '../../../src/lib/plan/types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/plans');

/** A small valid plan; `extra` is appended as top-level YAML. */
function plan(extra = '', { steps = 'steps:\n  - weight: 50\n    bake: 1m\n  - weight: 100\n' } = {}): string {
  return [
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata: { name: checkout-v2, service: checkout }',
    'traffic:',
    '  exec: ["./set-weight.sh", "{{service}}", "{{weight}}"]',
    'gates:',
    '  - name: error-rate',
    '    query: sum(rate(errors_total{service="{{service}}"}[1m]))',
    '    max: 0.01',
    steps + extra,
  ].join('\n');
}

const messages = (text: string, options = {}): string[] => checkPlanSource(text, 'plan.yaml', { env: {}, ...options }).issues.map(formatPlanIssue);

describe('loadPlan', () => {
  it('records the sha256 of the bytes read and the path as given', async () => {
    const file = join('valid', 'minimal.yaml');
    const loaded = await loadPlan(file, { cwd: FIXTURES, env: {} });
    expect(loaded.sha256).toBe(createHash('sha256').update(readFileSync(join(FIXTURES, file))).digest('hex'));
    expect(loaded.file).toBe(file);
  });

  it('throws a PlanError carrying every issue of the file', async () => {
    const error = await loadPlan(join('invalid', 'several-issues.yaml'), { cwd: FIXTURES, env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).issues).toHaveLength(5);
    expect((error as PlanError).message.split('\n')[0]).toBe('invalid/several-issues.yaml:4:1: metadata.service: is required');
  });

  it('reports a missing file as a plan error naming it', async () => {
    const error = await loadPlan('nope/plan.yaml', { cwd: FIXTURES }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).message).toBe('nope/plan.yaml: no such file');
  });

  it('reports a directory as a plan error', async () => {
    const checked = await checkPlanFile('valid', { cwd: FIXTURES });
    expect(checked.issues.map(formatPlanIssue)).toEqual(['valid: is a directory, not a plan file']);
  });

  it('reads a file with a byte order mark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-plan-'));
    writeFileSync(join(dir, 'bom.yaml'), `\uFEFF${plan()}`);
    await expect(loadPlan('bom.yaml', { cwd: dir, env: {} })).resolves.toMatchObject({ service: 'checkout' });
  });
});

describe('defaults and conversions', () => {
  const loaded = loadPlanSource(plan(), 'plan.yaml', { env: {} });

  it('applies the documented defaults', () => {
    expect(loaded.analysis).toEqual({
      intervalMs: PLAN_DEFAULTS.intervalMs,
      failureLimit: PLAN_DEFAULTS.failureLimit,
      inconclusiveLimit: PLAN_DEFAULTS.inconclusiveLimit,
      onInconclusive: PLAN_DEFAULTS.onInconclusive,
      errorLimit: PLAN_DEFAULTS.errorLimit,
      onError: PLAN_DEFAULTS.onError,
      errorTimeoutMs: PLAN_DEFAULTS.errorTimeoutMs,
    });
    expect(loaded.prometheus).toEqual({ url: PLAN_DEFAULTS.prometheusUrl, timeoutMs: PLAN_DEFAULTS.prometheusTimeoutMs, retries: PLAN_DEFAULTS.prometheusRetries, headers: {}, insecureSkipVerify: false, onWarnings: 'inconclusive', maxSampleAgeMs: 2 * PLAN_DEFAULTS.intervalMs });
    expect(loaded.traffic).toEqual({ exec: ['./set-weight.sh', '{{service}}', '{{weight}}'], timeoutMs: PLAN_DEFAULTS.actionTimeoutMs, retries: PLAN_DEFAULTS.actionRetries });
    expect(loaded.rollback).toEqual({ auto: true, timeoutMs: PLAN_DEFAULTS.rollbackTimeoutMs });
    expect(loaded.approvalTimeoutMs).toBe(PLAN_DEFAULTS.approvalTimeoutMs);
    expect(loaded.gates[0]).toMatchObject({ onEmpty: 'inconclusive', severity: 'critical', onWarnings: 'inconclusive', maxSampleAgeMs: 60_000 });
  });

  it('prometheus.onWarnings and maxSampleAge reach every gate (evaluation reads them there)', () => {
    const text = plan().replace(/^traffic:/m, 'prometheus: { onWarnings: ignore, maxSampleAge: 10m }\ntraffic:');
    const custom = loadPlanSource(text, 'plan.yaml', { env: {} });
    expect(custom.prometheus).toMatchObject({ onWarnings: 'ignore', maxSampleAgeMs: 600_000 });
    expect(custom.gates[0]).toMatchObject({ onWarnings: 'ignore', maxSampleAgeMs: 600_000 });
  });

  it('converts durations to ms and a missing bake to 0', () => {
    expect(loaded.steps.map((step) => step.bakeMs)).toEqual([60_000, 0]);
  });

  it('checks a step without a gates list against every gate', () => {
    expect(loaded.steps.map((step) => step.gates)).toEqual([['error-rate'], ['error-rate']]);
  });

  it('accepts weights as 10, "10" and "10%"', () => {
    const steps = 'steps:\n  - weight: 10\n  - weight: "25"\n  - weight: "50%"\n  - weight: 100%\n';
    expect(loadPlanSource(plan('', { steps }), 'plan.yaml', { env: {} }).steps.map((step) => step.weight)).toEqual([10, 25, 50, 100]);
  });

  it('reads maxIncrease "10%" as relative and a number as absolute', () => {
    const gates = [
      '  - name: relative',
      '    query: a',
      '    baseline: b',
      '    maxIncrease: 10%',
      '  - name: absolute',
      '    query: a',
      '    baseline: b',
      '    maxIncrease: 0.005',
      '    maxDecrease: "2.5%"',
    ].join('\n');
    const text = plan().replace('    max: 0.01\n', `    max: 0.01\n${gates}\n`);
    const gatesOut = loadPlanSource(text, 'plan.yaml', { env: {} }).gates;
    expect(gatesOut[1]?.maxIncrease).toEqual({ kind: 'relative', value: 0.1 });
    expect(gatesOut[2]?.maxIncrease).toEqual({ kind: 'absolute', value: 0.005 });
    expect(gatesOut[2]?.maxDecrease).toEqual({ kind: 'relative', value: 0.025 });
  });

  it('gives a sustained gate a range-query step: its own, else the analysis interval', () => {
    const text = plan('analysis: { interval: 20s }\n').replace('    max: 0.01\n', '    max: 0.01\n    for: 2m\n');
    expect(loadPlanSource(text, 'plan.yaml', { env: {} }).gates[0]).toMatchObject({ forMs: 120_000, stepMs: 20_000 });
    const withStep = text.replace('    for: 2m\n', '    for: 2m\n    step: 5s\n');
    expect(loadPlanSource(withStep, 'plan.yaml', { env: {} }).gates[0]).toMatchObject({ forMs: 120_000, stepMs: 5_000 });
  });

  it('names hooks by their phase and position unless they have a name', () => {
    const hooks = 'hooks:\n  beforeRollout:\n    - exec: [a]\n    - name: freeze\n      exec: [b]\n      undo: { exec: [c], timeout: 5s }\n';
    const loadedHooks = loadPlanSource(plan(hooks), 'plan.yaml', { env: {} }).hooks;
    expect(loadedHooks.beforeRollout.map((hook) => hook.name)).toEqual(['beforeRollout[0]', 'freeze']);
    expect(loadedHooks.beforeRollout[1]?.undo).toEqual({ exec: ['c'], timeoutMs: 5_000, retries: 0 });
    expect(loadedHooks.onRollback).toEqual([]);
  });
});

describe('the canary shorthand', () => {
  it('expands into one step per weight with the same bake, all gates each', () => {
    const loaded = loadPlanSource(plan('', { steps: 'canary: { weights: [10, "25%", 50, 100], bake: 10m }\n' }), 'plan.yaml', { env: {} });
    expect(loaded.steps).toEqual([10, 25, 50, 100].map((weight, index) => ({ index, weight, bakeMs: 600_000, approval: false, gates: ['error-rate'] })));
  });

  it('puts its approval after the bake of the step before the last', () => {
    const loaded = loadPlanSource(plan('', { steps: 'canary: { weights: [10, 50, 100], bake: 1m, approval: true }\n' }), 'plan.yaml', { env: {} });
    expect(loaded.steps.map((step) => step.approval)).toEqual([false, true, false]);
  });

  it('is checked like steps', () => {
    expect(messages(plan('', { steps: 'canary:\n  weights: [50, 20]\n  bake: 1m\n' }))).toEqual([
      "plan.yaml:11:17: canary.weights[1]: 20 is not above the previous step's weight 50: weights must increase",
    ]);
  });
});

describe('${ENV} interpolation', () => {
  const withUrl = (url: string): string => plan(`prometheus:\n  url: ${url}\n`);

  it('takes the value from the environment, else the default', () => {
    expect(loadPlanSource(withUrl('${PROM:-http://fallback:9090}'), 'plan.yaml', { env: { PROM: 'http://env:9090' } }).prometheus.url).toBe('http://env:9090');
    expect(loadPlanSource(withUrl('${PROM:-http://fallback:9090}'), 'plan.yaml', { env: {} }).prometheus.url).toBe('http://fallback:9090');
    expect(loadPlanSource(withUrl('${PROM:-http://fallback:9090}'), 'plan.yaml', { env: { PROM: '' } }).prometheus.url).toBe('http://fallback:9090');
    expect(loadPlanSource(withUrl('"http://${HOST}:9090"'), 'plan.yaml', { env: { HOST: 'prom' } }).prometheus.url).toBe('http://prom:9090');
  });

  it('reports an unset variable without default at its position', () => {
    expect(messages(withUrl('"http://${PROM_HOST}:9090"'))).toEqual([
      'plan.yaml:15:16: prometheus.url: environment variable PROM_HOST is not set (write ${PROM_HOST:-default} to give a default)',
    ]);
  });

  it('types a plain scalar again after substitution, but keeps a quoted one a string', () => {
    const steps = 'steps:\n  - weight: ${FIRST:-10}\n  - weight: 100\n';
    expect(loadPlanSource(plan('', { steps }), 'plan.yaml', { env: { FIRST: '20' } }).steps[0]?.weight).toBe(20);
    const gateMax = plan().replace('max: 0.01', 'max: ${MAX:-0.05}');
    expect(loadPlanSource(gateMax, 'plan.yaml', { env: {} }).gates[0]?.max).toBe(0.05);
    const quoted = plan().replace('max: 0.01', 'max: "${MAX:-0.05}"');
    expect(messages(quoted)).toEqual(['plan.yaml:9:10: gates[0].max: expected a number, got "0.05"']);
  });

  it('writes a literal ${ as $${ and rejects malformed references', () => {
    const text = plan('vars:\n  literal: "$${NOT_ENV}"\n');
    expect(loadPlanSource(text, 'plan.yaml', { env: {} }).vars.literal).toBe('${NOT_ENV}');
    expect(messages(plan('vars:\n  bad: "${1X}"\n'))).toEqual([
      'plan.yaml:15:9: vars.bad: "${1X}" is not an environment reference: use ${NAME} or ${NAME:-default} (write "$${" for a literal "${")',
    ]);
  });

  it('never interpolates keys', () => {
    expect(messages(plan('vars:\n  ${KEY}: x\n'))[0]).toBe('plan.yaml:15:3: vars["${KEY}"]: "${KEY}" cannot be used as {{${KEY}}}: use letters, digits, "_", "." and "-", starting with a letter or "_"');
  });
});

describe('{{placeholders}} and --set', () => {
  const text = plan('vars:\n  version: v2\n  replicas: 3\n').replace('errors_total{service="{{service}}"}', 'errors_total{service="{{service}}",version="{{version}}",plan="{{name}}"}[{{range}}]) or rate(x{w="{{weight}}",s="{{step}}"}');

  it('renders gate queries with vars, service and name; keeps weight, step and range for run time', () => {
    const loaded = loadPlanSource(text, 'plan.yaml', { env: {} });
    expect(loaded.gates[0]?.query).toBe('sum(rate(errors_total{service="checkout",version="v2",plan="checkout-v2"}[{{range}}]) or rate(x{w="{{weight}}",s="{{step}}"}[1m]))');
    expect(loaded.vars).toEqual({ version: 'v2', replicas: '3', service: 'checkout', name: 'checkout-v2' });
  });

  it('lets --set override a var and add one', () => {
    const loaded = loadPlanSource(text, 'plan.yaml', { env: {}, set: { version: 'v3', extra: 'yes' } });
    expect(loaded.gates[0]?.query).toContain('version="v3"');
    expect(loaded.vars).toMatchObject({ version: 'v3', extra: 'yes' });
  });

  it('leaves action templates unrendered', () => {
    expect(loadPlanSource(text, 'plan.yaml', { env: {}, set: { version: 'v3' } }).traffic.exec).toEqual(['./set-weight.sh', '{{service}}', '{{weight}}']);
  });

  it('refuses --set of a built-in placeholder as a usage error', () => {
    expect(() => checkPlanSource(text, 'plan.yaml', { set: { service: 'other' } })).toThrow(UsageError);
    expect(() => checkPlanSource(text, 'plan.yaml', { set: { weight: '5' } })).toThrow(/built-in placeholder/);
  });

  it('allows rolloutId in actions but not in queries', () => {
    const inAction = plan().replace('"{{weight}}"]', '"{{weight}}", "{{rolloutId}}"]');
    expect(messages(inAction)).toEqual([]);
    const inQuery = plan().replace('service="{{service}}"', 'rollout="{{rolloutId}}"');
    expect(messages(inQuery)).toEqual(['plan.yaml:8:43: gates[0].query: unknown placeholder {{rolloutId}} ({{rolloutId}} is only known in actions)']);
  });

  it('checks placeholders inside http json bodies', () => {
    const http = plan().replace('  exec: ["./set-weight.sh", "{{service}}", "{{weight}}"]', '  http:\n    url: http://router/{{service}}\n    json: { weights: { canary: "{{wieght}}" } }');
    expect(messages(http)).toEqual(['plan.yaml:7:33: traffic.http.json.weights.canary: unknown placeholder {{wieght}} (did you mean {{weight}}?)']);
  });
});

describe('--prometheus precedence', () => {
  const text = plan('prometheus: { url: "http://plan:9090" }\n');
  it('the override beats the plan, the plan beats the default', () => {
    expect(loadPlanSource(text, 'plan.yaml', { env: {}, prometheusUrl: 'http://flag:9090' }).prometheus.url).toBe('http://flag:9090');
    expect(loadPlanSource(text, 'plan.yaml', { env: {} }).prometheus.url).toBe('http://plan:9090');
    expect(loadPlanSource(plan(), 'plan.yaml', { env: {} }).prometheus.url).toBe(PLAN_DEFAULTS.prometheusUrl);
  });
});

describe('did you mean', () => {
  it('suggests the closest allowed key', () => {
    expect(messages(plan('analysis:\n  intervall: 30s\n'))).toEqual(['plan.yaml:15:3: analysis.intervall: unknown key "intervall" (did you mean "interval"?)']);
  });
  it('lists the allowed keys when none is close', () => {
    expect(messages(plan('rollback:\n  zzz: 1\n'))).toEqual(['plan.yaml:15:3: rollback.zzz: unknown key "zzz"; allowed: auto, timeout, verify']);
  });
  it('suggests enum values and gate names', () => {
    expect(messages(plan('analysis: { onError: holdd }\n'))).toEqual(['plan.yaml:14:22: analysis.onError: "holdd" is not one of hold, rollback (did you mean "hold"?)']);
  });
});

describe('kinds and YAML', () => {
  it('reports a YAML syntax error where the broken token starts, in words a person can act on', () => {
    expect(messages('apiVersion: rollgate/v1\nkind: "RolloutPlan\n')).toEqual(['plan.yaml:2:7: YAML syntax error: this double-quoted string is never closed: add the closing " (or remove the opening one)']);
    expect(messages('apiVersion: rollgate/v1\nkind:\n\t- RolloutPlan\n')).toEqual(['plan.yaml:3:1: YAML syntax error: a tab is used for indentation: YAML indents with spaces only']);
  });
  it('an unclosed quote on line 4 is reported at 4:col, not at the end of the file, and only once (issue 7.13)', () => {
    const lines = ['apiVersion: rollgate/v1', 'kind: RolloutPlan', 'metadata:', "  name: 'checkout-v2", '  service: checkout', 'traffic:', '  exec: ["true"]', 'gates: []', ''];
    expect(messages(lines.join('\n'))).toEqual([`plan.yaml:4:9: YAML syntax error: this single-quoted string is never closed: add the closing ' (write '' for a quote inside it)`]);
    lines[3] = '  name: "checkout-v2';
    expect(messages(lines.join('\n'))).toEqual(['plan.yaml:4:9: YAML syntax error: this double-quoted string is never closed: add the closing " (or remove the opening one)']);
  });
  it('an unclosed [ or { is reported at the bracket; a quote left open inside a list at the quote', () => {
    expect(messages('a: 1\ntraffic:\n  exec: ["./x", "{{weight}}"\ngates: []\n')).toEqual(['plan.yaml:3:9: YAML syntax error: this [ list is never closed: add the closing ] (or write the list one "- item" per line)']);
    expect(messages('metadata: { name: x, service: y\nkind: z\n')).toEqual(['plan.yaml:1:11: YAML syntax error: this { mapping is never closed: add the closing } (quote values holding "{", "}" or ",")']);
    expect(messages('a: 1\nb: c: d\n')).toEqual(['plan.yaml:2:4: YAML syntax error: a value holds ": ", which YAML reads as a nested mapping: quote the value']);
  });
  it('refuses several documents in one file', () => {
    expect(messages(`${plan()}---\n${plan()}`)[0]).toMatch(/YAML syntax error: the file holds several YAML documents \(---\): a plan is one document/);
  });
  it('dispatches on kind: an SLAPolicy is not a rollout plan', () => {
    const checked = checkPlanSource('apiVersion: rollgate/v1\nkind: SLAPolicy\n', 'policy.yaml');
    expect(checked.kind).toBe('SLAPolicy');
    expect(checked.issues.map(formatPlanIssue)).toEqual(['policy.yaml:2:7: kind: this is an SLA policy, not a rollout plan: use it with rollgate sla audit or sla rules']);
  });
  it('follows YAML anchors and merge keys', () => {
    const text = plan().replace('gates:\n  - name: error-rate', 'gates:\n  - &base\n    name: error-rate').replace('    max: 0.01\n', '    max: 0.01\n  - <<: *base\n    name: other\n');
    expect(loadPlanSource(text, 'plan.yaml', { env: {} }).gates.map((gate) => gate.name)).toEqual(['error-rate', 'other']);
  });
});

describe('{{vars}} never rewrite PromQL (issue 7.4)', () => {
  const withQuery = (query: string, vars = 'vars: { version: v2, window: 1m }\n') =>
    [
      'apiVersion: rollgate/v1',
      'kind: RolloutPlan',
      'metadata: { name: checkout-v2, service: checkout }',
      vars.trimEnd(),
      'traffic:',
      '  exec: ["./set-weight.sh", "{{weight}}"]',
      'gates:',
      '  - name: error-rate',
      `    query: '${query}'`,
      '    max: 0.01',
      'canary: { weights: [50, 100], bake: 1m }',
      '',
    ].join('\n');

  it('a --set value inside a label string is escaped in the resolved query (it stays the label value)', () => {
    const plan = loadPlanSource(withQuery('sum(rate(x{version="{{version}}"}[1m]))'), 'plan.yaml', { env: {}, set: { version: 'v2"}[1m])) * 0 # ' } });
    expect(plan.gates[0]!.query).toBe('sum(rate(x{version="v2\\"}[1m])) * 0 # "}[1m]))');
  });

  it('a value outside a string literal that would change the structure: an issue at the placeholder, naming gate and var', () => {
    expect(messages(withQuery('sum(rate(x[{{window}}]))'), { set: { window: '1m])) * 0 #' } })).toEqual([
      `plan.yaml:9:24: gates[0].query: gate "error-rate": {{window}} has a value that would change the query's structure: outside a string literal only a number, a duration or a name may be substituted; put the placeholder inside quotes (label="{{…}}")`,
    ]);
  });

  it('the same from vars: and from ${ENV} (a value from anywhere is checked)', () => {
    expect(messages(withQuery('x > {{limit}}', 'vars: { limit: "0 or vector(1)" }\n'))[0]).toMatch(/gates\[0\]\.query: gate "error-rate": \{\{limit\}\} has a value that would change/);
    expect(messages(withQuery('x > {{limit}}', 'vars: { limit: "${LIMIT}" }\n'), { env: { LIMIT: '1 unless x' } })[0]).toMatch(/\{\{limit\}\} has a value that would change/);
    expect(messages(withQuery('x > {{limit}}', 'vars: { limit: "${LIMIT}" }\n'), { env: { LIMIT: '0.5' } })).toEqual([]);
  });
});

describe('secret vars (issue 7.7): from the environment unless public:, or named like a secret', () => {
  const withVars = (vars: string, extra = '') =>
    ['apiVersion: rollgate/v1', 'kind: RolloutPlan', 'metadata: { name: checkout-v2, service: checkout }', vars, extra, 'traffic:', '  exec: ["./set-weight.sh", "{{weight}}"]', 'gates:', '  - name: error-rate', '    query: up', '    max: 0.01', 'canary: { weights: [50, 100], bake: 1m }', ''].join('\n');
  const env = { ROUTER_LOGIN: 'login-4f9a2c', RELEASE: 'v2.3.1', REGION: 'eu-west-1' };

  it('every var whose value came from ${ENV} is secret; public: lifts that; literal values are not', () => {
    const plan = loadPlanSource(withVars('vars: { routerLogin: "${ROUTER_LOGIN}", release: "${RELEASE}", region: "x-${REGION}", literal: v2, escaped: "$${NOT_ENV}" }', 'public: [release]'), 'plan.yaml', { env });
    expect(plan.secretVars).toEqual(['routerLogin', 'region']);
    expect(plan.vars).toMatchObject({ routerLogin: 'login-4f9a2c', release: 'v2.3.1', region: 'x-eu-west-1', literal: 'v2', escaped: '${NOT_ENV}' });
  });

  it('names like a secret are secret wherever the value came from (auth joins token, password, ...)', () => {
    const plan = loadPlanSource(withVars('vars: { routerAuth: literal-value, apiKey: k, author: me }'), 'plan.yaml', { env });
    expect(plan.secretVars).toEqual(['routerAuth', 'apiKey']);
  });

  it('--set over a var from the environment keeps it secret; a default from ${X:-d} counts as from the environment', () => {
    const plan = loadPlanSource(withVars('vars: { routerLogin: "${ROUTER_LOGIN}", zone: "${ZONE:-eu}" }'), 'plan.yaml', { env, set: { routerLogin: 'from-argv' } });
    expect(plan.secretVars).toEqual(['routerLogin', 'zone']);
  });

  it('public: must name a declared var, and cannot make a secret-named var public', () => {
    expect(messages(withVars('vars: { release: "${RELEASE}", routerToken: "${ROUTER_LOGIN}" }', 'public: [relase, routerToken]'), { env })).toEqual([
      'plan.yaml:5:10: public[0]: "relase" is not a var of this plan (did you mean "release"?)',
      'plan.yaml:5:18: public[1]: "routerToken" is named like a secret (token, password, auth, key, ...) and is always masked: rename the var to make it public',
    ]);
  });
});

describe('plan issues never quote a secret var', () => {
  it('a PromQL error near a value from the environment shows *** instead', () => {
    const text = ['apiVersion: rollgate/v1', 'kind: RolloutPlan', 'metadata: { name: checkout-v2, service: checkout }', 'vars: { tenant: "${TENANT}" }', 'traffic:', '  exec: ["./set-weight.sh", "{{weight}}"]', 'gates:', '  - name: error-rate', "    query: 'sum(rate(x[1m])) \"{{tenant}}\"'", '    max: 0.01', 'canary: { weights: [50, 100], bake: 1m }', ''].join('\n');
    const issues = messages(text, { env: { TENANT: 'tenant-8c1f' } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('PromQL parse error: unexpected string "\\"***\\""');
    expect(issues[0]).not.toContain('tenant-8c1f');
  });
});
