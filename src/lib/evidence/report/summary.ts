/**
 * What a report says, derived from the rollout's event log alone (plus the chain verification):
 * the outcome in one sentence, the timeline, each gate with its query, threshold and measurements,
 * approvals, the rollback, and where the evidence came from. The renderers (markdown, html, json,
 * junit) only lay this out; none of them reads an event itself.
 *
 * Secrets: the events are passed through `redactDeep` (by key, by URL form, and by value for the
 * secrets the caller read from the plan's `*File`/`*Env` references) before anything is derived,
 * so every field of the summary is already redacted.
 */
import { describeThreshold } from '../../gates/evaluate.js';
import { graphPageUrl } from '../../prometheus/graph-url.js';
import { formatDuration } from '../../duration.js';
import type { GateSpec, ResolvedPlan, StepSpec } from '../../plan/types.js';
import { MIN_SECRET_LENGTH, redactDeep, redactUrl } from '../../redact.js';
import { EventType } from '../../rollout/events.js';
import { isTerminal, reduceEvents } from '../../rollout/reduce.js';
import type { RolloutEvent, RolloutStatus } from '../../state/types.js';
import { verifyChain, type ChainVerdict } from '../chain.js';
import { describeEvent } from './event-text.js';
import { policyFromStarted, type PolicyReport } from './policy-text.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface ChainResult {
  intact: boolean;
  events: number;
  /** Hash of the last event when intact. */
  head: string | null;
  brokenAt?: number;
  reason?: string;
  /** Events cut off the end of the log, when the recorded chain head says how many. */
  missing?: number;
  /**
   * The chain head the state store recorded with the rollout, which the log was compared with
   * (null: none recorded, so a cut tail cannot be seen); absent for an exported file, which has none.
   */
  recordedHead?: { seq: number; hash: string } | null;
  /** Something a reader should know although the log is intact (e.g. no recorded head to compare with). */
  note?: string;
}

export interface TimelineRow {
  seq: number;
  at: string;
  /** 1-based step number, null outside steps. */
  step: number | null;
  weight: number | null;
  event: string;
  detail: string;
}

export interface MeasurementRow {
  seq: number;
  /** When the measurement was recorded. */
  at: string;
  /** 1-based step; null during rollback verification. */
  step: number | null;
  weight: number | null;
  phase: 'bake' | 'verify';
  round: number | null;
  /** The deciding value; null when empty, NaN or an error. */
  value: number | null;
  /** The value as recorded when it is not a finite number ("NaN", "+Inf"). */
  rawValue: string | null;
  verdict: Verdict;
  threshold: string;
  reason: string;
  query: string;
  /** The server's warnings (partial response), verbatim; empty when there were none. */
  warnings: string[];
}

export interface GateReport {
  name: string;
  description: string | null;
  severity: 'critical' | 'warning';
  /** Each distinct query as sent (placeholders resolved), in the order first seen. */
  queries: string[];
  /** The threshold as recorded ("<= 0.05"), or derived from the plan when never measured. */
  threshold: string;
  /** Numeric lines for charts: max and/or min of the plan's gate (absent for baseline-relative gates). */
  max: number | null;
  min: number | null;
  /** Prometheus graph page per query, over the rollout's time range. */
  graphLinks: Array<{ query: string; url: string }>;
  measurements: MeasurementRow[];
  counts: Record<Verdict, number>;
  /** Every distinct warning Prometheus sent for this gate's queries, in the order first seen. */
  warnings: string[];
}

export interface StepReport {
  /** 1-based. */
  number: number;
  weight: number;
  bakeMs: number;
  approval: boolean;
  gates: string[];
  startedAt: string | null;
  endedAt: string | null;
  result: 'completed' | 'failed' | 'rolled back' | 'running' | 'not reached';
}

export interface ApprovalRow {
  step: number;
  requestedAt: string;
  reason: string;
  planned: boolean;
  decision: 'approve' | 'rollback' | null;
  by: string | null;
  decidedAt: string | null;
  comment: string | null;
}

export interface RollbackReport {
  trigger: string;
  reason: string;
  by: string | null;
  severity: string | null;
  at: string;
  fromWeight: number | null;
  /** 1-based step it started from. */
  step: number | null;
  abort: { by: string; reason: string; severity: string | null; at: string } | null;
  /** true/false when verification ran, null when the plan has none or it did not run yet. */
  verified: boolean | null;
  endedAt: string | null;
  incomplete: string[];
  failed: string | null;
}

export interface ReportSummary {
  rolloutId: string;
  service: string;
  planName: string | null;
  planFile: string | null;
  planSha256: string | null;
  toolVersion: string | null;
  operator: string | null;
  stateStore: string | null;
  prometheusUrl: string | null;
  dryRun: boolean;
  /** The RolloutPolicy the rollout started under (--policy): its sha256 and any freeze override. */
  policy: PolicyReport | null;
  /** Critical failures tolerated per gate per step (the plan's analysis.failureLimit). */
  failureLimit: number;
  status: RolloutStatus;
  /** True while the rollout has not reached a final state (running, paused, aborted half way). */
  stillRunning: boolean;
  /** One sentence: promoted / rolled back and why / still running. */
  outcome: string;
  reason: string | null;
  startedAt: string | null;
  lastEventAt: string | null;
  durationMs: number | null;
  finalWeight: number;
  chain: ChainResult;
  steps: StepReport[];
  gates: GateReport[];
  timeline: TimelineRow[];
  /** Confirmed weights over time (the canary's share of traffic). */
  weights: Array<{ at: string; weight: number }>;
  approvals: ApprovalRow[];
  rollback: RollbackReport | null;
  /** Seqs of events whose content had to be redacted for display (their hash no longer matches the shown content). */
  redactedEvents: number[];
}

export interface SummarizeOptions {
  /** Secret values read by the caller (from the plan's *File / *Env references); masked wherever they appear. */
  secrets?: readonly string[];
  /** The result of `redactEvents(rawEvents, secrets)` when the caller already has it. */
  redacted?: { events: RolloutEvent[]; changed: number[] };
  /** A verification already made of the stored bytes (an exported NDJSON file is also checked byte for byte). */
  chain?: ChainResult;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
function stepNumber(value: unknown): number | null {
  const n = num(value);
  return n === null ? null : n + 1;
}

/** As the engine counts (analysis/limits.ts): more failed measurements than the plan tolerates. */
export function exceedsFailureLimit(measurements: readonly MeasurementRow[], failureLimit: number): boolean {
  return measurements.filter((m) => m.verdict === 'fail').length > failureLimit;
}

/** The report's form of a chain verdict. */
export function toChainResult(verdict: ChainVerdict & { missing?: number; note?: string; recordedHead?: { seq: number; hash: string } | null }): ChainResult {
  const extra = {
    ...(verdict.missing !== undefined ? { missing: verdict.missing } : {}),
    ...(verdict.recordedHead !== undefined ? { recordedHead: verdict.recordedHead } : {}),
    ...(verdict.note ? { note: verdict.note } : {}),
  };
  return verdict.ok ? { intact: true, events: verdict.count, head: verdict.head, ...extra } : { intact: false, events: verdict.count, head: null, brokenAt: verdict.brokenAt, reason: verdict.reason, ...extra };
}

function chainResult(events: readonly RolloutEvent[]): ChainResult {
  return toChainResult(verifyChain(events));
}

/**
 * What could make redactDeep change an event: a URL, a secret-looking key (same list as redact.ts),
 * or a known secret value. Events without any are shown as they are, without a deep copy — a
 * 10,000-event log is mostly measurements, which hold none.
 */
const MAYBE_SECRET_RE = /:\/\/|password|passwd|secret|token|auth(?!or(?!i[sz]ation))|api[-_]?key|cookie|credential/i;

/** The events as they may be shown: redacted, plus the seqs whose content redaction changed. */
export function redactEvents(events: readonly RolloutEvent[], secrets: readonly string[] = []): { events: RolloutEvent[]; changed: number[] } {
  const usable = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const changed: number[] = [];
  const shown = events.map((event) => {
    const text = JSON.stringify(event);
    if (!MAYBE_SECRET_RE.test(text) && !usable.some((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)))) return event;
    const redacted = redactDeep(event, usable);
    // redactDeep keeps key order, so a plain stringify tells whether anything was masked.
    if (JSON.stringify(redacted) !== text) changed.push(event.seq);
    return redacted;
  });
  return { events: shown, changed };
}

/** Prometheus' graph page for a query over [start, end], for a base URL taken from the log. */
export function prometheusGraphUrl(baseUrl: string, query: string, start: Date, end: Date): string | undefined {
  // Only http(s): a crafted log must not turn a report link into javascript: or data:.
  if (!/^https?:\/\//i.test(baseUrl)) return undefined;
  return graphPageUrl(redactUrl(baseUrl.replace(/\/+$/, '')), query, start, end);
}


const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'inconclusive', 'error'];
function asVerdict(value: unknown): Verdict {
  return VERDICTS.includes(value as Verdict) ? (value as Verdict) : 'error';
}

/**
 * Derives the report summary from a rollout's event log (any order-preserving array of events, as
 * read from a store or an exported file). Never throws on odd data: a log from an older or newer
 * version renders with what it has.
 */
export function summarizeRollout(rawEvents: readonly RolloutEvent[], options: SummarizeOptions = {}): ReportSummary {
  const chain: ChainResult = options.chain ?? chainResult(rawEvents);
  const secrets = options.secrets ?? [];
  const { events, changed } = options.redacted ?? redactEvents(rawEvents, secrets);
  const view = reduceEvents(events);
  const plan: ResolvedPlan | undefined = view.plan;
  const started = events.find((e) => e.type === EventType.started)?.data ?? {};
  const first = events[0];
  const last = events.at(-1);
  const startedAt = first?.at ?? null;
  const lastEventAt = last?.at ?? null;
  const prometheusUrl = str(started.prometheus) ?? plan?.prometheus?.url ?? null;

  const timeline: TimelineRow[] = [];
  const weights: Array<{ at: string; weight: number }> = [];
  const stepStarts = new Map<number, string>();
  const stepEnds = new Map<number, string>();
  const approvals: ApprovalRow[] = [];
  const approvalByKey = new Map<number, ApprovalRow>();
  const gates = new Map<string, GateReport>();
  let rollback: RollbackReport | null = null;
  let abort: RollbackReport['abort'] = null;
  let currentStep: number | null = null;
  let currentWeight: number | null = 0;

  const planGate = (name: string): GateSpec | undefined => plan?.gates?.find((g) => g.name === name);
  const gateReport = (name: string): GateReport => {
    let report = gates.get(name);
    if (!report) {
      const spec = planGate(name);
      report = {
        name,
        description: spec?.description ?? null,
        severity: spec?.severity ?? 'critical',
        queries: [],
        // The same words the engine recorded in every measurement of this gate.
        threshold: spec ? describeThreshold(spec) : '',
        max: spec?.max ?? null,
        min: spec?.min ?? null,
        graphLinks: [],
        warnings: [],
        measurements: [],
        counts: { pass: 0, fail: 0, inconclusive: 0, error: 0 },
      };
      gates.set(name, report);
    }
    return report;
  };
  // Gates in plan order first, so a gate that was never measured still has its section.
  for (const gate of plan?.gates ?? []) gateReport(gate.name);

  for (const event of events) {
    const d = event.data;
    if (event.type === EventType.stepStarted) {
      currentStep = num(d.step);
      if (currentStep !== null && !stepStarts.has(currentStep)) stepStarts.set(currentStep, event.at);
    }
    if (event.type === EventType.measurement) {
      const report = gateReport(str(d.gate) ?? '(unnamed)');
      const value = num(d.value);
      const query = str(d.query) ?? '';
      if (query && !report.queries.includes(query)) report.queries.push(query);
      const threshold = str(d.threshold) ?? report.threshold;
      if (!report.threshold) report.threshold = threshold;
      if (d.severity === 'warning' || d.severity === 'critical') report.severity = d.severity;
      const row: MeasurementRow = {
        seq: event.seq,
        at: event.at,
        step: stepNumber(d.step),
        weight: num(d.weight),
        phase: d.phase === 'verify' ? 'verify' : 'bake',
        round: num(d.round),
        value,
        rawValue: value === null && d.value !== null && d.value !== undefined ? String(d.value) : null,
        verdict: asVerdict(d.verdict),
        threshold,
        reason: str(d.reason) ?? '',
        query,
        warnings: Array.isArray(d.warnings) ? d.warnings.filter((w): w is string => typeof w === 'string') : [],
      };
      for (const warning of row.warnings) if (!report.warnings.includes(warning)) report.warnings.push(warning);
      report.measurements.push(row);
      report.counts[row.verdict] += 1;
      // Passing measurements are in the gate sections; the timeline keeps what changed the course.
      if (row.verdict === 'pass') continue;
    }
    switch (event.type) {
      case EventType.weightApplied:
        if (d.ok === true && num(d.weight) !== null) {
          currentWeight = num(d.weight);
          weights.push({ at: event.at, weight: currentWeight! });
        }
        break;
      case EventType.stepCompleted: {
        const step = num(d.step);
        if (step !== null) stepEnds.set(step, event.at);
        break;
      }
      case EventType.approvalRequested: {
        const row: ApprovalRow = { step: (num(d.step) ?? 0) + 1, requestedAt: event.at, reason: str(d.reason) ?? '', planned: d.planned === true, decision: null, by: null, decidedAt: null, comment: null };
        approvals.push(row);
        approvalByKey.set(event.seq, row);
        break;
      }
      case EventType.approvalGranted: {
        const key = num(d.key);
        let row = key !== null ? approvalByKey.get(key) : undefined;
        if (!row) {
          row = { step: (num(d.step) ?? 0) + 1, requestedAt: event.at, reason: '', planned: false, decision: null, by: null, decidedAt: null, comment: null };
          approvals.push(row);
        }
        row.decision = d.decision === 'rollback' ? 'rollback' : 'approve';
        row.by = str(d.by);
        row.decidedAt = event.at;
        row.comment = str(d.comment);
        break;
      }
      case EventType.abortRequested:
        abort ??= { by: str(d.by) ?? 'unknown', reason: str(d.reason) ?? '', severity: str(d.severity), at: event.at };
        break;
      case EventType.rollbackStarted:
        rollback ??= {
          trigger: str(d.trigger) ?? 'unknown',
          reason: str(d.reason) ?? 'rollback',
          by: str(d.by),
          severity: str(d.severity),
          at: event.at,
          fromWeight: num(d.fromWeight),
          step: stepNumber(d.step),
          abort: null,
          verified: null,
          endedAt: null,
          incomplete: [],
          failed: null,
        };
        break;
      case EventType.verification:
        if (rollback) rollback.verified = d.passed === true;
        break;
      case EventType.rolledBack:
        if (rollback) {
          rollback.endedAt = event.at;
          rollback.incomplete = Array.isArray(d.incomplete) ? d.incomplete.map(String) : [];
        }
        break;
      case EventType.rollbackFailed:
        if (rollback) rollback.failed = str(d.reason) ?? 'rollback failed';
        break;
      default:
        break;
    }
    timeline.push({
      seq: event.seq,
      at: event.at,
      step: event.type === EventType.measurement ? stepNumber(d.step) : currentStep === null ? null : currentStep + 1,
      weight: num(d.weight) ?? currentWeight,
      event: event.type,
      detail: describeEvent(event),
    });
  }
  if (rollback) (rollback as RollbackReport).abort = abort;

  const endDate = lastEventAt ? new Date(lastEventAt) : new Date(0);
  const startDate = startedAt ? new Date(startedAt) : endDate;
  for (const gate of gates.values()) {
    if (gate.queries.length === 0) {
      const spec = planGate(gate.name);
      if (spec) gate.queries.push(spec.query);
    }
    if (prometheusUrl) {
      gate.graphLinks = gate.queries.flatMap((query) => {
        const url = prometheusGraphUrl(prometheusUrl, query, startDate, endDate);
        return url ? [{ query, url }] : [];
      });
    }
  }

  const failureLimit = typeof plan?.analysis?.failureLimit === 'number' ? plan.analysis.failureLimit : 0;
  const steps: StepReport[] = (plan?.steps ?? []).map((step: StepSpec) => {
    const startedStep = stepStarts.get(step.index) ?? null;
    const ended = stepEnds.get(step.index) ?? null;
    let result: StepReport['result'] = 'not reached';
    if (ended) result = 'completed';
    else if (startedStep) {
      // As the engine counts: a gate fails a step when its critical failures exceed failureLimit.
      const failed = [...gates.values()].some((g) => g.severity === 'critical' && exceedsFailureLimit(g.measurements.filter((m) => m.phase === 'bake' && m.step === step.index + 1), failureLimit));
      result = failed ? 'failed' : rollback ? 'rolled back' : 'running';
    }
    // The plan snapshot is data from the log: numbers are forced to numbers, so nothing in it can become markup.
    const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN);
    return { number: finite(step.index) + 1, weight: finite(step.weight), bakeMs: finite(step.bakeMs), approval: step.approval === true, gates: Array.isArray(step.gates) ? step.gates.map(String) : [], startedAt: startedStep, endedAt: ended, result };
  });

  const status = view.status;
  const summary: ReportSummary = {
    rolloutId: view.rolloutId,
    service: view.service || plan?.service || '',
    planName: str(started.planName) ?? plan?.name ?? null,
    planFile: str(started.planFile) ?? plan?.file ?? null,
    planSha256: str(started.planSha256) ?? plan?.sha256 ?? null,
    toolVersion: str(started.toolVersion),
    operator: str(started.operator),
    stateStore: str(started.stateStore),
    prometheusUrl,
    dryRun: started.dryRun === true,
    policy: policyFromStarted(started),
    failureLimit,
    status,
    stillRunning: !isTerminal(status),
    outcome: '',
    reason: view.reason ?? null,
    startedAt,
    lastEventAt,
    durationMs: startedAt && lastEventAt ? Date.parse(lastEventAt) - Date.parse(startedAt) : null,
    finalWeight: view.weight,
    chain,
    steps,
    gates: [...gates.values()],
    timeline,
    weights,
    approvals,
    rollback,
    redactedEvents: changed,
  };
  summary.outcome = outcomeSentence(summary, view.step);
  // Last line of defence: the secrets by value, in every string derived above.
  return secrets.length > 0 ? redactDeep(summary, secrets) : summary;
}

/** The first thing a reader sees: what happened, in one sentence. */
function outcomeSentence(s: ReportSummary, stepIndex: number): string {
  const totalSteps = s.steps.length;
  const dry = s.dryRun ? ' (dry run)' : '';
  const duration = s.durationMs !== null ? ` in ${formatDuration(Math.max(0, s.durationMs))}` : '';
  const rb = s.rollback;
  switch (s.status) {
    case 'promoted': {
      const approved = s.approvals.filter((a) => a.decision === 'approve');
      const by = approved.length > 0 ? `, approved by ${[...new Set(approved.map((a) => a.by ?? 'unknown'))].join(', ')}` : '';
      const gateCount = s.gates.filter((g) => g.measurements.some((m) => m.phase === 'bake')).length;
      return `Promoted${dry}: ${s.service} reached ${s.finalWeight}% after ${totalSteps} step${totalSteps === 1 ? '' : 's'}${duration}; ${gateCount} gate${gateCount === 1 ? '' : 's'} measured, no critical gate failed${by}.`;
    }
    case 'rolled_back': {
      if (!rb) return `Rolled back${dry}: ${s.reason ?? 'no reason recorded'}.`;
      const where = `${rb.fromWeight !== null ? ` from ${rb.fromWeight}%` : ''}${rb.step !== null ? ` at step ${rb.step} of ${totalSteps}` : ''}`;
      const who = rb.trigger === 'abort' || rb.trigger === 'approval' ? ` by ${rb.abort?.by ?? rb.by ?? 'unknown'}` : '';
      const kind = rb.trigger === 'abort' ? ` (emergency rollback${rb.abort?.severity ?? rb.severity ? `, severity ${rb.abort?.severity ?? rb.severity}` : ''})` : '';
      const verified = rb.verified === true ? '; stable verified healthy' : rb.verified === false ? '; stable did NOT pass verification' : '';
      const incomplete = rb.incomplete.length > 0 ? `; incomplete: ${rb.incomplete.join('; ')}` : '';
      return `Rolled back${dry}${where}${who}${kind}: ${rb.reason}; traffic restored to 0%${verified}${incomplete}.`;
    }
    case 'failed':
      return `Rollback FAILED${dry}: ${rb?.failed ?? s.reason ?? 'no reason recorded'} — a human must act.`;
    case 'paused':
      return `Still running, paused${dry} at step ${stepIndex + 1} of ${totalSteps} (${s.finalWeight}%): ${s.reason ?? 'waiting'}.`;
    case 'aborted':
      return `Still running, interrupted${dry} at ${s.finalWeight}%: ${s.reason ?? 'no reason recorded'}.`;
    default: {
      const where = stepIndex >= 0 ? `at step ${stepIndex + 1} of ${totalSteps} (${s.finalWeight}%)` : 'before its first step';
      const rolling = rb ? `, rolling back (${rb.reason})` : '';
      return `Still running${dry}: ${s.service} ${where}${rolling}; last event ${s.lastEventAt ?? 'none'}.`;
    }
  }
}
