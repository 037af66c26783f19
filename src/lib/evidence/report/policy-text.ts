/**
 * The RolloutPolicy a rollout started under, as recorded in its rollout.started event (see
 * src/lib/policy/enforce.ts), read back defensively (a log is data) and said in one line for
 * every report format.
 */

export interface PolicyReport {
  name: string;
  file: string;
  sha256: string;
  freeze: null | {
    windows: Array<{ name: string; reason: string | null; until: string }>;
    overridden: boolean;
    by: string | null;
    reason: string | null;
    dryRun: boolean;
  };
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const obj = (value: unknown): Record<string, unknown> | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null);

export function policyFromStarted(started: Record<string, unknown>): PolicyReport | null {
  const p = obj(started.policy);
  if (!p) return null;
  const f = obj(p.freeze);
  const windows = Array.isArray(f?.windows) ? f.windows.map(obj).filter((w): w is Record<string, unknown> => w !== null) : [];
  return {
    name: str(p.name) ?? '',
    file: str(p.file) ?? '',
    sha256: str(p.sha256) ?? '',
    freeze: f
      ? {
          windows: windows.map((w) => ({ name: str(w.name) ?? '', reason: str(w.reason), until: str(w.until) ?? '' })),
          overridden: f.overridden === true,
          by: str(f.by),
          reason: str(f.reason),
          dryRun: f.dryRun === true,
        }
      : null,
  };
}

/** `org-guardrails (policy.yaml, sha256 1f2e…); freeze "year-end" until 2027-01-03T23:00:00.000Z OVERRIDDEN by alice@laptop: hotfix INC-1` */
export function policyText(policy: PolicyReport): string {
  const head = `${policy.name} (${policy.file}, sha256 ${policy.sha256})`;
  if (!policy.freeze) return `${head}; every rule met, no freeze window active at the start`;
  const windows = policy.freeze.windows.map((w) => `"${w.name}"${w.reason ? ` (${w.reason})` : ''} until ${w.until}`).join(', ');
  if (policy.freeze.overridden) return `${head}; freeze window ${windows} OVERRIDDEN by ${policy.freeze.by ?? 'unknown'}: ${policy.freeze.reason ?? ''}`;
  return `${head}; freeze window ${windows} active${policy.freeze.dryRun ? ' (dry run: no traffic changed)' : ''}`;
}
