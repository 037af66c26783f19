/**
 * An SLA policy file (SLAPolicy, Sloth or OpenSLO) → its dashboard: loads the policy into the one
 * SLO model and builds the SLO dashboard over it.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { UsageError } from '../errors.js';

export interface PolicyDashboardOptions {
  datasourceUid?: string;
  runbooks?: Array<{ title: string; url: string }>;
  recordingRules: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  prometheusUrl?: string;
}

export async function buildPolicyDashboard(file: string, _options: PolicyDashboardOptions): Promise<{ dashboard: Dashboard; service: string }> {
  throw new UsageError(`${file}: SLA policy dashboards need the SLA policy loader, which this build does not have yet`);
}
