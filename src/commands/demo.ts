/**
 * `rollgate demo`: runs the sandbox of src/lib/demo/run-demo.ts and renders it. Each rollout is
 * driven exactly like `rollout run` (driveSession: events through the Ui, Ctrl-C rolls back),
 * then a summary says what happened and where the evidence is.
 *
 * Exit 0 when the healthy rollout was promoted and the faulty one rolled back (the expected
 * outcome), 1 otherwise, 3 when Prometheus is missing or would not start, 130 on Ctrl-C.
 */
import { startSession } from '../lib/rollout/session.js';
import { ExitCode } from '../lib/errors.js';
import { formatDuration } from '../lib/duration.js';
import { runDemo, type DemoProgress, type DemoResult, type DemoRolloutResult } from '../lib/demo/run-demo.js';
import type { Spinner } from '../lib/ui/ui.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { driveSession, sessionOptions, withStore } from './run-session.js';

export interface DemoInput {
  dir?: string;
}

/** Quotes a path for a shell command line only when it needs it. */
function shellArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function outcome(r: DemoRolloutResult): string {
  const where = r.status === 'rolled_back' ? `rolled back from ${r.peakWeight}% to ${r.weight}%` : `${r.status.replace('_', ' ')} at ${r.weight}%`;
  return `${where}${r.reason && r.status !== 'promoted' ? `: ${r.reason}` : ''}`;
}

export function evidenceCommands(result: Pick<DemoResult, 'stateUrl' | 'dir' | 'rollouts'>): { status: string; verify: string[] } {
  const state = `--state ${shellArg(result.stateUrl)}`;
  return {
    status: `rollgate rollout status ${state}`,
    verify: result.rollouts.map((r) => `rollgate evidence verify ${r.rolloutId} ${state}`),
  };
}

/** The Markdown and HTML evidence reports of one demo rollout, written next to its state. */
export interface DemoReportFiles {
  rolloutId: string;
  plan: string;
  md: string;
  html: string;
}

/**
 * Renders both reports of every rollout from the demo's state store (the same renderer as
 * `evidence report`) into `<dir>/<plan>.md|.html`, replacing a previous run's: the demo owns them.
 */
async function writeReports(ctx: CommandContext, result: DemoResult): Promise<DemoReportFiles[]> {
  const [{ renderReport }, { readPlanSecrets }, { writeFile }, path] = await Promise.all([import('../lib/evidence/report/render.js'), import('../lib/evidence/report/secrets.js'), import('node:fs/promises'), import('node:path')]);
  const storeCtx: CommandContext = { ...ctx, global: { ...ctx.global, state: result.stateUrl } };
  return withStore(storeCtx, async (store) => {
    const files: DemoReportFiles[] = [];
    for (const r of result.rollouts) {
      if (!r.rolloutId) continue;
      const events = await store.readEvents(r.rolloutId);
      if (events.length === 0) continue;
      const entry: DemoReportFiles = { rolloutId: r.rolloutId, plan: r.plan, md: path.join(result.dir, `${r.plan}.md`), html: path.join(result.dir, `${r.plan}.html`) };
      const secrets = await readPlanSecrets(events, { cwd: ctx.cwd, env: ctx.env });
      await writeFile(entry.md, renderReport(events, 'md', { secrets }).text, 'utf8');
      await writeFile(entry.html, renderReport(events, 'html', { secrets }).text, 'utf8');
      files.push(entry);
    }
    return files;
  });
}

export async function run(ctx: CommandContext, input: DemoInput): Promise<number> {
  const { ui } = ctx;
  // The demo's plans name its own Prometheus and the demo keeps its own store: neither the
  // environment nor --prometheus/--state may redirect them.
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  delete env.ROLLGATE_PROMETHEUS_URL;
  delete env.ROLLGATE_STATE;
  const global: GlobalOptions = { ...ctx.global };
  delete global.prometheus;
  delete global.state;
  if (ctx.global.state !== undefined || ctx.global.prometheus !== undefined) ui.warn('rollgate demo uses its own Prometheus and state store; --state and --prometheus are ignored');

  const controller = new AbortController();
  let inRollout = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    // During a rollout driveSession rolls it back first; the demo stops after that.
    if (!inRollout && !controller.signal.aborted) ui.warn(`${signal}: stopping the demo`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let spinner: Promise<Spinner> | undefined;
  const render = (p: DemoProgress): void => {
    switch (p.kind) {
      case 'dir':
        ui.info(`demo directory: ${p.dir} (plans and evidence are kept here)`);
        break;
      case 'service.started':
        ui.info(`demo service ${p.service} on ${p.url}: weighted router (stable + canary), ${p.rps} synthetic requests/s`);
        break;
      case 'prometheus.starting':
        spinner = ui.spinner('starting Prometheus from PATH (its first scrape takes about 5s)');
        break;
      case 'prometheus.ready':
        void spinner?.then((s) => s.succeed(`Prometheus ${p.url} is scraping the demo service every 1s (${p.binary})`));
        spinner = undefined;
        break;
      case 'plans.written':
        ui.info(`plans written: ${p.files.healthy}, ${p.files.faulty}`);
        break;
      case 'rollout.starting':
        inRollout = true;
        ui.info(`${p.plan} rollout (${p.file}): expected ${p.expected.replace('_', ' ')}`);
        break;
      case 'fault.injected':
        ui.warn(`the faulty canary now fails ${p.errorRate * 100}% of its requests (from ${p.weight}% of the traffic on)`);
        break;
      case 'rollout.finished':
        inRollout = false;
        break;
      case 'stable.replaced':
        ui.info(`${p.version} is the new stable; the canary slot is empty again`);
        break;
      case 'stopping':
        inRollout = false;
        break;
    }
  };

  let result: DemoResult;
  try {
    result = await runDemo({
      ...(input.dir !== undefined ? { dir: input.dir } : {}),
      cwd: ctx.cwd,
      env,
      signal: controller.signal,
      onProgress: render,
      drive: async (plan, { store, stateUrl, observe }) => {
        // --state as if the user had given it: driveSession's "evidence:" hint then names this store.
        const sessionCtx: CommandContext = { ...ctx, env, global: { ...global, state: stateUrl } };
        let rolloutId = '';
        const exitCode = await driveSession(
          sessionCtx,
          store,
          async (onEvent) => {
            const session = await startSession(
              plan,
              sessionOptions(sessionCtx, store, { onApproval: 'exit' }, (event) => {
                observe(event);
                onEvent(event);
              }),
            );
            rolloutId = session.rolloutId;
            return session;
          },
          () => plan.steps.length,
        );
        return { rolloutId, exitCode };
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (spinner) await spinner.then((s) => s.stop());
  }

  const reports = await writeReports(ctx, result);
  renderSummary(ctx, result, reports);
  return result.ok ? ExitCode.ok : ExitCode.failed;
}

function renderSummary(ctx: CommandContext, result: DemoResult, reports: DemoReportFiles[]): void {
  const { ui } = ctx;
  const commands = evidenceCommands(result);
  if (ui.mode === 'json') {
    ui.json({
      kind: 'demo',
      ok: result.ok,
      durationMs: result.durationMs,
      dir: result.dir,
      stateUrl: result.stateUrl,
      plans: result.plans,
      rollouts: result.rollouts.map((r) => ({ plan: r.plan, rolloutId: r.rolloutId, status: r.status, expected: r.expected, asExpected: r.asExpected, weight: r.weight, peakWeight: r.peakWeight, reason: r.reason ?? null, exitCode: r.exitCode, evidence: { stateStore: result.stateUrl, events: r.events, head: r.head } })),
      reports: reports.map((r) => ({ plan: r.plan, rolloutId: r.rolloutId, md: r.md, html: r.html })),
      commands,
    });
    return;
  }
  const took = formatDuration(result.durationMs);
  if (result.ok) ui.success(`demo finished in ${took}: the healthy rollout was promoted and the faulty one rolled back, as expected`);
  else ui.error(`demo finished in ${took}, NOT as expected: ${result.rollouts.filter((r) => !r.asExpected).map((r) => `the ${r.plan} rollout ended ${r.status.replace('_', ' ')} (expected ${r.expected.replace('_', ' ')})`).join('; ')}`);

  const p = ui.paint;
  const mark = (r: DemoRolloutResult): string => (r.asExpected ? p.green('✔') : p.red('✖'));
  ui.out('');
  ui.out(ui.table(['', 'rollout', 'ID', 'outcome'], result.rollouts.map((r) => [mark(r), r.plan, r.rolloutId, outcome(r)])));
  ui.out('');
  ui.out(p.bold('Where the evidence is'));
  ui.out(`  plans:       ${result.plans.healthy}`);
  ui.out(`               ${result.plans.faulty}`);
  ui.out(`  state store: ${result.stateUrl}  (one hash-chained event log per rollout, under rollouts/<ID>/)`);
  ui.out('');
  ui.out(p.bold('Open the reports'));
  for (const r of reports) {
    ui.out(`  ${r.plan}:`.padEnd(12) + ` ${r.html}`);
    ui.out(''.padEnd(12) + ` ${r.md}`);
  }
  ui.out('');
  ui.out(p.bold('Look at it'));
  ui.out(`  ${commands.status}`);
  for (const line of commands.verify) ui.out(`  ${line}`);
}
