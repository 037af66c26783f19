/**
 * What `rollout run`, `rollout resume` and `rollback` share: open the store, render events,
 * forward SIGINT/SIGTERM to the session, print the result, return the exit code.
 */
import type { RolloutEvent, StateStore } from '../lib/state/types.js';
import type { Prompter, RunnerOptions } from '../lib/rollout/runtime.js';
import type { Session, SessionOptions, SessionResult } from '../lib/rollout/session.js';
import { createRolloutRenderer } from '../lib/ui/rollout-view.js';
import type { Ui } from '../lib/ui/ui.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { ExitCode, UsageError } from '../lib/errors.js';
import { operatorIdentity } from '../lib/operator.js';
import { stepFields } from '../lib/rollout/step-number.js';
import { statusWords } from '../lib/rollout/status-words.js';
import { openStateStore } from '../lib/state/open.js';
import { prometheusOverride, resolveStateUrl, type CommandContext } from './context.js';

export async function withStore<T>(ctx: CommandContext, work: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openStateStore(resolveStateUrl(ctx), { cwd: ctx.cwd });
  try {
    return await work(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

export function parseApprovalTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--approval-timeout: "${value}" is not a duration`, 'for example: --approval-timeout 30m');
  return ms;
}

/** The approval prompt on a terminal: promote, roll back, or keep waiting for `rollout approve`. */
export function terminalPrompter(ui: Ui): Prompter | undefined {
  if (!ui.canPrompt) return undefined;
  // The signal withdraws the question when the decision came from elsewhere (`rollout approve` in
  // another terminal, a stop request): an open prompt would otherwise hold stdin and the process.
  return async (question, signal) =>
    ui.select(
      `Step ${question.step + 1} at ${question.weight}% — ${question.reason}. What now?`,
      [
        { name: 'Promote: go on to the next step', value: 'approve' as const },
        { name: 'Roll back now', value: 'rollback' as const },
        { name: `Wait: approve later with \`rollgate rollout approve ${question.rolloutId}\``, value: 'wait' as const },
      ],
      { signal },
    );
}

export function sessionOptions(
  ctx: CommandContext,
  store: StateStore,
  runner: Partial<RunnerOptions>,
  onEvent: (event: RolloutEvent) => void,
): SessionOptions {
  const prometheusUrl = prometheusOverride(ctx);
  const prompter = terminalPrompter(ctx.ui);
  return {
    store,
    cwd: ctx.cwd,
    env: ctx.env,
    operator: operatorIdentity(ctx.env).display,
    runner,
    onEvent,
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(prompter ? { prompter } : {}),
  };
}

/** Runs a session to its end with signals forwarded, then prints the result. */
export async function driveSession(
  ctx: CommandContext,
  store: StateStore,
  makeSession: (onEvent: (event: RolloutEvent) => void) => Promise<Session>,
  totalSteps: () => number,
  onApproval: 'wait' | 'exit' = 'wait',
): Promise<number> {
  let renderer: ReturnType<typeof createRolloutRenderer> | undefined;
  const pending: RolloutEvent[] = [];
  const onEvent = (event: RolloutEvent): void => {
    if (renderer) renderer.onEvent(event);
    else pending.push(event);
  };
  const session = await makeSession(onEvent);
  renderer = createRolloutRenderer(ctx.ui, totalSteps(), { onApproval });
  // A Redis failover: the runner waits on the store with traffic where it is; say so, and when it is over.
  store.onOutage?.((change) => {
    if (change.state === 'down') ctx.ui.warn(`state store ${store.url} not answering (${change.what}: ${change.error}); traffic is held where it is while retrying for up to ${formatDuration(change.retryForMs)}`);
    else ctx.ui.info(`state store ${store.url} answers again after ${formatDuration(change.downForMs)}; continuing`);
  });
  for (const event of pending.splice(0)) renderer.onEvent(event);

  // Named per handler: on a terminal, ora/readline turn Ctrl-C into `process.emit('SIGINT')` with
  // no argument, and the evidence must still say which signal it was.
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    // A second Ctrl-C means something only to a person at a terminal who pressed one.
    const again = signal === 'SIGINT' && ctx.ui.mode === 'tty' ? ' (press Ctrl-C again to stop at once and record where traffic is)' : '';
    ctx.ui.warn(`${signal}: rolling back ${session.rolloutId}${again}`);
    session.interrupt(signal);
  };
  const onSigint = (): void => onSignal('SIGINT');
  const onSigterm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  let result: SessionResult;
  try {
    result = await session.run();
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    renderer.stop();
  }
  const head = (await store.getRollout(result.rolloutId))?.head;
  const evidence = { stateStore: store.url, rolloutId: result.rolloutId, events: head?.seq ?? 0, head: head?.hash ?? null };
  renderResult(ctx, result, evidence, renderer);
  return result.exitCode;
}

/**
 * What is left of a reason once what the log lines already said is taken out: the rollback's
 * reason was said when it started, so the result line adds only what is new (`rollback
 * incomplete: ...`), or nothing.
 */
export function unsaidReason(reason: string | undefined, said: (text: string) => boolean): string {
  if (!reason || said(reason)) return '';
  return reason
    .split('; ')
    .filter((part) => !said(part))
    .join('; ');
}

/** The outcome in words, with where traffic is: `promoted at 100%`, `rolled back to 0%`. */
export function outcomeWords(status: string, weight: number): string {
  switch (status) {
    case 'promoted':
      return `promoted at ${weight}%`;
    case 'rolled_back':
      return `rolled back to ${weight}%`;
    case 'failed':
      return `rollback failed: the canary may still get ${weight}% of traffic`;
    default:
      return `${statusWords(status)} at ${weight}%`;
  }
}

function renderResult(ctx: CommandContext, result: SessionResult, evidence: Record<string, unknown>, renderer: { said(text: string): boolean }): void {
  const { ui } = ctx;
  if (ui.mode === 'json') {
    ui.json({ kind: 'result', rolloutId: result.rolloutId, service: result.service, status: result.status, dryRun: result.dryRun, ...stepFields(result.step), weight: result.weight, reason: result.reason ?? null, exitCode: result.exitCode, evidence });
    return;
  }
  const dry = result.dryRun ? ' (dry run: no traffic was changed)' : '';
  // Each thing once: the reason only when no log line has said it yet (a rollback says it as it starts).
  const reason = unsaidReason(result.reason, (text) => renderer.said(text));
  const line = `${result.rolloutId}: ${outcomeWords(result.status, result.weight)}${dry}${reason ? ` — ${reason}` : ''}`;
  if (result.exitCode === 0) ui.success(line);
  else if (result.exitCode === ExitCode.rollbackFailed || result.status === 'aborted') ui.error(line);
  else ui.warn(line);
  // The data line for scripts (`ID STATUS WEIGHT%`, status as the enum) when stdout is read by one;
  // on a terminal the line above already says it to the person.
  if (ui.mode !== 'tty') ui.out(`${result.rolloutId} ${result.status}${result.dryRun ? ' dry-run' : ''} ${result.weight}%`);
  ui.info(`evidence: rollgate evidence verify ${result.rolloutId}${ctx.global.state ? ` --state ${ctx.global.state}` : ''}`);
}
