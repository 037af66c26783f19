/**
 * A PromQL problem is reported at the `file:line:col` of the offending token inside the YAML,
 * whatever the scalar style: plain (also continued over lines), quoted with escapes, literal and
 * folded block scalars, with `{{placeholders}}` before the token. Each case names the text that
 * must stand at the reported position, so a column that is off by the quoting cannot pass.
 */
import { describe, expect, it } from 'vitest';
import { checkPlanSource } from '../../../src/lib/plan/load.js';
import { checkSlaPolicySource } from '../../../src/lib/sla/load.js';

const PLAN_HEAD = [
  'apiVersion: rollgate/v1',
  'kind: RolloutPlan',
  'metadata: { name: checkout-v2, service: checkout }',
  'traffic:',
  '  exec: ["./set-weight.sh", "{{weight}}"]',
  'canary: { weights: [50, 100], bake: 1m }',
  'gates:',
  '  - name: error-rate',
  '    max: 0.01',
].join('\n');

/** The plan's one issue, and the source text from its line:col on. */
function located(text: string, issues: Array<{ line: number; col: number; message: string; path: string }>): { line: number; message: string; path: string; rest: string } {
  expect(issues.map((i) => i.message)).toHaveLength(1);
  const { line, col, message, path } = issues[0]!;
  const rest = text.split('\n')[line - 1]!.slice(col - 1);
  return { line, message, path, rest };
}

function planIssue(queryYaml: string): ReturnType<typeof located> {
  const text = `${PLAN_HEAD}\n${queryYaml}\n`;
  return located(text, checkPlanSource(text, 'plan.yaml', { env: {} }).issues);
}

const SUBQUERY_OR_RANGE = 'PromQL parse error: unexpected ")" in subquery or range, expected ":" or "]"';
const RATE_OF_INSTANT = 'PromQL parse error: expected type range vector in call to function "rate", got instant vector';

describe('PromQL problems point at the offending token in the YAML source', () => {
  it.each([
    ['a plain scalar', '    query: sum(rate(x[5m))', 10, SUBQUERY_OR_RANGE, '))'],
    ['a double-quoted scalar with escapes before the token', '    query: "sum(rate(x{a=\\"b\\",c=~\\"\\\\\\\\d+\\"}[5m))"', 10, SUBQUERY_OR_RANGE, '))"'],
    ['a single-quoted scalar with doubled quotes', "    query: 'sum(rate(x{a=''b''}[5m))'", 10, SUBQUERY_OR_RANGE, "))'"],
    ['a literal block scalar, third line', '    query: |\n      sum(rate(x{code=~"5.."}[5m]))\n        / sum(rate(x[5m)))', 12, SUBQUERY_OR_RANGE, ')))'],
    ['a folded block scalar, second line', '    query: >\n      sum(rate(x[5m]))\n      / sum(rate(x[5m)))', 12, SUBQUERY_OR_RANGE, ')))'],
    ['a plain scalar continued on the next line', '    query: sum(rate(x[5m]))\n      / sum(rate(y))', 11, RATE_OF_INSTANT, 'y))'],
    ['a double-quoted scalar with an escaped line break', '    query: "sum(rate(x[5m]))\\n / rate(y)"', 10, RATE_OF_INSTANT, 'y)"'],
    ['a block scalar, the token on an inner line', '    query: |\n      sum(\n        rate(x)\n      )', 12, RATE_OF_INSTANT, 'x)'],
    ['placeholders before the token', '    query: sum(rate(x{service="{{service}}"}[{{ range }})) / 1', 10, SUBQUERY_OR_RANGE, ')) / 1'],
    ['a query ending too early in a block scalar: right after the last token', '    query: |\n      sum(rate(x[5m])) /\n', 11, 'PromQL parse error: unexpected end of input', ''],
  ])('%s', (_, queryYaml, line, message, at) => {
    const found = planIssue(queryYaml);
    expect(found.path).toBe('gates[0].query');
    expect(found.message).toBe(message);
    expect(found.line).toBe(line);
    expect(found.rest).toBe(at);
  });

  it('an unclosed parenthesis points at the parenthesis that is never closed', () => {
    const found = planIssue('    query: |\n      sum(\n        rate(x[5m])\n      / 2');
    expect(found.message).toBe('PromQL parse error: unclosed left parenthesis');
    expect(found.line).toBe(11);
    expect(found.rest).toBe('(');
  });

  it('an SLA policy query in a block scalar, with {{range}} filled, points at the token', async () => {
    const text = [
      'apiVersion: rollgate/v1',
      'kind: SLAPolicy',
      'metadata: { name: checkout-sla, service: checkout }',
      'slos:',
      '  - name: availability',
      '    objective: 99.9',
      '    window: 30d',
      '    errorRatio:',
      '      errors: sum(increase(http_requests_total{code=~"5.."}[{{range}}]))',
      '      total: |',
      '        sum(',
      '          increase(http_requests_total[{{range}}) by (job)',
      '        )',
      '',
    ].join('\n');
    const checked = await checkSlaPolicySource(text, 'sla.yaml', { env: {} });
    const found = located(text, checked.issues);
    expect(found.path).toBe('slos[0].errorRatio.total');
    expect(found.message).toBe(SUBQUERY_OR_RANGE);
    expect(found.line).toBe(12);
    expect(found.rest).toBe(') by (job)');
  });

  it('a Sloth spec query after {{.window}} placeholders points at the token', async () => {
    const text = [
      'version: "prometheus/v1"',
      'service: "checkout"',
      'slos:',
      '  - name: "availability"',
      '    objective: 99.9',
      '    sli:',
      '      events:',
      '        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
      '        total_query: sum(rate(http_requests_total[{{.window}}])) + rate(y)',
      '    alerting:',
      '      name: CheckoutAvailabilityBudgetBurn',
      '      page_alert: { disable: true }',
      '      ticket_alert: { disable: true }',
      '',
    ].join('\n');
    const checked = await checkSlaPolicySource(text, 'sloth.yaml', { env: {} });
    const found = located(text, checked.issues);
    expect(found.path).toBe('slos[0].sli.events.total_query');
    expect(found.message).toBe(RATE_OF_INSTANT);
    expect(found.line).toBe(9);
    expect(found.rest).toBe('y)');
  });
});
