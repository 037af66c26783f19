/**
 * `rollgate sla rules <policy> [--format prometheus|prometheus-operator] [--out FILE]`: Prometheus
 * recording and multi-window multi-burn-rate alerting rules for the policy's SLOs. Pure
 * generation: nothing is queried. To stdout, or written atomically to --out (replaced when it
 * exists: the file is generated).
 */
import path from 'node:path';
import { ExitCode, UsageError } from '../lib/errors.js';
import { loadSlaPolicy } from '../lib/sla/load.js';
import { buildRuleGroups } from '../lib/sla/rules.js';
import { RULES_FORMATS, rulesDocument, rulesYaml, type RulesFormat } from '../lib/sla/rules-yaml.js';
import { checkOutFile, writeAtomically } from './evidence-report.js';
import type { CommandContext } from './context.js';

export interface SlaRulesInput {
  file: string;
  format: string;
  out?: string;
}

export async function run(ctx: CommandContext, input: SlaRulesInput): Promise<number> {
  if (!RULES_FORMATS.includes(input.format as RulesFormat)) throw new UsageError(`--format ${input.format}: expected one of ${RULES_FORMATS.join(', ')}`);
  const format = input.format as RulesFormat;
  const outFile = input.out !== undefined ? path.resolve(ctx.cwd, input.out) : undefined;
  if (outFile) await checkOutFile(outFile, input.out!, true);
  const policy = await loadSlaPolicy(input.file, { env: ctx.env, cwd: ctx.cwd });
  const groups = buildRuleGroups(policy);
  const rules = groups.reduce((count, group) => count + group.rules.length, 0);
  const alerts = groups.reduce((count, group) => count + group.rules.filter((rule) => 'alert' in rule).length, 0);
  const text = rulesYaml(policy, groups, format);

  if (outFile) {
    await writeAtomically(outFile, text, true, input.out!);
    if (!ctx.global.json) ctx.ui.success(`${rules} rules (${alerts} alerts) in ${groups.length} groups for ${policy.slos.length} SLO${policy.slos.length === 1 ? '' : 's'} of ${policy.name} written to ${input.out}`);
  }
  if (ctx.global.json) {
    ctx.ui.json({ policy: policy.name, service: policy.service, source: policy.source, format, ...(outFile ? { out: outFile } : {}), groups: groups.length, rules, alerts, document: rulesDocument(policy, groups, format) });
  } else if (!outFile) {
    ctx.streams.stdout.write(text);
  }
  return ExitCode.ok;
}
