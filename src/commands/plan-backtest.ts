/**
 * `rollgate plan backtest <plan> --from T --to T [--every D] [--expect healthy]`: the plan's gates
 * replayed over a past period as simulated rollouts. Exit 0; 1 with --expect healthy when any
 * simulated rollout was rolled back (each a false positive); 3 when no simulated rollout had data.
 */
import path from 'node:path';
import { parseDuration } from '../lib/duration.js';
import { ExitCode, UsageError } from '../lib/errors.js';
import { loadPlan } from '../lib/plan/load.js';
import { stepFields } from '../lib/rollout/step-number.js';
import { parseTimeArg } from '../lib/time.js';
import { parseSetFlags, printPlanWarning, prometheusOverride, type CommandContext } from './context.js';
import { checkOutFile, writeAtomically } from './evidence-report.js';

export interface PlanBacktestInput {
  file: string;
  from: string;
  to: string;
  every?: string | undefined;
  set: string[];
  expect?: string | undefined;
  format?: string | undefined;
  out?: string | undefined;
  force?: boolean;
}

export async function run(ctx: CommandContext, input: PlanBacktestInput): Promise<number> {
  // Flags first: a typo should not cost a plan load or a query.
  const set = parseSetFlags(input.set);
  const from = parseTimeArg(input.from, '--from');
  const to = parseTimeArg(input.to, '--to');
  const everyMs = input.every !== undefined ? parseDuration(input.every) : undefined;
  if (input.every !== undefined && !(everyMs && everyMs > 0)) throw new UsageError(`--every: "${input.every}" is not a duration`, 'for example: --every 1h30m');
  if (input.expect !== undefined && input.expect !== 'healthy') throw new UsageError(`--expect: "${input.expect}" is not known; the only expectation is "healthy"`);
  if (input.format !== undefined && !['md', 'html'].includes(input.format)) throw new UsageError(`--format ${input.format}: expected md or html (--json for JSON)`);
  if (input.out !== undefined && input.format === undefined) throw new UsageError('--out needs --format md or html');
  const outFile = input.out !== undefined ? path.resolve(ctx.cwd, input.out) : undefined;
  if (outFile) await checkOutFile(outFile, input.out!, input.force === true);

  const prometheusUrl = prometheusOverride(ctx);
  const plan = await loadPlan(input.file, { set, env: ctx.env, cwd: ctx.cwd, onWarning: printPlanWarning(ctx), ...(prometheusUrl ? { prometheusUrl } : {}) });
  const [{ runBacktest }, { createPrometheusClient }] = await Promise.all([import('../lib/backtest/run-backtest.js'), import('../lib/prometheus/client.js')]);
  const api = createPrometheusClient(plan.prometheus, { env: ctx.env });
  const spinner = await ctx.ui.spinner(`backtesting ${plan.name} from ${from.toISOString()} to ${to.toISOString()}`);
  let result;
  try {
    result = await runBacktest(plan, api, { from, to, ...(everyMs ? { everyMs } : {}), expectHealthy: input.expect === 'healthy' });
  } finally {
    spinner.stop();
  }

  const code = result.summary.runs > 0 && result.summary.no_data === result.summary.runs ? ExitCode.noVerdict : result.summary.expect === 'healthy' && result.summary.rolled_back > 0 ? ExitCode.failed : ExitCode.ok;
  if (input.format !== undefined) {
    const text = input.format === 'html' ? (await import('../lib/backtest/report-html.js')).renderBacktestHtml(result) : (await import('../lib/backtest/report-markdown.js')).renderBacktestMarkdown(result);
    if (!outFile) ctx.streams.stdout.write(text);
    else {
      await writeAtomically(outFile, text, input.force === true, input.out!);
      if (ctx.global.json) ctx.ui.json({ format: input.format, out: outFile, bytes: Buffer.byteLength(text), summary: result.summary });
      else ctx.ui.success(`${input.format} backtest report written to ${input.out}`);
    }
  } else if (ctx.global.json) {
    ctx.ui.json(backtestJson(result));
  } else {
    await renderText(ctx, result);
  }
  if (!ctx.global.json || outFile) {
    const { headline } = await import('../lib/backtest/report-text.js');
    const line = headline(result);
    if (code === ExitCode.ok) ctx.ui.success(line);
    else ctx.ui.warn(line);
    if (code === ExitCode.noVerdict) ctx.ui.warn('no simulated rollout had the data to be judged: is the period stored in this Prometheus, and do the queries match its series?');
  }
  return code;
}

/** The JSON document: steps numbered as people read them (`step` 1-based, `stepIndex` 0-based), as in `rollout status --json`. */
export function backtestJson(result: import('../lib/backtest/run-backtest.js').BacktestResult): Record<string, unknown> {
  return {
    ...result,
    runs: result.runs.map((run) => ({ ...run, ...stepFields(run.step), failures: run.failures.map((failure) => ({ ...failure, ...stepFields(failure.step) })) })),
  };
}

async function renderText(ctx: CommandContext, result: import('../lib/backtest/run-backtest.js').BacktestResult): Promise<void> {
  const { OUTCOME_WORDS, periodLine, stepText, valueText } = await import('../lib/backtest/report-text.js');
  const { ui } = ctx;
  ui.out(`${result.plan.name} (${result.plan.file}) — ${periodLine(result)}`);
  ui.out('');
  ui.out(
    ui.table(
      ['gate', 'severity', 'threshold', 'failing', 'rollbacks', 'pauses', 'no data', 'worst failing', 'min', 'max'],
      result.gates.map((g) => [g.name, g.severity, g.threshold, `${g.failures}/${g.measurements}`, g.rollbacks, g.pauses, g.noData, g.worst ? valueText(g.worst.value) : '-', valueText(g.minValue), valueText(g.maxValue)]),
    ),
  );
  const stopped = result.runs.filter((run) => run.outcome !== 'promoted');
  if (stopped.length > 0) {
    ui.out('');
    ui.out(ui.table(['start', 'outcome', 'step', 'at', 'gate', 'value', 'reason'], stopped.map((run) => [run.start, OUTCOME_WORDS[run.outcome], stepText(run.step, run.weight), run.at, run.gate ?? '-', valueText(run.value), run.reason])));
  }
  const counts = (['promoted', 'rolled_back', 'paused', 'no_data'] as const).map((o) => `${OUTCOME_WORDS[o]} ${result.summary[o]}`).join(', ');
  ui.out('');
  ui.out(`${result.summary.runs} simulated rollouts: ${counts}`);
}
