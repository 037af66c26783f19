/**
 * `rollgate evidence verify <ID|FILE>`: checks the hash chain of a rollout's event log (from the
 * state store) or of an exported log file. Exit 0 intact, 1 broken (naming the first bad event).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChainVerdict } from '../lib/evidence/chain.js';
import { ExitCode, UsageError } from '../lib/errors.js';
import { resolveStateUrl, type CommandContext } from './context.js';

export interface EvidenceVerifyOptions {
  target: string;
}

export async function run(ctx: CommandContext, options: EvidenceVerifyOptions): Promise<number> {
  const verdict = await verifyTarget(ctx, options.target);
  if (ctx.global.json) {
    ctx.ui.json(
      verdict.ok
        ? { intact: true, events: verdict.count, head: verdict.head }
        : { intact: false, events: verdict.count, head: null, brokenAt: verdict.brokenAt, reason: verdict.reason },
    );
  } else if (verdict.ok) {
    ctx.ui.out(`${ctx.ui.paint.green('✔')} evidence intact: ${verdict.count} events, head ${verdict.head}`);
  } else {
    ctx.ui.out(`${ctx.ui.paint.red('✖')} evidence broken at event #${verdict.brokenAt}: ${verdict.reason}`);
  }
  return verdict.ok ? ExitCode.ok : ExitCode.failed;
}

/** A path that exists is a file; anything else is a rollout ID looked up in the state store. */
async function verifyTarget(ctx: CommandContext, target: string): Promise<ChainVerdict> {
  const file = path.resolve(ctx.cwd, target);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isFile()) {
    const { readEvidenceLog, verifyEvidenceLog } = await import('../lib/evidence/log-file.js');
    return verifyEvidenceLog(await readEvidenceLog(file));
  }
  if (stat) throw new UsageError(`${target} is a directory, not an evidence log`);
  if (/[/\\]|\.(nd)?json$/i.test(target)) {
    throw new UsageError(`no such file: ${target}`, 'pass an exported log (NDJSON or JSON report) or a rollout ID');
  }
  return verifyStoredRollout(ctx, target);
}

async function verifyStoredRollout(ctx: CommandContext, rolloutId: string): Promise<ChainVerdict> {
  const [{ openStateStore }, { verifyChain }, { CorruptEventLogError }] = await Promise.all([
    import('../lib/state/open.js'),
    import('../lib/evidence/chain.js'),
    import('../lib/state/event-log-error.js'),
  ]);
  const store = await openStateStore(resolveStateUrl(ctx), { cwd: ctx.cwd });
  try {
    const record = await store.getRollout(rolloutId);
    let events;
    try {
      events = await store.readEvents(rolloutId);
    } catch (error) {
      // A stored log that cannot even be read back is broken evidence, not an unreachable store.
      if (error instanceof CorruptEventLogError) return { ok: false, count: error.position, brokenAt: error.position, reason: error.reason };
      throw error;
    }
    if (!record && events.length === 0) {
      throw new UsageError(`no rollout ${rolloutId} in the state store ${store.url}`, 'list rollouts with `rollgate rollout status`, or pass the path of an exported log');
    }
    const verdict = verifyChain(events);
    if (verdict.ok && verdict.count === 0) return { ok: false, count: 0, brokenAt: 1, reason: 'the log holds no events' };
    return verdict;
  } finally {
    await store.close();
  }
}
