import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isLockDead, pidExists } from '../../../src/lib/state/lock-liveness.js';
import type { LockOwner } from '../../../src/lib/state/types.js';

const now = new Date('2026-01-01T12:00:00.000Z');
const owner = (overrides: Partial<LockOwner>): LockOwner => ({
  token: 't',
  rolloutId: 'r',
  pid: process.pid,
  host: 'here',
  user: 'u',
  acquiredAt: now.toISOString(),
  heartbeatAt: now.toISOString(),
  ttlMs: 30_000,
  ...overrides,
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid!;
}

describe('isLockDead', () => {
  it('same host: dead at once when the pid is gone, alive while it runs with a fresh heartbeat', async () => {
    expect(isLockDead(owner({ pid: await deadPid() }), now, 'here')).toBe(true);
    expect(isLockDead(owner({}), now, 'here')).toBe(false);
  });

  it('same host, live pid, heartbeat past the TTL (a reused pid after a reboot): dead', () => {
    expect(isLockDead(owner({ heartbeatAt: '2026-01-01T11:59:29.000Z' }), now, 'here')).toBe(true);
  });

  it('another host: judged by heartbeat age against the TTL only', async () => {
    const pid = await deadPid();
    expect(isLockDead(owner({ host: 'there', pid, heartbeatAt: '2026-01-01T11:59:31.000Z' }), now, 'here')).toBe(false);
    expect(isLockDead(owner({ host: 'there', pid, heartbeatAt: '2026-01-01T11:59:29.000Z' }), now, 'here')).toBe(true);
  });

  it('never judges an unreadable heartbeat dead, and never signals pid 0 or negative pids', () => {
    expect(isLockDead(owner({ host: 'there', heartbeatAt: 'yesterday' }), now, 'here')).toBe(false);
    expect(pidExists(0)).toBe(false);
    expect(pidExists(-1)).toBe(false);
    expect(pidExists(process.pid)).toBe(true);
  });
});
