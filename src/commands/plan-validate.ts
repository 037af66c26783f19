/** `rollgate plan validate <file...>`: checks every file and reports every issue of each. */
import { ExitCode, formatPlanIssue, type PlanIssue } from '../lib/errors.js';
import { checkPlanFile } from '../lib/plan/load.js';
import { parseSetFlags, prometheusOverride, type CommandContext } from './context.js';

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
  issues: PlanIssue[];
  /** Valid but probably not meant (e.g. a `for` window longer than a step's bake); never fatal. */
  warnings: PlanIssue[];
}

export async function run(ctx: CommandContext, input: PlanValidateInput): Promise<number> {
  const set = parseSetFlags(input.set);
  const prometheusUrl = prometheusOverride(ctx);
  const results: FileResult[] = [];
  for (const file of input.files) {
    const checked = await checkPlanFile(file, { set, env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
    results.push({
      file,
      valid: checked.issues.length === 0,
      kind: checked.kind ?? null,
      ...(checked.plan ? { steps: checked.plan.steps.length, gates: checked.plan.gates.length } : {}),
      issues: checked.issues,
      warnings: checked.warnings ?? [],
    });
  }
  const valid = results.every((result) => result.valid);

  // Errors go to stderr in every mode; with --json the document is the only thing on stdout.
  for (const result of results) {
    for (const warning of result.warnings) ctx.ui.warn(`warning: ${formatPlanIssue(warning)}`);
    if (result.valid) {
      if (!ctx.global.json) ctx.ui.success(`${result.file}: valid (${result.steps} step${result.steps === 1 ? '' : 's'}, ${result.gates} gate${result.gates === 1 ? '' : 's'})`);
    } else {
      for (const issue of result.issues) ctx.ui.error(formatPlanIssue(issue));
    }
  }
  if (ctx.global.json) ctx.ui.json({ valid, files: results });
  else if (!valid && input.files.length > 1) {
    const invalid = results.filter((result) => !result.valid).length;
    ctx.ui.info(`${invalid} of ${results.length} files invalid`);
  }
  return valid ? ExitCode.ok : ExitCode.usage;
}
