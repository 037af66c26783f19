/**
 * `rollgate gate check <plan> [--gate NAME] [--at TIME]`: evaluates the plan's gates once, now or at
 * a past time. Exit 0 when every gate passes, 1 when a critical gate fails (a failure beats an
 * inconclusive result), 3 when no verdict could be reached (inconclusive, or a provider error).
 */
import { ExitCode, UsageError } from '../lib/errors.js';
import { measureGates } from '../lib/gates/measure.js';
import { withRuntimeVars } from '../lib/gates/runtime-vars.js';
import { placeholdersIn } from '../lib/template.js';
import type { Measurement, Verdict } from '../lib/gates/types.js';
import { formatValue } from '../lib/gates/evaluate.js';
import { isPlainComparison } from '../lib/gates/reason.js';
import { overallVerdict, warnings } from '../lib/gates/verdict.js';
import { didYouMean } from '../lib/plan/did-you-mean.js';
import type { GateSpec, ResolvedPlan } from '../lib/plan/types.js';
import { createPrometheusClient } from '../lib/prometheus/client.js';
import type { PrometheusApi } from '../lib/prometheus/types.js';
import { maskSecretValues, planSecretValues } from '../lib/redact.js';
import { parseTimeArg } from '../lib/time.js';
import { parseSetFlags, printPlanWarning, prometheusOverride, type CommandContext } from './context.js';

export interface GateCheckInput {
  file: string;
  gates: string[];
  at?: string;
  set: string[];
}

/** How far back the graph link of a gate without a `for` window looks. */
const GRAPH_LOOKBACK_MS = 60 * 60_000;

export async function run(ctx: CommandContext, input: GateCheckInput): Promise<number> {
  // Flags are checked before the plan is read: a typo in --at should not cost a plan load.
  const set = parseSetFlags(input.set);
  const at = input.at !== undefined ? parseTimeArg(input.at, '--at') : undefined;
  const { loadPlan } = await import('../lib/plan/load.js');
  const plan = await loadPlan(input.file, { set, env: ctx.env, cwd: ctx.cwd, prometheusUrl: prometheusOverride(ctx), onWarning: printPlanWarning(ctx) });
  return checkGates(ctx, plan, { gates: input.gates, at });
}

/** Picks the gates named by --gate (all when none), in the plan's order; an unknown name is a usage error. */
export function selectGates(plan: Pick<ResolvedPlan, 'gates' | 'file'>, names: readonly string[]): GateSpec[] {
  if (names.length === 0) return plan.gates;
  const known = plan.gates.map((g) => g.name);
  for (const name of names) {
    if (!known.includes(name)) {
      throw new UsageError(`--gate ${name}: no gate of that name in ${plan.file}${didYouMean(name, known)}`, `gates of this plan: ${known.join(', ')}`);
    }
  }
  return plan.gates.filter((g) => names.includes(g.name));
}

export function exitCodeForVerdict(verdict: Verdict): number {
  if (verdict === 'pass') return ExitCode.ok;
  if (verdict === 'fail') return ExitCode.failed;
  return ExitCode.noVerdict;
}

/** Everything after the plan is loaded; separate so tests can hand in a plan built in code. */
export async function checkGates(
  ctx: CommandContext,
  plan: ResolvedPlan,
  options: { gates?: readonly string[]; at?: Date; api?: PrometheusApi },
): Promise<number> {
  const gates = selectGates(plan, options.gates ?? []).map((g) => withRuntimeVars(g, { rangeMs: plan.analysis.intervalMs }));
  // {{weight}} and {{step}} only have values inside a rollout; sending them raw would be a bad_data error.
  const needRollout = gates.filter((g) => placeholdersIn([g.query, g.baseline ?? '', g.minSamples?.query ?? ''].join(' ')).length > 0);
  if (needRollout.length > 0) {
    throw new UsageError(
      `gate${needRollout.length > 1 ? 's' : ''} ${needRollout.map((g) => g.name).join(', ')} use {{weight}} or {{step}}, which only have values during a rollout`,
      'check the other gates with --gate NAME',
    );
  }
  const api = options.api ?? createPrometheusClient(plan.prometheus, { env: ctx.env });
  const at = options.at ?? new Date();
  const spinner = await ctx.ui.spinner(`checking ${gates.length} gate${gates.length === 1 ? '' : 's'} against ${api.url}${options.at ? ` at ${at.toISOString()}` : ''}`);
  const measurements = await measureGates(api, gates, { at });
  const verdict = overallVerdict(measurements);
  spinner.stop();

  // A secret var used in a query (a tenant, a token) must not reach the output, nor an error
  // message of Prometheus echoing the query back.
  const secrets = planSecretValues(plan);
  if (ctx.global.json) {
    ctx.ui.json(
      maskSecretValues(
        {
          verdict,
          at: at.toISOString(),
          plan: { name: plan.name, file: plan.file, sha256: plan.sha256 },
          prometheus: api.url,
          gates: measurements.map((m) => toJson(m, gates, api, at)),
        },
        secrets,
      ),
    );
  } else if (!oneProviderError(measurements)) {
    // When Prometheus gave no gate an answer, for one reason, a table would only repeat it per gate.
    ctx.ui.out(maskSecretValues(renderTable(ctx, measurements), secrets));
  }
  report(ctx, verdict, maskSecretValues(measurements, secrets));
  return exitCodeForVerdict(verdict);
}

function toJson(m: Measurement, gates: GateSpec[], api: PrometheusApi, at: Date): Record<string, unknown> {
  const gate = gates.find((g) => g.name === m.gate);
  const start = new Date(at.getTime() - (gate?.forMs ?? GRAPH_LOOKBACK_MS));
  return {
    name: m.gate,
    verdict: m.verdict,
    // JSON has no NaN or Infinity: non-finite values travel as Prometheus spells them.
    value: jsonNumber(m.value),
    threshold: m.threshold,
    query: m.query,
    reason: m.reason,
    severity: m.severity,
    ...(m.baselineQuery !== undefined ? { baselineQuery: m.baselineQuery, baselineValue: jsonNumber(m.baselineValue ?? null) } : {}),
    ...(m.samples !== undefined ? { samples: jsonNumber(m.samples) } : {}),
    ...(m.errorType !== undefined ? { errorType: m.errorType } : {}),
    ...(m.warnings !== undefined ? { warnings: m.warnings } : {}),
    graphUrl: api.graphUrl(m.query, start, at),
    series: m.series.map((s) => ({ labels: s.labels, value: jsonNumber(s.value), verdict: s.verdict, reason: s.reason })),
  };
}

function jsonNumber(value: number | null): number | string | null {
  if (value === null) return null;
  return Number.isFinite(value) ? value : formatValue(value);
}

function paintVerdict(ctx: CommandContext, m: Measurement): string {
  const p = ctx.ui.paint;
  if (m.verdict === 'fail' && m.severity === 'warning') return p.yellow('fail (warning)');
  return { pass: p.green('pass'), fail: p.red('fail'), inconclusive: p.yellow('inconclusive'), error: p.magenta('error') }[m.verdict];
}

function renderTable(ctx: CommandContext, measurements: Measurement[]): string {
  return ctx.ui.table(
    ['gate', 'verdict', 'value', 'threshold', 'reason'],
    measurements.map((m) => [m.gate, paintVerdict(ctx, m), m.value === null ? '-' : formatValue(m.value), m.threshold, tableReason(m)]),
  );
}

/** The reason column, without a plain comparison the value and threshold columns already say. */
export function tableReason(m: Pick<Measurement, 'value' | 'reason'>): string {
  return isPlainComparison(m.value, m.reason) ? '' : m.reason;
}

/** Every gate failed to get an answer for the same reason (Prometheus unreachable): said once, no table. */
function oneProviderError(measurements: readonly Measurement[]): boolean {
  return measurements.length > 0 && measurements.every((m) => m.verdict === 'error' && m.reason === measurements[0]!.reason);
}

/** The one-line summary on stderr (stdout holds the data). */
function report(ctx: CommandContext, verdict: Verdict, measurements: Measurement[]): void {
  // The server's own words, verbatim: a partial answer must be visible even when the plan ignores it.
  for (const m of measurements) for (const text of m.warnings ?? []) ctx.ui.warn(`${m.gate}: Prometheus warning: ${text}`);
  for (const m of warnings(measurements)) ctx.ui.warn(`${m.gate}: ${m.reason} (severity warning: reported, not failing)`);
  const names = (v: Verdict): string =>
    measurements
      .filter((m) => m.verdict === v && !(v === 'fail' && m.severity === 'warning'))
      .map((m) => m.gate)
      .join(', ');
  switch (verdict) {
    case 'pass':
      ctx.ui.success(`all ${measurements.length} gate${measurements.length === 1 ? '' : 's'} passed`);
      break;
    case 'fail':
      ctx.ui.error(`gate failed: ${names('fail')}`);
      break;
    case 'error': {
      // Each reason once (an unreachable server is the same words for every gate), naming its gates.
      const failed = measurements.filter((x) => x.verdict === 'error');
      const byReason = new Map<string, string[]>();
      for (const m of failed) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.gate]);
      for (const [reason, gates] of byReason) {
        const which = gates.length === measurements.length ? (gates.length === 1 ? `gate ${gates[0]}` : `all ${gates.length} gates`) : `gate${gates.length === 1 ? '' : 's'} ${gates.join(', ')}`;
        ctx.ui.error(`no verdict: ${reason} (${which} not checked)`);
      }
      break;
    }
    case 'inconclusive':
      ctx.ui.warn(`no verdict: inconclusive: ${names('inconclusive')}`);
      break;
  }
}
