/**
 * `rollgate evidence report <ID|SERVICE|FILE> --format md|html|json|junit [--out FILE] [--force]`:
 * renders a rollout's evidence from its event log (in the state store, or an exported NDJSON log /
 * JSON report). To stdout, or to --out: never over an existing file without --force, and written
 * atomically (temp file + rename), so a reader never sees half a report.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { statusWords } from '../lib/rollout/status-words.js';
import { ExitCode, TamperedError, UsageError } from '../lib/errors.js';
import { REPORT_FORMATS, type ReportFormat } from '../lib/evidence/report/render.js';
import { toChainResult, type ChainResult, type ReportSummary } from '../lib/evidence/report/summary.js';
import type { RolloutEvent } from '../lib/state/types.js';
import type { CommandContext } from './context.js';

export interface EvidenceReportOptions {
  target: string;
  /** Unset: md, the default (errors then say so rather than name a flag the user did not type). */
  format?: string;
  out?: string;
  force?: boolean;
}

export async function run(ctx: CommandContext, options: EvidenceReportOptions): Promise<number> {
  const format = (options.format ?? 'md') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format ${options.format}: expected one of ${REPORT_FORMATS.join(', ')}`);

  const outFile = options.out !== undefined ? path.resolve(ctx.cwd, options.out) : undefined;
  // Under --json stdout holds one JSON document: the json report itself, or (with --out) the
  // written-file summary. Markdown, HTML or XML on stdout would break that promise.
  if (ctx.global.json && !outFile && format !== 'json') {
    // Worded for what was typed: without --format the report is md, the default.
    const what = options.format === undefined ? '--json: the report is Markdown by default (--format md), not JSON' : `--json with --format ${format}: stdout would not be JSON`;
    throw new UsageError(what, 'pass --format json for the report as JSON, or --out FILE (stdout then gets a JSON summary)');
  }
  // 25 KB of HTML on a terminal helps no one: write a file, or pipe it somewhere.
  if (format === 'html' && !outFile && ctx.streams.stdout.isTTY) throw new UsageError('--format html on a terminal: pass --out FILE (or pipe it: > report.html)', 'for example: --out rollout.html');
  // Refuse before any work: an existing file without --force is a usage error (exit 2).
  if (outFile) await checkOutFile(outFile, options.out!, options.force === true);

  // An exported rollout log: read, verified and summarised in one pass, the parsed log never held.
  const streamed = await summarizeFile(ctx, options.target, format);
  if (streamed) return writeReport(ctx, streamed.chunks, streamed.summary, format, outFile, options);

  // Read and verified in one pass (chain, and a stored log against its recorded head): the
  // renderers get the verdict, never verify again. A stored rollout's log is summarised as it is read.
  const loaded = await loadEvents(ctx, options.target, format);
  if ('summary' in loaded) return writeReport(ctx, loaded.chunks, loaded.summary, format, outFile, options);
  const { events, chain } = loaded;
  const { isAuditLog } = await import('../lib/evidence/report/audit-summary.js');
  if (isAuditLog(events)) return reportAudit(ctx, events, format, outFile, options, chain);
  const [{ streamReport }, { readPlanSecrets }] = await Promise.all([import('../lib/evidence/report/render.js'), import('../lib/evidence/report/secrets.js')]);
  const secrets = await readPlanSecrets(events, { cwd: ctx.cwd, env: ctx.env });
  const { chunks, summary } = streamReport(events, format, { secrets, chain });
  return writeReport(ctx, chunks, summary, format, outFile, options);
}

/** Writes a rendered report to stdout or --out, says what was written, and exits as the chain says. */
async function writeReport(ctx: CommandContext, chunks: Iterable<string>, summary: ReportSummary, format: ReportFormat, outFile: string | undefined, options: EvidenceReportOptions): Promise<number> {
  const { chain } = summary;
  if (!outFile) {
    await writeChunks(ctx.streams.stdout, chunks);
    return chainExit(ctx, chain, summary.rolloutId, false);
  }
  const bytes = await writeAtomically(outFile, chunks, options.force === true, options.out!);
  if (ctx.global.json) {
    ctx.ui.json({ rolloutId: summary.rolloutId, format, out: outFile, bytes, status: summary.status, stillRunning: summary.stillRunning, chainIntact: summary.chain.intact, ...chainFields(chain) });
  } else {
    ctx.ui.success(`${format} report of ${summary.rolloutId} (${summary.stillRunning ? 'still running' : statusWords(summary.status)}) written to ${options.out}`);
  }
  if (summary.stillRunning) ctx.ui.warn(`rollout ${summary.rolloutId} is still running: the report says so on top`);
  return chainExit(ctx, chain, summary.rolloutId, true);
}

/** What the written-file summary (--out --json) adds about a chain that is not intact. */
function chainFields(chain: ChainResult): Record<string, unknown> {
  if (chain.intact) return {};
  return { brokenAt: chain.brokenAt, reason: chain.reason, ...(chain.missing !== undefined ? { missing: chain.missing } : {}) };
}

/**
 * A report of a broken or cut log is written (it says where the chain breaks) but never passes:
 * exit 1, as `evidence verify` exits for the same log. The warning goes to stderr either way.
 */
function chainExit(ctx: CommandContext, chain: ChainResult, id: string, written: boolean): number {
  if (chain.note) ctx.ui.warn(chain.note);
  if (chain.intact) return ExitCode.ok;
  ctx.ui.warn(`the evidence of ${id} is broken at event #${chain.brokenAt}: ${chain.reason}${written ? ' (the report says so on top)' : ''}`);
  return ExitCode.failed;
}

/**
 * Writes pieces to a stream, waiting for it to drain, so a large report is never buffered whole.
 * A reader that goes away (`| head`: EPIPE) ends the writing quietly instead of crashing the process.
 */
async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  let failure: Error | undefined;
  // Stays attached: the error of the last write is emitted after it returns.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') failure ??= error;
    else failure ??= Object.assign(new Error('the reader of stdout went away'), { code: 'EPIPE' });
  });
  for (const chunk of chunks) {
    if (failure) break;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('close', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
        stream.on('error', done);
      });
    }
  }
  if (failure && (failure as NodeJS.ErrnoException).code !== 'EPIPE') throw failure;
}

/** An `sla audit` log: its own renderers (src/lib/evidence/report/audit-*.ts), same output rules. */
async function reportAudit(ctx: CommandContext, events: RolloutEvent[], format: ReportFormat, outFile: string | undefined, options: EvidenceReportOptions, chain: ChainResult): Promise<number> {
  const { renderAuditReport } = await import('../lib/evidence/report/audit-render.js');
  const { text, report } = renderAuditReport(events, format, { chain });
  if (!outFile) {
    ctx.streams.stdout.write(text);
    return chainExit(ctx, chain, report.auditId, false);
  }
  const bytes = await writeAtomically(outFile, text, options.force === true, options.out!);
  if (ctx.global.json) ctx.ui.json({ auditId: report.auditId, format, out: outFile, bytes, verdict: report.verdict, chainIntact: report.chain.intact, ...chainFields(chain) });
  else ctx.ui.success(`${format} report of audit ${report.auditId} (${report.verdict}) written to ${options.out}`);
  return chainExit(ctx, chain, report.auditId, true);
}

export async function checkOutFile(file: string, shown: string, force: boolean): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isDirectory()) throw new UsageError(`--out ${shown} is a directory`, 'name a file, e.g. --out report.html');
  if (stat && !force) throw new UsageError(`--out ${shown} already exists; not overwriting it`, 'pass --force to replace it');
  const dir = await fs.stat(path.dirname(file)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new UsageError(`--out ${shown}: the folder ${path.dirname(shown)} does not exist`);
}

/**
 * Temp file in the same folder, fsync, then rename (with --force) or link (without: fails if
 * the name appeared meanwhile, so a file created since the check is never clobbered). The text may
 * come in pieces (a streamed report): they are written as they come. Returns the bytes written.
 */
export async function writeAtomically(file: string, text: string | Iterable<string>, force: boolean, shown: string): Promise<number> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'wx', 0o644);
  let bytes = 0;
  try {
    for (const piece of typeof text === 'string' ? [text] : text) {
      const buffer = Buffer.from(piece, 'utf8');
      bytes += buffer.length;
      await handle.write(buffer);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (force) await fs.rename(temp, file);
    else {
      try {
        await fs.link(temp, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`--out ${shown} already exists; not overwriting it`, 'pass --force to replace it');
        throw error;
      }
    }
  } finally {
    await fs.rm(temp, { force: true });
  }
  return bytes;
}

/**
 * The summary and rendered pieces of an exported rollout log, made while the file is read: each
 * event is checked, hashed and folded into the summary as it is parsed, then dropped (the JSON
 * report keeps each event's text, which is the line itself unless redaction changed it). Undefined
 * when the target is not such a file (a store rollout, an audit, a log that does not open with
 * its rollout.started event): the caller reads it whole.
 */
async function summarizeFile(ctx: CommandContext, target: string, format: ReportFormat): Promise<{ summary: ReportSummary; chunks: Iterable<string> } | undefined> {
  const file = path.resolve(ctx.cwd, target);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) return undefined;
  const [{ readEvidenceLog, readFirstEntry, verifyEvidenceLog }, { RolloutSummarizer }, { summaryChunks }, { readPlanSecrets }] = await Promise.all([
    import('../lib/evidence/log-file.js'),
    import('../lib/evidence/report/summary.js'),
    import('../lib/evidence/report/render.js'),
    import('../lib/evidence/report/secrets.js'),
  ]);
  // The plan (and so the secrets to mask) is in the first event: read it before the rest.
  const first = await readFirstEntry(file);
  if (!isEventLike(first) || first.type !== 'rollout.started') return undefined;
  const secrets = await readPlanSecrets([first], { cwd: ctx.cwd, env: ctx.env });
  const summarizer = new RolloutSummarizer(secrets);
  let count = 0;
  let firstRead: string | undefined;
  const texts: string[] = [];
  const log = await readEvidenceLog(file, {
    keep: false,
    onEvent: (event, line) => {
      if (!isEventLike(event)) return;
      if (count++ === 0) firstRead = JSON.stringify(event);
      const shown = summarizer.add(event);
      // The same text either way; the line is a view of what was read, the other a new copy.
      if (format === 'json') texts.push(shown === line ? line : shown);
    },
  });
  if (count === 0) throw new UsageError(`${target} holds no readable evidence events${log.problem ? ` (${log.problem.reason})` : ''}`, 'pass an NDJSON log or a JSON report written by rollgate');
  // Changed between the two reads: the secrets may be another plan's; read it again, whole.
  if (firstRead !== JSON.stringify(first)) return undefined;
  const summary = summarizer.finish(toChainResult(verifyEvidenceLog(log)));
  return { summary, chunks: summaryChunks(summary, format, secrets, { texts }) };
}

type Loaded = { events: RolloutEvent[]; chain: ChainResult } | { summary: ReportSummary; chunks: Iterable<string> };

/**
 * A path that exists is an exported log; anything else is a rollout ID or service in the store,
 * whose log is checked and summarised as the store hands it over (the parsed log is never held;
 * the JSON report keeps each event's text), unless it does not open with rollout.started (an
 * audit, an odd log): then its events are kept for the whole-log path.
 */
async function loadEvents(ctx: CommandContext, target: string, format: ReportFormat): Promise<Loaded> {
  const file = path.resolve(ctx.cwd, target);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isFile()) return loadFile(file, target);
  if (stat) throw new UsageError(`${target} is a directory, not an evidence log`);
  if (/[/\\]|\.(nd)?json$/i.test(target)) throw new UsageError(`no such file: ${target}`, 'pass an exported log (NDJSON or JSON report), a rollout ID or a service');
  const [{ serviceRollout }, { withStore }, { readStoredLog }, { RolloutSummarizer }, { summaryChunks }, { readPlanSecretsSync }] = await Promise.all([
    import('../lib/rollout/find.js'),
    import('./run-session.js'),
    import('../lib/log/stored-check.js'),
    import('../lib/evidence/report/summary.js'),
    import('../lib/evidence/report/render.js'),
    import('../lib/evidence/report/secrets.js'),
  ]);
  return withStore(ctx, async (store): Promise<Loaded> => {
    // Looked up without reading the log (findRollout would read and reduce it once more).
    const record = (await store.getRollout(target)) ?? (await serviceRollout(store, target));
    if (!record) throw new UsageError(`no rollout or service "${target}" in ${store.url}`, 'list them with: rollgate rollout status');
    const id = record.rolloutId;
    let summarizer: InstanceType<typeof RolloutSummarizer> | undefined;
    let secrets: string[] = [];
    let kept: RolloutEvent[] | undefined;
    let count = 0;
    const texts: string[] = [];
    // The same judgement as `evidence verify`: the chain, and the log against its recorded head.
    const { verdict, readable } = await readStoredLog(store, id, record, undefined, {
      keep: false,
      onEvent: (event, text) => {
        count += 1;
        if (!summarizer && !kept) {
          // The plan (and so the secrets to mask) is the first event: read them before the next.
          if (event.type === 'rollout.started') {
            secrets = readPlanSecretsSync([event], { cwd: ctx.cwd, env: ctx.env });
            summarizer = new RolloutSummarizer(secrets);
          } else kept = [];
        }
        if (kept) {
          kept.push(event);
          return;
        }
        const shown = summarizer!.add(event);
        // The same text either way; the stored line is already held, the other is a new copy.
        if (format === 'json') texts.push(shown === text ? text : shown);
      },
    });
    if (count === 0 || !readable) {
      // Nothing to render: a log cut to nothing or unreadable is broken evidence (exit 1), an empty one a usage error.
      if (!verdict.ok && verdict.reason !== 'the log holds no events') throw new TamperedError(`evidence of ${id} is broken at event #${verdict.brokenAt}: ${verdict.reason}`, `run: rollgate evidence verify ${id}`);
      throw new UsageError(`rollout ${id} has no events in ${store.url}`);
    }
    const chain = toChainResult(verdict);
    if (kept) return { events: kept, chain };
    const summary = summarizer!.finish(chain);
    return { summary, chunks: summaryChunks(summary, format, secrets, { texts }) };
  });
}

function isEventLike(value: unknown): value is RolloutEvent {
  if (!value || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return typeof e.seq === 'number' && typeof e.type === 'string' && typeof e.at === 'string' && typeof e.rolloutId === 'string' && !!e.data && typeof e.data === 'object' && !Array.isArray(e.data);
}

async function loadFile(file: string, shown: string): Promise<{ events: RolloutEvent[]; chain: ChainResult }> {
  const { readEvidenceLog, verifyEvidenceLog } = await import('../lib/evidence/log-file.js');
  const log = await readEvidenceLog(file);
  // A broken chain is still rendered (the report says where it breaks); unreadable entries end the log.
  const events = log.events.filter(isEventLike);
  if (events.length === 0) throw new UsageError(`${shown} holds no readable evidence events${log.problem ? ` (${log.problem.reason})` : ''}`, 'pass an NDJSON log or a JSON report written by rollgate');
  // Verified while it was read (NDJSON); an exported file carries no recorded head to compare with.
  const chain = toChainResult(verifyEvidenceLog(log));
  return { events, chain };
}
