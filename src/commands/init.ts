/**
 * `rollgate init [--out FILE] [--policy]`: a wizard that writes a commented plan (or SLA policy).
 *
 * The first question is the service name; every later one has a default that leads to a valid
 * file. Every question has a flag; a flag answers it and it is not asked. With --yes, --json or
 * without a terminal nothing is asked: defaults fill the rest, and a required answer that is
 * missing (the service) is a usage error naming its flag. The text is validated with the real
 * validator before it is written, and an existing file is kept unless --force.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, ExitCode, PlanError, UsageError } from '../lib/errors.js';
import { parseDuration } from '../lib/duration.js';
import {
  GATE_CATALOGUE,
  GATE_KINDS,
  PLAN_DEFAULTS,
  STEP_CATALOGUE,
  STEP_PRESETS,
  TRAFFIC_CATALOGUE,
  TRAFFIC_TEMPLATES,
  renderPlan,
  splitArgv,
  type GateKind,
  type PlanAnswers,
  type StepPreset,
  type TrafficTemplate,
} from '../lib/init/plan-template.js';
import { POLICY_DEFAULTS, renderPolicy, type PolicyAnswers } from '../lib/init/policy-template.js';
import type { CommandContext } from './context.js';

export interface InitInput {
  out?: string;
  force: boolean;
  policy: boolean;
  service?: string;
  traffic?: string;
  trafficExec?: string;
  trafficHttp?: string;
  steps?: string;
  gates?: string;
  approval?: boolean;
  verify?: boolean;
  requestsMetric?: string;
  latencyMetric?: string;
  p95Max?: string;
  objective?: string;
  window?: string;
  latencyObjective?: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkService(value: string): true | string {
  return NAME_RE.test(value) ? true : 'use letters, digits, ".", "_" and "-", starting with a letter or digit';
}

function checkUrl(value: string): true | string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http:// or https:// URL';
    if (url.password) return 'no password in the URL: put credentials in a file or the environment';
    return true;
  } catch {
    return 'expected a URL such as http://prometheus:9090';
  }
}

function checkMetric(value: string): true | string {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(value) ? true : 'expected a Prometheus metric name such as http_requests_total';
}

function checkExec(value: string): true | string {
  try {
    return splitArgv(value).length > 0 ? true : 'expected a command, e.g. ./scripts/set-weight.sh {{service}} {{weight}}';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Seconds from `0.3`, `300ms` or `1s`. */
function parseSeconds(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) > 0 ? Number(value) : undefined;
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 ? ms / 1000 : undefined;
}

function checkSeconds(value: string): true | string {
  return parseSeconds(value) !== undefined ? true : 'expected seconds (0.3) or a duration (300ms)';
}

function checkPercent(value: string): true | string {
  const n = Number(value.replace(/%$/, ''));
  return Number.isFinite(n) && n > 0 && n < 100 ? true : 'expected a percentage between 0 and 100, e.g. 99.9';
}

function checkWindow(value: string): true | string {
  return /^\d+[dhw]$/.test(value) && parseDuration(value.replace(/(\d+)w$/, (_, n: string) => `${Number(n) * 7}d`)) !== undefined ? true : 'expected a window such as 28d, 30d or 4w';
}

/** Asks questions through the Ui, or answers them from flags and defaults when no one is asked. */
class Questions {
  constructor(
    private readonly ctx: CommandContext,
    readonly prompting: boolean,
  ) {}

  /** A flag's value (checked), else the person's answer, else the default. */
  async text(flag: string, given: string | undefined, message: string, options: { default?: string; check: (value: string) => true | string }): Promise<string> {
    if (given !== undefined) {
      const ok = options.check(given.trim());
      if (ok !== true) throw new UsageError(`${flag} ${JSON.stringify(given)}: ${ok}`);
      return given.trim();
    }
    if (this.prompting) return this.ctx.ui.input(message, { ...(options.default !== undefined ? { default: options.default } : {}), validate: options.check });
    if (options.default === undefined) throw new UsageError(`${flag} is required when nothing is asked (--yes, --json, CI or no terminal)`, `for example: rollgate init ${flag} checkout --yes`);
    return options.default;
  }

  async choice<T extends string>(flag: string, given: string | undefined, message: string, values: readonly T[], titles: Record<T, string>, fallback: T): Promise<T> {
    if (given !== undefined) {
      if (!(values as readonly string[]).includes(given)) throw new UsageError(`${flag} ${given}: expected one of ${values.join(', ')}`);
      return given as T;
    }
    if (!this.prompting) return fallback;
    return this.ctx.ui.select<T>(message, values.map((value) => ({ name: `${value.padEnd(13)} ${titles[value]}`, value })), { default: fallback });
  }

  async many<T extends string>(flag: string, given: string | undefined, message: string, values: readonly T[], titles: Record<T, string>, fallback: readonly T[]): Promise<T[]> {
    if (given !== undefined) {
      const picked = given.split(',').map((v) => v.trim()).filter(Boolean);
      const unknown = picked.filter((v) => !(values as readonly string[]).includes(v));
      if (unknown.length > 0 || picked.length === 0) throw new UsageError(`${flag} ${given}: expected a comma-separated list of ${values.join(', ')}`);
      return [...new Set(picked)] as T[];
    }
    if (!this.prompting) return [...fallback];
    return this.ctx.ui.checkbox<T>(message, values.map((value) => ({ name: titles[value], value, checked: fallback.includes(value) })), { required: true });
  }

  async yesNo(given: boolean | undefined, message: string, fallback: boolean): Promise<boolean> {
    if (given !== undefined) return given;
    if (!this.prompting) return fallback;
    const { ui } = this.ctx;
    return ui.select<boolean>(message, [
      { name: 'yes', value: true },
      { name: 'no', value: false },
    ], { default: fallback });
  }
}

export async function run(ctx: CommandContext, input: InitInput): Promise<number> {
  const prompting = ctx.ui.canPrompt && !ctx.ui.yes;
  const ask = new Questions(ctx, prompting);
  // An --out given up front is checked before any question: no answering ten questions for nothing.
  if (input.out !== undefined) await refuseExisting(ctx, input.out, input.force);
  try {
    return input.policy ? await initPolicy(ctx, input, ask) : await initPlan(ctx, input, ask);
  } catch (error) {
    // Ctrl-C or Ctrl-D at a prompt: nothing was written.
    if (error instanceof Error && error.name === 'ExitPromptError') throw new CancelledError('init cancelled: nothing was written');
    throw error;
  }
}

function prometheusDefault(ctx: CommandContext, fallback: string): string | undefined {
  return ctx.global.prometheus ?? (ctx.env.ROLLGATE_PROMETHEUS_URL || undefined) ?? fallback;
}

async function initPlan(ctx: CommandContext, input: InitInput, ask: Questions): Promise<number> {
  const service = await ask.text('--service', input.service, 'Service name (the one thing this plan rolls out)', { check: checkService });
  const out = await ask.text('--out', input.out, 'Write the plan to', { default: `${service}-rollout.yaml`, check: (v) => (v ? true : 'a file name') });
  if (input.out === undefined) await refuseExisting(ctx, out, input.force);
  const prometheusUrl = await ask.text('--prometheus', ctx.global.prometheus, 'Prometheus URL (or Thanos, Mimir, VictoriaMetrics)', { default: prometheusDefault(ctx, PLAN_DEFAULTS.prometheusUrl)!, check: checkUrl });

  // --traffic-exec / --traffic-http imply their kind of template unless --traffic names one.
  if (input.trafficExec !== undefined && input.trafficHttp !== undefined) throw new UsageError('--traffic-exec and --traffic-http: give one of them');
  const impliedTraffic: TrafficTemplate | undefined = input.traffic as TrafficTemplate | undefined ?? (input.trafficExec !== undefined ? 'exec' : input.trafficHttp !== undefined ? 'http-router' : undefined);
  const traffic = await ask.choice('--traffic', impliedTraffic, 'How is traffic shifted to the canary?', TRAFFIC_TEMPLATES, mapTitles(TRAFFIC_CATALOGUE), PLAN_DEFAULTS.traffic);
  const entry = TRAFFIC_CATALOGUE[traffic];
  if (entry.kind === 'exec' && input.trafficHttp !== undefined) throw new UsageError(`--traffic-http: the ${traffic} template runs a command; use --traffic-exec`);
  if (entry.kind === 'http' && input.trafficExec !== undefined) throw new UsageError(`--traffic-exec: the ${traffic} template sends an HTTP request; use --traffic-http`);
  const trafficTarget =
    entry.kind === 'exec'
      ? await ask.text('--traffic-exec', input.trafficExec, 'Command that sets the weight (argv, no shell; {{service}} and {{weight}} are filled in)', { default: entry.default, check: checkExec })
      : await ask.text('--traffic-http', input.trafficHttp, 'URL of the request that sets the weight', { default: entry.default, check: (v) => checkUrl(v.replace(/\{\{[^}]*\}\}/g, 'x')) });

  const steps = await ask.choice<StepPreset>('--steps', input.steps, 'Steps', STEP_PRESETS, STEP_CATALOGUE, PLAN_DEFAULTS.steps);
  const gates = await ask.many<GateKind>('--gates', input.gates, 'Gates that watch the canary (space to tick, enter to go on)', GATE_KINDS, GATE_CATALOGUE, PLAN_DEFAULTS.gates);
  const usesRequests = gates.some((g) => g === 'error-rate' || g === 'success-rate');
  const usesLatency = gates.some((g) => g === 'p95-latency' || g === 'baseline');
  const verify = await ask.yesNo(input.verify, 'After a rollback, verify that stable is healthy again?', PLAN_DEFAULTS.verify);
  const requestsMetric =
    usesRequests || verify ? await ask.text('--requests-metric', input.requestsMetric, 'Request counter metric (labels service, track, code)', { default: PLAN_DEFAULTS.requestsMetric, check: checkMetric }) : (input.requestsMetric ?? PLAN_DEFAULTS.requestsMetric);
  const latencyMetric = usesLatency ? await ask.text('--latency-metric', input.latencyMetric, 'Latency histogram metric (without _bucket)', { default: PLAN_DEFAULTS.latencyMetric, check: checkMetric }) : (input.latencyMetric ?? PLAN_DEFAULTS.latencyMetric);
  const p95Text = gates.includes('p95-latency') ? await ask.text('--p95-max', input.p95Max, 'p95 latency threshold (seconds, or 300ms)', { default: String(PLAN_DEFAULTS.p95Max), check: checkSeconds }) : (input.p95Max ?? String(PLAN_DEFAULTS.p95Max));
  // Blue-green has no step before 100% to pause at: its pre-promotion gates decide instead.
  const approval = steps === 'blue-green' ? false : await ask.yesNo(input.approval, 'Wait for a person to approve before 100%?', PLAN_DEFAULTS.approval);
  if (steps === 'blue-green' && input.approval === true) ctx.ui.warn('--approval: a blue-green plan has no step before 100%; its pre-promotion gates decide instead');

  const answers: PlanAnswers = {
    service,
    prometheusUrl,
    traffic,
    trafficTarget,
    steps,
    gates,
    approval,
    verify,
    requestsMetric,
    latencyMetric,
    p95Max: parseSeconds(p95Text) ?? PLAN_DEFAULTS.p95Max,
    planFile: out,
  };
  const text = renderPlan(answers);
  const file = path.resolve(ctx.cwd, out);
  // The real validator, on the exact bytes about to be written.
  const { checkPlanSource } = await import('../lib/plan/load.js');
  const checked = checkPlanSource(text, out, { env: ctx.env, cwd: path.dirname(file) });
  if (checked.issues.length > 0) throw new PlanError(checked.issues);
  await writeNew(file, out, text, input.force);
  const next = [`rollgate plan show ${out}`, `rollgate gate check ${out}`, `rollgate rollout run ${out} --set version=v2`];
  report(ctx, { file: out, kind: 'RolloutPlan', service, steps: checked.plan?.steps.length ?? 0, gates: checked.plan?.gates.length ?? 0, next });
  return ExitCode.ok;
}

async function initPolicy(ctx: CommandContext, input: InitInput, ask: Questions): Promise<number> {
  const service = await ask.text('--service', input.service, 'Service name (whose SLOs this policy states)', { check: checkService });
  const out = await ask.text('--out', input.out, 'Write the policy to', { default: `${service}-sla.yaml`, check: (v) => (v ? true : 'a file name') });
  if (input.out === undefined) await refuseExisting(ctx, out, input.force);
  const prometheusUrl = await ask.text('--prometheus', ctx.global.prometheus, 'Prometheus URL', { default: prometheusDefault(ctx, POLICY_DEFAULTS.prometheusUrl)!, check: checkUrl });
  const objective = await ask.text('--objective', input.objective, 'Availability objective (percent of requests without a 5xx)', { default: String(POLICY_DEFAULTS.objective), check: checkPercent });
  const window = await ask.text('--window', input.window, 'Rolling window', { default: POLICY_DEFAULTS.window, check: checkWindow });
  const p95Text = await ask.text('--p95-max', input.p95Max, 'p95 latency threshold (seconds, or 300ms)', { default: String(POLICY_DEFAULTS.p95Max), check: checkSeconds });
  const latencyObjective = await ask.text('--latency-objective', input.latencyObjective, 'Latency objective (percent of 5-minute slices under the threshold)', { default: String(POLICY_DEFAULTS.latencyObjective), check: checkPercent });
  const requestsMetric = await ask.text('--requests-metric', input.requestsMetric, 'Request counter metric (labels service, code)', { default: POLICY_DEFAULTS.requestsMetric, check: checkMetric });
  const latencyMetric = await ask.text('--latency-metric', input.latencyMetric, 'Latency histogram metric (without _bucket)', { default: POLICY_DEFAULTS.latencyMetric, check: checkMetric });
  const answers: PolicyAnswers = {
    service,
    prometheusUrl,
    objective: Number(objective.replace(/%$/, '')),
    window,
    p95Max: parseSeconds(p95Text) ?? POLICY_DEFAULTS.p95Max,
    latencyObjective: Number(latencyObjective.replace(/%$/, '')),
    requestsMetric,
    latencyMetric,
    policyFile: path.basename(out),
  };
  const text = renderPolicy(answers);
  const file = path.resolve(ctx.cwd, out);
  const slos = await validatePolicy(ctx, text, out, path.dirname(file));
  await writeNew(file, out, text, input.force);
  const next = [`rollgate plan validate ${out}`, `rollgate sla audit ${out} --window ${window}`, `rollgate sla rules ${out} > ${service}-slo-rules.yaml`];
  report(ctx, { file: out, kind: 'SLAPolicy', service, slos, next });
  return ExitCode.ok;
}

/** Validates the policy text with the SLA policy loader (src/lib/sla/); returns its number of SLOs. */
async function validatePolicy(ctx: CommandContext, text: string, shown: string, cwd: string): Promise<number> {
  const { checkInitPolicy } = await import('../lib/init/sla-policy-check.js');
  return checkInitPolicy(text, shown, { env: ctx.env, cwd });
}

function mapTitles<T extends string>(catalogue: Record<T, { title: string }>): Record<T, string> {
  return Object.fromEntries(Object.entries(catalogue).map(([key, value]) => [key, (value as { title: string }).title])) as Record<T, string>;
}

async function refuseExisting(ctx: CommandContext, out: string, force: boolean): Promise<void> {
  const stat = await fs.stat(path.resolve(ctx.cwd, out)).catch(() => undefined);
  if (stat?.isDirectory()) throw new UsageError(`--out ${out} is a directory`, 'name a file, e.g. --out checkout-rollout.yaml');
  if (stat && !force) throw new UsageError(`${out} already exists; not overwriting it`, 'pass --force to replace it, or --out another file');
}

/** Exclusive create without --force, so a file that appeared meanwhile is never clobbered. */
async function writeNew(file: string, shown: string, text: string, force: boolean): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await fs.writeFile(file, text, { encoding: 'utf8', flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${shown} already exists; not overwriting it`, 'pass --force to replace it');
    throw error;
  }
}

function report(ctx: CommandContext, result: { file: string; kind: string; service: string; steps?: number; gates?: number; slos?: number; next: string[] }): void {
  const { ui } = ctx;
  if (ui.mode === 'json') {
    ui.json({ written: result.file, kind: result.kind, service: result.service, valid: true, ...(result.steps !== undefined ? { steps: result.steps, gates: result.gates } : { slos: result.slos }), next: result.next });
    return;
  }
  const n = (count: number | undefined, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const what = result.kind === 'RolloutPlan' ? `plan (${n(result.steps, 'step')}, ${n(result.gates, 'gate')})` : `SLA policy (${n(result.slos, 'SLO')})`;
  ui.success(`wrote ${result.file}: a valid ${what} for ${result.service}`);
  ui.out('Next:');
  for (const line of result.next) ui.out(`  ${line}`);
}
