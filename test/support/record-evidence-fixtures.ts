/**
 * Records the evidence fixtures of test/fixtures/evidence/ from real runs: the built binary against
 * the live test service and a real Prometheus (the same environment as test/integration/rollout/).
 * Run once, after `npm run build`, and commit the result:
 *
 *   npx vite-node test/support/record-evidence-fixtures.ts
 *
 * Every plan carries secrets the way users configure them (a Prometheus bearer token or basic-auth
 * password file, a traffic URL with user:password, an Authorization header read from a file), so the
 * report tests can assert that none of them reaches any format. The secret values are exported in
 * SECRETS below; the fixtures never contained them in the first place (the engine redacts), and the
 * report tests check that nothing reintroduces them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyChain } from '../../src/lib/evidence/chain.js';
import { formatNdjson } from '../../src/lib/evidence/log-file.js';
import { openStateStore } from '../../src/lib/state/open.js';
import type { RolloutEvent } from '../../src/lib/state/types.js';
import { runCli, startCli, type RunningCli } from './cli.js';
import { SECRETS } from './evidence-secrets.js';
import { errorRateQuery, resultLine, SERVICE, startLiveEnv, type LiveEnv } from './rollout-fixture.js';

const OUT = fileURLToPath(new URL('../fixtures/evidence/', import.meta.url));

async function waitForEvent(env: LiveEnv, predicate: (e: RolloutEvent) => boolean, runner: RunningCli, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const store = await openStateStore(env.stateUrl);
  try {
    for (;;) {
      const [newest] = await store.listRollouts({ service: SERVICE, limit: 1 });
      if (newest && Date.parse(newest.createdAt) >= runner.startedAt) {
        if ((await store.readEvents(newest.rolloutId)).some(predicate)) return newest.rolloutId;
      }
      if (Date.now() > deadline) throw new Error(`event never appeared: ${JSON.stringify(runner.output())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await store.close();
  }
}

function rolloutIdOf(stdout: string): string {
  return String(resultLine(stdout).rolloutId);
}

async function save(env: LiveEnv, name: string, rolloutId: string): Promise<void> {
  const events = await env.events(rolloutId);
  const verdict = verifyChain(events);
  if (!verdict.ok) throw new Error(`${name}: chain broken: ${verdict.reason}`);
  const text = formatNdjson(events);
  for (const secret of Object.values(SECRETS)) if (text.includes(secret)) throw new Error(`${name}: secret ${secret} in the log`);
  writeFileSync(join(OUT, `${name}.ndjson`), text);
  // eslint-disable-next-line no-console
  console.log(`${name}: ${events.length} events, ${events.at(-1)?.type}, head ${verdict.head}`);
}

async function main(): Promise<void> {
  const env = await startLiveEnv();
  try {
    const tokenFile = join(env.dir, 'prometheus-token');
    const passwordFile = join(env.dir, 'prometheus-password');
    const headerFile = join(env.dir, 'router-token');
    writeFileSync(tokenFile, `${SECRETS.bearerToken}\n`);
    writeFileSync(passwordFile, `${SECRETS.basicAuthPassword}\n`);
    writeFileSync(headerFile, `Bearer ${SECRETS.headerToken}\n`);
    const routerWithPassword = env.service.url.replace('://', `://deployer:${SECRETS.urlPassword}@`);
    const traffic = { http: { method: 'PUT', url: '{{router}}/weights/{{service}}', json: { canary: '{{weight}}' }, headersFromFile: { Authorization: headerFile } }, timeout: '2s', retries: 1 };
    const gates = [
      { name: 'error-rate', description: 'share of canary requests answered 5xx', query: errorRateQuery('canary'), max: 0.05 },
      { name: 'p95-latency', query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",track="canary"}[4s])))', max: 0.25, onEmpty: 'inconclusive', severity: 'warning' },
      { name: 'stable-error-rate', query: errorRateQuery('stable'), max: 0.05 },
    ];
    const withSecrets = (auth: Record<string, unknown>) => ({ vars: { router: routerWithPassword }, prometheus: { url: env.prometheus.url, timeout: '2s', ...auth }, traffic, gates });
    const bearer = { bearerTokenFile: tokenFile };
    const basic = { basicAuth: { username: 'grafana-reader', passwordFile } };
    const reset = (): void => {
      env.service.inject({ track: 'canary', errorRate: 0, latencyMs: 0 });
      env.service.setWeight(SERVICE, 0);
    };

    // 1. promoted
    reset();
    const promotedPlan = env.writePlan('promoted', { ...withSecrets(bearer), steps: [{ weight: 10, bake: '5s', gates: ['error-rate', 'p95-latency'] }, { weight: 50, bake: '3s', gates: ['error-rate', 'p95-latency'] }, { weight: 100, bake: '2s', gates: ['error-rate', 'p95-latency'] }] });
    const promoted = await runCli(['rollout', 'run', promotedPlan, '--json', '--state', env.stateUrl]);
    if (promoted.code !== 0) throw new Error(`promoted: exit ${promoted.code}: ${promoted.stderr}`);
    await save(env, 'promoted', rolloutIdOf(promoted.stdout));

    // 2. rolled back by a failing gate at 25%
    reset();
    const faultyPlan = env.writePlan('gate-rollback', { ...withSecrets(basic), steps: [{ weight: 10, bake: '5s', gates: ['error-rate', 'p95-latency'] }, { weight: 25, bake: '20s', gates: ['error-rate', 'p95-latency'] }, { weight: 100, bake: '2s' }] });
    const faulty = startCli(['rollout', 'run', faultyPlan, '--json', '--state', env.stateUrl]);
    await waitForEvent(env, (e) => e.type === 'weight.applied' && e.data.weight === 25, faulty);
    env.service.inject({ track: 'canary', errorRate: 0.5 });
    const faultyResult = await faulty.done;
    if (faultyResult.code !== 1) throw new Error(`gate-rollback: exit ${faultyResult.code}: ${faultyResult.stderr}`);
    await save(env, 'rolled-back-gate', rolloutIdOf(faultyResult.stdout));

    // 3. approved from a second process (a CI job)
    reset();
    const approvalPlan = env.writePlan('approval', { ...withSecrets(bearer), steps: [{ weight: 10, bake: '5s', approval: true, gates: ['error-rate'] }, { weight: 100, bake: '2s', gates: ['error-rate'] }] });
    const waiting = startCli(['rollout', 'run', approvalPlan, '--json', '--state', env.stateUrl]);
    await waitForEvent(env, (e) => e.type === 'approval.requested', waiting);
    const approve = await runCli(['rollout', 'approve', SERVICE, '--comment', 'dashboards look fine', '--state', env.stateUrl], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_WORKFLOW: 'deploy', GITHUB_RUN_ID: '42', GITHUB_REPOSITORY: 'acme/shop', GITHUB_SERVER_URL: 'https://github.example' },
    });
    if (approve.code !== 0) throw new Error(`approve: exit ${approve.code}: ${approve.stderr}`);
    const approved = await waiting.done;
    if (approved.code !== 0) throw new Error(`approved: exit ${approved.code}: ${approved.stderr}`);
    await save(env, 'approved', rolloutIdOf(approved.stdout));

    // 4. emergency rollback from a second process while step 2 bakes
    reset();
    const emergencyPlan = env.writePlan('emergency', { ...withSecrets(basic), steps: [{ weight: 10, bake: '5s', gates: ['error-rate'] }, { weight: 25, bake: '30s', gates: ['error-rate'] }, { weight: 100, bake: '2s' }] });
    const running = startCli(['rollout', 'run', emergencyPlan, '--json', '--state', env.stateUrl]);
    await waitForEvent(env, (e) => e.type === 'measurement' && e.data.step === 1, running);
    await new Promise((r) => setTimeout(r, 1_500));
    const rollback = await runCli(['rollback', SERVICE, '--reason', 'pager: 5xx spike in checkout', '--severity', 'major', '--yes', '--state', env.stateUrl]);
    if (rollback.code !== 0) throw new Error(`rollback: exit ${rollback.code}: ${rollback.stderr}`);
    const emergency = await running.done;
    if (emergency.code !== 1) throw new Error(`emergency: exit ${emergency.code}: ${emergency.stderr}`);
    await save(env, 'rolled-back-emergency', rolloutIdOf(emergency.stdout));
  } finally {
    await env.stop();
  }
}

await main();
