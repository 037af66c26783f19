/** `rollgate evidence report` through the built binary: formats, --out, --force, errors. */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvidenceLog, verifyEvidenceLog } from '../../src/lib/evidence/log-file.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';
import { runCli } from '../support/cli.js';
import { storeRecordedRollout } from '../support/stored-rollout.js';
import { SECRETS } from '../support/evidence-secrets.js';
import { FIXTURE_DIR } from '../unit/evidence/report/fixtures.js';

let dir: string;
let stateUrl: string;
let rolloutId: string;

function events(file: string): RolloutEvent[] {
  return parseEvidenceLog(readFileSync(join(FIXTURE_DIR, file))).events as RolloutEvent[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-report-e2e-'));
  stateUrl = `file:${join(dir, 'state')}`;
  // The recorded gate rollback, put into a real file store as the engine would have left it.
  const log = events('rolled-back-gate.ndjson');
  rolloutId = log[0]!.rolloutId;
  await storeRecordedRollout(stateUrl, log);
  cpSync(join(FIXTURE_DIR, 'approved.ndjson'), join(dir, 'approved.ndjson'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--state', stateUrl], { cwd: dir });

describe('rollgate evidence report', () => {
  it('prints each format to stdout, by rollout ID and by service', async () => {
    const md = await cli(['evidence', 'report', rolloutId]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^# Rollout checkout-\S+: rolled back\n\n\*\*Rolled back from 25% at step 2 of 3: gate error-rate failed/);
    expect(md.stderr).toBe('');

    const byService = await cli(['evidence', 'report', 'checkout', '--format', 'json']);
    expect(byService.code, byService.stderr).toBe(0);
    const doc = JSON.parse(byService.stdout) as { schemaVersion: number; summary: { rolloutId: string }; events: unknown[] };
    expect(doc).toMatchObject({ schemaVersion: 1, summary: { rolloutId } });
    expect(verifyEvidenceLog(parseEvidenceLog(byService.stdout)).ok).toBe(true);

    const html = await cli(['evidence', 'report', rolloutId, '--format', 'html']);
    expect(html.stdout).toMatch(/^<!DOCTYPE html>/);
    const junit = await cli(['evidence', 'report', rolloutId, '--format', 'junit']);
    expect(junit.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    // The failure's value once, at the precision its reason was recorded with.
    expect(junit.stdout).toMatch(/<failure message="failed: 0\.124\d* &gt; max 0\.05"/);
    for (const out of [md, byService, html, junit]) for (const secret of Object.values(SECRETS)) expect(out.stdout + out.stderr).not.toContain(secret);
  });

  it('the JSON report verifies with `evidence verify`', async () => {
    const written = await cli(['evidence', 'report', rolloutId, '--format', 'json', '--out', 'report.json']);
    expect(written.code, written.stderr).toBe(0);
    const verify = await cli(['evidence', 'verify', 'report.json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('evidence intact: 27 events');
  });

  it('renders an exported NDJSON log', async () => {
    const result = await cli(['evidence', 'report', 'approved.ndjson', '--format', 'md']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\*\*Promoted: checkout reached 100% after 2 steps in \d+s; 1 gate measured, no critical gate failed, approved by .*deploy/);
  });

  it('--out writes the file atomically, refuses to overwrite (exit 2) unless --force', async () => {
    const first = await cli(['evidence', 'report', rolloutId, '--format', 'html', '--out', 'report.html']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toContain('html report of');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);

    writeFileSync(join(dir, 'report.html'), 'keep me');
    const refused = await cli(['evidence', 'report', rolloutId, '--format', 'html', '--out', 'report.html']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--out report.html already exists; not overwriting it');
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe('keep me');

    const forced = await cli(['evidence', 'report', rolloutId, '--format', 'junit', '--out', 'report.html', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<\?xml/);
    // No temp file is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an unknown rollout, a missing file or a bad format is a usage error (exit 2), without a stack trace', async () => {
    const unknown = await cli(['evidence', 'report', 'no-such-rollout']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no rollout or service "no-such-rollout"');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const missing = await cli(['evidence', 'report', 'gone.ndjson']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file: gone.ndjson');
    const format = await cli(['evidence', 'report', rolloutId, '--format', 'pdf']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/argument 'pdf' is invalid|Allowed choices are md, html, json, junit/);
    const noDir = await cli(['evidence', 'report', rolloutId, '--out', 'nope/report.md']);
    expect(noDir.code).toBe(2);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });

  it('--help ends with examples', async () => {
    const help = await runCli(['evidence', 'report', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n(  \$ rollgate evidence report .+\n){3}/);
  });
});
