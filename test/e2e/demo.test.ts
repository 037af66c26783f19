/**
 * `rollgate demo` as a user runs it: the built binary, CI=1, a real Prometheus from PATH. One
 * healthy rollout promoted, one faulty rollout rolled back, evidence that verifies, nothing left
 * running afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(repo, 'bin/rollgate');
let tmp = '';

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', ...extra };
  delete env.ROLLGATE_STATE;
  delete env.ROLLGATE_PROMETHEUS_URL;
  delete env.FORCE_COLOR;
  return env;
}

/** Runs the binary without blocking the event loop (the demo takes ~30 s). */
function rollgate(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), options.timeoutMs ?? 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(async () => {
  // `npm test` builds first; build here only when run on its own from a clean tree.
  if (!existsSync(path.join(repo, 'dist/commands/demo.js'))) spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'ignore' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-demo-'));
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('rollgate demo', () => {
  it('promotes the healthy rollout, rolls the faulty one back, and leaves evidence that verifies', async () => {
    const dir = path.join(tmp, 'demo');
    const run = await rollgate(['demo', '--dir', dir], { timeoutMs: 80_000 });
    expect(run.code, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
    expect(run.ms).toBeLessThan(60_000);

    // One result line per rollout on stdout (as `rollout run` prints it), then the summary.
    const promoted = /^(checkout-\S+) promoted 100%$/m.exec(run.stdout)?.[1];
    const rolledBack = /^(checkout-\S+) rolled_back 0%$/m.exec(run.stdout)?.[1];
    expect(promoted).toBeDefined();
    expect(rolledBack).toBeDefined();
    expect(run.stdout).toMatch(new RegExp(`healthy\\s+${promoted}\\s+promoted at 100%`));
    expect(run.stdout).toMatch(new RegExp(`faulty\\s+${rolledBack}\\s+rolled back from 25% to 0%: gate error-rate failed`));
    const stateUrl = `file:${path.join(dir, 'state')}`;
    expect(run.stdout).toContain(`rollgate evidence verify ${promoted} --state ${stateUrl}`);
    // Both reports of both rollouts are written next to the state, and their paths printed.
    for (const [plan, id, words] of [['healthy', promoted!, /promoted/i], ['faulty', rolledBack!, /rolled back/i]] as const) {
      const md = path.join(dir, `${plan}.md`);
      const html = path.join(dir, `${plan}.html`);
      expect(run.stdout).toContain(md);
      expect(run.stdout).toContain(html);
      const mdText = await readFile(md, 'utf8');
      expect(mdText).toContain(id);
      expect(mdText).toMatch(words);
      const htmlText = await readFile(html, 'utf8');
      expect(htmlText).toMatch(/^<!doctype html>/i);
      expect(htmlText).toContain(id);
    }
    expect(run.stderr).toMatch(/info\s+step 4\/4: canary 100%/);
    expect(run.stderr).toMatch(/error\s+rolling back from 25%: gate error-rate failed/);
    expect(run.stderr).toMatch(/ok\s+stable verified healthy/);
    expect(run.stderr).toMatch(/demo finished in \d+s: the healthy rollout was promoted and the faulty one rolled back, as expected/);
    // Plain mode: no ANSI escape anywhere.
    expect(`${run.stdout}${run.stderr}`).not.toContain('\u001b[');

    // The plans the demo ran are kept, commented and valid.
    for (const name of ['healthy.yaml', 'faulty.yaml']) {
      const text = await readFile(path.join(dir, name), 'utf8');
      expect(text).toMatch(/^# The (HEALTHY|FAULTY) rollout/);
      const validate = await rollgate(['plan', 'validate', path.join(dir, name)]);
      expect(validate.code, validate.stderr).toBe(0);
    }

    // The evidence of both rollouts verifies, from the state store named in the summary.
    for (const id of [promoted!, rolledBack!]) {
      const verify = await rollgate(['evidence', 'verify', id, '--state', stateUrl]);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/^✔ evidence intact: \d+ events, head [0-9a-f]{64}\n$/);
    }
    const status = await rollgate(['rollout', 'status', '--state', stateUrl, '--json']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('rolled_back');

    // Nothing left running: the demo's Prometheus answers no more.
    const promUrl = /Prometheus (http:\/\/127\.0\.0\.1:\d+) is scraping/.exec(run.stderr)?.[1];
    expect(promUrl).toBeDefined();
    await expect(fetch(`${promUrl}/-/ready`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 120_000);

  it('without prometheus on PATH: exit 3 and what to install', async () => {
    const run = await rollgate(['demo', '--dir', path.join(tmp, 'no-prom')], { env: cleanEnv({ PATH: path.join(tmp, 'empty-bin') }) });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/error\s+rollgate demo needs Prometheus, but no `prometheus` binary is on PATH/);
    expect(run.stderr).toMatch(/hint: install it: apt-get install prometheus/);
    expect(run.stdout).toBe('');
  });
});
