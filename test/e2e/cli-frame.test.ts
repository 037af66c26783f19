import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { ANSI, BIN, CI_ENV, ROOT, runCli } from '../support/cli.js';

const HEAVY = ['ioredis', 'axios', '@inquirer/prompts', 'ora', 'execa', 'cli-table3'];
const TRACE = fileURLToPath(new URL('../support/module-trace/register.mjs', import.meta.url));

let lastTrace = '';
function traceFile(): string {
  lastTrace = join(mkdtempSync(join(tmpdir(), 'rollgate-trace-')), 'trace.txt');
  writeFileSync(lastTrace, '');
  return lastTrace;
}

async function packagesLoadedBy(args: string[]): Promise<string[]> {
  const out = traceFile();
  const result = await runCli(args, { nodeArgs: ['--import', TRACE], env: { MODULE_TRACE_FILE: out } });
  expect(result.code).toBe(0);
  return readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

describe('CLI frame', () => {
  it('--help and --version load none of the heavy modules', async () => {
    // --version is answered by bin/rollgate before any of the CLI loads.
    expect(await packagesLoadedBy(['--version'])).toEqual([]);
    for (const args of [['--help'], ['--version', '--json'], ['help', 'exit-codes'], ['rollout', 'run', '--help']]) {
      const loaded = await packagesLoadedBy(args);
      // The trace works: commander is imported by name (tsc output) or the bundle ran (it inlines commander).
      expect(loaded.some((p) => p === 'commander' || p === 'rollgate-bundle')).toBe(true);
      for (const heavy of HEAVY) expect(loaded.filter((p) => p === heavy || p.startsWith(`${heavy}/`)), `${args.join(' ')} loaded ${heavy}`).toEqual([]);
    }
    // And it sees a heavy package when one is loaded: a Redis state store brings ioredis.
    const redis = await runCli(['--json', 'rollout', 'status', '--state', 'redis://127.0.0.1:1/0'], { nodeArgs: ['--import', TRACE], env: { MODULE_TRACE_FILE: traceFile() } });
    expect(redis.code).toBe(3);
    expect(readFileSync(lastTrace, 'utf8').split('\n')).toContain('ioredis');
  });

  it('a reader that closes the pipe early (| head -1) is no error: no EPIPE stack, the command\'s own exit code', async () => {
    for (const args of [['--help'], ['plan', 'show', 'playbooks/canary-standard.yaml'], ['help', 'exit-codes']]) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...CI_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the first line
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(stderr, args.join(' ')).not.toContain('EPIPE');
      expect(code, args.join(' ')).toBe(0);
    }
  });

  it('prints the exit code table', async () => {
    const result = await runCli(['help', 'exit-codes']);
    expect(result.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '4', '5', '130']) expect(result.stdout).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
    expect(result.stdout).toContain('rollback failed or is incomplete');
    const json = await runCli(['--json', 'help', 'exit-codes']);
    const doc = JSON.parse(json.stdout) as { schemaVersion: number; exitCodes: Array<{ code: number }> };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.exitCodes.map((e) => e.code)).toEqual([0, 1, 2, 3, 4, 5, 130]);
  });

  it('every command help ends with examples', async () => {
    const commands = [['plan', 'validate'], ['plan', 'show'], ['schema'], ['gate', 'check'], ['rollout', 'run'], ['rollout', 'status'], ['rollout', 'approve'], ['rollout', 'resume'], ['rollback'], ['evidence', 'verify']];
    for (const command of commands) {
      const result = await runCli([...command, '--help']);
      expect(result.code, command.join(' ')).toBe(0);
      const examples = result.stdout.split('Examples:')[1] ?? '';
      expect(examples.match(/\$ rollgate /g)?.length ?? 0, command.join(' ')).toBeGreaterThanOrEqual(2);
    }
  });

  it('a usage error exits 2 with a message and, with --json, only an error document on stdout', async () => {
    const result = await runCli(['rollout', 'run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'plan'");
    expect(result.stdout).toBe('');
    const json = await runCli(['--json', 'no-such-command']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, error: { kind: 'usage' } });
  });

  it('no ANSI escape in plain mode; no stack trace without --verbose', async () => {
    const result = await runCli(['rollout', 'status', 'nothing-here'], { env: { ROLLGATE_STATE: `file:${mkdtempSync(join(tmpdir(), 'rollgate-state-'))}` } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z error no rollout or service "nothing-here"/m);
    expect(result.stderr).not.toMatch(ANSI);
    expect(result.stderr).not.toContain('    at ');
  });

  it('an unreachable state store exits 3 naming its address', async () => {
    const result = await runCli(['rollout', 'status', '--state', 'redis://127.0.0.1:1/0']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('redis://127.0.0.1:1/0');
  });
});
