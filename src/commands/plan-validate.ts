/**
 * `rollgate plan validate <file...>`: checks every file and reports every issue of each. Plans
 * are held to the RolloutPolicy given with --policy/ROLLGATE_POLICY; RolloutPolicy files among
 * the arguments are checked as policies; SLA policies (SLAPolicy, Sloth, OpenSLO) by the SLA loader.
 */
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { ExitCode, formatPlanIssue, formatPlanWarning, type PlanIssue } from '../lib/errors.js';
import { checkPlanFile, type PlanCheck } from '../lib/plan/load.js';
import { loadPolicyInForce, parseSetFlags, prometheusOverride, type CommandContext } from './context.js';

export interface PlanValidateInput {
  files: string[];
  set: string[];
}

interface FileResult {
  file: string;
  valid: boolean;
  kind: string | null;
  /** rollgate, sloth or openslo for SLA policies; absent otherwise. */
  format?: string;
  steps?: number;
  gates?: number;
  freezeWindows?: number;
  slos?: number;
  rules?: number;
  issues: PlanIssue[];
  /** Valid but probably not meant (e.g. a `for` window longer than a step's bake); never fatal. */
  warnings: PlanIssue[];
}

const plural = (count: number | undefined, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
const FORMAT_NAMES: Record<string, string> = { rollgate: 'SLAPolicy', sloth: 'Sloth spec', openslo: 'OpenSLO' };

/**
 * An SLA policy of any of the three formats, checked by the SLA loader. The plan check already
 * parsed the file and recognised a one-document policy; only a file that failed to parse as one
 * document (OpenSLO's SLO + SLI, say) is parsed again to find out.
 */
async function checkSlaFile(ctx: CommandContext, file: string, planCheck: PlanCheck, prometheusUrl: string | undefined): Promise<FileResult | undefined> {
  const maybe = planCheck.slaFormat !== undefined || (planCheck.kind === undefined && planCheck.sha256 !== undefined && planCheck.issues.length > 0);
  if (!maybe) return undefined;
  const content = await readFile(resolvePath(ctx.cwd, file), 'utf8').catch(() => undefined);
  if (content === undefined) return undefined;
  const { looksLikePolicy, checkSlaPolicySource } = await import('../lib/sla/load.js');
  if (planCheck.slaFormat === undefined && !looksLikePolicy(content)) return undefined;
  const checked = await checkSlaPolicySource(content, file, { env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
  return {
    file,
    valid: checked.issues.length === 0,
    kind: checked.kind,
    format: checked.format,
    ...(checked.policy ? { slos: checked.policy.slos.length, rules: checked.policy.rules.length } : {}),
    issues: checked.issues,
    warnings: [],
  };
}

export async function run(ctx: CommandContext, input: PlanValidateInput): Promise<number> {
  const set = parseSetFlags(input.set);
  const prometheusUrl = prometheusOverride(ctx);
  const policy = await loadPolicyInForce(ctx);
  const enforce = policy ? await import('../lib/policy/enforce.js') : undefined;
  const results: FileResult[] = [];
  for (const file of input.files) {
    const checked = await checkPlanFile(file, { set, env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
    const sla = await checkSlaFile(ctx, file, checked, prometheusUrl);
    if (sla) {
      results.push(sla);
      continue;
    }
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
    for (const warning of result.warnings) ctx.ui.diagnostic('warn', formatPlanWarning(warning));
    if (result.valid) {
      if (ctx.global.json) continue;
      if (result.kind === 'RolloutPolicy') ctx.ui.success(`${result.file}: valid RolloutPolicy (${plural(result.freezeWindows, 'freeze window')})`);
      else if (result.format) ctx.ui.success(`${result.file}: valid ${FORMAT_NAMES[result.format]} (${plural(result.slos, 'SLO')}, ${plural(result.rules, 'rule')})`);
      else ctx.ui.success(`${result.file}: valid (${plural(result.steps, 'step')}, ${plural(result.gates, 'gate')}${meets})`);
    } else {
      for (const issue of result.issues) ctx.ui.diagnostic('error', formatPlanIssue(issue));
    }
  }
  if (ctx.global.json) ctx.ui.json({ valid, files: results, ...(policy ? { policy: { name: policy.name, file: policy.file, sha256: policy.sha256 } } : {}) });
  else if (!valid && input.files.length > 1) {
    const invalid = results.filter((result) => !result.valid).length;
    ctx.ui.info(`${invalid} of ${results.length} files invalid`);
  }
  return valid ? ExitCode.ok : ExitCode.usage;
}
