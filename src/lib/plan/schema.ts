/**
 * zod schemas of the RolloutPlan v1 format as users write it. They are the single source of the
 * raw types (z.infer) and of the JSON Schema (`rollgate schema plan`, via z.toJSONSchema).
 * Semantic checks that need the whole plan (gate references, increasing weights, PromQL) live
 * in validate.ts; defaults and unit conversion in resolve.ts.
 */
import * as z from 'zod';

export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+$';

export const Duration = z
  .string()
  .regex(new RegExp(DURATION_PATTERN), { message: 'expected a duration such as 500ms, 30s, 5m, 2h, 7d' })
  .describe('a duration: 500ms, 30s, 5m, 2h, 7d (sums such as 1h30m too)');

/** `10`, `10%`, `"10"`: a percentage in a weight or objective. */
export const Percent = z
  .union([z.number(), z.string().regex(/^\s*\d+(?:\.\d+)?\s*%?\s*$/, { message: 'expected a percentage such as 10 or 10%' })])
  .describe('a percentage: 10 or "10%"');

export const Name = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'use letters, digits, ".", "_" and "-", starting with a letter or digit' });

export const ExecSpec = z.array(z.string()).min(1).describe('argv: the program and its arguments, run without a shell; {{vars}} are substituted per argument');

export const HttpSpec = z
  .strictObject({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional().describe('extra headers; secrets belong in headersFromEnv/headersFromFile'),
    headersFromEnv: z.record(z.string(), z.string()).optional().describe('header name → environment variable holding its value'),
    headersFromFile: z.record(z.string(), z.string()).optional().describe('header name → file holding its value'),
    json: z.unknown().optional().describe('JSON body; strings are templated'),
    body: z.string().optional().describe('raw body; templated'),
    expectStatus: z.array(z.number().int().min(100).max(599)).optional().describe('accepted status codes (default: any 2xx)'),
  })
  .describe('an HTTP request');

const actionShape = {
  exec: ExecSpec.optional(),
  http: HttpSpec.optional(),
  timeout: Duration.optional(),
  retries: z.number().int().min(0).max(20).optional(),
};

/** An action: exactly one of `exec` or `http` (checked in validate.ts for a precise message). */
export const ActionSchema = z.strictObject(actionShape).describe('an action: exec (argv) or http');

export const HookSchema = z
  .strictObject({
    name: z.string().optional(),
    ...actionShape,
    undo: ActionSchema.optional().describe('the compensation run when the rollout is rolled back'),
  })
  .describe('a hook action with an optional undo');

export const MinSamplesSchema = z.strictObject({
  query: z.string().min(1),
  min: z.number().min(0),
});

export const GateSchema = z.strictObject({
  name: Name,
  description: z.string().optional(),
  query: z.string().min(1),
  max: z.number().optional().describe('fail when value > max'),
  min: z.number().optional().describe('fail when value < min'),
  for: Duration.optional().describe('sustained: fail only when breached at every point of this window (range query)'),
  step: Duration.optional().describe('resolution of the `for` range query (default: analysis interval, at least 1s)'),
  baseline: z.string().min(1).optional().describe('query of the baseline (e.g. stable) to compare against'),
  maxIncrease: z.union([z.number(), z.string()]).optional().describe('allowed increase over baseline: "10%" relative, or an absolute number'),
  maxDecrease: z.union([z.number(), z.string()]).optional().describe('allowed decrease under baseline: "10%" relative, or an absolute number'),
  onEmpty: z.enum(['fail', 'pass', 'inconclusive']).optional().describe('empty or NaN result (default inconclusive)'),
  minSamples: MinSamplesSchema.optional().describe('below this the measurement is inconclusive, not pass'),
  severity: z.enum(['critical', 'warning']).optional().describe('critical (default) rolls back; warning is recorded only'),
});

export const StepSchema = z.strictObject({
  weight: Percent.describe('canary traffic percent, 1..100'),
  bake: Duration.optional(),
  approval: z.boolean().optional().describe('after bake: wait for a human'),
  gates: z.array(z.string()).optional().describe('subset of gates checked in this step (default: all)'),
});

export const CanaryShorthandSchema = z.strictObject({
  weights: z.array(Percent).min(1),
  bake: Duration,
  approval: z.boolean().optional().describe('ask for approval before the last step'),
});

export const PrometheusSchema = z.strictObject({
  url: z.string().min(1).optional(),
  timeout: Duration.optional(),
  retries: z.number().int().min(0).max(10).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  bearerTokenFile: z.string().optional(),
  bearerTokenEnv: z.string().optional(),
  basicAuth: z.strictObject({ username: z.string(), passwordFile: z.string().optional(), passwordEnv: z.string().optional() }).optional(),
  caFile: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
  onWarnings: z
    .enum(['inconclusive', 'ignore'])
    .optional()
    .describe('an answer with warnings (Thanos/Mimir/Prometheus partial response) is inconclusive (default), or judged anyway (ignore); the warnings are recorded either way'),
  maxSampleAge: Duration.optional().describe('a sample older than this at the query time is inconclusive (default: twice analysis.interval)'),
});

export const AnalysisSchema = z.strictObject({
  interval: Duration.optional(),
  failureLimit: z.number().int().min(0).optional(),
  inconclusiveLimit: z.number().int().min(0).optional(),
  onInconclusive: z.enum(['pause', 'rollback', 'continue']).optional(),
  errorLimit: z.number().int().min(0).optional(),
  onError: z.enum(['hold', 'rollback']).optional(),
  errorTimeout: Duration.optional(),
});

export const TrafficSchema = ActionSchema;

export const HooksSchema = z.strictObject({
  beforeRollout: z.array(HookSchema).optional(),
  beforeStep: z.array(HookSchema).optional(),
  afterStep: z.array(HookSchema).optional(),
  afterPromotion: z.array(HookSchema).optional(),
  onRollback: z.array(HookSchema).optional(),
});

export const RollbackSchema = z.strictObject({
  auto: z.boolean().optional(),
  timeout: Duration.optional().describe('bound on the whole rollback on a signal (default 2m)'),
  verify: z.strictObject({ gates: z.array(z.string()).min(1), within: Duration }).optional(),
});

export const RolloutPlanSchema = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal('rollgate/v1'),
    kind: z.literal('RolloutPlan'),
    metadata: z.strictObject({
      name: Name,
      service: Name,
      labels: z.record(z.string(), z.string()).optional(),
    }),
    vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    public: z
      .array(z.string())
      .optional()
      .describe('names of vars that may be shown although their value comes from the environment (${X}); every other such var is a secret, masked in all output and evidence'),
    prometheus: PrometheusSchema.optional(),
    traffic: TrafficSchema,
    analysis: AnalysisSchema.optional(),
    gates: z.array(GateSchema).min(1),
    steps: z.array(StepSchema).min(1).optional(),
    canary: CanaryShorthandSchema.optional(),
    approval: z.strictObject({ timeout: Duration.optional() }).optional(),
    hooks: HooksSchema.optional(),
    rollback: RollbackSchema.optional(),
  })
  .describe('rollgate RolloutPlan v1');

export type RawRolloutPlan = z.infer<typeof RolloutPlanSchema>;
export type RawAction = z.infer<typeof ActionSchema>;
export type RawHook = z.infer<typeof HookSchema>;
export type RawGate = z.infer<typeof GateSchema>;
export type RawHttpSpec = z.infer<typeof HttpSpec>;
