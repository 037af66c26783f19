/** `rollgate plan show <file>`: the resolved plan, its steps and gates, minimum duration and detection times. */
import { formatDuration } from '../lib/duration.js';
import { ExitCode } from '../lib/errors.js';
import { loadPlan } from '../lib/plan/load.js';
import { summarizePlan } from '../lib/plan/summary.js';
import { parseSetFlags, prometheusOverride, type CommandContext } from './context.js';

export interface PlanShowInput {
  file: string;
  set: string[];
}

export async function run(ctx: CommandContext, input: PlanShowInput): Promise<number> {
  const prometheusUrl = prometheusOverride(ctx);
  const plan = await loadPlan(input.file, { set: parseSetFlags(input.set), env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
  const summary = summarizePlan(plan);
  if (ctx.global.json) {
    ctx.ui.json({ plan, summary });
    return ExitCode.ok;
  }
  const { ui } = ctx;
  ui.out(`${plan.name} (service ${plan.service}) — ${plan.file}`);
  ui.out(`Prometheus: ${plan.prometheus.url}, analysis every ${formatDuration(plan.analysis.intervalMs)}`);
  ui.out('');
  ui.out(
    ui.table(
      ['step', 'weight', 'bake', 'approval', 'gates'],
      summary.steps.map((step) => [step.index + 1, `${step.weight}%`, formatDuration(step.bakeMs), step.approval ? 'yes' : '-', step.gates.length > 0 ? step.gates.join(', ') : '(none)']),
    ),
  );
  ui.out('');
  ui.out(
    ui.table(
      ['gate', 'threshold', 'severity', 'for', 'range', 'worst-case detection'],
      summary.detection.map((gate) => [gate.gate, gate.threshold, gate.severity, gate.forMs > 0 ? formatDuration(gate.forMs) : '-', gate.rangeMs > 0 ? formatDuration(gate.rangeMs) : '-', formatDuration(gate.worstCaseMs)]),
    ),
  );
  ui.out('');
  const approvals = summary.approvals > 0 ? `, not counting ${summary.approvals} approval wait${summary.approvals === 1 ? '' : 's'}` : '';
  ui.out(`Minimum total duration: ${formatDuration(summary.minimumDurationMs)} (sum of bakes${approvals})`);
  ui.out('Worst-case detection = analysis interval × (failureLimit + 1) + gate `for` + longest range selector of its query (scrape interval not included).');
  return ExitCode.ok;
}
