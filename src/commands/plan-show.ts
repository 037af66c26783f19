/** `rollgate plan show <file>`: the resolved plan, its steps and gates, minimum duration and detection times. */
import { formatDuration } from '../lib/duration.js';
import { ExitCode, type PlanIssue } from '../lib/errors.js';
import { loadPlan } from '../lib/plan/load.js';
import { redactDeep, planSecretValues } from '../lib/redact.js';
import type { ResolvedPlan } from '../lib/plan/types.js';
import { summarizePlan } from '../lib/plan/summary.js';
import { loadPolicyInForce, parseSetFlags, printPlanWarning, prometheusOverride, type CommandContext } from './context.js';

export interface PlanShowInput {
  file: string;
  set: string[];
}

export async function run(ctx: CommandContext, input: PlanShowInput): Promise<number> {
  const prometheusUrl = prometheusOverride(ctx);
  const warnings: PlanIssue[] = [];
  const say = printPlanWarning(ctx);
  const onWarning = (warning: PlanIssue): void => {
    warnings.push(warning);
    say(warning);
  };
  const options = { set: parseSetFlags(input.set), env: ctx.env, cwd: ctx.cwd, onWarning, ...(prometheusUrl ? { prometheusUrl } : {}) };
  const policy = await loadPolicyInForce(ctx);
  // With a policy, a plan that breaks any of its rules is refused like an invalid one (exit 2).
  const plan: ResolvedPlan = policy ? await (await import('../lib/policy/enforce.js')).loadPlanUnderPolicy(input.file, options, policy) : await loadPlan(input.file, options);
  const summary = summarizePlan(plan);
  if (ctx.global.json) {
    // Secret vars (named like one, or from the environment and not `public:`) are masked wherever they appear.
    ctx.ui.json({ plan: redactDeep(plan, planSecretValues(plan)), summary, warnings, ...(policy ? { policy: { name: policy.name, file: policy.file, sha256: policy.sha256, violations: [] } } : {}) });
    return ExitCode.ok;
  }
  const { ui } = ctx;
  ui.out(`${plan.name} (service ${plan.service}) — ${plan.file}`);
  ui.out(`Prometheus: ${plan.prometheus.url}, analysis every ${formatDuration(plan.analysis.intervalMs)}`);
  if (policy) ui.out(`Policy: ${policy.name} (${policy.file}, sha256 ${policy.sha256.slice(0, 12)}): every rule met`);
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
  // In words, within 80 columns (the table above may be wider; this note need not be).
  ui.out('Worst-case detection = analysis interval × (failures allowed + 1) + the');
  ui.out("gate's `for` + the longest range in its query; scrape interval not counted.");
  return ExitCode.ok;
}
