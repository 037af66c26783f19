/**
 * `rollgate dashboard <policy|plan> [--out FILE] [--datasource UID] [--recording-rules]`: Grafana
 * dashboard JSON for a rollout plan or an SLA policy (the kind is read from the file). The Grafana
 * builders are loaded here only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ExitCode, PlanError, UsageError, fileIssue } from '../lib/errors.js';
import { findPromqlError } from '../lib/plan/promql.js';
import { loadPlan, readErrorReason } from '../lib/plan/load.js';
import { looksLikePolicy } from '../lib/sla/load.js';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { CommandContext } from './context.js';
import { parseSetFlags, printPlanWarning, prometheusOverride } from './context.js';
import { checkOutFile, writeAtomically } from './evidence-report.js';

export interface DashboardInput {
  file: string;
  out?: string;
  force: boolean;
  datasource?: string;
  recordingRules: boolean;
  runbook?: string;
  set: string[];
}

export type InputKind = 'plan' | 'policy';

/** Plan or SLA policy, from what the file declares (the SLA loader knows SLAPolicy, Sloth and OpenSLO). */
export function detectKind(text: string, file: string): InputKind {
  if (looksLikePolicy(text)) return 'policy';
  const first = parseAllDocuments(text, { logLevel: 'error' }).find((doc) => 'contents' in doc && doc.contents !== null);
  const data = first && 'contents' in first ? (first.toJS() as Record<string, unknown> | null) : null;
  if (data?.kind === 'RolloutPlan') return 'plan';
  throw new PlanError([{ file, line: 1, col: 1, path: '', message: 'neither a RolloutPlan nor an SLA policy (SLAPolicy, Sloth prometheus/v1, OpenSLO v1)' }]);
}

export async function run(ctx: CommandContext, input: DashboardInput): Promise<number> {
  const outFile = input.out !== undefined ? path.resolve(ctx.cwd, input.out) : undefined;
  if (outFile) await checkOutFile(outFile, input.out!, input.force);
  let text: string;
  try {
    text = await readFile(path.resolve(ctx.cwd, input.file), 'utf8');
  } catch (error) {
    throw new PlanError([fileIssue(input.file, readErrorReason(error, 'plan or policy'))]);
  }
  const kind = detectKind(text, input.file);
  const runbooks = input.runbook ? [{ title: 'Runbook', url: input.runbook }] : [];
  const common = { ...(input.datasource ? { datasourceUid: input.datasource } : {}), runbooks };

  const { dashboardQueries } = await import('../lib/dashboards/panels.js');
  const { toPromql } = await import('../lib/dashboards/query-vars.js');
  let built: Dashboard;
  let service: string;
  if (kind === 'plan') {
    if (input.recordingRules) throw new UsageError('--recording-rules applies to SLA policies; a plan dashboard queries the gates as the runner does');
    const plan = await loadPlan(input.file, { set: parseSetFlags(input.set), env: ctx.env, cwd: ctx.cwd, onWarning: printPlanWarning(ctx), ...(prometheusOverride(ctx) ? { prometheusUrl: prometheusOverride(ctx)! } : {}) });
    const { buildPlanDashboard } = await import('../lib/dashboards/plan-dashboard.js');
    built = buildPlanDashboard(plan, common);
    service = plan.service;
  } else {
    const { buildPolicyDashboard } = await import('../lib/dashboards/policy-input.js');
    const prometheusUrl = prometheusOverride(ctx);
    const result = await buildPolicyDashboard(input.file, { ...common, recordingRules: input.recordingRules, env: ctx.env, cwd: ctx.cwd, ...(prometheusUrl ? { prometheusUrl } : {}) });
    built = result.dashboard;
    service = result.service;
  }

  // Every panel query must parse as PromQL once Grafana's variables are filled in: a broken panel is a bug here, not the user's.
  const queries = dashboardQueries(built);
  for (const { panel, expr } of queries) {
    const error = findPromqlError(toPromql(expr, { service }));
    if (error) throw new Error(`dashboard panel "${panel}" has an invalid query (${error.message}): ${expr}`);
  }
  const json = `${JSON.stringify(built, null, 2)}\n`;
  if (!outFile) {
    ctx.streams.stdout.write(json);
    return ExitCode.ok;
  }
  await writeAtomically(outFile, json, input.force, input.out!);
  if (ctx.ui.mode === 'json') ctx.ui.json({ kind, out: outFile, title: built.title, uid: built.uid, panels: countPanels(built.panels), queries: queries.length });
  else ctx.ui.success(`${kind} dashboard "${String(built.title)}" (${queries.length} queries) written to ${input.out}`);
  return ExitCode.ok;
}

function countPanels(panels: readonly unknown[] | undefined): number {
  return (panels ?? []).filter((p) => (p as { type?: string }).type !== 'row').length;
}
