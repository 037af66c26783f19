/**
 * `rollgate plan validate <file...>`: checks every file and reports every issue of each. Plans
 * are held to the RolloutPolicy given with --policy/ROLLGATE_POLICY; RolloutPolicy files among
 * the arguments are checked as policies.
 */
import { ExitCode, formatPlanIssue, type PlanIssue } from '../lib/errors.js';
import { checkPlanFile } from '../lib/plan/load.js';
import { loadPolicyInForce, parseSetFlags, prometheusOverride, type CommandContext } from './context.js';

export interface PlanValidateInput {
  files: string[];
  set: string[];
}

interface FileResult {
  file: string;
  valid: boolean;
  kind: string | null;
  steps?: number;
  gates?: number;
  freezeWindows?: number;
  issues: PlanIssue[];
  /** Valid but probably not meant (e.g. a `for` window longer than a step's bake); never fatal. */
  warnings: PlanIssue[];
}

export async function run(ctx: CommandContext, input: PlanValidateInput): Promise<number> {
  const set = parseSetFlags(input.set);
  const prometheusUrl = prometheusOverride(ctx);
  const policy = await loadPolicyInForce(ctx);
  const enforce = policy ? await import('../lib/policy/enforce.js') : undefined;
  const results: FileResult[] = [];
  for (const file of input.files) {
    const checked = await checkPlanFile(file, { set, env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
    if (checked.kind === 'RolloutPolicy') {
      const { checkPolicyFile } = await import('../lib/policy/load.js');
      const policyCheck = await checkPolicyFile(file, { cwd: ctx.cwd, env: ctx.env });
      results.push({
        file,
        valid: policyCheck.issues.length === 0,
        kind: 'RolloutPolicy',
        ...(policyCheck.policy ? { freezeWindows: policyCheck.policy.freezeWindows.length } : {}),
        issues: policyCheck.issues,
        warnings: [],
      });
      continue;
    }
    const violations = policy && enforce ? enforce.policyViolations(checked, policy) : [];
    const issues = [...checked.issues, ...violations];
    results.push({
      file,
      valid: issues.length === 0,
      kind: checked.kind ?? null,
      ...(checked.plan ? { steps: checked.plan.steps.length, gates: checked.plan.gates.length } : {}),
      issues,
      warnings: checked.warnings ?? [],
    });
  }
  const valid = results.every((result) => result.valid);

  // Errors go to stderr in every mode; with --json the document is the only thing on stdout.
  const meets = policy ? `, meets policy ${policy.name}` : '';
  for (const result of results) {
    for (const warning of result.warnings) ctx.ui.warn(`warning: ${formatPlanIssue(warning)}`);
    if (result.valid) {
      if (ctx.global.json) continue;
      if (result.kind === 'RolloutPolicy') ctx.ui.success(`${result.file}: valid RolloutPolicy (${result.freezeWindows} freeze window${result.freezeWindows === 1 ? '' : 's'})`);
      else ctx.ui.success(`${result.file}: valid (${result.steps} step${result.steps === 1 ? '' : 's'}, ${result.gates} gate${result.gates === 1 ? '' : 's'}${meets})`);
    } else {
      for (const issue of result.issues) ctx.ui.error(formatPlanIssue(issue));
    }
  }
  if (ctx.global.json) ctx.ui.json({ valid, files: results, ...(policy ? { policy: { name: policy.name, file: policy.file, sha256: policy.sha256 } } : {}) });
  else if (!valid && input.files.length > 1) {
    const invalid = results.filter((result) => !result.valid).length;
    ctx.ui.info(`${invalid} of ${results.length} files invalid`);
  }
  return valid ? ExitCode.ok : ExitCode.usage;
}
