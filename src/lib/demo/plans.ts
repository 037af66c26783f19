/**
 * The two rollout plans of `rollgate demo`, as commented YAML written into the demo's directory
 * so the user can read exactly what ran (and `rollgate plan show` them).
 *
 * Both plans are the same canary (10% → 25% → 50% → 100%, short bakes, one measurement per
 * second) of the demo service; only the version differs:
 * - healthy.yaml rolls out v2, which behaves: it is promoted to 100%;
 * - faulty.yaml rolls out v3, which answers DEMO_FAULT.errorRate of its requests with a 500 as soon
 *   as it takes DEMO_FAULT.fromWeight% of the traffic. The demo simulates that bug itself: when the
 *   faulty rollout's `weight.applied` event for 25% arrives, it calls the demo service's inject()
 *   (the same as `POST /admin/inject`). The plan is not told anything: the error-rate gate finds
 *   it and the rollout is rolled back to 0%, then stable is verified healthy.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const DEMO_SERVICE = 'checkout';

/** The bug of the faulty version: from this canary weight on, this share of its requests fail. */
export const DEMO_FAULT = { fromWeight: 25, errorRate: 0.3 } as const;

export interface DemoPlanSettings {
  /** The demo service's base URL (its router answers `PUT /weights/:service`). */
  routerUrl: string;
  /** The demo's Prometheus. */
  prometheusUrl: string;
  service?: string;
}

export type DemoPlanKind = 'healthy' | 'faulty';

export interface DemoPlanFiles {
  healthy: string;
  faulty: string;
}

// `or vector(0)`: no 5xx series at all is a zero numerator, not an empty result. 4s windows: the
// demo scrapes every second, so four samples per window, and a fault shows within two seconds.
function errorRate(track: 'canary' | 'stable'): string {
  return `(sum(rate(http_requests_total{service="{{service}}",track="${track}",code=~"5.."}[4s])) or vector(0)) / sum(rate(http_requests_total{service="{{service}}",track="${track}"}[4s]))`;
}
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",track="canary"}[4s])))';

/** The YAML text of one demo plan. */
export function demoPlanYaml(kind: DemoPlanKind, settings: DemoPlanSettings): string {
  const service = settings.service ?? DEMO_SERVICE;
  const version = kind === 'healthy' ? 'v2' : 'v3';
  const story =
    kind === 'healthy'
      ? [
          '# The HEALTHY rollout of `rollgate demo`: version v2 of the demo service behaves, so every',
          '# gate passes at every step and the rollout is promoted to 100%.',
        ]
      : [
          `# The FAULTY rollout of \`rollgate demo\`: version v3 has a bug that shows under load: from`,
          `# ${DEMO_FAULT.fromWeight}% of the traffic on, ${DEMO_FAULT.errorRate * 100}% of its requests fail with a 500. The demo simulates the`,
          `# bug by injecting those errors into the canary (POST /admin/inject on the demo service) as`,
          `# soon as the ${DEMO_FAULT.fromWeight}% weight is applied. This plan knows nothing about it: the error-rate gate`,
          '# sees the errors, the rollout is rolled back to 0%, and stable is verified healthy.',
        ];
  const lines = [
    ...story,
    '#',
    '# Written by `rollgate demo`; the router and Prometheus URLs below belonged to that run and are',
    '# gone once it ended. Read it with: rollgate plan show <this file>',
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata:',
    `  name: ${service}-${version}-${kind}`,
    `  service: ${service}                # one rollout per service at a time (locked in the state store)`,
    'vars:',
    `  version: ${version}`,
    `  router: ${JSON.stringify(settings.routerUrl)}   # the demo's weighted router`,
    'prometheus:',
    `  url: ${JSON.stringify(settings.prometheusUrl)}   # the demo's own Prometheus, scraping the service every 1s`,
    '  timeout: 2s',
    'traffic:',
    '  # How a weight is applied: the router sends {{weight}}% of the requests to the canary.',
    '  http:',
    '    method: PUT',
    '    url: "{{router}}/weights/{{service}}"',
    '    json: { canary: "{{weight}}" }',
    '  timeout: 2s',
    '  retries: 1',
    'analysis:',
    '  interval: 1s                 # one measurement per gate per second (30s or more in real life)',
    '  failureLimit: 0              # the first failed measurement fails the gate',
    '  inconclusiveLimit: 3         # no canary traffic scraped yet (NaN) is tolerated 3 times per step...',
    '  onInconclusive: rollback     # ...then it is a rollback, never a pass',
    '  errorLimit: 2                # Prometheus not answering twice in a row...',
    '  onError: rollback            # ...rolls back too',
    '  errorTimeout: 20s',
    'gates:',
    '  - name: error-rate',
    '    # Share of canary requests answered with a 5xx over the last 4s.',
    `    query: ${JSON.stringify(errorRate('canary'))}`,
    '    max: 0.05                   # fail above 5%',
    '  - name: p95-latency',
    '    # 95th percentile of the canary latency over the last 4s, in seconds.',
    `    query: ${JSON.stringify(P95)}`,
    '    max: 0.25',
    '  - name: stable-error-rate',
    '    # Checked after a rollback only (rollback.verify): is stable healthy again?',
    `    query: ${JSON.stringify(errorRate('stable'))}`,
    '    max: 0.05',
    'steps:',
    '  # The first bake is the longest: a rate needs two scrapes of the canary\'s new traffic.',
    '  - { weight: 10, bake: 5s, gates: [error-rate, p95-latency] }',
    '  - { weight: 25, bake: 4s, gates: [error-rate, p95-latency] }',
    '  - { weight: 50, bake: 3s, gates: [error-rate, p95-latency] }',
    '  - { weight: 100, bake: 3s, gates: [error-rate, p95-latency] }',
    'rollback:',
    '  auto: true                   # a failed critical gate rolls back at once',
    '  verify:',
    '    gates: [stable-error-rate]',
    '    within: 10s',
    '',
  ];
  return lines.join('\n');
}

/** Writes healthy.yaml and faulty.yaml into `dir` (created when missing) and returns their paths. */
export async function writeDemoPlans(dir: string, settings: DemoPlanSettings): Promise<DemoPlanFiles> {
  await mkdir(dir, { recursive: true });
  const files: DemoPlanFiles = { healthy: path.join(dir, 'healthy.yaml'), faulty: path.join(dir, 'faulty.yaml') };
  await writeFile(files.healthy, demoPlanYaml('healthy', settings));
  await writeFile(files.faulty, demoPlanYaml('faulty', settings));
  return files;
}
