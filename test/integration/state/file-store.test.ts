import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/lib/errors.js';
import { FileStateStore } from '../../../src/lib/state/file-store.js';
import { CorruptEventLogError } from '../../../src/lib/state/event-log-error.js';
import { openStateStore } from '../../../src/lib/state/open.js';
import { chainedEvents, describeStateStoreContract, record } from './contract.js';

const dirs: string[] = [];
let root = '';

async function freshRoot(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rollgate-state-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeStateStoreContract('file', {
  reset: async () => {
    root = await freshRoot();
  },
  open: async () => openStateStore(`file:${root}`),
});

describe('file store specifics', () => {
  it('resolves file: URLs against cwd and refuses unknown schemes', async () => {
    const cwd = await freshRoot();
    expect((await openStateStore('file:./.rollgate', { cwd })).url).toBe(`file:${path.join(cwd, '.rollgate')}`);
    expect((await openStateStore(`file://${cwd}/x`)).url).toBe(`file:${path.join(cwd, 'x')}`);
    await expect(openStateStore('postgres://user:secret@db/x')).rejects.toBeInstanceOf(UsageError);
    await expect(openStateStore('postgres://user:secret@db/x')).rejects.not.toThrow(/secret/);
  });

  it('keeps the documented layout', async () => {
    const dir = await freshRoot();
    const store = new FileStateStore(dir);
    const r = record({ rolloutId: 'r-layout' });
    await store.createRollout(r);
    const [first] = chainedEvents('r-layout', 1);
    await store.appendEvent(first!);
    await store.acquireLock('checkout', { token: 't', rolloutId: 'r-layout', pid: process.pid, host: os.hostname(), user: 'u', acquiredAt: r.createdAt, heartbeatAt: r.createdAt, ttlMs: 1000 });
    // The record carries the chain head, moved by the append.
    expect(JSON.parse(await readFile(path.join(dir, 'rollouts/r-layout/record.json'), 'utf8'))).toEqual({ ...r, head: { seq: 1, hash: first!.hash } });
    expect((await readFile(path.join(dir, 'rollouts/r-layout/events.ndjson'), 'utf8')).split('\n')).toHaveLength(2);
    expect(JSON.parse(await readFile(path.join(dir, 'locks/checkout.json'), 'utf8')).token).toBe('t');
  });

  it('reports a torn last line instead of dropping it, for readers and writers', async () => {
    const dir = await freshRoot();
    const writer = new FileStateStore(dir);
    await writer.createRollout(record({ rolloutId: 'r-torn' }));
    const [e1, e2, e3] = chainedEvents('r-torn', 3);
    await writer.appendEvent(e1!);
    await writer.appendEvent(e2!);
    const file = path.join(dir, 'rollouts/r-torn/events.ndjson');
    // A crash half way through the third write: part of a line, no newline.
    await appendFile(file, JSON.stringify(e3).slice(0, 40));

    const reader = new FileStateStore(dir);
    const error = await reader.readEvents('r-torn').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptEventLogError);
    expect((error as CorruptEventLogError).position).toBe(3);
    expect((error as Error).message).toMatch(/incomplete/);
    // The writer's cached tail is outdated by the torn bytes: it must notice, not append after them.
    await expect(writer.appendEvent(e3!)).rejects.toBeInstanceOf(CorruptEventLogError);
    await expect(new FileStateStore(dir).appendEvent(e3!)).rejects.toBeInstanceOf(CorruptEventLogError);
  });

  it('reports a hand-edited line (valid JSON, not canonical) and a line that is not JSON', async () => {
    const dir = await freshRoot();
    const store = new FileStateStore(dir);
    await store.createRollout(record({ rolloutId: 'r-edit' }));
    for (const event of chainedEvents('r-edit', 2)) await store.appendEvent(event);
    const file = path.join(dir, 'rollouts/r-edit/events.ndjson');
    const [line1, line2] = (await readFile(file, 'utf8')).split('\n');
    await writeFile(file, `${line1}\n${JSON.stringify(JSON.parse(line2!), null, 1).replace(/\n/g, '')}\n`);
    await expect(store.readEvents('r-edit')).rejects.toMatchObject({ position: 2 });
    await writeFile(file, `${line1!.slice(1)}\n${line2}\n`);
    await expect(store.readEvents('r-edit')).rejects.toMatchObject({ position: 1, reason: expect.stringMatching(/not valid JSON/) });
  });

  it('clears a CAS guard left by a process that died inside it', async () => {
    const dir = await freshRoot();
    const store = new FileStateStore(dir);
    const owner = { token: 't', rolloutId: 'r', pid: process.pid, host: os.hostname(), user: 'u', acquiredAt: new Date().toISOString(), heartbeatAt: new Date().toISOString(), ttlMs: 1000 };
    await store.acquireLock('checkout', owner);
    const { mkdir, utimes } = await import('node:fs/promises');
    const guard = path.join(dir, 'locks/checkout.json.cas');
    await mkdir(guard);
    const old = new Date(Date.now() - 60_000);
    await utimes(guard, old, old);
    expect(await store.heartbeat('checkout', 't')).toBe(true);
  });
});
