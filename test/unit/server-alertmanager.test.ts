/** The pure parts of `rollgate serve`: alert interpretation, severities, config, token and address checks. */
import { describe, expect, it } from 'vitest';
import { interpretAlert, webhookPayloadSchema, describePayloadError, type WebhookAlert } from '../../src/lib/server/alertmanager.js';
import { bearerMatches, isLoopbackHost, parseListenAddress } from '../../src/lib/server/auth.js';
import { defaultServeConfig, parseServeConfig, rollbackSeverityOf } from '../../src/lib/server/config.js';
import { requestOutcome } from '../../src/lib/server/webhook.js';
import { PlanError, UsageError } from '../../src/lib/errors.js';

const alert = (labels: Record<string, string>, extra: Partial<WebhookAlert> = {}): WebhookAlert => ({
  status: 'firing',
  labels,
  annotations: { summary: 'too  many\nerrors' },
  startsAt: '2026-12-01T10:00:00Z',
  generatorURL: 'http://prom/graph?g0.expr=x',
  fingerprint: 'abc',
  ...extra,
});

describe('interpretAlert', () => {
  const config = defaultServeConfig();
  it('a firing alert with the action and service labels asks for a rollback, reason = name + summary + link', () => {
    const meaning = interpretAlert(alert({ alertname: 'HighErrors', service: 'checkout', rollgate_action: 'rollback', severity: 'warning' }), config);
    expect(meaning).toEqual({
      kind: 'rollback',
      ask: {
        service: 'checkout',
        reason: 'alert HighErrors: too many errors (http://prom/graph?g0.expr=x)',
        severity: 'major',
        source: { kind: 'alertmanager', fingerprint: 'abc', alertname: 'HighErrors', labels: { alertname: 'HighErrors', service: 'checkout', rollgate_action: 'rollback', severity: 'warning' }, annotations: { summary: 'too  many\nerrors' }, generatorURL: 'http://prom/graph?g0.expr=x', startsAt: '2026-12-01T10:00:00Z' },
      },
    });
  });
  it('resolved, wrong action value, missing service: nothing', () => {
    expect(interpretAlert(alert({ service: 'a', rollgate_action: 'rollback' }, { status: 'resolved' }), config)).toEqual({ kind: 'resolved' });
    expect(interpretAlert(alert({ service: 'a', rollgate_action: 'page' }), config)).toMatchObject({ kind: 'not-for-rollgate', why: 'no rollgate_action="rollback" label' });
    expect(interpretAlert(alert({ rollgate_action: 'rollback' }), config)).toMatchObject({ kind: 'not-for-rollgate', why: 'no service label' });
  });
  it('honours configured label names and values', () => {
    const custom = parseServeConfig('alertmanager:\n  actionLabel: action\n  actionValue: undeploy\n  serviceLabel: app\n  severities: { sev1: critical, Sev3: minor }\n', 'serve.yaml');
    expect(interpretAlert(alert({ app: 'search', action: 'undeploy', severity: 'SEV3' }), custom)).toMatchObject({ kind: 'rollback', ask: { service: 'search', severity: 'minor' } });
    expect(rollbackSeverityOf({ severity: 'sev1' }, custom)).toBe('critical');
  });
});

describe('severities', () => {
  const config = defaultServeConfig();
  it.each([
    ['critical', 'critical'],
    ['page', 'critical'],
    ['Warning', 'major'],
    ['ticket', 'major'],
    ['info', 'minor'],
    ['none', 'minor'],
    ['whatever', 'critical'],
  ])('%s → %s', (label, expected) => expect(rollbackSeverityOf({ severity: label }, config)).toBe(expected));
  it('no severity label → critical', () => expect(rollbackSeverityOf({}, config)).toBe('critical'));
});

describe('serve config errors', () => {
  it('are file:line:col with the path', () => {
    expect(() => parseServeConfig('alertmanager:\n  severities: { p1: urgent }\n', 'c.yaml')).toThrow(PlanError);
    expect(() => parseServeConfig('alertmanager:\n  serviceLabel: "not a label"\n', 'c.yaml')).toThrow(PlanError);
    try {
      parseServeConfig('alertmanager:\n  serviceLabel: "not a label"\n', 'c.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('c.yaml:2:17: alertmanager.serviceLabel: expected a Prometheus label name, got "not a label"');
    }
    expect(() => parseServeConfig('alertmanager: [1\n', 'c.yaml')).toThrow(/c\.yaml:\d+:\d+: YAML syntax error/);
    expect(parseServeConfig('', 'c.yaml')).toEqual(defaultServeConfig());
  });
});

describe('payload schema', () => {
  it('names the first problem in one line', () => {
    const parsed = webhookPayloadSchema.safeParse({ version: '4', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [{ status: 'firing', labels: { a: 1 }, startsAt: 'x', fingerprint: 'f' }] });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describePayloadError(parsed.error)).toMatch(/^invalid Alertmanager webhook payload: alerts\.0\.labels\.a: [^\n]+$/);
  });
});

describe('bearer token, listen address', () => {
  it('matches only the exact token', () => {
    expect(bearerMatches('Bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('bearer s3cret ', 's3cret')).toBe(true);
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer s3cret extra']) expect(bearerMatches(header, 's3cret'), String(header)).toBe(false);
  });
  it('parses HOST:PORT, [v6]:PORT and :PORT; knows loopback addresses', () => {
    expect(parseListenAddress('127.0.0.1:9797')).toEqual({ host: '127.0.0.1', port: 9797 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListenAddress(':9797')).toEqual({ host: '0.0.0.0', port: 9797 });
    expect(() => parseListenAddress('9797')).toThrow(UsageError);
    expect(() => parseListenAddress('host:70000')).toThrow(UsageError);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('requestOutcome', () => {
  it('is the most consequential alert outcome', () => {
    expect(requestOutcome([])).toBe('empty');
    expect(requestOutcome([{ fingerprint: 'a', alertname: '', outcome: 'resolved' }, { fingerprint: 'b', alertname: '', outcome: 'requested' }])).toBe('requested');
    expect(requestOutcome([{ fingerprint: 'a', alertname: '', outcome: 'no-running-rollout' }])).toBe('no_running_rollout');
  });
});
