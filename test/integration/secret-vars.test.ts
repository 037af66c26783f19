/**
 * Secrets through env-interpolated vars (issue 7.7): `routerLogin: ${ROUTER_LOGIN}` has a name
 * that does not look secret, and used to reach the plan snapshot, the argv and the stdout recorded
 * in the evidence. Every var from the environment is a secret unless the plan lists it in
 * `public:`. A real rollout (built binary, live test service, real Prometheus), then `plan show
 * --json` and `gate check` with the same plan.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { resultLine, type LiveEnv } from '../support/rollout-fixture.js';
import { useLiveEnv } from '../support/use-live-env.js';

const PRINT_ARGV = fileURLToPath(new URL('../fixtures/scripts/print-argv.mjs', import.meta.url));
const LOGIN = `login-${Date.now()}-q7v`;
const AUTH = `auth-${Date.now()}-z9k`;
const RELEASE = `release-${Date.now()}-pub`;
const ENV = { ROUTER_LOGIN: LOGIN, ROUTER_AUTH: AUTH, RELEASE };

let env: LiveEnv;
useLiveEnv((live) => (env = live));

function plan(name: string): string {
  return env.writePlan(name, {
    vars: { router: env.service.url, routerLogin: '${ROUTER_LOGIN}', routerAuth: '${ROUTER_AUTH}', release: '${RELEASE}' },
    public: ['release'],
    hooks: {
      // argv and stdout of a hook are recorded in the evidence.
      beforeStep: [{ exec: [process.execPath, PRINT_ARGV, '--login', '{{routerLogin}}', '--auth', '{{routerAuth}}', '--release', '{{release}}'] }],
    },
    steps: [{ weight: 50, bake: '2s' }, { weight: 100, bake: '1s' }],
    analysis: { onInconclusive: 'continue' },
  });
}

describe('secret vars from the environment', () => {
  it('reach the actions, but never the evidence (plan snapshot, argv, stdout) or the output; a public: var stays visible', async () => {
    const file = plan('secret-vars');
    const run = await runCli(['rollout', 'run', file, '--json', '--state', env.stateUrl], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const id = resultLine(run.stdout).rolloutId as string;
    const events = await env.events(id);
    const hook = events.find((e) => e.type === 'hook.executed' || (e.type.startsWith('hook') && JSON.stringify(e.data).includes('--login')));
    expect(hook, events.map((e) => e.type).join(' ')).toBeDefined();
    // The hook did get the real values: its recorded stdout shows the public one, masked secrets.
    const hookText = JSON.stringify(hook!.data);
    expect(hookText).toContain(RELEASE);
    expect(hookText).toContain('***');
    const started = events.find((e) => e.type === 'rollout.started')!;
    expect((started.data.plan as { vars: Record<string, string> }).vars).toMatchObject({ routerLogin: '***', routerAuth: '***', release: RELEASE });
    const everything = JSON.stringify(events) + run.stdout + run.stderr;
    expect(everything).not.toContain(LOGIN);
    expect(everything).not.toContain(AUTH);

    const report = await runCli(['evidence', 'report', id, '--format', 'json', '--state', env.stateUrl], { env: ENV });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).not.toContain(LOGIN);
    expect(report.stdout).not.toContain(AUTH);
  }, 90_000);

  it('an environment value written straight into an action (not through a var) is a secret too; a default from the plan is not', async () => {
    const file = env.writePlan('secret-literal', {
      vars: { router: env.service.url },
      hooks: {
        beforeStep: [{ exec: [process.execPath, PRINT_ARGV, '--token', '${ROUTER_AUTH}', '--region', '${REGION:-eu-west-9}'] }],
      },
      steps: [{ weight: 100, bake: '1s' }],
      analysis: { onInconclusive: 'continue' },
    });
    const run = await runCli(['rollout', 'run', file, '--json', '--state', env.stateUrl], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const id = resultLine(run.stdout).rolloutId as string;
    const events = await env.events(id);
    const hook = events.find((e) => JSON.stringify(e.data).includes('--token'));
    expect(hook, events.map((e) => e.type).join(' ')).toBeDefined();
    // The hook ran with the real token (its stdout echoes the argv, masked in the record) and the default.
    expect(JSON.stringify(hook!.data)).toContain('***');
    expect(JSON.stringify(hook!.data)).toContain('eu-west-9');
    const show = await runCli(['--json', 'plan', 'show', file], { env: ENV });
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.stringify(events) + run.stdout + run.stderr + show.stdout + show.stderr).not.toContain(AUTH);
  }, 90_000);

  it('plan show --json masks them', async () => {
    const show = await runCli(['--json', 'plan', 'show', plan('show')], { env: ENV });
    expect(show.code, show.stderr).toBe(0);
    const doc = JSON.parse(show.stdout) as { plan: { vars: Record<string, string> } };
    expect(doc.plan.vars).toMatchObject({ routerLogin: '***', routerAuth: '***', release: RELEASE });
    expect(show.stdout + show.stderr).not.toContain(LOGIN);
  });

  it('gate check masks a secret var used in a query, in text and --json', async () => {
    const file = env.writePlan('gate-secret', {
      vars: { router: env.service.url, tenant: '${ROUTER_LOGIN}' },
      gates: [{ name: 'tenant-errors', query: 'sum(rate(http_requests_total{service="{{service}}",tenant="{{tenant}}"}[5s])) or vector(0)', max: 1 }],
      steps: [{ weight: 100, bake: '1s', gates: ['tenant-errors'] }],
      rollback: { verify: undefined },
    });
    const json = await runCli(['--json', 'gate', 'check', file], { env: ENV });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).gates[0].query).toContain('tenant="***"');
    const text = await runCli(['gate', 'check', file], { env: ENV });
    expect(text.code, text.stderr).toBe(0);
    expect(json.stdout + json.stderr + text.stdout + text.stderr).not.toContain(LOGIN);
  });

  it('a secret var used in a gate query never reaches the rollout evidence (measurement events)', async () => {
    const file = env.writePlan('rollout-gate-secret', {
      vars: { router: env.service.url, tenant: '${ROUTER_LOGIN}' },
      gates: [{ name: 'tenant-errors', query: 'sum(rate(http_requests_total{service="{{service}}",tenant="{{tenant}}"}[5s])) or vector(0)', max: 1 }],
      steps: [{ weight: 100, bake: '1s', gates: ['tenant-errors'] }],
      rollback: { verify: undefined },
    });
    const run = await runCli(['rollout', 'run', file, '--json', '--state', env.stateUrl], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const id = resultLine(run.stdout).rolloutId as string;
    const events = await env.events(id);
    const measured = events.filter((e) => e.type === 'measurement');
    expect(measured.length).toBeGreaterThan(0);
    expect(String(measured[0]!.data.query)).toContain('tenant="***"');
    expect(JSON.stringify(events) + run.stdout + run.stderr).not.toContain(LOGIN);
    const verify = await runCli(['evidence', 'verify', id, '--state', env.stateUrl]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 90_000);
});
