import { UsageError, formatPlanWarning, type PlanIssue } from '../lib/errors.js';
import type { Ui, UiStreams } from '../lib/ui/ui.js';

/** Global flags, as parsed by commander (see src/cli.ts). */
export interface GlobalOptions {
  json: boolean;
  /** false when --no-color was given */
  color: boolean;
  quiet: boolean;
  verbose: boolean;
  yes: boolean;
  state?: string;
  prometheus?: string;
  /** --policy FILE: a RolloutPolicy enforced on plan validate/show and rollout run. */
  policy?: string;
}

/** What every command receives: the Ui to render through, the global flags, and the process surroundings. */
export interface CommandContext {
  ui: Ui;
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
  cwd: string;
  streams: UiStreams;
}

export const DEFAULT_STATE_URL = 'file:./.rollgate';

/** --state > ROLLGATE_STATE > default embedded file store. */
export function resolveStateUrl(ctx: Pick<CommandContext, 'global' | 'env'>): string {
  return ctx.global.state ?? (ctx.env.ROLLGATE_STATE || undefined) ?? DEFAULT_STATE_URL;
}

/** --prometheus > ROLLGATE_PROMETHEUS_URL; the plan's own url and the default come after (see plan loading). */
export function prometheusOverride(ctx: Pick<CommandContext, 'global' | 'env'>): string | undefined {
  if (ctx.global.prometheus !== undefined) return checkPrometheusUrl(ctx.global.prometheus, '--prometheus');
  const fromEnv = ctx.env.ROLLGATE_PROMETHEUS_URL || undefined;
  return fromEnv === undefined ? undefined : checkPrometheusUrl(fromEnv, 'ROLLGATE_PROMETHEUS_URL');
}

/**
 * A Prometheus URL from a flag or the environment is checked like the plan's own: http(s), a host,
 * no password. A bad one is a usage error (exit 2) before anything is sent, not six failed queries.
 */
export function checkPrometheusUrl(value: string, source: string): string {
  const shown = value.replace(/\/\/[^@/]*@/, '//***@');
  const example = /^[\w.-]+:\d+/.test(value) ? `http://${shown}` : 'http://prometheus:9090';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} ${shown}: not a URL`, `for example: ${example}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${source} ${shown}: not an http:// or https:// URL`, `for example: ${example}`);
  if (!url.hostname) throw new UsageError(`${source} ${shown}: names no host`, `for example: ${example}`);
  if (url.password) throw new UsageError(`${source}: a password in the URL would end up in logs`, 'use ROLLGATE_PROMETHEUS_TOKEN_FILE or the plan\'s bearerTokenFile');
  return value;
}

/** Parses repeated `--set k=v` into a record. */
export function parseSetFlags(values: string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of values ?? []) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${entry}: expected name=value`, 'for example: --set version=v2');
    vars[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return vars;
}


/** --policy > ROLLGATE_POLICY; undefined when no policy applies. */
export function policyFile(ctx: Pick<CommandContext, 'global' | 'env'>): string | undefined {
  return ctx.global.policy ?? (ctx.env.ROLLGATE_POLICY || undefined);
}

/** The RolloutPolicy in force, loaded (and validated, exit 2) only when one is given. */
export async function loadPolicyInForce(ctx: Pick<CommandContext, 'global' | 'env' | 'cwd'>) {
  const file = policyFile(ctx);
  if (file === undefined) return undefined;
  const { loadPolicy } = await import('../lib/policy/load.js');
  return loadPolicy(file, { cwd: ctx.cwd, env: ctx.env });
}

/**
 * Prints a plan's warnings (`plan.yaml:20:11: warning: ...`) on stderr in every mode, before the
 * command's own output; a warning never changes the exit code.
 */
export function printPlanWarning(ctx: Pick<CommandContext, 'ui'>): (warning: PlanIssue) => void {
  return (warning) => ctx.ui.diagnostic('warn', formatPlanWarning(warning));
}
