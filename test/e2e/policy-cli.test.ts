/**
 * `--policy` through the built binary: plan validate/show refuse violating plans with every
 * violation at once (exit 2), `schema rollout-policy`, and `rollout run` against the live test
 * service inside a freeze window: refused without touching traffic, then overridden, with the
 * override, who did it, why and the policy's sha256 recorded in the evidence and shown in every
 * report format. Assumes `npm run build` ran.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, stderrMessages } from '../support/cli.js';
import { resultLine, SERVICE, type LiveEnv } from '../support/rollout-fixture.js';
import { useLiveEnv } from '../support/use-live-env.js';

const POLICY = 'test/fixtures/policy/org-policy.yaml';
const PLANS = 'test/fixtures/policy/plans';

/** stderr lines without the plain-mode timestamp and level. */
function messages(stderr: string, level = 'error'): string[] {
  return stderrMessages(stderr, level);
}

const expectedViolations = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => `${file}:${line.slice('# expect: '.length)}`);

describe('plan validate / plan show with --policy', () => {
  it('every violation of every plan at once, file:line:col: rule: ..., exit 2', async () => {
    const files = [`${PLANS}/every-rule-broken.yaml`, `${PLANS}/compliant.yaml`, `${PLANS}/canary-shorthand.yaml`];
    const run = await runCli(['plan', 'validate', '--policy', POLICY, ...files]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual([...expectedViolations(files[0]!), ...expectedViolations(files[2]!)]);
    expect(run.stderr).toContain(`${PLANS}/compliant.yaml: valid (3 steps, 2 gates, meets policy org-guardrails)`);
  });

  it('ROLLGATE_POLICY works like --policy; --json is one document with the issues and the policy hash', async () => {
    const run = await runCli(['plan', 'validate', `${PLANS}/first-step-above-approval.yaml`, '--json'], { env: { ROLLGATE_POLICY: POLICY } });
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { valid: boolean; policy: { name: string; sha256: string }; files: Array<{ issues: Array<{ line: number; col: number; path: string; message: string }> }> };
    expect(doc.valid).toBe(false);
    expect(doc.policy).toMatchObject({ name: 'org-guardrails', sha256: createHash('sha256').update(readFileSync(POLICY)).digest('hex') });
    expect(doc.files[0]!.issues.map((i) => `${i.line}:${i.col}: ${i.path}`)).toEqual(['14:5: minBake', '14:13: maxFirstWeight', '14:13: approvalAbove']);
  });

  it('plan validate checks a RolloutPolicy file given as an argument; an invalid one exits 2 with positions', async () => {
    const ok = await runCli(['plan', 'validate', 'playbooks/org-policy.yaml', POLICY]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('playbooks/org-policy.yaml: valid RolloutPolicy (2 freeze windows)');
    const bad = await runCli(['plan', 'validate', 'test/fixtures/policy/invalid/bad-cron.yaml']);
    expect(bad.code).toBe(2);
    expect(messages(bad.stderr)).toEqual(expectedViolations('test/fixtures/policy/invalid/bad-cron.yaml'));
  });

  it('an invalid --policy file is refused before the plan is looked at (exit 2)', async () => {
    const run = await runCli(['plan', 'show', `${PLANS}/compliant.yaml`, '--policy', 'test/fixtures/policy/invalid/to-before-from.yaml']);
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual(expectedViolations('test/fixtures/policy/invalid/to-before-from.yaml'));
    const missing = await runCli(['plan', 'show', `${PLANS}/compliant.yaml`, '--policy', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(messages(missing.stderr)).toEqual(['nope.yaml: no such file']);
  });

  it('plan show: a compliant plan says the policy is met; a violating one exits 2', async () => {
    const ok = await runCli(['plan', 'show', `${PLANS}/compliant.yaml`, '--policy', POLICY]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^Policy: org-guardrails \(test\/fixtures\/policy\/org-policy\.yaml, sha256 [0-9a-f]{12}\): every rule met$/m);
    const bad = await runCli(['plan', 'show', `${PLANS}/required-gate-not-checked.yaml`, '--policy', POLICY, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ schemaVersion: 1, error: { kind: 'policy', issues: [{ path: 'requiredGates', line: 11 }, { path: 'requiredGates', line: 17 }] } });
  });

  it('schema rollout-policy prints the JSON Schema; schema plan is unchanged', async () => {
    const run = await runCli(['schema', 'rollout-policy']);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('rollgate RolloutPolicy v1');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['rules', 'freezeWindows']));
    expect((JSON.parse((await runCli(['schema', 'plan'])).stdout) as { title: string }).title).toBe('rollgate RolloutPlan v1');
  });
});

describe('rollout run inside a freeze window (live test service)', () => {
  let env: LiveEnv;
  useLiveEnv((live) => (env = live));

  function writePolicy(): { file: string; sha256: string } {
    // A window around now: from an hour ago to an hour from now.
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const text = [
      'apiVersion: rollgate/v1',
      'kind: RolloutPolicy',
      'metadata: { name: test-guardrails }',
      'rules: { requiredGates: [error-rate], requireAutoRollback: true }',
      'freezeWindows:',
      `  - { name: incident-freeze, from: "${from}", to: "${to}", reason: "INC-42 is open" }`,
      '',
    ].join('\n');
    const file = join(env.dir, 'policy.yaml');
    writeFileSync(file, text);
    return { file, sha256: createHash('sha256').update(text).digest('hex') };
  }

  it('refuses without changing anything, then runs with --override-freeze and records who, why and the policy hash', async () => {
    const plan = env.writePlan('frozen', { steps: [{ weight: 50, bake: '3s' }, { weight: 100, bake: '2s' }] });
    const policy = writePolicy();
    const history = env.service.state().weightHistory.length;

    const refused = await runCli(['rollout', 'run', plan, '--policy', policy.file, '--state', env.stateUrl]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(messages(refused.stderr)[0]).toMatch(/^rollout refused by policy test-guardrails: freeze window "incident-freeze" \(INC-42 is open\) is active until \d{4}-\d\d-\d\dT[\d:.]+Z \(in (59m\d+s|1h)\)$/);
    expect(refused.stderr).toContain('--override-freeze --reason');
    expect(env.service.state().weightHistory.length, 'no weight was applied').toBe(history);
    const store = await env.openStore();
    expect(await store.listRollouts({ service: SERVICE, limit: 10 }), 'no rollout was created').toEqual([]);
    await store.close();

    const noReason = await runCli(['rollout', 'run', plan, '--policy', policy.file, '--state', env.stateUrl, '--override-freeze']);
    expect(noReason.code).toBe(2);
    expect(messages(noReason.stderr)[0]).toBe('--override-freeze needs --reason TEXT: why the freeze is broken (recorded in the evidence)');

    const run = await runCli(['rollout', 'run', plan, '--policy', policy.file, '--state', env.stateUrl, '--override-freeze', '--reason', 'hotfix for INC-42', '--json'], { env: { USER: 'alice' } });
    expect(run.code, run.stderr).toBe(0);
    const result = resultLine(run.stdout);
    expect(result).toMatchObject({ status: 'promoted', weight: 100 });
    expect(messages(run.stderr, 'warn')[0]).toMatch(/^freeze window "incident-freeze" overridden by .+: hotfix for INC-42$/);

    const events = await env.events(result.rolloutId as string);
    const started = events[0]!;
    expect(started.type).toBe('rollout.started');
    expect(started.data.policy).toMatchObject({
      name: 'test-guardrails',
      file: policy.file,
      sha256: policy.sha256,
      freeze: { windows: [{ name: 'incident-freeze', reason: 'INC-42 is open' }], overridden: true, by: started.data.operator, reason: 'hotfix for INC-42', dryRun: false },
    });

    const line = `test-guardrails (${policy.file}, sha256 ${policy.sha256}); freeze window "incident-freeze" (INC-42 is open) until`;
    for (const format of ['md', 'html', 'json', 'junit']) {
      const report = await runCli(['evidence', 'report', result.rolloutId as string, '--format', format, '--state', env.stateUrl]);
      expect(report.code, `${format}: ${report.stderr}`).toBe(0);
      if (format === 'json') {
        const doc = JSON.parse(report.stdout) as { summary: { policy: unknown } };
        expect(doc.summary.policy).toMatchObject({ sha256: policy.sha256, freeze: { overridden: true, reason: 'hotfix for INC-42' } });
      } else {
        expect(report.stdout, format).toContain(format === 'md' ? line : line.replaceAll('"', '&quot;'));
        expect(report.stdout, format).toContain('OVERRIDDEN by');
      }
    }
  }, 90_000);
});

/** A person at a terminal (tmux: a real pseudo-terminal, CI unset). */
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
describe.skipIf(!hasTmux)('--policy in a real terminal (tmux)', () => {
  const socket = `rollgate-policy-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  afterAll(() => void spawnSync('tmux', ['-L', socket, 'kill-server']));

  async function screenOf(name: string, args: string): Promise<string> {
    const command = `cd ${ROOT} && env -u CI -u NO_COLOR TERM=xterm-256color ${process.execPath} ${BIN} ${args}; echo "EXIT=$?"; sleep 120`;
    tmux('new-session', '-d', '-s', name, '-x', '220', '-y', '50', command);
    let screen = '';
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && !/EXIT=\d+/.test(screen); await new Promise((r) => setTimeout(r, 100))) screen = tmux('capture-pane', '-p', '-t', name, '-S', '-200');
    return screen;
  }

  it('violations are one line each with file:line:col: rule:, exit 2; a compliant plan shows its table and the policy', async () => {
    const bad = await screenOf('bad', `plan validate --policy ${POLICY} ${PLANS}/every-rule-broken.yaml`);
    expect(bad).toMatch(/EXIT=2/);
    for (const line of expectedViolations(`${PLANS}/every-rule-broken.yaml`)) expect(bad).toContain(line);
    const ok = await screenOf('ok', `plan show --policy ${POLICY} ${PLANS}/compliant.yaml`);
    expect(ok).toMatch(/EXIT=0/);
    expect(ok).toMatch(/^ *2 +50% +10m +yes\b/m); // the borderless steps table (issue 11)
    expect(ok).toMatch(/Policy: org-guardrails \(test\/fixtures\/policy\/org-policy\.yaml, sha256 [0-9a-f]{12}\): every rule met/);
  }, 60_000);
});
