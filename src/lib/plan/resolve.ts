/**
 * A validated raw plan → ResolvedPlan: defaults applied, durations in ms, percentages as numbers,
 * the `canary` shorthand expanded into steps, gate queries rendered. Assumes validate.ts passed:
 * it does not re-check what the validator reports.
 */
import { parseDuration } from '../duration.js';
import { renderPromqlTemplate } from './promql-vars.js';
import { QUERY_RUNTIME_PLACEHOLDERS } from './plan-vars.js';
import type { RawAction, RawHook, RawRolloutPlan } from './schema.js';
import { PLAN_DEFAULTS, type ActionSpec, type BaselineLimit, type GateSpec, type HookSpec, type PrometheusConfig, type ResolvedPlan, type StepSpec } from './types.js';

/** `10`, `"10"`, `"10%"` → 10; undefined when it is not a percentage. */
export function parsePercent(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** `"10%"` → relative 0.1; `0.005` or `"0.005"` → absolute; undefined when neither. */
export function parseBaselineLimit(value: unknown): BaselineLimit | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? { kind: 'absolute', value } : undefined;
  if (typeof value !== 'string') return undefined;
  const relative = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  if (relative) return { kind: 'relative', value: Number(relative[1]) / 100 };
  const absolute = /^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/.exec(value);
  return absolute ? { kind: 'absolute', value: Number(absolute[1]) } : undefined;
}

/** A duration the schema already accepted, in ms. */
function ms(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  return parseDuration(text) ?? fallback;
}

/** Raw steps as declared, or expanded from `canary: {weights, bake, approval}`. */
export function declaredSteps(plan: Pick<RawRolloutPlan, 'steps' | 'canary'>): NonNullable<RawRolloutPlan['steps']> {
  if (plan.steps) return plan.steps;
  if (!plan.canary) return [];
  const { weights, bake, approval } = plan.canary;
  // The shorthand's approval means "ask before the last step": after the bake of the one before it.
  return weights.map((weight, index) => ({ weight, bake, approval: approval === true && index === weights.length - 2 }));
}

function resolveAction(action: RawAction): ActionSpec {
  return {
    ...(action.exec ? { exec: [...action.exec] } : {}),
    ...(action.http ? { http: action.http } : {}),
    timeoutMs: ms(action.timeout, PLAN_DEFAULTS.actionTimeoutMs),
    retries: action.retries ?? PLAN_DEFAULTS.actionRetries,
  };
}

function resolveHooks(hooks: RawHook[] | undefined, phase: string): HookSpec[] {
  return (hooks ?? []).map((hook, index) => ({
    ...resolveAction(hook),
    name: hook.name ?? `${phase}[${index}]`,
    ...(hook.undo ? { undo: resolveAction(hook.undo) } : {}),
  }));
}

/**
 * The Prometheus connection of a plan or SLA policy: `--prometheus`/env url first, then the
 * file's, then the default; timeouts and retries defaulted.
 */
export function resolvePrometheus(raw: RawRolloutPlan['prometheus'], urlOverride?: string): PrometheusConfig {
  const prometheus = raw ?? {};
  return {
    url: urlOverride ?? prometheus.url ?? PLAN_DEFAULTS.prometheusUrl,
    timeoutMs: ms(prometheus.timeout, PLAN_DEFAULTS.prometheusTimeoutMs),
    retries: prometheus.retries ?? PLAN_DEFAULTS.prometheusRetries,
    headers: { ...(prometheus.headers ?? {}) },
    ...(prometheus.bearerTokenFile !== undefined ? { bearerTokenFile: prometheus.bearerTokenFile } : {}),
    ...(prometheus.bearerTokenEnv !== undefined ? { bearerTokenEnv: prometheus.bearerTokenEnv } : {}),
    ...(prometheus.basicAuth !== undefined ? { basicAuth: prometheus.basicAuth } : {}),
    ...(prometheus.caFile !== undefined ? { caFile: prometheus.caFile } : {}),
    insecureSkipVerify: prometheus.insecureSkipVerify ?? false,
    ...(prometheus.onWarnings !== undefined ? { onWarnings: prometheus.onWarnings } : {}),
    ...(prometheus.maxSampleAge !== undefined ? { maxSampleAgeMs: ms(prometheus.maxSampleAge, 0) } : {}),
  };
}

export interface ResolveContext {
  file: string;
  sha256: string;
  /** Placeholder values (see plan-vars.ts). */
  vars: Record<string, string>;
  /** --prometheus / ROLLGATE_PROMETHEUS_URL: beats the plan's url. */
  prometheusUrl?: string;
  /** Names of the vars whose values are secrets (see load.ts). */
  secretVars?: string[];
  /** Environment values written straight into actions (see load.ts). */
  secretValues?: string[];
}

/** Builds the ResolvedPlan everything after loading works on. */
export function resolvePlan(plan: RawRolloutPlan, context: ResolveContext): ResolvedPlan {
  // The same rendering validate.ts checked: values escaped for the string literal they stand in.
  const render = (query: string): string => renderPromqlTemplate(query, context.vars, QUERY_RUNTIME_PLACEHOLDERS);
  const analysis = plan.analysis ?? {};
  const intervalMs = ms(analysis.interval, PLAN_DEFAULTS.intervalMs);
  const gateNames = plan.gates.map((gate) => gate.name);
  const onWarnings = plan.prometheus?.onWarnings ?? 'inconclusive';
  // Twice the interval: one missed scrape or evaluation is tolerated, a stalled source is not.
  const maxSampleAgeMs = plan.prometheus?.maxSampleAge !== undefined ? ms(plan.prometheus.maxSampleAge, 2 * intervalMs) : 2 * intervalMs;

  const gates: GateSpec[] = plan.gates.map((gate) => {
    const forMs = gate.for === undefined ? undefined : ms(gate.for, 0);
    const maxIncrease = gate.maxIncrease === undefined ? undefined : parseBaselineLimit(gate.maxIncrease);
    const maxDecrease = gate.maxDecrease === undefined ? undefined : parseBaselineLimit(gate.maxDecrease);
    return {
      name: gate.name,
      ...(gate.description !== undefined ? { description: gate.description } : {}),
      query: render(gate.query),
      ...(gate.max !== undefined ? { max: gate.max } : {}),
      ...(gate.min !== undefined ? { min: gate.min } : {}),
      ...(forMs !== undefined ? { forMs, stepMs: gate.step !== undefined ? ms(gate.step, 1_000) : Math.max(1_000, intervalMs) } : {}),
      ...(gate.baseline !== undefined ? { baseline: render(gate.baseline) } : {}),
      ...(maxIncrease ? { maxIncrease } : {}),
      ...(maxDecrease ? { maxDecrease } : {}),
      onEmpty: gate.onEmpty ?? 'inconclusive',
      ...(gate.minSamples ? { minSamples: { query: render(gate.minSamples.query), min: gate.minSamples.min } } : {}),
      severity: gate.severity ?? 'critical',
      onWarnings,
      maxSampleAgeMs,
    };
  });

  const steps: StepSpec[] = declaredSteps(plan).map((step, index) => ({
    index,
    weight: parsePercent(step.weight) ?? 0,
    bakeMs: ms(step.bake, PLAN_DEFAULTS.bakeMs),
    approval: step.approval ?? false,
    gates: step.gates ? [...step.gates] : [...gateNames],
  }));

  return {
    name: plan.metadata.name,
    service: plan.metadata.service,
    file: context.file,
    sha256: context.sha256,
    vars: { ...context.vars },
    secretVars: [...(context.secretVars ?? [])],
    ...(context.secretValues && context.secretValues.length > 0 ? { secretValues: [...context.secretValues] } : {}),
    prometheus: { ...resolvePrometheus(plan.prometheus, context.prometheusUrl), onWarnings, maxSampleAgeMs },
    traffic: resolveAction(plan.traffic),
    analysis: {
      intervalMs,
      failureLimit: analysis.failureLimit ?? PLAN_DEFAULTS.failureLimit,
      inconclusiveLimit: analysis.inconclusiveLimit ?? PLAN_DEFAULTS.inconclusiveLimit,
      onInconclusive: analysis.onInconclusive ?? PLAN_DEFAULTS.onInconclusive,
      errorLimit: analysis.errorLimit ?? PLAN_DEFAULTS.errorLimit,
      onError: analysis.onError ?? PLAN_DEFAULTS.onError,
      errorTimeoutMs: ms(analysis.errorTimeout, PLAN_DEFAULTS.errorTimeoutMs),
    },
    gates,
    steps,
    hooks: {
      beforeRollout: resolveHooks(plan.hooks?.beforeRollout, 'beforeRollout'),
      beforeStep: resolveHooks(plan.hooks?.beforeStep, 'beforeStep'),
      afterStep: resolveHooks(plan.hooks?.afterStep, 'afterStep'),
      afterPromotion: resolveHooks(plan.hooks?.afterPromotion, 'afterPromotion'),
      onRollback: resolveHooks(plan.hooks?.onRollback, 'onRollback'),
    },
    rollback: {
      auto: plan.rollback?.auto ?? true,
      timeoutMs: ms(plan.rollback?.timeout, PLAN_DEFAULTS.rollbackTimeoutMs),
      ...(plan.rollback?.verify ? { verify: { gates: [...plan.rollback.verify.gates], withinMs: ms(plan.rollback.verify.within, 0) } } : {}),
    },
    approvalTimeoutMs: ms(plan.approval?.timeout, PLAN_DEFAULTS.approvalTimeoutMs),
  };
}
