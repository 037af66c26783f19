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
import { applyEvent, createView, isTerminal, type RolloutView } from '../../rollout/reduce.js';
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

/** One event as it may be shown, and whether redaction changed it. `usable`: secrets long enough to mask. */
function redactEvent(event: RolloutEvent, usable: readonly string[]): { event: RolloutEvent; changed: boolean; text: string } {
  const text = JSON.stringify(event);
  if (!MAYBE_SECRET_RE.test(text) && !usable.some((secret) => text.includes(secret) || text.includes(encodeURIComponent(secret)))) return { event, changed: false, text };
  const redacted = redactDeep(event, usable);
  // redactDeep keeps key order, so a plain stringify tells whether anything was masked.
  const shown = JSON.stringify(redacted);
  return { event: redacted, changed: shown !== text, text: shown };
}

function usableSecrets(secrets: readonly string[]): string[] {
  return secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

/** The events as they may be shown: redacted, plus the seqs whose content redaction changed. */
export function redactEvents(events: readonly RolloutEvent[], secrets: readonly string[] = []): { events: RolloutEvent[]; changed: number[] } {
  const usable = usableSecrets(secrets);
  const changed: number[] = [];
  const shown = events.map((event) => {
    const result = redactEvent(event, usable);
    if (result.changed) changed.push(event.seq);
    return result.event;
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
  const summarizer = new RolloutSummarizer(secrets);
  for (const event of events) summarizer.addShown(event);
  return summarizer.finish(chain, changed);
}

/** A gate's report while the log is read: what depends on the plan is settled in finish(). */
interface GateDraft extends GateReport {
  /** The severity the last measurement recorded, if any (it wins over the plan's). */
  measuredSeverity: 'critical' | 'warning' | null;
  /** The first threshold a measurement recorded. */
  firstThreshold: string;
  /** Rows that recorded no threshold: they show the gate's. */
  unthresholded: MeasurementRow[];
}

/**
 * The summary built one event at a time, so a reader can fold events in as it parses them and
 * keep none of them (a 10,000-event log is summarised without holding the log): `add` redacts
 * and folds in a raw event, `finish` derives what needs the whole log (the plan's gates and
 * steps, the outcome) once the chain's verdict is known.
 */
export class RolloutSummarizer {
  private readonly secrets: readonly string[];
  private readonly usable: string[];
  private readonly view: RolloutView = createView();
  private readonly changed: number[] = [];
  private started: Record<string, unknown> | undefined;
  private startedAt: string | null = null;
  private lastEventAt: string | null = null;
  private readonly timeline: TimelineRow[] = [];
  private readonly weights: Array<{ at: string; weight: number }> = [];
  private readonly stepStarts = new Map<number, string>();
  private readonly stepEnds = new Map<number, string>();
  private readonly approvals: ApprovalRow[] = [];
  private readonly approvalByKey = new Map<number, ApprovalRow>();
  private readonly gates = new Map<string, GateDraft>();
  private rollback: RollbackReport | null = null;
  private abort: RollbackReport['abort'] = null;
  private currentStep: number | null = null;
  private currentWeight: number | null = 0;

  constructor(secrets: readonly string[] = []) {
    this.secrets = secrets;
    this.usable = usableSecrets(secrets);
  }

  /**
   * Folds in one event as read: redacted first, so nothing derived from it holds a secret.
   * Returns the event as shown, as JSON text (`JSON.stringify` of the redacted event).
   */
  add(raw: RolloutEvent): string {
    const { event, changed, text } = redactEvent(raw, this.usable);
    if (changed) this.changed.push(raw.seq);
    this.addShown(event);
    return text;
  }

  /** Folds in one event already redacted (see redactEvents). */
  addShown(event: RolloutEvent): void {
    applyEvent(this.view, event);
    this.startedAt ??= event.at;
    this.lastEventAt = event.at;
    const d = event.data;
    if (event.type === EventType.started) this.started ??= d;
    if (event.type === EventType.stepStarted) {
      this.currentStep = num(d.step);
      if (this.currentStep !== null && !this.stepStarts.has(this.currentStep)) this.stepStarts.set(this.currentStep, event.at);
    }
    if (event.type === EventType.measurement) {
      const report = this.gateDraft(str(d.gate) ?? '(unnamed)');
      const value = num(d.value);
      const sent = str(d.query) ?? '';
      // Rows share the gate's copy of its query: 10,000 measurements keep one string, not 10,000.
      let query = report.queries.find((q) => q === sent);
      if (query === undefined) {
        query = sent;
        if (sent) report.queries.push(sent);
      }
      const recorded = str(d.threshold);
      if (recorded !== null && !report.firstThreshold) report.firstThreshold = recorded;
      if (d.severity === 'warning' || d.severity === 'critical') report.measuredSeverity = d.severity;
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
        threshold: recorded ?? '',
        reason: str(d.reason) ?? '',
        query,
        warnings: Array.isArray(d.warnings) ? d.warnings.filter((w): w is string => typeof w === 'string') : [],
      };
      if (recorded === null) report.unthresholded.push(row);
      for (const warning of row.warnings) if (!report.warnings.includes(warning)) report.warnings.push(warning);
      report.measurements.push(row);
      report.counts[row.verdict] += 1;
      // Passing measurements are in the gate sections; the timeline keeps what changed the course.
      if (row.verdict === 'pass') return;
    }
    this.fold(event);
    this.timeline.push({
      seq: event.seq,
      at: event.at,
      step: event.type === EventType.measurement ? stepNumber(d.step) : this.currentStep === null ? null : this.currentStep + 1,
      weight: num(d.weight) ?? this.currentWeight,
      event: event.type,
      detail: describeEvent(event),
    });
  }

  private gateDraft(name: string): GateDraft {
    let report = this.gates.get(name);
    if (!report) {
      report = { name, description: null, severity: 'critical', queries: [], threshold: '', max: null, min: null, graphLinks: [], warnings: [], measurements: [], counts: { pass: 0, fail: 0, inconclusive: 0, error: 0 }, measuredSeverity: null, firstThreshold: '', unthresholded: [] };
      this.gates.set(name, report);
    }
    return report;
  }

  private fold(event: RolloutEvent): void {
    const d = event.data;
    switch (event.type) {
      case EventType.weightApplied:
        if (d.ok === true && num(d.weight) !== null) {
          this.currentWeight = num(d.weight);
          this.weights.push({ at: event.at, weight: this.currentWeight! });
        }
        break;
      case EventType.stepCompleted: {
        const step = num(d.step);
        if (step !== null) this.stepEnds.set(step, event.at);
        break;
      }
      case EventType.approvalRequested: {
        const row: ApprovalRow = { step: (num(d.step) ?? 0) + 1, requestedAt: event.at, reason: str(d.reason) ?? '', planned: d.planned === true, decision: null, by: null, decidedAt: null, comment: null };
        this.approvals.push(row);
        this.approvalByKey.set(event.seq, row);
        break;
      }
      case EventType.approvalGranted: {
        const key = num(d.key);
        let row = key !== null ? this.approvalByKey.get(key) : undefined;
        if (!row) {
          row = { step: (num(d.step) ?? 0) + 1, requestedAt: event.at, reason: '', planned: false, decision: null, by: null, decidedAt: null, comment: null };
          this.approvals.push(row);
        }
        row.decision = d.decision === 'rollback' ? 'rollback' : 'approve';
        row.by = str(d.by);
        row.decidedAt = event.at;
        row.comment = str(d.comment);
        break;
      }
      case EventType.abortRequested:
        this.abort ??= { by: str(d.by) ?? 'unknown', reason: str(d.reason) ?? '', severity: str(d.severity), at: event.at };
        break;
      case EventType.rollbackStarted:
        this.rollback ??= {
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
        if (this.rollback) this.rollback.verified = d.passed === true;
        break;
      case EventType.rolledBack:
        if (this.rollback) {
          this.rollback.endedAt = event.at;
          this.rollback.incomplete = Array.isArray(d.incomplete) ? d.incomplete.map(String) : [];
        }
        break;
      case EventType.rollbackFailed:
        if (this.rollback) this.rollback.failed = str(d.reason) ?? 'rollback failed';
        break;
      default:
        break;
    }
  }

  /** The summary of everything added, with the chain's verdict. `changed` overrides the seqs redaction changed. */
  finish(chain: ChainResult, changed: number[] = this.changed): ReportSummary {
    const { view } = this;
    const plan: ResolvedPlan | undefined = view.plan;
    const started = this.started ?? {};
    const { startedAt, lastEventAt, rollback } = this;
    const prometheusUrl = str(started.prometheus) ?? plan?.prometheus?.url ?? null;
    const planGate = (name: string): GateSpec | undefined => plan?.gates?.find((g) => g.name === name);

    // Gates in plan order first, so a gate that was never measured still has its section.
    const ordered: GateDraft[] = [];
    for (const gate of plan?.gates ?? []) if (!ordered.some((g) => g.name === gate.name)) ordered.push(this.gateDraft(gate.name));
    for (const gate of this.gates.values()) if (!ordered.includes(gate)) ordered.push(gate);

    const endDate = lastEventAt ? new Date(lastEventAt) : new Date(0);
    const startDate = startedAt ? new Date(startedAt) : endDate;
    const gates: GateReport[] = ordered.map((draft) => {
      const { measuredSeverity, firstThreshold, unthresholded, ...gate } = draft;
      const spec = planGate(gate.name);
      gate.description = spec?.description ?? null;
      gate.severity = measuredSeverity ?? spec?.severity ?? 'critical';
      // The same words the engine recorded in every measurement of this gate.
      gate.threshold = (spec ? describeThreshold(spec) : '') || firstThreshold;
      gate.max = spec?.max ?? null;
      gate.min = spec?.min ?? null;
      for (const row of unthresholded) row.threshold = gate.threshold;
      if (gate.queries.length === 0 && spec) gate.queries.push(spec.query);
      if (prometheusUrl) {
        gate.graphLinks = gate.queries.flatMap((query) => {
          const url = prometheusGraphUrl(prometheusUrl, query, startDate, endDate);
          return url ? [{ query, url }] : [];
        });
      }
      return gate;
    });
    if (rollback) rollback.abort = this.abort;

    const failureLimit = typeof plan?.analysis?.failureLimit === 'number' ? plan.analysis.failureLimit : 0;
    const steps: StepReport[] = (plan?.steps ?? []).map((step: StepSpec) => {
      const startedStep = this.stepStarts.get(step.index) ?? null;
      const ended = this.stepEnds.get(step.index) ?? null;
      let result: StepReport['result'] = 'not reached';
      if (ended) result = 'completed';
      else if (startedStep) {
        // As the engine counts: a gate fails a step when its critical failures exceed failureLimit.
        const failed = gates.some((g) => g.severity === 'critical' && exceedsFailureLimit(g.measurements.filter((m) => m.phase === 'bake' && m.step === step.index + 1), failureLimit));
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
      gates,
      timeline: this.timeline,
      weights: this.weights,
      approvals: this.approvals,
      rollback,
      redactedEvents: changed,
    };
    summary.outcome = outcomeSentence(summary, view.step);
    // Last line of defence: the secrets by value, in every string derived above.
    return this.secrets.length > 0 ? redactDeep(summary, this.secrets) : summary;
  }
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
