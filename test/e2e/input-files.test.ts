/**
 * A plan or policy file that does not exist, or a directory given as one, is said as
 * `nope.yaml: no such file` (no `:1:1:` position: nothing in the file is at fault), exit 2, by
 * every command that reads one — in CI (plain, first on the line) and on a terminal-less run with --json.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rollgate-input-files-'));
mkdirSync(join(dir, 'adir'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WINDOW = ['--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z'];
const COMMANDS: Array<[string, (file: string) => string[], 'plan' | 'policy']> = [
  ['plan validate', (f) => ['plan', 'validate', f], 'plan'],
  ['plan show', (f) => ['plan', 'show', f], 'plan'],
  ['plan backtest', (f) => ['plan', 'backtest', f, ...WINDOW], 'plan'],
  ['rollout run', (f) => ['rollout', 'run', f, '--state', `file:${join(dir, 'state')}`], 'plan'],
  ['gate check', (f) => ['gate', 'check', f], 'plan'],
  ['sla audit', (f) => ['sla', 'audit', f], 'policy'],
  ['sla rules', (f) => ['sla', 'rules', f], 'policy'],
  ['--policy of plan validate', (f) => ['plan', 'validate', join(import.meta.dirname, '../../playbooks/canary-standard.yaml'), '--policy', f], 'policy'],
];

describe('a missing file or a directory as the plan or policy', () => {
  it.each(COMMANDS)('%s: "nope.yaml: no such file", exit 2, first on its line', async (_name, args, what) => {
    const missing = await runCli(args('nope.yaml'), { cwd: dir });
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr.split('\n')).toContain('nope.yaml: no such file');
    expect(missing.stderr).not.toMatch(/:1:1:/);
    const directory = await runCli(args('adir'), { cwd: dir });
    expect(directory.code, directory.stderr).toBe(2);
    expect(directory.stderr.split('\n')).toContain(`adir: is a directory, not a ${what} file`);
    expect(directory.stderr).not.toMatch(/:1:1:/);
  });

  it('--json: the error document carries the issue with line and col 0, stderr says it once', async () => {
    const run = await runCli(['gate', 'check', 'nope.yaml', '--json'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { kind: 'plan', message: 'nope.yaml: no such file', issues: [{ file: 'nope.yaml', line: 0, col: 0, path: '', message: 'no such file' }] } });
    expect(run.stderr.split('\n').filter((line) => line.includes('no such file'))).toEqual(['nope.yaml: no such file']);
  });
});
