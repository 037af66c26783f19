/**
 * What `rollgate init` writes: a commented RolloutPlan built from the wizard's answers. Pure text
 * generation (no I/O); the command validates the result with the real plan validator before it
 * tells anyone it is done.
 *
 * The catalogues below are the choices the wizard offers; each entry carries the defaults that
 * lead to a valid plan, so pressing Enter at every question gives one.
 */

export const TRAFFIC_TEMPLATES = ['exec', 'http', 'nginx', 'envoy', 'http-router', 'feature-flag', 'kubectl'] as const;
export type TrafficTemplate = (typeof TRAFFIC_TEMPLATES)[number];

export const STEP_PRESETS = ['standard', 'fast', 'blue-green'] as const;
export type StepPreset = (typeof STEP_PRESETS)[number];

export const GATE_KINDS = ['error-rate', 'p95-latency', 'success-rate', 'baseline'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

/** How each traffic template shifts the weight: an argv or an HTTP request, with the default shown in the wizard. */
export const TRAFFIC_CATALOGUE: Record<TrafficTemplate, { kind: 'exec' | 'http'; title: string; default: string }> = {
  exec: { kind: 'exec', title: 'a command of yours (argv, no shell)', default: './scripts/set-weight.sh {{service}} {{weight}}' },
  http: { kind: 'http', title: 'an HTTP call of yours (PUT, JSON body {"canary": weight})', default: 'http://router:8080/weights/{{service}}' },
  nginx: { kind: 'exec', title: 'nginx: rewrite a split_clients map and reload', default: './scripts/nginx-canary-weight.sh {{service}} {{weight}}' },
  envoy: { kind: 'http', title: 'Envoy: runtime_modify on the admin API (runtime_fraction route)', default: 'http://127.0.0.1:9901/runtime_modify' },
  'http-router': { kind: 'http', title: 'an HTTP router with a weights API', default: 'http://router:8080/weights/{{service}}' },
  'feature-flag': { kind: 'http', title: 'a feature-flag service (percentage rollout of a flag)', default: 'https://flags.example.com/api/v1/flags/{{service}}-canary' },
  kubectl: { kind: 'exec', title: 'Kubernetes: kubectl scale stable and canary Deployments', default: './scripts/kubectl-canary-replicas.sh {{service}} {{weight}} 10' },
};

export const STEP_CATALOGUE: Record<StepPreset, string> = {
  standard: 'standard canary: 10% → 25% → 50% → 100%, 5–10 minute bakes (about 30 minutes)',
  fast: 'fast canary for low-risk services: 20% → 100%, 2–3 minute bakes',
  'blue-green': 'blue-green: green checked at 0% (pre-promotion gates), then 100% at once (post-promotion gates)',
};

export const GATE_CATALOGUE: Record<GateKind, string> = {
  'error-rate': "error rate: share of the canary's requests answered 5xx (fail above 1%)",
  'p95-latency': 'p95 latency: 95th percentile of canary latency (fail above the threshold for 2 minutes)',
  'success-rate': 'success rate: share of non-5xx answers (fail below 99%)',
  baseline: 'baseline comparison: canary p95 against stable p95 (fail when 10% slower)',
};

export interface PlanAnswers {
  service: string;
  prometheusUrl: string;
  traffic: TrafficTemplate;
  /** argv for exec templates, URL for http templates (the catalogue default when not answered). */
  trafficTarget: string;
  steps: StepPreset;
  gates: GateKind[];
  /** Wait for a person before 100% (not for blue-green: its pre-promotion gates decide). */
  approval: boolean;
  /** After a rollback, check that stable is healthy. */
  verify: boolean;
  requestsMetric: string;
  latencyMetric: string;
  /** p95 threshold in seconds. */
  p95Max: number;
  /** The file's name, used by the blue-green hook that checks the pre-promotion gates. */
  planFile: string;
}

export const PLAN_DEFAULTS = {
  prometheusUrl: 'http://localhost:9090',
  traffic: 'exec' as TrafficTemplate,
  steps: 'standard' as StepPreset,
  gates: ['error-rate', 'p95-latency'] as GateKind[],
  approval: true,
  verify: true,
  requestsMetric: 'http_requests_total',
  latencyMetric: 'http_request_duration_seconds',
  p95Max: 0.3,
};

/** YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (value: string): string => JSON.stringify(value);

/**
 * Splits a command line into argv the way a person types it: whitespace separates, single or
 * double quotes group, backslash escapes. No variables, globs or pipes: actions never see a shell.
 */
export function splitArgv(line: string): string[] {
  const argv: string[] = [];
  let current = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) argv.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (started) argv.push(current);
  return argv;
}

function trafficBlock(a: PlanAnswers): string[] {
  const entry = TRAFFIC_CATALOGUE[a.traffic];
  const lines: string[] = ['traffic:'];
  if (entry.kind === 'exec') {
    const argv = splitArgv(a.trafficTarget);
    switch (a.traffic) {
      case 'nginx':
        lines.push(
          '  # nginx (open source) splits by a split_clients map; the script rewrites it and reloads nginx:',
          '  #   #!/bin/sh -eu   (scripts/nginx-canary-weight.sh SERVICE WEIGHT)',
          '  #   printf \'split_clients "$request_id" $%s_upstream { %s%% %s_canary; * %s_stable; }\\n\' \\',
          '  #     "$1" "$2" "$1" "$1" > "/etc/nginx/conf.d/$1-split.conf"',
          '  #   nginx -t && nginx -s reload',
          '  # (weight 0 writes "0%": all traffic on stable).',
        );
        break;
      case 'kubectl':
        lines.push(
          '  # Kubernetes without a mesh: the Service selects both Deployments, so the canary share is its',
          '  # share of the replicas. The script (SERVICE WEIGHT TOTAL) scales both with kubectl:',
          '  #   #!/bin/sh -eu',
          '  #   canary=$(( ($2 * $3 + 99) / 100 ))',
          '  #   kubectl scale "deployment/$1-canary" --replicas="$canary"',
          '  #   kubectl scale "deployment/$1-stable" --replicas="$(( $3 - canary ))"',
          '  # With 10 replicas, 25% is 3 canary pods (30%): the granularity is 100/TOTAL percent.',
        );
        break;
      default:
        lines.push('  # Sets the canary\'s share of traffic; run as argv (no shell), {{weight}} is 0..100.');
    }
    lines.push(`  exec: [${argv.map(q).join(', ')}]`);
  } else {
    switch (a.traffic) {
      case 'envoy':
        lines.push(
          '  # Envoy: the route sends runtime_fraction of requests to the canary cluster, e.g.',
          `  #   runtime_fraction: { default_value: { numerator: 0 }, runtime_key: routing.traffic_shift.${a.service} }`,
          '  # and the admin API changes that runtime value (percent) without a restart.',
          '  http:',
          '    method: POST',
          `    url: ${q(`${a.trafficTarget}?routing.traffic_shift.{{service}}={{weight}}`)}`,
          '    expectStatus: [200]',
        );
        break;
      case 'feature-flag':
        lines.push(
          '  # A feature-flag service: the new code path is behind a flag whose percentage rollout is the',
          '  # canary weight. The token comes from the environment (FLAGS_API_TOKEN, e.g. "Bearer ..."),',
          '  # never from this file, and is masked in every log and report.',
          '  http:',
          '    method: PATCH',
          `    url: ${q(a.trafficTarget)}`,
          '    headersFromEnv: { Authorization: FLAGS_API_TOKEN }',
          '    json: { enabled: true, rolloutPercentage: "{{weight}}" }   # "{{weight}}" is sent as a number',
        );
        break;
      default:
        lines.push(
          '  # An HTTP router with a weights API: PUT {"canary": 25} sends 25% of the traffic to the canary.',
          '  http:',
          '    method: PUT',
          `    url: ${q(a.trafficTarget)}`,
          '    json: { canary: "{{weight}}" }   # a lone "{{weight}}" is sent as a JSON number',
        );
    }
  }
  lines.push('  timeout: 30s', '  retries: 2                     # extra attempts on a failure, with backoff');
  return lines;
}

function selector(a: PlanAnswers, track: string, extra = ''): string {
  return `{service=${q(a.service)},track=${q(track)}${extra}}`;
}

interface GateText {
  name: string;
  lines: string[];
}

function gateTexts(a: PlanAnswers, track: 'canary' | 'stable', prefix = ''): GateText[] {
  const R = a.requestsMetric;
  const L = `${a.latencyMetric}_bucket`;
  const all: Record<GateKind, GateText> = {
    'error-rate': {
      name: `${prefix}error-rate`,
      lines: [
        `    # Share of ${track} requests answered with a 5xx over the last minute.`,
        '    query: |',
        `      sum(rate(${R}${selector(a, track, ',code=~"5.."')}[1m]))`,
        `      / sum(rate(${R}${selector(a, track)}[1m]))`,
        '    max: 0.01                    # fail above 1%',
        '    minSamples:                  # fewer than 50 requests in the minute: inconclusive, never a pass',
        `      query: sum(increase(${R}${selector(a, track)}[1m]))`,
        '      min: 50',
      ],
    },
    'p95-latency': {
      name: `${prefix}p95-latency`,
      lines: [
        `    # 95th percentile of ${track} latency; must stay above the threshold for 2m to fail.`,
        `    query: histogram_quantile(0.95, sum by (le) (rate(${L}${selector(a, track)}[1m])))`,
        `    max: ${a.p95Max}                    # seconds`,
        '    for: 2m',
      ],
    },
    'success-rate': {
      name: `${prefix}success-rate`,
      lines: [
        `    # Share of ${track} requests answered without a 5xx.`,
        '    query: |',
        `      sum(rate(${R}${selector(a, track, ',code!~"5.."')}[1m]))`,
        `      / sum(rate(${R}${selector(a, track)}[1m]))`,
        '    min: 0.99                    # fail below 99%',
        '    onEmpty: inconclusive        # no traffic is no verdict, not a pass',
      ],
    },
    baseline: {
      name: `${prefix}latency-vs-stable`,
      lines: [
        '    # Canary against baseline: both measured over the same 5 minutes, so a slow dependency',
        '    # that hurts both does not fail the canary; only what the new version adds does.',
        `    query: histogram_quantile(0.95, sum by (le) (rate(${L}${selector(a, 'canary')}[5m])))`,
        `    baseline: histogram_quantile(0.95, sum by (le) (rate(${L}${selector(a, 'stable')}[5m])))`,
        '    maxIncrease: 10%             # fail when the canary is more than 10% slower than stable',
      ],
    },
  };
  return a.gates.map((kind) => all[kind]);
}

/** The plan's YAML text, commented for the person who will own it. */
export function renderPlan(a: PlanAnswers): string {
  const blueGreen = a.steps === 'blue-green';
  const canaryGates = gateTexts(a, 'canary');
  const preGates = blueGreen ? gateTexts(a, 'canary', 'green-').filter((g) => !g.name.endsWith('latency-vs-stable')) : [];
  const gateNames = canaryGates.map((g) => g.name);
  const list = `[${gateNames.join(', ')}]`;
  const approval = a.approval && !blueGreen;
  const out: string[] = [
    '# yaml-language-server: $schema=./rollgate-plan.schema.json',
    '# (for editor completion: rollgate schema plan > rollgate-plan.schema.json)',
    '#',
    `# Rollout plan for ${a.service}, written by \`rollgate init\`. ${STEP_CATALOGUE[a.steps]}.`,
    '# Check it, look at it, run it:',
    `#   rollgate plan validate ${a.planFile}`,
    `#   rollgate plan show ${a.planFile}`,
    `#   rollgate rollout run ${a.planFile} --set version=v2`,
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata:',
    `  name: ${q(`${a.service}-${a.steps}`)}`,
    `  service: ${q(a.service)}             # one rollout per service at a time`,
    'vars:',
    '  version: v2                     # override per run: --set version=v3',
    ...(blueGreen ? [`  planFile: ${q(a.planFile)}      # this file as seen from where the rollout runs (--set planFile=... otherwise)`] : []),
    'prometheus:',
    '  # --prometheus or ROLLGATE_PROMETHEUS_URL win over this; ${VAR:-default} reads the environment.',
    `  url: ${q(`\${PROMETHEUS_URL:-${a.prometheusUrl}}`)}`,
    '  timeout: 10s',
    ...trafficBlock(a),
    'analysis:',
    '  interval: 30s                  # one measurement per gate every 30s while baking',
    '  failureLimit: 0                # the first failed measurement fails the gate',
    '  inconclusiveLimit: 2           # no data or too little traffic: tolerated twice, then...',
    '  onInconclusive: pause          # ...a person decides (rollgate rollout approve / rollgate rollback)',
    '  onError: hold                  # Prometheus unreachable: keep the weight and retry, never pass',
    '  errorTimeout: 5m',
    'gates:',
  ];
  for (const gate of [...canaryGates, ...preGates]) out.push(`  - name: ${gate.name}`, ...gate.lines);
  if (a.verify) {
    out.push(
      '  - name: stable-error-rate',
      '    # Checked after a rollback only (see rollback.verify): is stable healthy again?',
      '    query: |',
      `      sum(rate(${a.requestsMetric}${selector(a, 'stable', ',code=~"5.."')}[1m]))`,
      `      / sum(rate(${a.requestsMetric}${selector(a, 'stable')}[1m]))`,
      '    max: 0.01',
    );
  }
  if (blueGreen) {
    out.push(
      'hooks:',
      '  # Pre-promotion gates: green (the new version, track="canary") takes only smoke traffic at 0%.',
      '  # Before any user traffic moves, the green-* gates of this file must pass; a failure ends the',
      '  # rollout with nothing changed. (Needs `rollgate` on PATH where the rollout runs.)',
      '  beforeRollout:',
      `    - exec: ["rollgate", "gate", "check", "{{planFile}}"${preGates.map((g) => `, "--gate", ${q(g.name)}`).join('')}]`,
      'steps:',
      '  # Post-promotion gates: all traffic on green; a failure switches everything back to blue.',
      '  - weight: 100',
      '    bake: 10m',
      `    gates: ${list}`,
    );
  } else {
    const steps: Array<[number, string]> = a.steps === 'fast' ? [[20, '2m'], [100, '3m']] : [[10, '5m'], [25, '10m'], [50, '10m'], [100, '5m']];
    out.push('steps:');
    steps.forEach(([weight, bake], index) => {
      out.push(`  - weight: ${weight}`, `    bake: ${bake}`, `    gates: ${list}`);
      if (approval && index === steps.length - 2) out.push('    approval: true               # a person confirms before 100% (rollgate rollout approve ID)');
    });
  }
  out.push('rollback:', '  auto: true                     # a failed critical gate rolls back at once');
  if (a.verify) out.push('  verify:', '    gates: [stable-error-rate]', '    within: 2m');
  return `${out.join('\n')}\n`;
}
