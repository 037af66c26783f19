import { formatDuration } from '../lib/duration.js';
import { ExitCode } from '../lib/errors.js';
import { findRollout } from '../lib/rollout/find.js';
import { reduceEvents, isTerminal, type RolloutView } from '../lib/rollout/reduce.js';
import { stepFields } from '../lib/rollout/step-number.js';
import { statusWords } from '../lib/rollout/status-words.js';
import { sleep } from '../lib/sleep.js';
import { isLockDead } from '../lib/state/lock-liveness.js';
import type { StateStore } from '../lib/state/types.js';
import type { CommandContext } from './context.js';
import { withStore } from './run-session.js';
import { stripAnsi } from '../lib/ui/ui.js';

interface StatusRow {
  rolloutId: string;
  service: string;
  status: string;
  /** 1-based, as people read it (0 before the first step); `stepIndex` is the 0-based index. */
  step: number;
  stepIndex: number;
  steps: number;
  weight: number;
  /** A weight change whose outcome was not confirmed (crash or failure mid-change): traffic may be up to this. */
  weightUncertain: number | null;
  runner: 'live' | 'gone' | 'none';
  /** A dry run: no traffic was ever changed; never the service's current state. */
  dryRun: boolean;
  awaitingApproval: boolean;
  /** An approval given (with `rollout approve`) that its runner has not recorded yet. */
  approval: { by: string; at: string; decision: string } | null;
  /** A rollback that ended incomplete: what is left to do (`rollgate rollback` retries it). */
  incomplete: string[];
  reason: string | null;
  updatedAt: string | null;
  evidence: { stateStore: string; events: number; head: string | null };
}

async function statusOf(store: StateStore, rolloutId: string): Promise<StatusRow> {
  const [events, record] = await Promise.all([store.readEvents(rolloutId), store.getRollout(rolloutId)]);
  const view: RolloutView = reduceEvents(events);
  const given = view.awaitingApproval ? await store.getApproval(rolloutId, view.awaitingApproval.key) : undefined;
  const lock = view.service ? await store.getLock(view.service) : undefined;
  const ours = lock?.rolloutId === rolloutId ? lock : undefined;
  const runner = ours ? (isLockDead(ours, new Date()) ? 'gone' : 'live') : isTerminal(view.status) ? 'none' : 'gone';
  return {
    rolloutId,
    service: view.service,
    status: view.status,
    ...stepFields(view.step),
    steps: view.plan?.steps.length ?? 0,
    weight: view.weight,
    weightUncertain: view.weightUncertain ?? null,
    runner: view.status === 'paused' && !ours ? 'none' : runner,
    dryRun: view.dryRun || record?.dryRun === true,
    awaitingApproval: view.awaitingApproval !== undefined && !given,
    approval: given ? { by: given.by, at: given.at, decision: given.decision } : null,
    incomplete: view.status === 'rolled_back' ? (view.rollback?.incomplete ?? []) : [],
    reason: given ? null : (view.reason ?? null),
    updatedAt: view.updatedAt ?? null,
    evidence: { stateStore: store.url, events: events.length, head: events.at(-1)?.hash ?? null },
  };
}

function describe(row: StatusRow): string {
  const flags = [
    row.dryRun ? 'dry run: no traffic changed' : '',
    row.awaitingApproval ? 'awaiting approval' : '',
    row.approval ? `${row.approval.decision === 'approve' ? 'approved' : 'rollback decided'} by ${row.approval.by} at ${row.approval.at}${row.runner === 'live' ? '' : `; continue with: rollgate rollout resume ${row.rolloutId}`}` : '',
    row.incomplete.length > 0 ? `rollback incomplete: ${row.incomplete.join('; ')}; retry with: rollgate rollback ${row.rolloutId}` : '',
    row.status === 'running' && row.runner === 'gone' ? 'runner gone: resume or rollback' : '',
    row.weightUncertain !== null && row.weightUncertain !== row.weight ? `weight may be up to ${row.weightUncertain}%` : '',
  ]
    .filter(Boolean)
    .join(', ');
  // Words for people (`rolled back`); --json keeps the enum.
  return flags ? `${statusWords(row.status)} (${flags})` : statusWords(row.status);
}

/** `status --watch` ends with the exit code of the outcome it watched, as `rollout run` would. */
function watchExitCode(row: StatusRow): number {
  switch (row.status) {
    case 'promoted':
      return ExitCode.ok;
    case 'rolled_back':
      return row.incomplete.length > 0 ? ExitCode.rollbackFailed : ExitCode.failed;
    case 'paused':
      return ExitCode.paused;
    case 'aborted':
      return ExitCode.interrupted;
    case 'failed':
      return ExitCode.rollbackFailed;
    default:
      // Still running but its runner is gone: no verdict.
      return ExitCode.noVerdict;
  }
}

/**
 * How many terminal rows a block took: a line wider than the terminal wraps onto more rows, and
 * the redraw must move the cursor up over all of them (or each frame would leave one behind).
 */
export function rowsOnScreen(block: string, columns: number | undefined): number {
  const width = columns && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  return block.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil([...stripAnsi(line)].length / width)), 0);
}

function age(iso: string | null): string {
  return iso ? `${formatDuration(Math.max(0, Date.now() - Date.parse(iso)))} ago` : '';
}

export async function run(ctx: CommandContext, input: { target?: string | undefined; watch: boolean }): Promise<number> {
  return withStore(ctx, async (store) => {
    const { ui } = ctx;
    if (!input.target) {
      const records = await store.listRollouts({ limit: 20 });
      const rows = await Promise.all(records.map((r) => statusOf(store, r.rolloutId)));
      if (ui.mode === 'json') ui.json({ rollouts: rows });
      else if (rows.length === 0) ui.info(`no rollouts in ${store.url}`);
      else ui.out(ui.table(['rollout', 'service', 'status', 'step', 'weight', 'updated'], rows.map((r) => [r.rolloutId, r.service, describe(r), `${r.step}/${r.steps}`, `${r.weight}%`, age(r.updatedAt)])));
      return 0;
    }
    const { rolloutId } = await findRollout(store, input.target);
    let last = '';
    // CI: a line only when what it says changed (new events alone change nothing it says).
    let lastLine = '';
    // On a terminal --watch redraws its block in place: how many lines the previous frame took.
    let drawn = 0;
    for (;;) {
      const row = await statusOf(store, rolloutId);
      const snapshot = JSON.stringify({ ...row, updatedAt: null });
      if (snapshot !== last) {
        last = snapshot;
        if (ui.mode === 'json') ui.json({ ...row });
        else if (input.watch && ui.mode === 'plain') {
          const line = `${row.rolloutId} ${describe(row)} step ${row.step}/${row.steps} weight ${row.weight}%${row.reason ? ` — ${row.reason}` : ''}`;
          if (line !== lastLine) ui.info(line);
          lastLine = line;
        } else {
          const block = ui.table(
              ['field', 'value'],
              [
                ['rollout', row.rolloutId],
                ['service', row.service],
                ['status', describe(row)],
                ['step', `${row.step}/${row.steps}`],
                ['weight', `${row.weight}%`],
                ['runner', row.runner],
                ['reason', row.reason ?? ''],
                ['updated', age(row.updatedAt)],
                ['evidence', `${row.evidence.events} events, head ${row.evidence.head?.slice(0, 12) ?? '-'}`],
              ],
            );
          // Cursor up over the previous frame and clear to the end of the screen, then draw again.
          if (input.watch && ui.mode === 'tty' && drawn > 0) ctx.streams.stdout.write(`\u001b[${drawn}A\u001b[J`);
          ui.out(block);
          drawn = rowsOnScreen(block, ctx.streams.stdout.columns);
        }
      }
      // Watching ends when nothing will change by itself any more: ended, paused, aborted, or no runner.
      if (!input.watch) return 0;
      if (isTerminal(row.status as never) || row.status === 'paused' || row.status === 'aborted' || row.runner !== 'live') return watchExitCode(row);
      await sleep(1_000);
    }
  });
}
