/**
 * Typed errors thrown by library code. Exactly one function (`exitCodeFor`) maps them to the
 * documented exit codes; nothing else in the code base calls process.exit.
 */

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  noVerdict: 3,
  rollbackFailed: 4,
  paused: 5,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: every error a user may see. `hint` is a second line telling what to do. */
export class RollgateError extends Error {
  readonly exitCode: ExitCodeValue = ExitCode.failed;
  /** Stable machine-readable kind for `--json` error documents. */
  readonly kind: string = 'error';
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends RollgateError {
  override readonly exitCode = ExitCode.usage;
  override readonly kind: string = 'usage';
}

/** One problem found in a plan or policy file, with its position in the YAML source. */
export interface PlanIssue {
  file: string;
  /** 1-based; 0 (with col 0) when the problem is the file as a whole (cannot be read) or a flag, not a place in it. */
  line: number;
  col: number;
  /** Dotted path of the offending value, e.g. `steps[2].weight`; empty for file-level problems. */
  path: string;
  message: string;
}

/**
 * `plan.yaml:14:7: steps[2].weight: 140 is above 100`, or `nope.yaml: no such file` for a problem
 * with no place in the file (a position there would send an editor to a line that is not at fault).
 */
export function formatPlanIssue(issue: PlanIssue): string {
  return formatDiagnostic(issue);
}

/** A warning about a plan, as compilers print one: `plan.yaml:31:11: warning: ...`. */
export function formatPlanWarning(issue: PlanIssue): string {
  return formatDiagnostic(issue, 'warning');
}

function formatDiagnostic(issue: PlanIssue, severity?: 'warning'): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const body = issue.path ? `${issue.path}: ${issue.message}` : issue.message;
  return `${where}: ${severity ? `${severity}: ` : ''}${body}`;
}

/** An issue about the file as a whole (it cannot be read, a flag does not fit it): no line or column. */
export function fileIssue(file: string, message: string, path = ''): PlanIssue {
  return { file, line: 0, col: 0, path, message };
}

/** An invalid plan or policy: carries every problem of the file, not just the first. */
export class PlanError extends RollgateError {
  override readonly exitCode = ExitCode.usage;
  override readonly kind: string = 'plan';
  constructor(readonly issues: PlanIssue[]) {
    super(issues.map(formatPlanIssue).join('\n'));
  }
}

/** A valid plan that breaks a RolloutPolicy rule; every violation at the plan node that breaks it. */
export class PolicyViolationError extends PlanError {
  override readonly kind = 'policy';
}

/** `rollout run` inside a freeze window of the RolloutPolicy, without `--override-freeze`. */
export class FreezeWindowError extends UsageError {
  override readonly kind = 'freeze';
}

/** Prometheus (or a compatible server) could not give an answer: unreachable, timeout, 5xx, bad JSON, API error. */
export class ProviderError extends RollgateError {
  override readonly exitCode = ExitCode.noVerdict;
  override readonly kind = 'provider';
  constructor(
    message: string,
    readonly address: string,
    /** Prometheus' own errorType (`bad_data`, `timeout`, ...) or a transport kind (`unreachable`, `timeout`, `http`, `invalid_response`). */
    readonly errorType: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.hint, options);
  }
}

/** The state store cannot be reached or is corrupt. */
export class StateError extends RollgateError {
  override readonly exitCode = ExitCode.noVerdict;
  override readonly kind = 'state';
}

/** Another runner holds the service's lock. */
export class LockHeldError extends RollgateError {
  override readonly exitCode = ExitCode.usage;
  override readonly kind = 'lock';
}

/** Evidence chain broken. */
export class TamperedError extends RollgateError {
  override readonly exitCode = ExitCode.failed;
  override readonly kind = 'tampered';
}

/** Traffic could not be restored: a human must act now. */
export class RollbackFailedError extends RollgateError {
  override readonly exitCode = ExitCode.rollbackFailed;
  override readonly kind = 'rollback_failed';
}

/** Interrupted by a signal; state was recorded. */
export class CancelledError extends RollgateError {
  override readonly exitCode = ExitCode.interrupted;
  override readonly kind = 'cancelled';
}

/** Maps anything thrown to a documented exit code. Unknown errors are bugs: exit 1 (never 0). */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof RollgateError) return error.exitCode;
  // commander's own errors (unknown option, missing argument) are usage errors.
  if (isCommanderError(error)) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  return ExitCode.failed;
}

export function isCommanderError(error: unknown): error is { code: string; exitCode: number; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    (error as { code: string }).code.startsWith('commander.') &&
    typeof (error as { exitCode?: unknown }).exitCode === 'number'
  );
}

export const EXIT_CODE_TABLE: ReadonlyArray<readonly [number, string]> = [
  [0, 'success: valid, gates passed, promoted, compliant, evidence intact'],
  [1, 'the governed thing failed: a gate failed, the rollout was rolled back, an SLO is violated, evidence was tampered with'],
  [2, 'usage or input error: bad flags, invalid plan or policy, a policy violation or freeze window (nothing was changed)'],
  [3, 'no verdict could be reached: Prometheus or the state store unreachable, inconclusive beyond the plan\'s limits'],
  [4, 'rollback failed or is incomplete: traffic may not be restored — a human must act now'],
  [5, 'paused: waiting for approval (with --on-approval exit)'],
  [130, 'interrupted; the rollout was left in a safe, recorded state'],
];
