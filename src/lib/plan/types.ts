/**
 * The resolved plan: defaults applied, durations in ms, percentages as numbers, the canary
 * shorthand expanded, gate queries with {{vars}} substituted. Everything after loading works on this.
 */
import type { RawHttpSpec } from './schema.js';

export interface PrometheusConfig {
  url: string;
  timeoutMs: number;
  retries: number;
  headers: Record<string, string>;
  bearerTokenFile?: string;
  bearerTokenEnv?: string;
  basicAuth?: { username: string; passwordFile?: string; passwordEnv?: string };
  caFile?: string;
  insecureSkipVerify: boolean;
  /** What an answer with warnings (a partial response) means: inconclusive (default) or ignored. */
  onWarnings?: OnWarnings;
  /** prometheus.maxSampleAge: a sample older than this at the query time is inconclusive (default: twice analysis.interval). */
  maxSampleAgeMs?: number;
}

export type OnWarnings = 'inconclusive' | 'ignore';

/** An action as declared; `{{placeholders}}` are still in it, substituted at run time per argument. */
export interface ActionSpec {
  exec?: string[];
  http?: RawHttpSpec;
  timeoutMs: number;
  retries: number;
}

export interface HookSpec extends ActionSpec {
  /** `beforeRollout[0]` etc., or the hook's own name. */
  name: string;
  undo?: ActionSpec;
}

export type OnEmpty = 'fail' | 'pass' | 'inconclusive';
export type Severity = 'critical' | 'warning';

/** A threshold relative to a baseline query: relative (0.1 = 10%) or absolute units. */
export interface BaselineLimit {
  kind: 'relative' | 'absolute';
  value: number;
}

export interface GateSpec {
  name: string;
  description?: string;
  /** PromQL with {{vars}} substituted (as sent). */
  query: string;
  max?: number;
  min?: number;
  /** Sustained window: breached at every point of the last forMs. */
  forMs?: number;
  /** Range-query resolution for `for`. */
  stepMs?: number;
  baseline?: string;
  maxIncrease?: BaselineLimit;
  maxDecrease?: BaselineLimit;
  onEmpty: OnEmpty;
  minSamples?: { query: string; min: number };
  severity: Severity;
  /**
   * From the plan's prometheus section, so every measurement of the gate judges alike wherever it
   * is taken (gate check, bake, rollback verification). Absent: warnings make it inconclusive.
   */
  onWarnings?: OnWarnings;
  /** A sample older than this at the query time is inconclusive; absent: no age check (resolve always sets it). */
  maxSampleAgeMs?: number;
}

export interface StepSpec {
  /** 0-based position. */
  index: number;
  weight: number;
  bakeMs: number;
  approval: boolean;
  /** Names of the gates checked in this step (all gates when the plan names none). */
  gates: string[];
}

export interface AnalysisConfig {
  intervalMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  onInconclusive: 'pause' | 'rollback' | 'continue';
  errorLimit: number;
  onError: 'hold' | 'rollback';
  errorTimeoutMs: number;
}

export interface ResolvedPlan {
  name: string;
  service: string;
  /** Path as given by the user. */
  file: string;
  /** sha256 (hex) of the file's bytes as read. */
  sha256: string;
  /** Plan vars merged with --set overrides, plus `service` and `name`. */
  vars: Record<string, string>;
  /**
   * Names of the vars whose values are secrets: every var whose value came from the environment
   * (`${X}`) or a file, unless listed in the plan's `public:`, and every var named like a secret.
   */
  secretVars?: string[];
  /**
   * Environment values written straight into an action (`exec: ["x", "${TOKEN}"]`, an http url,
   * header or body) rather than through a var: secrets as well (see load.ts).
   */
  secretValues?: string[];
  prometheus: PrometheusConfig;
  traffic: ActionSpec;
  analysis: AnalysisConfig;
  gates: GateSpec[];
  steps: StepSpec[];
  hooks: {
    beforeRollout: HookSpec[];
    beforeStep: HookSpec[];
    afterStep: HookSpec[];
    afterPromotion: HookSpec[];
    onRollback: HookSpec[];
  };
  rollback: { auto: boolean; timeoutMs: number; verify?: { gates: string[]; withinMs: number } };
  approvalTimeoutMs: number;
}

export const PLAN_DEFAULTS = {
  prometheusUrl: 'http://localhost:9090',
  prometheusTimeoutMs: 10_000,
  prometheusRetries: 2,
  actionTimeoutMs: 30_000,
  actionRetries: 0,
  intervalMs: 30_000,
  failureLimit: 0,
  inconclusiveLimit: 2,
  onInconclusive: 'pause',
  errorLimit: 4,
  onError: 'hold',
  errorTimeoutMs: 5 * 60_000,
  bakeMs: 0,
  approvalTimeoutMs: 24 * 3_600_000,
  rollbackTimeoutMs: 2 * 60_000,
} as const;
