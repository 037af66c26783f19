/** One line per event for the timeline: what happened, with the numbers that matter. */
import { policyFromStarted } from './policy-text.js';
import { EventType } from '../../rollout/events.js';
import type { RolloutEvent } from '../../state/types.js';
import { formatNumber, warningsText } from './format.js';
import { statusWords } from '../../rollout/status-words.js';
import { isDryRunAction } from '../../rollout/dry-run.js';

function s(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}
function stepOf(value: unknown): string {
  return typeof value === 'number' ? `step ${value + 1}` : 'step ?';
}
function actionText(action: unknown): string {
  if (!action || typeof action !== 'object') return '';
  const a = action as Record<string, unknown>;
  const code = a.status !== undefined ? `HTTP ${s(a.status)}` : a.exitCode !== undefined ? `exit ${s(a.exitCode)}` : '';
  const took = typeof a.durationMs === 'number' ? `${Math.round(a.durationMs)} ms` : '';
  const error = a.error ? `: ${s(a.error)}` : '';
  return [code, took].filter(Boolean).join(', ') + error;
}
function valueText(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : value === null || value === undefined ? 'no value' : s(value);
}

/** `, policy org-guardrails, freeze "year-end" overridden by alice@laptop: hotfix` */
function policyNote(value: unknown): string {
  const policy = policyFromStarted({ policy: value });
  if (!policy) return '';
  const freeze = policy.freeze?.overridden ? `, freeze ${policy.freeze.windows.map((w) => `"${w.name}"`).join(', ')} overridden by ${policy.freeze.by ?? 'unknown'}: ${policy.freeze.reason ?? ''}` : '';
  return `, policy ${policy.name}${freeze}`;
}

export function describeEvent(event: RolloutEvent): string {
  const d = event.data;
  switch (event.type) {
    case EventType.started:
      return `plan ${s(d.planName)} (sha256 ${s(d.planSha256).slice(0, 12)}…) by ${s(d.operator)}, rollgate ${s(d.toolVersion)}${d.dryRun === true ? ', dry run' : ''}${policyNote(d.policy)}`;
    case EventType.resumed:
      return `resumed by ${s(d.by)} (was ${statusWords(s(d.fromStatus))})`;
    case EventType.stepStarted:
      return `${stepOf(d.step)} started: ${s(d.weight)}%, bake ${typeof d.bakeMs === 'number' ? `${d.bakeMs / 1000}s` : '?'}${d.approval === true ? ', approval required' : ''}`;
    case EventType.weightApplying:
      return `${d.rollback === true ? 'restoring' : 'setting'} canary weight ${s(d.weight)}%`;
    case EventType.weightApplied: {
      if (d.dryRun === true || isDryRunAction(d.action)) return `canary weight ${s(d.weight)}%${d.rollback === true ? ' (rollback)' : ''}: dry run, not applied`;
      const how = actionText(d.action);
      return d.ok === true ? `canary weight ${s(d.weight)}% applied${how ? ` (${how})` : ''}` : `setting ${s(d.weight)}% FAILED${how ? ` (${how})` : ''}`;
    }
    case EventType.hookStarted:
      return `hook ${s(d.hook)} started`;
    case EventType.hookFinished: {
      const how = actionText(d.action);
      return `hook ${s(d.hook)} ${d.ok === true ? 'ok' : 'FAILED'}${how ? ` (${how})` : ''}`;
    }
    case EventType.measurement:
      // A reason already says value and threshold (at the precision it was recorded with): said once.
      return `gate ${s(d.gate)}: ${s(d.verdict)}${d.reason ? `: ${s(d.reason)}` : `, value ${valueText(d.value)} (threshold ${s(d.threshold)})`}${recordedWarnings(d.warnings)}`;
    case EventType.analysisHold:
      return d.holding === true ? `holding the weight: ${s(d.reason)}` : `hold ended: ${s(d.reason)}`;
    case EventType.bakeCompleted:
      return `${stepOf(d.step)} baked: ${s(d.rounds)} round${d.rounds === 1 ? '' : 's'}${typeof d.bakedMs === 'number' ? ` over ${(d.bakedMs / 1000).toFixed(1)}s` : ''}`;
    case EventType.stepCompleted:
      return `${stepOf(d.step)} completed at ${s(d.weight)}%`;
    case EventType.approvalRequested:
      return `approval requested: ${s(d.reason)}`;
    case EventType.approvalGranted:
      return `${d.decision === 'rollback' ? 'roll back' : 'approved'} by ${s(d.by)}${d.comment ? ` — "${s(d.comment)}"` : ''}`;
    case EventType.paused:
      return `paused: ${s(d.reason)}`;
    case EventType.abortRequested:
      return `emergency rollback requested by ${s(d.by)} (severity ${s(d.severity) || 'critical'}): ${s(d.reason)}`;
    case EventType.rollbackStarted:
      return `rollback started (${s(d.trigger)}) from ${s(d.fromWeight)}% by ${s(d.by)}: ${s(d.reason)}`;
    case EventType.compensationStarted:
      return `compensating ${s(d.hook)}`;
    case EventType.compensationFinished:
      return `compensation of ${s(d.hook)} ${d.ok === true ? 'ok' : 'FAILED'}`;
    case EventType.verification:
      return `stable verification ${d.passed === true ? 'passed' : 'FAILED'} (${Array.isArray(d.gates) ? d.gates.map(s).join(', ') : ''}; ${s(d.rounds)} round${d.rounds === 1 ? '' : 's'})`;
    case EventType.promoted:
      return `promoted at ${s(d.weight)}%${Array.isArray(d.warnings) && d.warnings.length > 0 ? ` with warnings: ${d.warnings.map(s).join('; ')}` : ''}`;
    case EventType.rolledBack:
      return `rolled back: ${s(d.reason)}${d.verified === true ? ' (stable verified)' : d.verified === false ? ' (stable NOT verified)' : ''}`;
    case EventType.rollbackFailed:
      return `ROLLBACK FAILED: ${s(d.reason)}`;
    case EventType.aborted:
      return `interrupted: ${s(d.reason)}`;
    case EventType.rollbackRetried:
      return `rollback retried by ${s(d.by)}: ${s(d.reason)}`;
    case EventType.lockTakenOver:
      return `lock of a dead runner (pid ${s((d.deadRunner as Record<string, unknown> | undefined)?.pid)}) taken over by ${s(d.by)}`;
    default:
      return '';
  }
}

/** The server's warnings of a measurement, verbatim: visible even when the plan ignores them. */
function recordedWarnings(warnings: unknown): string {
  const text = Array.isArray(warnings) ? warningsText(warnings.map(String)) : '';
  return text ? ` ${text}` : '';
}
