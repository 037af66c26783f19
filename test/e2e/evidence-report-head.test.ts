/**
 * `rollgate evidence report` judges a stored log as `evidence verify` does: the chain and the log
 * against the chain head the store recorded. A report of a log whose tail was cut says so in every
 * format (never looks clean) and exits 1, on the file store and on Redis.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNdjson, parseEvidenceLog } from '../../src/lib/evidence/log-file.js';
import { GENESIS_PREV, hashEvent } from '../../src/lib/log/chain.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { storeRecordedRollout } from '../support/stored-rollout.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { FIXTURE_DIR } from '../unit/evidence/report/fixtures.js';

const log = parseEvidenceLog(readFileSync(join(FIXTURE_DIR, 'rolled-back-gate.ndjson'))).events as RolloutEvent[];
const rolloutId = log[0]!.rolloutId;
const total = log.length;
const CUT = 5;
let dir: string;
let redis: RedisServer;

/** The recorded gate rollback put into a real store as the engine left it (head moved with each append). */
const record = (stateUrl: string) => storeRecordedRollout(stateUrl, log, { cwd: dir });

const report = (stateUrl: string, args: string[]) => runCli(['evidence', 'report', rolloutId, ...args, '--state', stateUrl], { cwd: dir });

/** Every format of the report of a cut log: exit 1, and the cut named in the report itself. */
async function expectCutInEveryFormat(stateUrl: string): Promise<void> {
  const missing = `${CUT} events are missing from the end (the tail was cut off)`;
  const md = await report(stateUrl, ['--format', 'md']);
  expect(md.code, md.stderr).toBe(1);
  expect(md.stdout).toContain(`**❌ Evidence chain broken at event #${total - CUT + 1}:** the log ends at event #${total - CUT} but its recorded head is #${total}: ${missing}`);
  expect(md.stderr).toContain(missing);

  const html = await report(stateUrl, ['--format', 'html']);
  expect(html.code).toBe(1);
  expect(html.stdout).toMatch(new RegExp(`<p class="banner broken" role="alert">✖ Evidence chain broken at event #${total - CUT + 1}: [^<]*${CUT} events are missing`));

  const junit = await report(stateUrl, ['--format', 'junit']);
  expect(junit.code).toBe(1);
  expect(junit.stdout).toContain(`name="evidence chain" time="0"><failure message="BROKEN at event #${total - CUT + 1}: the log ends at event #${total - CUT}`);

  const json = await report(stateUrl, ['--format', 'json']);
  expect(json.code).toBe(1);
  const doc = JSON.parse(json.stdout) as { summary: { chain: Record<string, unknown> }; events: unknown[] };
  expect(doc.summary.chain).toMatchObject({ intact: false, head: null, missing: CUT, brokenAt: total - CUT + 1, recordedHead: { seq: total, hash: log.at(-1)!.hash } });
  expect(doc.events).toHaveLength(total - CUT);

  // --out with --json: the written-file summary says it too, and the report file is still written.
  const written = await report(stateUrl, ['--format', 'junit', '--out', 'cut.xml', '--force', '--json']);
  expect(written.code).toBe(1);
  expect(JSON.parse(written.stdout)).toMatchObject({ chainIntact: false, missing: CUT, brokenAt: total - CUT + 1 });
  expect(readFileSync(join(dir, 'cut.xml'), 'utf8')).toContain('evidence-broken');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-report-head-'));
  redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('evidence report against the recorded chain head', () => {
  it('file store: intact says it matches the recorded head; a cut tail fails every format (exit 1); a log cut to nothing exits 1', async () => {
    const stateUrl = `file:${join(dir, 'state')}`;
    await record(stateUrl);
    const intact = await report(stateUrl, ['--format', 'md']);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toContain(`intact: ${total} events, head ${log.at(-1)!.hash}, matching the chain head the state store recorded`);
    expect(intact.stderr).toBe('');
    const json = JSON.parse((await report(stateUrl, ['--format', 'json'])).stdout) as { summary: { chain: Record<string, unknown> } };
    expect(json.summary.chain).toEqual({ intact: true, events: total, head: log.at(-1)!.hash, recordedHead: { seq: total, hash: log.at(-1)!.hash } });

    // Whole lines cut off the end: the chain alone still verifies; only the head shows the loss.
    const file = join(dir, 'state/rollouts', rolloutId, 'events.ndjson');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.split('\n').slice(0, total - CUT).join('\n') + '\n');
    try {
      await expectCutInEveryFormat(stateUrl);
      // `verify` and `report` agree on the same log.
      const verify = await runCli(['evidence', 'verify', rolloutId, '--state', stateUrl, '--json'], { cwd: dir });
      expect(verify.code).toBe(1);
      expect(JSON.parse(verify.stdout)).toMatchObject({ intact: false, missing: CUT, brokenAt: total - CUT + 1 });

      // Nothing left to render: still exit 1 (broken evidence), not a usage error.
      writeFileSync(file, '');
      const empty = await report(stateUrl, ['--format', 'md']);
      expect(empty.code).toBe(1);
      expect(empty.stdout).toBe('');
      expect(empty.stderr).toContain(`${total} events are missing from the end`);
    } finally {
      writeFileSync(file, original);
    }
    expect((await report(stateUrl, ['--format', 'md'])).code).toBe(0);
  });

  it('Redis: a trimmed stream fails every format with the missing count (exit 1)', async () => {
    const stateUrl = `${redis.url.replace(/\/\d*$/, '')}/3`;
    await record(stateUrl);
    expect((await report(stateUrl, ['--format', 'md'])).code).toBe(0);
    const { Redis } = await import('ioredis');
    const client = new Redis(stateUrl);
    try {
      const [streamKey] = (await client.keys(`*events*${rolloutId}*`)) as string[];
      const entries = await client.xrange(streamKey!, '-', '+');
      expect(entries).toHaveLength(total);
      await client.xdel(streamKey!, ...entries.slice(total - CUT).map(([id]) => id));
    } finally {
      client.disconnect();
    }
    await expectCutInEveryFormat(stateUrl);
  }, 120_000);

  it('an exported log is summarised while it is read: same secrets masked (from the plan\'s token file), same exit codes', async () => {
    const token = 'file-secret-Vb41qLm8';
    writeFileSync(join(dir, 'token'), `${token}\n`);
    const events = structuredClone(log);
    const plan = (events[0]!.data as { plan: { prometheus: Record<string, unknown> } }).plan;
    plan.prometheus.bearerTokenFile = join(dir, 'token');
    const measurement = events.find((e) => e.type === 'measurement' && e.data.verdict === 'fail')!;
    measurement.data.reason = `server said: bad token ${token}`;
    let prev = GENESIS_PREV;
    const chained = events.map((event) => {
      const { hash: _old, ...body } = { ...event, prev };
      prev = hashEvent(body);
      return { ...body, hash: prev };
    });
    writeFileSync(join(dir, 'leaky.ndjson'), formatNdjson(chained));
    for (const format of ['md', 'html', 'junit', 'json']) {
      const result = await runCli(['evidence', 'report', 'leaky.ndjson', '--format', format], { cwd: dir });
      expect(result.code, result.stderr).toBe(0);
      // Shown masked where each format shows a failing measurement's reason.
      expect(result.stdout).toMatch(/server said: bad token (\\?\*){3}/);
      expect(result.stdout + result.stderr).not.toContain(token);
    }
    // A broken exported log: written, says so, exit 1 (every format, streamed or not).
    writeFileSync(join(dir, 'broken.ndjson'), formatNdjson(chained).replace('bad token', 'good token'));
    for (const format of ['md', 'html', 'junit', 'json']) {
      const result = await runCli(['evidence', 'report', 'broken.ndjson', '--format', format], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/BROKEN at event #\d+: content does not match its hash|Evidence chain broken at event #\d+|"intact": false/);
      expect(result.stdout).not.toContain(token);
    }
  });

  it('a reader that stops early (| head) ends the streamed report quietly: no EPIPE crash, no stack trace', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const big = join(dir, 'big.ndjson');
    execFileSync(process.execPath, [join(ROOT, 'bench/report-render.mjs'), '--write-log', big, '--events', '3000']);
    for (const format of ['json', 'html']) {
      const result = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" evidence report "${big}" --format ${format} | head -c 100 >/dev/null; echo "exit \${PIPESTATUS:-0}"`], { encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 60_000 });
      expect(result.stderr).not.toMatch(/EPIPE|Unhandled|at writeChunks/);
    }
  }, 90_000);
});
