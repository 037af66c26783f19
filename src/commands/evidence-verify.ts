/**
 * `rollgate evidence verify <ID|FILE> [--expect-head HASH]`: checks the hash chain of a rollout's
 * event log (from the state store, against the chain head the store keeps with the record) or of an
 * exported log file (against `--expect-head`, a head an auditor took from a report). Exit 0 intact,
 * 1 broken (naming the first bad event, and how many are missing when the tail was cut).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChainVerdict } from '../lib/log/chain.js';
import type { ExpectedHead } from '../lib/log/head.js';
import type { RolloutEvent } from '../lib/state/types.js';
import { ExitCode, UsageError } from '../lib/errors.js';
import { resolveStateUrl, type CommandContext } from './context.js';

export interface EvidenceVerifyOptions {
  target: string;
  expectHead?: string | undefined;
}

type Verdict = ChainVerdict & { missing?: number; note?: string; recordedHead?: { seq: number; hash: string } | null };

export async function run(ctx: CommandContext, options: EvidenceVerifyOptions): Promise<number> {
  const { parseExpectedHead } = await import('../lib/log/head.js');
  let expected: ExpectedHead | undefined;
  if (options.expectHead !== undefined) {
    expected = parseExpectedHead(options.expectHead);
    if (!expected) throw new UsageError(`--expect-head: "${options.expectHead}" is not a chain head`, 'pass the 64-hex-digit hash of the last event, optionally as SEQ:HASH (e.g. 17:3fa2…)');
  }
  const verdict = await verifyTarget(ctx, options.target, expected);
  if (ctx.global.json) {
    const extra = {
      ...(verdict.missing !== undefined ? { missing: verdict.missing } : {}),
      ...(verdict.recordedHead !== undefined ? { recordedHead: verdict.recordedHead } : {}),
      ...(expected ? { expectedHead: expected.hash } : {}),
      ...(verdict.note ? { note: verdict.note } : {}),
    };
    ctx.ui.json(
      verdict.ok
        ? { intact: true, events: verdict.count, head: verdict.head, ...extra }
        : { intact: false, events: verdict.count, head: null, brokenAt: verdict.brokenAt, reason: verdict.reason, ...extra },
    );
  } else if (verdict.ok) {
    ctx.ui.out(`${ctx.ui.paint.green('✔')} evidence intact: ${verdict.count} events, head ${verdict.head}`);
    if (verdict.note) ctx.ui.warn(verdict.note);
  } else {
    ctx.ui.out(`${ctx.ui.paint.red('✖')} evidence broken at event #${verdict.brokenAt}: ${verdict.reason}`);
  }
  return verdict.ok ? ExitCode.ok : ExitCode.failed;
}

/** A path that exists is a file; anything else is a rollout ID looked up in the state store. */
async function verifyTarget(ctx: CommandContext, target: string, expected: ExpectedHead | undefined): Promise<Verdict> {
  const file = path.resolve(ctx.cwd, target);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isFile()) {
    const { readEvidenceLog, verifyEvidenceLog } = await import('../lib/evidence/log-file.js');
    // Verified while it is read; the events are kept only when --expect-head needs to look them up.
    const log = await readEvidenceLog(file, { keep: expected !== undefined });
    const verdict = verifyEvidenceLog(log);
    if (!verdict.ok || !expected) return verdict;
    const [{ checkExpectedHead }, { withHeadCheck }] = await Promise.all([import('../lib/log/head.js'), import('../lib/log/stored-check.js')]);
    return withHeadCheck(verdict, checkExpectedHead(log.events as RolloutEvent[], expected));
  }
  if (stat) throw new UsageError(`${target} is a directory, not an evidence log`);
  if (/[/\\]|\.(nd)?json$/i.test(target)) {
    throw new UsageError(`no such file: ${target}`, 'pass an exported log (NDJSON or JSON report) or a rollout ID');
  }
  return verifyStoredRollout(ctx, target, expected);
}

async function verifyStoredRollout(ctx: CommandContext, rolloutId: string, expected: ExpectedHead | undefined): Promise<Verdict> {
  const [{ openStateStore }, { readStoredLog }] = await Promise.all([import('../lib/state/open.js'), import('../lib/log/stored-check.js')]);
  const store = await openStateStore(resolveStateUrl(ctx), { cwd: ctx.cwd });
  try {
    // A service name stands for its current (or newest) rollout, as for `evidence report`.
    let record = await store.getRollout(rolloutId);
    if (!record) {
      const { serviceRollout } = await import('../lib/rollout/find.js');
      record = await serviceRollout(store, rolloutId);
      if (record) rolloutId = record.rolloutId;
    }
    const { events, readable, verdict } = await readStoredLog(store, rolloutId, record, expected);
    if (!record && readable && events.length === 0) {
      throw new UsageError(`no rollout ${rolloutId} in the state store ${store.url}`, 'list rollouts with `rollgate rollout status`, or pass the path of an exported log');
    }
    return verdict;
  } finally {
    await store.close();
  }
}
