/**
 * A plan or policy file that does not exist, or a directory given as one, is said as
 * `nope.yaml: no such file` (no `:1:1:` position: nothing in the file is at fault), exit 2, by
 * every command that reads one — in CI (plain, first on the line) and on a terminal-less run with --json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../support/cli.js';

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

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
describe.skipIf(!hasTmux)('on a terminal (tmux)', () => {
  it('diagnostics are styled (⚠/✖ in colour), the same words; CI=1 on the same terminal keeps them plain and first on the line', async () => {
    const socket = `rollgate-diag-${process.pid}`;
    const plan = 'test/fixtures/plans/warnings/shorthand-bake-and-for.yaml';
    const rollgate = `${process.execPath} ${BIN}`;
    const script = [
      `cd ${ROOT}`,
      `env -u CI -u NO_COLOR ${rollgate} plan validate ${plan} --set verison=v3`,
      `env -u CI -u NO_COLOR ${rollgate} plan validate ${dir}/nope.yaml`,
      `CI=1 ${rollgate} plan validate ${plan} --set verison=v3`,
      'echo DONE',
      'sleep 30',
    ].join('; ');
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '250', '-y', '40', script]);
      let screen = '';
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && !screen.includes('DONE'); await new Promise((r) => setTimeout(r, 100))) screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p', '-e'], { encoding: 'utf8' });
      const ESC = String.fromCharCode(27);
      const lines = screen.split('\n');
      const styled = lines.filter((line) => line.includes(`${ESC}[33m⚠${ESC}[39m ${plan}`));
      expect(styled, screen).toHaveLength(3);
      expect(styled[0]).toContain(`${plan}: warning: --set verison=...: the plan uses no var "verison"; the value is ignored`);
      expect(lines.some((line) => line.includes(`${ESC}[31m✖${ESC}[39m ${dir}/nope.yaml: no such file`))).toBe(true);
      // CI=1: no colour, the diagnostic first on its line.
      expect(lines.filter((line) => line.startsWith(`${plan}:19:9: warning: canary.bake: `))).toHaveLength(2);
      expect(lines.filter((line) => line.startsWith(`${plan}: warning: --set verison=`))).toHaveLength(1);
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
  });
});
