/**
 * `rollgate init`: through a real pseudo-terminal as a person types (tmux send-keys, capture-pane),
 * and through flags as CI runs it. Every file it writes is checked again by `rollgate plan validate`,
 * the same binary a user would run next.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/cli.js';

let tmp = '';
const socket = `rollgate-init-test-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rollgate-e2e-init-'));
});

afterAll(async () => {
  // Only the tmux server this file started (its own socket).
  if (hasTmux) spawnSync('tmux', ['-L', socket, 'kill-server']);
  await rm(tmp, { recursive: true, force: true });
});

async function validate(file: string): Promise<void> {
  const result = await runCli(['plan', 'validate', file], { cwd: tmp });
  expect(result.code, result.stderr).toBe(0);
}

describe('rollgate init through flags (CI, no terminal)', () => {
  it('writes a valid commented plan with the defaults and prints the next three commands', async () => {
    const result = await runCli(['init', '--service', 'checkout'], { cwd: tmp });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/ok\s+wrote checkout-rollout\.yaml: a valid plan \(4 steps, 3 gates\) for checkout/);
    expect(result.stdout).toBe('Next:\n  rollgate plan show checkout-rollout.yaml\n  rollgate gate check checkout-rollout.yaml\n  rollgate rollout run checkout-rollout.yaml --set version=v2\n');
    const text = await readFile(path.join(tmp, 'checkout-rollout.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server/);
    expect(text).toContain('service: "checkout"');
    expect(text).toContain('track="canary"');
    expect(text).toContain('approval: true');
    expect(text).toContain('gates: [stable-error-rate]');
    await validate('checkout-rollout.yaml');
  });

  it('refuses to overwrite without --force, replaces with it', async () => {
    const file = path.join(tmp, 'keep.yaml');
    await writeFile(file, 'mine\n');
    const refused = await runCli(['init', '--service', 'checkout', '--out', 'keep.yaml'], { cwd: tmp });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/keep\.yaml already exists; not overwriting it/);
    expect(refused.stderr).toMatch(/pass --force/);
    expect(await readFile(file, 'utf8')).toBe('mine\n');
    const forced = await runCli(['init', '--service', 'checkout', '--out', 'keep.yaml', '--force'], { cwd: tmp });
    expect(forced.code, forced.stderr).toBe(0);
    await validate('keep.yaml');
  });

  it('never prompts without a terminal: a missing service is exit 2 naming --service', async () => {
    const result = await runCli(['init'], { cwd: tmp });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--service is required when nothing is asked/);
    expect(result.stdout).toBe('');
  });

  it('bad answers in flags are usage errors naming the flag, and nothing is written', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--service', 'check out'], /--service "check out": use letters, digits/],
      [['--service', 'a', '--gates', 'error-rate,nope'], /--gates error-rate,nope: expected a comma-separated list of error-rate, p95-latency, success-rate, baseline/],
      [['--service', 'a', '--prometheus', 'localhost:9090'], /--prometheus "localhost:9090": expected an http:\/\/ or https:\/\/ URL/],
      [['--service', 'a', '--traffic', 'nginx', '--traffic-http', 'http://x'], /--traffic-http: the nginx template runs a command; use --traffic-exec/],
      [['--service', 'a', '--traffic-exec', '"unclosed'], /--traffic-exec .*unclosed " quote/],
      [['--service', 'a', '--p95-max', 'fast'], /--p95-max "fast": expected seconds/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['init', '--out', 'bad.yaml', ...args], { cwd: tmp });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(path.join(tmp, 'bad.yaml'))).toBe(false);
  });

  it('every traffic template with every step preset and every gate gives a valid plan', async () => {
    const templates = ['exec', 'http', 'nginx', 'envoy', 'http-router', 'feature-flag', 'kubectl'];
    const presets = ['standard', 'fast', 'blue-green'];
    const files: string[] = [];
    for (const traffic of templates) {
      for (const steps of presets) {
        const out = `all-${traffic}-${steps}.yaml`;
        const result = await runCli(['init', '--service', 'pay-api', '--traffic', traffic, '--steps', steps, '--gates', 'error-rate,p95-latency,success-rate,baseline', '--out', out, '--json'], { cwd: tmp });
        expect(result.code, result.stderr).toBe(0);
        const doc = JSON.parse(result.stdout) as { written: string; valid: boolean; steps: number; next: string[] };
        expect(doc).toMatchObject({ schemaVersion: 1, written: out, kind: 'RolloutPlan', valid: true, steps: steps === 'standard' ? 4 : steps === 'fast' ? 2 : 1 });
        expect(doc.next).toHaveLength(3);
        files.push(out);
      }
    }
    const result = await runCli(['plan', 'validate', ...files, '--json'], { cwd: tmp });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { valid: boolean }).valid).toBe(true);
    const blueGreen = await readFile(path.join(tmp, 'all-envoy-blue-green.yaml'), 'utf8');
    expect(blueGreen).toContain('beforeRollout:');
    expect(blueGreen).toContain('"--gate", "green-error-rate"');
    expect(blueGreen).not.toContain('approval: true');
    expect(blueGreen).toContain('runtime_modify?routing.traffic_shift.{{service}}={{weight}}');
  });

  it('--policy writes an SLA policy that the SLA policy loader accepts', async () => {
    const result = await runCli(['init', '--policy', '--service', 'checkout', '--objective', '99.95', '--window', '28d', '--p95-max', '250ms', '--json'], { cwd: tmp });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ written: 'checkout-sla.yaml', kind: 'SLAPolicy', valid: true, slos: 2 });
    const text = await readFile(path.join(tmp, 'checkout-sla.yaml'), 'utf8');
    expect(text).toContain('kind: SLAPolicy');
    expect(text).toContain('objective: 99.95');
    expect(text).toContain('window: 28d');
    expect(text).toContain('max: 0.25');
    expect(text).toMatch(/^# .*15 2 \* \* \*/m); // the cron line for a nightly audit
    const validated = await runCli(['plan', 'validate', 'checkout-sla.yaml', '--json'], { cwd: tmp });
    expect(validated.code, validated.stderr).toBe(0);
    expect(JSON.parse(validated.stdout)).toMatchObject({ valid: true, files: [{ kind: 'SLAPolicy' }] });
    const bad = await runCli(['init', '--policy', '--service', 'checkout', '--objective', '120', '--out', 'bad-sla.yaml'], { cwd: tmp });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--objective "120": expected a percentage between 0 and 100/);
    const missing = await runCli(['init', '--policy'], { cwd: tmp });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--service is required/);
  });

  it('--traffic-exec and --traffic-http become the action, split like a shell would but run without one', async () => {
    const exec = await runCli(['init', '--service', 'a', '--traffic-exec', `./set 'two words' {{weight}}`, '--out', 'exec.yaml'], { cwd: tmp });
    expect(exec.code, exec.stderr).toBe(0);
    expect(await readFile(path.join(tmp, 'exec.yaml'), 'utf8')).toContain('exec: ["./set", "two words", "{{weight}}"]');
    const http = await runCli(['init', '--service', 'a', '--traffic-http', 'http://lb:8080/w/{{service}}', '--no-approval', '--out', 'http.yaml'], { cwd: tmp });
    expect(http.code, http.stderr).toBe(0);
    const text = await readFile(path.join(tmp, 'http.yaml'), 'utf8');
    expect(text).toContain('url: "http://lb:8080/w/{{service}}"');
    expect(text).not.toContain('approval: true');
  });
});

/** A person at a 100×40 terminal: tmux runs the binary, the test types and reads the screen. */
describe.skipIf(!hasTmux)('rollgate init in a real terminal (tmux)', () => {
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = (name: string): string => tmux('capture-pane', '-p', '-t', name, '-S', '-200');

  async function waitFor(name: string, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = screen(name);
      if (pattern.test(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${pattern} on the screen:\n${last}`);
  }

  function start(name: string, args: string): void {
    // CI unset and a real TERM: what a person's shell gives. The pane stays after exit for reading.
    const command = `cd ${tmp} && env -u CI -u NO_COLOR TERM=xterm-256color ${process.execPath} ${BIN} ${args}; echo "EXIT=$?"; sleep 120`;
    tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '40', command);
  }

  const keys = (name: string, ...k: string[]): string => tmux('send-keys', '-t', name, ...k);

  it('asks the service first, then takes every default with Enter and writes a valid plan', async () => {
    start('defaults', 'init');
    await waitFor('defaults', /Service name/);
    // The service name is the first question: nothing else is on the screen yet.
    expect(screen('defaults')).not.toMatch(/Prometheus URL/);
    keys('defaults', '-l', 'web-shop');
    keys('defaults', 'Enter');
    const questions = [/Write the plan to.*web-shop-rollout\.yaml/, /Prometheus URL/, /How is traffic shifted/, /Command that sets the weight/, /Steps/, /Gates that watch the canary/, /verify that stable is healthy/, /Request counter metric/, /Latency histogram metric/, /p95 latency threshold/, /approve before 100%/];
    for (const question of questions) {
      await waitFor('defaults', question);
      keys('defaults', 'Enter');
    }
    const done = await waitFor('defaults', /EXIT=\d+/);
    expect(done).toMatch(/EXIT=0/);
    expect(done).toMatch(/wrote web-shop-rollout\.yaml: a valid plan \(4 steps, 3 gates\) for web-shop/);
    expect(done).toContain('rollgate rollout run web-shop-rollout.yaml --set version=v2');
    await validate('web-shop-rollout.yaml');
  }, 60_000);

  it('--policy: Enter through the questions gives a valid SLA policy', async () => {
    start('policy', 'init --policy');
    await waitFor('policy', /Service name \(whose SLOs/);
    keys('policy', '-l', 'search');
    keys('policy', 'Enter');
    for (const question of [/Write the policy to.*search-sla\.yaml/, /Prometheus URL/, /Availability objective/, /Rolling window/, /p95 latency threshold/, /Latency objective/, /Request counter metric/, /Latency histogram metric/]) {
      await waitFor('policy', question);
      keys('policy', 'Enter');
    }
    const done = await waitFor('policy', /EXIT=\d+/);
    expect(done).toMatch(/EXIT=0/);
    expect(done).toMatch(/wrote search-sla\.yaml: a valid SLA policy \(2 SLOs\) for search/);
    await validate('search-sla.yaml');
  }, 60_000);

  it('picks with the arrow keys and types answers: Envoy, blue-green, gates ticked with space', async () => {
    start('picks', 'init --out picked.yaml');
    await waitFor('picks', /Service name/);
    keys('picks', '-l', 'bad name');
    keys('picks', 'Enter');
    // A wrong answer is said under the question, which is asked again.
    await waitFor('picks', /use letters, digits/);
    for (let i = 0; i < 'bad name'.length; i++) keys('picks', 'BSpace');
    keys('picks', '-l', 'payments');
    keys('picks', 'Enter');
    await waitFor('picks', /Prometheus URL/);
    keys('picks', 'C-u');
    keys('picks', '-l', 'http://prom.internal:9090');
    keys('picks', 'Enter');
    await waitFor('picks', /How is traffic shifted/);
    // exec, http, nginx, envoy: three down.
    keys('picks', 'Down', 'Down', 'Down', 'Enter');
    await waitFor('picks', /URL of the request that sets the weight/);
    keys('picks', 'Enter');
    await waitFor('picks', /Steps/);
    keys('picks', 'Down', 'Down', 'Enter');
    await waitFor('picks', /Gates that watch the canary/);
    // error-rate and p95-latency are ticked; untick p95 (down, space), tick baseline (down, down, space).
    keys('picks', 'Down', 'Space', 'Down', 'Down', 'Space', 'Enter');
    for (const question of [/verify that stable is healthy/, /Request counter metric/, /Latency histogram metric/]) {
      await waitFor('picks', question);
      keys('picks', 'Enter');
    }
    const done = await waitFor('picks', /EXIT=\d+/);
    expect(done, done).toMatch(/EXIT=0/);
    expect(done).toMatch(/wrote picked\.yaml: a valid plan \(1 step, \d+ gates\) for payments/);
    const text = await readFile(path.join(tmp, 'picked.yaml'), 'utf8');
    expect(text).toContain('service: "payments"');
    expect(text).toContain('http://prom.internal:9090');
    expect(text).toContain('runtime_modify');
    expect(text).toContain('- name: latency-vs-stable');
    expect(text).not.toContain('- name: p95-latency');
    expect(text).toContain('beforeRollout:');
    await validate('picked.yaml');
  }, 60_000);
});
