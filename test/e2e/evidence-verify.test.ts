/**
 * `rollgate evidence verify` as a user runs it: the built binary, CI=1, stdout/stderr/exit code apart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/lib/evidence/chain.js';
import { formatNdjson } from '../../src/lib/evidence/log-file.js';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import { openStateStore } from '../../src/lib/state/open.js';
import { startRedis } from '../support/redis.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(repo, 'bin/rollgate');
let dir = '';
let events: RolloutEvent[] = [];

function rollgate(args: string[], cwd = dir): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
  delete env.ROLLGATE_STATE;
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  // `npm test` builds first; build here only when run on its own from a clean tree.
  if (!existsSync(path.join(repo, 'dist/commands/evidence-verify.js'))) spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'ignore' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-verify-'));
  // A real rollout log in the default file store of `dir`.
  const store = new FileStateStore(path.join(dir, '.rollgate'));
  const now = new Date().toISOString();
  await store.createRollout({ rolloutId: 'r-e2e', service: 'checkout', planName: 'p', planFile: 'plan.yaml', planSha256: 'a'.repeat(64), status: 'running', step: -1, weight: 0, createdAt: now, updatedAt: now });
  const log = await EventLog.open(store, 'r-e2e');
  await log.append('rollout.started', { planSha256: 'a'.repeat(64) });
  await log.append('weight.applied', { weight: 10, exitCode: 0 });
  await log.append('measurement', { gate: 'error-rate', value: 0.002, threshold: 0.01, verdict: 'pass' });
  events = await store.readEvents('r-e2e');
  await writeFile(path.join(dir, 'intact.ndjson'), formatNdjson(events));
  await writeFile(path.join(dir, 'tampered.ndjson'), formatNdjson(events).replace('"weight":10', '"weight":50'));
  await writeFile(path.join(dir, 'report.json'), JSON.stringify({ schemaVersion: 1, summary: {}, events }, null, 2));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rollgate evidence verify', () => {
  it('an intact NDJSON log: exit 0, one line on stdout', () => {
    const { code, stdout, stderr } = rollgate(['evidence', 'verify', 'intact.ndjson']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(`✔ evidence intact: 3 events, head ${events[2]!.hash}\n`);
  });

  it('a tampered log: exit 1 naming the event', () => {
    const { code, stdout } = rollgate(['evidence', 'verify', 'tampered.ndjson']);
    expect(code).toBe(1);
    expect(stdout).toBe('✖ evidence broken at event #2: content does not match its hash (the event was altered)\n');
  });

  it('--json: one document with schemaVersion', () => {
    const intact = rollgate(['evidence', 'verify', 'report.json', '--json']);
    expect(intact.code).toBe(0);
    expect(JSON.parse(intact.stdout)).toEqual({ schemaVersion: 1, intact: true, events: 3, head: events[2]!.hash });
    const broken = rollgate(['--json', 'evidence', 'verify', 'tampered.ndjson']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toEqual({ schemaVersion: 1, intact: false, events: 3, head: null, brokenAt: 2, reason: expect.stringMatching(/altered/) });
  });

  it('a rollout ID from the state store (default file:./.rollgate), intact then with one byte flipped', async () => {
    const ok = rollgate(['evidence', 'verify', 'r-e2e']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^✔ evidence intact: 3 events, head [0-9a-f]{64}\n$/);

    const file = path.join(dir, '.rollgate/rollouts/r-e2e/events.ndjson');
    const original = await readFile(file);
    const flipped = Buffer.from(original);
    const at = flipped.indexOf('error-rate');
    flipped[at] = flipped[at]! ^ 0x20; // 'e' → 'E'
    await writeFile(file, flipped);
    try {
      const broken = rollgate(['evidence', 'verify', 'r-e2e', '--json']);
      expect(broken.code).toBe(1);
      expect(JSON.parse(broken.stdout)).toMatchObject({ intact: false, brokenAt: 3 });
    } finally {
      await writeFile(file, original);
    }
  });

  it('a log whose tail was cut: exit 1, saying how many events are missing (file store, against the recorded head)', async () => {
    const file = path.join(dir, '.rollgate/rollouts/r-e2e/events.ndjson');
    const original = await readFile(file, 'utf8');
    // Cutting whole lines leaves a chain that verifies on its own: only the head shows the loss.
    await writeFile(file, original.split('\n').slice(0, 1).join('\n') + '\n');
    try {
      const cut = rollgate(['evidence', 'verify', 'r-e2e']);
      expect(cut.code).toBe(1);
      expect(cut.stdout).toBe('✖ evidence broken at event #2: the log ends at event #1 but its recorded head is #3: 2 events are missing from the end (the tail was cut off)\n');
      const json = JSON.parse(rollgate(['evidence', 'verify', 'r-e2e', '--json']).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ intact: false, missing: 2, brokenAt: 2, recordedHead: { seq: 3, hash: events[2]!.hash } });
      await writeFile(file, '');
      expect(rollgate(['evidence', 'verify', 'r-e2e']).stdout).toMatch(/3 events are missing/);
    } finally {
      await writeFile(file, original);
    }
  });

  it('a log one event ahead of its head (a crash between the two writes of an append) is intact, and says so', async () => {
    const recordFile = path.join(dir, '.rollgate/rollouts/r-e2e/record.json');
    const original = await readFile(recordFile, 'utf8');
    const record = JSON.parse(original) as { head: { seq: number; hash: string } };
    await writeFile(recordFile, JSON.stringify({ ...record, head: { seq: 2, hash: events[1]!.hash } }));
    try {
      const ahead = rollgate(['evidence', 'verify', 'r-e2e']);
      expect(ahead.code).toBe(0);
      expect(ahead.stderr).toMatch(/event #3 was written but the head not yet moved to it/);
      // Two behind the log is not a crash: refused.
      await writeFile(recordFile, JSON.stringify({ ...record, head: { seq: 1, hash: events[0]!.hash } }));
      expect(rollgate(['evidence', 'verify', 'r-e2e']).code).toBe(1);
      // A head whose hash is not the log's: the end was replaced.
      await writeFile(recordFile, JSON.stringify({ ...record, head: { seq: 3, hash: 'f'.repeat(64) } }));
      expect(rollgate(['evidence', 'verify', 'r-e2e']).stdout).toMatch(/does not match the recorded chain head/);
    } finally {
      await writeFile(recordFile, original);
    }
  });

  it('--expect-head checks an exported copy offline: intact, cut (missing count with SEQ:HASH), or going on', async () => {
    const head = events[2]!.hash!;
    expect(rollgate(['evidence', 'verify', 'intact.ndjson', '--expect-head', head]).code).toBe(0);
    expect(rollgate(['evidence', 'verify', 'report.json', '--expect-head', `3:${head}`]).code).toBe(0);
    await writeFile(path.join(dir, 'cut.ndjson'), formatNdjson(events.slice(0, 1)));
    // Without the expected head, a cut copy is a valid (shorter) chain: exactly what --expect-head is for.
    expect(rollgate(['evidence', 'verify', 'cut.ndjson']).code).toBe(0);
    const cut = rollgate(['evidence', 'verify', 'cut.ndjson', '--expect-head', `3:${head}`]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/2 events are missing from the end/);
    expect(rollgate(['evidence', 'verify', 'cut.ndjson', '--expect-head', head]).stdout).toMatch(/is not in this log/);
    const earlier = rollgate(['evidence', 'verify', 'intact.ndjson', '--expect-head', events[0]!.hash!, '--json']);
    expect(earlier.code).toBe(1);
    expect(JSON.parse(earlier.stdout)).toMatchObject({ intact: false, reason: expect.stringMatching(/goes on for 2 events after the expected head #1/) });
    expect(rollgate(['evidence', 'verify', 'r-e2e', '--expect-head', head]).code).toBe(0);
    const bad = rollgate(['evidence', 'verify', 'intact.ndjson', '--expect-head', 'xyz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expect-head: "xyz" is not a chain head');
  });

  it('a Redis stream whose tail was trimmed: exit 1 with the missing count (the head is set in the same script as XADD)', async () => {
    const redis = await startRedis();
    try {
      const url = `${redis.url.replace(/\/\d*$/, '')}/2`;
      const store = await openStateStore(url);
      const now = new Date().toISOString();
      await store.createRollout({ rolloutId: 'r-redis', service: 'checkout', planName: 'p', planFile: 'plan.yaml', planSha256: 'a'.repeat(64), status: 'running', step: -1, weight: 0, createdAt: now, updatedAt: now });
      const log = await EventLog.open(store, 'r-redis');
      for (let i = 0; i < 4; i += 1) await log.append('test.event', { i });
      expect(rollgate(['evidence', 'verify', 'r-redis', '--state', url]).code).toBe(0);
      // Cut the last two entries off the stream, wherever the key layout puts it.
      const { Redis } = await import('ioredis');
      const client = new Redis(url);
      try {
        const [streamKey] = (await client.keys('*events*r-redis*')) as string[];
        const entries = await client.xrange(streamKey!, '-', '+');
        await client.xdel(streamKey!, ...entries.slice(2).map(([id]) => id));
      } finally {
        client.disconnect();
      }
      const cut = rollgate(['evidence', 'verify', 'r-redis', '--state', url, '--json']);
      expect(cut.code).toBe(1);
      expect(JSON.parse(cut.stdout)).toMatchObject({ intact: false, missing: 2, recordedHead: { seq: 4 } });
      await store.close();
    } finally {
      await redis.stop();
    }
  }, 60_000);

  it('an unknown rollout ID or a missing file is a usage error (exit 2) naming the store', () => {
    const unknown = rollgate(['evidence', 'verify', 'r-nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain(`no rollout r-nope in the state store file:${path.join(dir, '.rollgate')}`);
    expect(rollgate(['evidence', 'verify', 'missing.ndjson']).code).toBe(2);
  });
});
