/**
 * Renders a rollout's events as they happen:
 * - tty:   a spinner line (step, weight, bake countdown, each gate's last value) plus a log line per milestone;
 * - plain: one timestamped line per event on stderr;
 * - json:  one NDJSON line per event on stdout (the command prints the result line last).
 */
import type { RolloutEvent } from '../state/types.js';
import type { Spinner, Ui } from './ui.js';
import { formatDuration, parseDuration } from '../duration.js';
import { eventStepFields } from '../rollout/step-number.js';
import { statusWords } from '../rollout/status-words.js';
import { isDryRunAction } from '../rollout/dry-run.js';

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
function text(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : JSON.stringify(value);
}
function fmtValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
  if (value === null || value === undefined) return 'no value';
  return String(value);
}

/** One line a person can read for an event, or undefined for events only the log needs. */
export function describeEvent(event: RolloutEvent, totalSteps: number, awaitingApproval = false): { level: 'info' | 'success' | 'warn' | 'error'; line: string } | undefined {
  const d = event.data;
  const stepNo = (num(d.step) ?? 0) + 1;
  switch (event.type) {
    case 'rollout.started':
      return { level: 'info', line: `rollout ${event.rolloutId} started: ${text(d.planName)} for ${text(d.service)}${d.dryRun === true ? ' (dry run)' : ''}` };
    case 'rollout.resumed':
      return { level: 'info', line: `rollout resumed by ${text(d.by)} (was ${statusWords(text(d.fromStatus))}, weight ${fmtValue(d.weight)}%)` };
    case 'step.started':
      return { level: 'info', line: `step ${stepNo}/${totalSteps}: canary ${fmtValue(d.weight)}%, bake ${formatDuration(num(d.bakeMs) ?? 0)}` };
    case 'weight.applied':
      // A dry run changes no traffic: never "applied".
      if (d.dryRun === true || isDryRunAction(d.action)) return { level: 'info', line: `weight ${fmtValue(d.weight)}%${d.rollback === true ? ' (rollback)' : ''}: dry run, not applied` };
      return d.ok === true
        ? { level: 'success', line: `weight ${fmtValue(d.weight)}% applied${d.rollback === true ? ' (rollback)' : ''}` }
        : { level: 'error', line: `setting weight ${fmtValue(d.weight)}% failed: ${text((d.action as { error?: string } | undefined)?.error)}` };
    case 'hook.finished':
      return d.ok === true ? { level: 'info', line: `hook ${text(d.hook)} done` } : { level: 'warn', line: `hook ${text(d.hook)} failed: ${text((d.action as { error?: string } | undefined)?.error)}` };
    case 'measurement': {
      const verdict = text(d.verdict);
      // A pass shows value and threshold; anything else its reason, which already says both (once, at one precision).
      const detail = verdict === 'pass' || !d.reason ? ` (${fmtValue(d.value)}; ${text(d.threshold)})` : ` — ${text(d.reason)}`;
      const line = `${d.phase === 'verify' ? 'verify ' : ''}gate ${text(d.gate)}: ${verdict}${detail}`;
      return { level: verdict === 'pass' ? 'info' : verdict === 'fail' ? (d.severity === 'warning' ? 'warn' : 'error') : 'warn', line };
    }
    case 'analysis.hold':
      return d.holding === true ? { level: 'warn', line: `holding weight ${fmtValue(d.weight)}%: ${text(d.reason)}` } : { level: 'info', line: `hold released: ${text(d.reason)}` };
    case 'step.completed':
      return { level: 'success', line: `step ${stepNo}/${totalSteps} passed at ${fmtValue(d.weight)}%` };
    case 'approval.requested':
      return { level: 'warn', line: `waiting for approval: ${text(d.reason)} — approve with: rollgate rollout approve ${event.rolloutId}` };
    case 'approval.decided':
      return { level: 'info', line: `${d.decision === 'approve' ? 'approved' : 'rollback chosen'} by ${text(d.by)}${d.comment ? ` (${text(d.comment)})` : ''}` };
    case 'rollout.paused':
      // Paused with an approval still open: both commands are needed, in this order; said in one line.
      return awaitingApproval
        ? { level: 'warn', line: `paused: ${text(d.reason)} — to go on, approve then resume: rollgate rollout approve ${event.rolloutId} && rollgate rollout resume ${event.rolloutId}` }
        : { level: 'warn', line: `paused: ${text(d.reason)} — continue with: rollgate rollout resume ${event.rolloutId}` };
    case 'abort.requested':
      return { level: 'warn', line: `abort requested by ${text(d.by)}: ${text(d.reason)}` };
    case 'rollback.started':
      return { level: 'error', line: `rolling back from ${fmtValue(d.fromWeight)}%: ${text(d.reason)}` };
    case 'compensation.finished':
      return d.ok === true ? { level: 'info', line: `compensated ${text(d.hook)}` } : { level: 'error', line: `compensation of ${text(d.hook)} failed` };
    case 'rollback.verification':
      return d.passed === true ? { level: 'success', line: 'stable verified healthy' } : { level: 'error', line: 'stable did NOT pass verification' };
    // The outcome (promoted, rolled back) is said once, by the command's result line with the
    // rollout's ID; the reason of a rollback was said when it started.
    case 'rollout.promoted':
    case 'rollout.rolled_back':
      return undefined;
    case 'rollback.failed':
      return { level: 'error', line: `ROLLBACK FAILED: ${text(d.reason)}` };
    case 'rollout.aborted':
      return { level: 'error', line: `aborted: ${text(d.reason)}` };
    default:
      return undefined;
  }
}

export interface RolloutRenderer {
  onEvent(event: RolloutEvent): void;
  stop(): void;
  /** True when a line already shown to the person contains `text` (so the result line need not say it again). */
  said(text: string): boolean;
}

/**
 * Logs an event's line and remembers the warnings and errors a person was shown (-q keeps them), so
 * each thing is said once: a rollback caused by a failed measurement does not repeat the value
 * and threshold its measurement line just gave (`rolling back from 25%: gate error-rate failed
 * (1 failure, limit 0)` under `gate error-rate: fail — 0.12 > max 0.05`).
 */
function shownLines(ui: Ui, totalSteps: number, quiet: (event: RolloutEvent) => boolean = () => false): { event(event: RolloutEvent): void; said(text: string): boolean; answered(): void; requested(): void } {
  const shown: string[] = [];
  const measured: string[] = [];
  // A provider error (Prometheus unreachable) repeats for every gate at every interval: said once,
  // until Prometheus answers again or the rollback's verification begins.
  const errorsSaid = new Set<string>();
  // Texts said in full though in parts (a rollback reason whose measured value its measurement line gave).
  const conveyed: string[] = [];
  const said = (text: string): boolean => text !== '' && (shown.some((line) => line.includes(text)) || conveyed.includes(text));
  // An approval request is open (asked, not yet decided): a pause then needs an approval and a resume.
  let awaiting = false;
  return {
    event(event) {
      if (event.type === 'approval.requested') awaiting = true;
      else if (event.type === 'approval.decided') awaiting = false;
      if (event.type === 'measurement') {
        const reason = text(event.data.reason);
        if (event.data.verdict !== 'error') errorsSaid.clear();
        else if (errorsSaid.has(reason)) return;
        else errorsSaid.add(reason);
      } else if (event.type === 'rollback.started') errorsSaid.clear();
      let described = quiet(event) ? undefined : describeEvent(event, totalSteps, awaiting);
      if (!described) return;
      let whole: string | undefined;
      if (event.type === 'rollback.started') {
        const reason = text(event.data.reason);
        const known = measured.findLast((m) => reason.includes(`: ${m}`));
        if (known) {
          described = { ...described, line: described.line.replace(`: ${known}`, '') };
          whole = reason;
        }
      }
      ui.log(described.level, described.line);
      // Reasons are said at warn and error level (also under -q); pass lines need not be kept.
      if (described.level !== 'warn' && described.level !== 'error') return;
      shown.push(described.line);
      if (whole !== undefined) conveyed.push(whole);
      if (event.type === 'measurement' && event.data.verdict !== 'pass' && typeof event.data.reason === 'string' && event.data.reason !== '') measured.push(event.data.reason);
    },
    said,
    /** An approval request was announced by the caller (the waiting line): still open. */
    requested: () => {
      awaiting = true;
    },
    /** A measurement got an answer (the terminal does not log passes): an error after it is news again. */
    answered: () => errorsSaid.clear(),
  };
}

/** Clock time of an ISO instant for "since" in a person's line (UTC, as the log lines are). */
function clock(iso: string): string {
  return iso.slice(11, 19);
}

/** A countdown in whole seconds (rounded up), so it never jumps from "4s" to "775ms". */
function countdown(ms: number): string {
  return formatDuration(Math.ceil(Math.max(0, ms) / 1000) * 1000);
}

/** How often a plain (CI) log repeats that an approval is still awaited: ROLLGATE_APPROVAL_REMINDER, default 1m. */
export function reminderIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.ROLLGATE_APPROVAL_REMINDER;
  const ms = value ? parseDuration(value) : undefined;
  return ms !== undefined && ms >= 1_000 ? ms : 60_000;
}

/** What is awaited, since when, and how to give it: the same words on the live line and in CI reminders. */
function waitingLine(waiting: { since: string; step: number; rolloutId: string }, totalSteps: number): string {
  return `waiting for approval of step ${waiting.step}/${totalSteps} since ${clock(waiting.since)} UTC (${formatDuration(Math.floor((Date.now() - Date.parse(waiting.since)) / 1000) * 1000)}) — approve with: rollgate rollout approve ${waiting.rolloutId}`;
}

/**
 * `onApproval: 'exit'`: an approval request is followed at once by the pause, whose line says what to
 * do (approve, then resume), so the request itself is not announced as a wait.
 */
export function createRolloutRenderer(ui: Ui, totalSteps: number, options: { reminderMs?: number; onApproval?: 'wait' | 'exit' } = {}): RolloutRenderer {
  const exitsAtApproval = options.onApproval === 'exit';
  const announcedByPause = (event: RolloutEvent): boolean => exitsAtApproval && event.type === 'approval.requested';
  if (ui.mode === 'json') {
    return {
      // `step`/`stepIndex` beside the event as recorded: `data` stays byte for byte what `hash` covers.
      onEvent: (event) => ui.json({ kind: 'event', ...eventStepFields(event.data), ...event }),
      stop: () => undefined,
      said: () => false,
    };
  }
  if (ui.mode !== 'tty') {
    // CI logs: an approval that is awaited for long is said again periodically (warn, so -q keeps it).
    const lines = shownLines(ui, totalSteps, announcedByPause);
    let reminder: NodeJS.Timeout | undefined;
    const stopReminder = (): void => {
      if (reminder) clearInterval(reminder);
      reminder = undefined;
    };
    return {
      onEvent: (event) => {
        if (event.type === 'approval.requested' && !exitsAtApproval) {
          stopReminder();
          const waiting = { since: event.at, step: (num(event.data.step) ?? 0) + 1, rolloutId: event.rolloutId };
          ui.warn(waitingLine(waiting, totalSteps));
          reminder = setInterval(() => ui.warn(`still ${waitingLine(waiting, totalSteps)}`), options.reminderMs ?? reminderIntervalMs());
          reminder.unref();
          lines.requested();
          return;
        }
        if (event.type !== 'measurement') stopReminder();
        lines.event(event);
      },
      stop: stopReminder,
      said: lines.said,
    };
  }
  // TTY: a live status line plus log lines for milestones (measurements only update the status line).
  const lines = shownLines(ui, totalSteps, announcedByPause);
  let spinner: Spinner | undefined;
  let starting: Promise<void> | undefined;
  let status = { step: 0, weight: 0, bakeEnds: 0, gates: new Map<string, string>(), waiting: undefined as { since: string; step: number; rolloutId: string } | undefined };
  const render = (): string => {
    if (status.waiting) return `step ${status.step}/${totalSteps} · canary ${status.weight}% · ${waitingLine(status.waiting, totalSteps)}`;
    const left = status.bakeEnds > 0 ? ` · bake ${countdown(status.bakeEnds - Date.now())} left` : '';
    const gates = [...status.gates.entries()].map(([name, v]) => `${name} ${v}`).join('  ');
    return `step ${status.step}/${totalSteps} · canary ${status.weight}%${left}${gates ? ` · ${gates}` : ''}`;
  };
  const ticker = setInterval(() => spinner?.update(render()), 1_000);
  ticker.unref();
  return {
    onEvent(event) {
      const d = event.data;
      if (event.type === 'step.started') {
        status = { step: (num(d.step) ?? 0) + 1, weight: num(d.weight) ?? 0, bakeEnds: Date.now() + (num(d.bakeMs) ?? 0), gates: new Map(), waiting: undefined };
        starting ??= ui.spinner(render()).then((s) => {
          spinner = s;
        });
      }
      if (event.type === 'measurement') {
        const mark = d.verdict === 'pass' ? ui.paint.green('✔') : d.verdict === 'fail' ? ui.paint.red('✖') : ui.paint.yellow('?');
        // The value with what it is held against, so the live line can be read on its own.
        status.gates.set(text(d.gate), `${fmtValue(d.value)}${d.threshold ? ` (${text(d.threshold)})` : ''} ${mark}`);
        spinner?.update(render());
        if (d.verdict === 'pass') {
          lines.answered();
          return;
        }
      }
      if (event.type === 'approval.requested') status.waiting = { since: event.at, step: (num(d.step) ?? 0) + 1, rolloutId: event.rolloutId };
      else if (event.type === 'approval.decided' || event.type.startsWith('rollback') || event.type.startsWith('rollout.')) status.waiting = undefined;
      lines.event(event);
      spinner?.update(render());
    },
    stop() {
      clearInterval(ticker);
      spinner?.stop();
    },
    said: lines.said,
  };
}
