/**
 * Output contract fixes from issue 11 section 6, through the built binary: --json is one JSON
 * document or a usage error, HTML is never dumped on a terminal, `--version --json`, help for a
 * nested command, commander's own errors naming the help to run, and URLs from flags and the
 * environment checked before anything is sent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/lib/state/file-store.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';
import { BIN, ROOT, runCli } from '../support/cli.js';

const LOG = 'test/fixtures/evidence/rolled-back-gate.ndjson';

describe('evidence report output', () => {
  it('--json: the json report is the one document; other formats need --out (then a JSON summary)', async () => {
    const json = await runCli(['evidence', 'report', LOG, '--format', 'json', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    for (const format of ['md', 'junit', 'html']) {
      const refused = await runCli(['evidence', 'report', LOG, '--format', format, '--json']);
      expect(refused.code, format).toBe(2);
      expect(JSON.parse(refused.stdout)).toMatchObject({ schemaVersion: 1, error: { kind: 'usage' } });
      expect(refused.stderr).toContain(`--json with --format ${format}: stdout would not be JSON`);
    }
    // Without --format: worded for what was typed (md is the default), not for a flag never given.
    const implied = await runCli(['evidence', 'report', LOG, '--json']);
    expect(implied.code).toBe(2);
    expect(implied.stderr).toContain('--json: the report is Markdown by default (--format md), not JSON');
    expect(implied.stderr).not.toContain('--json with --format');
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-out-'));
    try {
      const written = await runCli(['evidence', 'report', LOG, '--format', 'junit', '--out', join(dir, 'r.xml'), '--json']);
      expect(written.code, written.stderr).toBe(0);
      expect(JSON.parse(written.stdout)).toMatchObject({ schemaVersion: 1, format: 'junit', out: join(dir, 'r.xml') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const hasTmux = spawnSync('tmux', ['-V']).status === 0;
  it.skipIf(!hasTmux)('--format html on a terminal without --out is refused; piped it is written', async () => {
    const socket = `rollgate-output-${process.pid}`;
    try {
      execFileSync('tmux', ['-L', socket, 'new-session', '-d', '-x', '120', '-y', '20', `cd ${ROOT} && env -u CI ${process.execPath} ${BIN} evidence report ${LOG} --format html; echo EXIT=$?; sleep 30`]);
      let screen = '';
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 100))) screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p'], { encoding: 'utf8' });
      expect(screen).toMatch(/EXIT=2/);
      expect(screen).toContain('--format html on a terminal: pass --out FILE');
      expect(screen).not.toContain('<html');
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    }
    const piped = await runCli(['evidence', 'report', LOG, '--format', 'html']);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/^<!doctype html>/i);
  });
});

describe('evidence verify SERVICE', () => {
  it('a service name stands for its newest rollout, as for evidence report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-verify-'));
    try {
      const events = readFileSync(join(ROOT, 'test/fixtures/evidence/promoted.ndjson'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as RolloutEvent);
      const first = events[0]!;
      const store = new FileStateStore(join(dir, 'state'));
      await store.createRollout({ rolloutId: first.rolloutId, service: 'checkout', planName: 'promoted', planFile: 'promoted.yaml', planSha256: '0'.repeat(64), status: 'promoted', step: 0, weight: 100, createdAt: first.at, updatedAt: events.at(-1)!.at });
      for (const event of events) await store.appendEvent(event);
      await store.close();
      const state = `file:${join(dir, 'state')}`;
      const byService = await runCli(['evidence', 'verify', 'checkout', '--state', state]);
      expect(byService.code, byService.stderr).toBe(0);
      expect(byService.stdout).toMatch(new RegExp(`evidence intact: ${events.length} events, head ${events.at(-1)!.hash}`));
      const unknown = await runCli(['evidence', 'verify', 'nobody', '--state', state]);
      expect(unknown.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI frame additions', () => {
  it('--version --json is one JSON document', async () => {
    const result = await runCli(['--version', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ schemaVersion: 1, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('completion --json is one JSON document holding the script', async () => {
    const plain = await runCli(['completion', 'bash']);
    const json = await runCli(['--json', 'completion', 'bash']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ schemaVersion: 1, shell: 'bash', script: plain.stdout });
  });

  it('help takes a nested command; subcommand help lists the inherited global flags; group pages have examples', async () => {
    const nested = await runCli(['help', 'rollout', 'run']);
    expect(nested.code, nested.stderr).toBe(0);
    expect(nested.stdout).toMatch(/^Usage: rollgate rollout run \[options\] <plan>/);
    expect(nested.stdout).toMatch(/Global Options:[\s\S]*--state <url>/);
    for (const group of ['plan', 'gate', 'rollout', 'evidence']) {
      const page = await runCli([group, '--help']);
      expect(page.stdout, group).toMatch(new RegExp(`Examples:\\n  \\$ rollgate ${group} `));
    }
    const unknown = await runCli(['help', 'rollout', 'nope']);
    expect(unknown.code).toBe(2);
  });

  it("commander's errors name the help to run", async () => {
    const result = await runCli(['rollout', 'run', '--bogus', 'x.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: unknown option '--bogus'\nhint: run rollgate rollout run --help for usage\n");
  });

  it('a bad Prometheus URL from the flag or the environment is a usage error (exit 2), said once', async () => {
    const flag = await runCli(['gate', 'check', 'playbooks/canary-standard.yaml', '--prometheus', '127.0.0.1:9']);
    expect(flag.code).toBe(2);
    expect(flag.stderr.match(/127\.0\.0\.1:9: not a URL/g)).toHaveLength(1);
    expect(flag.stderr).toContain('hint: for example: http://127.0.0.1:9');
    const env = await runCli(['gate', 'check', 'playbooks/canary-standard.yaml'], { env: { ROLLGATE_PROMETHEUS_URL: 'localhost:9090' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('ROLLGATE_PROMETHEUS_URL localhost:9090: not an http:// or https:// URL');
  });
});

