/**
 * What `rollgate init --policy` writes: a commented SLAPolicy (availability and latency SLOs for one
 * service, a sustained-latency rule) built from the wizard's answers. Pure text generation.
 */

export interface PolicyAnswers {
  service: string;
  prometheusUrl: string;
  /** Availability objective in percent, e.g. 99.9. */
  objective: number;
  /** Rolling window, e.g. 30d. */
  window: string;
  /** Latency SLO: p95 threshold in seconds, met in `latencyObjective` percent of 5-minute slices. */
  p95Max: number;
  latencyObjective: number;
  requestsMetric: string;
  latencyMetric: string;
  policyFile: string;
}

export const POLICY_DEFAULTS = {
  prometheusUrl: 'http://localhost:9090',
  objective: 99.9,
  window: '30d',
  p95Max: 0.3,
  latencyObjective: 99,
  requestsMetric: 'http_requests_total',
  latencyMetric: 'http_request_duration_seconds',
};

const q = (value: string): string => JSON.stringify(value);

export function renderPolicy(a: PolicyAnswers): string {
  const sel = (extra = ''): string => `{service=${q(a.service)}${extra}}`;
  const budgetMinutes = Math.round(((100 - a.objective) / 100) * parseWindowDays(a.window) * 24 * 60);
  return `${[
    `# SLA policy for ${a.service}, written by \`rollgate init --policy\`.`,
    '# Check it, audit it, turn it into Prometheus alerting rules:',
    `#   rollgate plan validate ${a.policyFile}`,
    `#   rollgate sla audit ${a.policyFile} --window ${a.window}`,
    `#   rollgate sla rules ${a.policyFile} > ${a.service}-slo-rules.yaml`,
    '# A nightly audit from cron (02:15 every day), its result pushed to a Pushgateway:',
    `#   15 2 * * *  rollgate sla audit /etc/rollgate/${a.policyFile} --pushgateway http://pushgateway:9091 --json >> /var/log/rollgate-audit.ndjson`,
    'apiVersion: rollgate/v1',
    'kind: SLAPolicy',
    'metadata:',
    `  name: ${q(`${a.service}-sla`)}`,
    `  service: ${q(a.service)}`,
    'prometheus:',
    `  url: ${q(`\${PROMETHEUS_URL:-${a.prometheusUrl}}`)}   # --prometheus or ROLLGATE_PROMETHEUS_URL win over this`,
    'slos:',
    '  - name: availability',
    `    # ${a.objective}% of requests answered without a 5xx over a rolling ${a.window}:`,
    `    # an error budget of about ${budgetMinutes} minutes of full outage per window.`,
    `    objective: ${a.objective}`,
    `    window: ${a.window}`,
    '    minEvents: 100               # a quiet window is never counted as bad',
    '    errorRatio:',
    `      errors: sum(increase(${a.requestsMetric}${sel(',code=~"5.."')}[{{range}}]))`,
    `      total: sum(increase(${a.requestsMetric}${sel()}[{{range}}]))`,
    '  - name: latency',
    `    # In ${a.latencyObjective}% of 5-minute slices the p95 latency stays at or below ${a.p95Max}s.`,
    `    objective: ${a.latencyObjective}`,
    `    window: ${a.window}`,
    '    timeslices:',
    `      query: histogram_quantile(0.95, sum by (le) (rate(${a.latencyMetric}_bucket${sel()}[5m])))`,
    `      max: ${a.p95Max}`,
    '      slice: 5m',
    'rules:',
    '  # A sustained breach, reported with every interval it lasted: p95 above the threshold for 30m.',
    '  - name: sustained-latency',
    `    query: histogram_quantile(0.95, sum by (le) (rate(${a.latencyMetric}_bucket${sel()}[5m])))`,
    `    max: ${a.p95Max}`,
    '    for: 30m',
    '    severity: critical',
  ].join('\n')}\n`;
}

/** Days in a window such as 30d, 4w or 720h (for the budget comment only). */
function parseWindowDays(window: string): number {
  const m = /^(\d+)([dhw])$/.exec(window);
  if (!m) return 30;
  const n = Number(m[1]);
  return m[2] === 'd' ? n : m[2] === 'w' ? n * 7 : n / 24;
}
