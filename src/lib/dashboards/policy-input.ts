/**
 * An SLA policy file (SLAPolicy, Sloth or OpenSLO) → its dashboard: the policy is loaded into the
 * one SLO model by the shared loader, then the SLO dashboard is built over it.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { loadSlaPolicy } from '../sla/load.js';
import { sloAlertWindows } from './burn-alerts.js';
import { buildSlaDashboard, recordedErrorRatio } from './sla-dashboard.js';

export interface PolicyDashboardOptions {
  datasourceUid?: string;
  runbooks?: Array<{ title: string; url: string }>;
  recordingRules: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  prometheusUrl?: string;
}

export async function buildPolicyDashboard(file: string, options: PolicyDashboardOptions): Promise<{ dashboard: Dashboard; service: string }> {
  const policy = await loadSlaPolicy(file, { ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}) });
  const dashboard = buildSlaDashboard(policy, {
    alertWindows: sloAlertWindows,
    ...(options.recordingRules ? { source: recordedErrorRatio(policy.service) } : {}),
    ...(options.datasourceUid ? { datasourceUid: options.datasourceUid } : {}),
    ...(options.runbooks ? { runbooks: options.runbooks } : {}),
  });
  return { dashboard, service: policy.service };
}
