/**
 * A rollout plan's dashboard: what its gates see (canary, and baseline where the gate has one,
 * against the gate's threshold) and where the rollout is (weight, step, status and last gate
 * values from `rollgate serve`'s /metrics).
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { GateSpec, ResolvedPlan } from '../plan/types.js';
import { dashboardBuilder, seriesPanel, statPanel, target, type ThresholdLine } from './panels.js';
import { toGrafana, variablesUsed } from './query-vars.js';

export interface DashboardOptions {
  datasourceUid?: string;
  runbooks?: Array<{ title: string; url: string }>;
}

const slug = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function gateThresholds(gate: GateSpec): ThresholdLine[] {
  const lines: ThresholdLine[] = [];
  if (gate.max !== undefined) lines.push({ value: gate.max, bad: 'above' });
  if (gate.min !== undefined) lines.push({ value: gate.min, bad: 'below' });
  return lines;
}

/** The baseline-relative limit as a series: what the canary is compared with. */
function baselineLimitExpr(baseline: string, gate: GateSpec): Array<{ expr: string; legend: string }> {
  const out: Array<{ expr: string; legend: string }> = [];
  const limit = (kind: 'relative' | 'absolute', value: number, sign: 1 | -1): string =>
    kind === 'relative' ? `(${baseline}) * ${1 + sign * value}` : `(${baseline}) ${sign > 0 ? '+' : '-'} ${value}`;
  if (gate.maxIncrease) out.push({ expr: limit(gate.maxIncrease.kind, gate.maxIncrease.value, 1), legend: 'limit (baseline + maxIncrease)' });
  if (gate.maxDecrease) out.push({ expr: limit(gate.maxDecrease.kind, gate.maxDecrease.value, -1), legend: 'limit (baseline - maxDecrease)' });
  return out;
}

export function buildPlanDashboard(plan: ResolvedPlan, options: DashboardOptions = {}): dashboard.Dashboard {
  const builder = dashboardBuilder({
    title: `rollgate rollout: ${plan.name}`,
    uid: `rollgate-plan-${slug(plan.name)}`.slice(0, 40),
    tags: ['rollgate', 'rollout'],
    ...(options.datasourceUid ? { datasourceUid: options.datasourceUid } : {}),
    service: plan.service,
    serviceValues: { kind: 'query', query: 'label_values(rollgate_rollout_weight, service)' },
    runbooks: options.runbooks ?? [],
    time: { from: 'now-1h', to: 'now' },
  });

  const sel = 'service="$service"';
  builder.withRow(new dashboard.RowBuilder('Rollout (from rollgate serve /metrics)'));
  builder.withPanel(
    seriesPanel({
      title: 'Canary weight',
      description: 'Weight of the current rollout of the service, as recorded in the state store.',
      targets: [target(`max by (rollout) (rollgate_rollout_weight{${sel}})`, '{{rollout}}', 'A')],
      unit: 'percent',
      min: 0,
      max: 100,
      width: 12,
    }),
  );
  builder.withPanel(
    statPanel({
      title: 'Status',
      description: 'Status of the current rollout (rollgate_rollout_status is 1 for the current status).',
      targets: [target(`max by (status) (rollgate_rollout_status{${sel}}) == 1`, '{{status}}', 'A')],
      width: 6,
    }).textMode(common.BigValueTextMode.Name),
  );
  builder.withPanel(
    statPanel({
      title: 'Step',
      description: `0-based step index of ${plan.steps.length} (-1 before the first step).`,
      targets: [target(`max(rollgate_rollout_step{${sel}})`, 'step', 'A')],
      width: 6,
    }),
  );
  builder.withPanel(
    seriesPanel({
      title: 'Last gate values (as measured by the runner)',
      targets: [target(`rollgate_gate_last_value{${sel}}`, '{{gate}}', 'A')],
      width: 24,
    }),
  );

  builder.withRow(new dashboard.RowBuilder('Gates'));
  const stepsOf = (gate: GateSpec): string =>
    plan.steps
      .filter((s) => s.gates.includes(gate.name))
      .map((s) => `${s.weight}%`)
      .join(', ');
  let usesWeight = false;
  let usesStep = false;
  for (const gate of plan.gates) {
    const canary = toGrafana(gate.query, plan.service);
    const targets = [target(canary, 'canary', 'A')];
    if (gate.baseline !== undefined) {
      const baseline = toGrafana(gate.baseline, plan.service);
      targets.push(target(baseline, 'baseline', 'B'));
      baselineLimitExpr(baseline, gate).forEach((limit, i) => targets.push(target(limit.expr, limit.legend, String.fromCharCode(67 + i))));
    }
    for (const t of targets) {
      const used = variablesUsed(t.build().expr);
      usesWeight ||= used.has('weight');
      usesStep ||= used.has('step');
    }
    const steps = stepsOf(gate);
    builder.withPanel(
      seriesPanel({
        title: `Gate ${gate.name}`,
        description: [gate.description, `Threshold: ${[gate.max !== undefined ? `<= ${gate.max}` : '', gate.min !== undefined ? `>= ${gate.min}` : '', gate.maxIncrease ? 'canary <= baseline + maxIncrease' : '', gate.maxDecrease ? 'canary >= baseline - maxDecrease' : ''].filter(Boolean).join(', ')}.`, steps ? `Checked at ${steps}.` : 'Used for rollback verification.', `Severity: ${gate.severity}.`]
          .filter(Boolean)
          .join(' '),
        targets,
        thresholds: gateThresholds(gate),
        width: 12,
      }),
    );
  }
  // Gate queries that use {{weight}}/{{step}} get a variable to pick the value the runner would fill in.
  if (usesWeight) builder.withVariable(new dashboard.CustomVariableBuilder('weight').label('Canary weight (for gate queries)').values(plan.steps.map((s) => String(s.weight)).join(',')));
  if (usesStep) builder.withVariable(new dashboard.CustomVariableBuilder('step').label('Step (for gate queries)').values(plan.steps.map((s) => String(s.index)).join(',')));
  return builder.build();
}
