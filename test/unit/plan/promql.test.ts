import { describe, expect, it } from 'vitest';
import { findPromqlError, longestRangeMs, parsePromDuration, templateOffset } from '../../../src/lib/plan/promql.js';

describe('findPromqlError', () => {
  it.each([
    'up',
    'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
    'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    'max_over_time(rate(x[1m])[10m:30s])',
    'x offset 1h',
    'up == bool 1',
    'topk(3, sum by (pod) (rate(x[5m])))',
  ])('accepts %s', (query) => {
    expect(findPromqlError(query)).toBeUndefined();
  });

  it.each([
    ['sum(rate(x[1m])', 'PromQL parse error: unclosed left parenthesis', 3],
    ['rate(x[5m]) /', 'PromQL parse error: unexpected end of input', 13],
    ['histogram_quantil(0.95, x)', 'PromQL parse error: unknown function with name "histogram_quantil"', 0],
    ['foo bar', 'PromQL parse error: unexpected identifier "bar"', 4],
    ['x +* y', 'PromQL parse error: unexpected <op:*>', 3],
    ['max_over_time(rate(x[1m])[10m)', 'PromQL parse error: unexpected ")" in subquery or range, expected ":" or "]"', 29],
    ['sum(x[5m])', 'PromQL parse error: expected type instant vector in aggregation expression, got range vector', 4],
    ['   ', 'PromQL parse error: no expression found in input (the query is empty)', 0],
  ])('rejects %s', (query, message, offset) => {
    expect(findPromqlError(query)).toMatchObject({ message, offset });
  });

  it('names that are Object.prototype keys are plain metric names (found by the property test)', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(findPromqlError(name), name).toBeUndefined();
      expect(findPromqlError(`sum(rate(${name}[5m]))`), name).toBeUndefined();
    }
  });

  it('gives the offset of the problem and the text there', () => {
    expect(findPromqlError('foo bar')).toEqual({ offset: 4, near: 'bar', message: 'PromQL parse error: unexpected identifier "bar"', detail: 'unexpected identifier "bar"' });
  });

  it('a query nested deeper than the call stack goes is judged without a crash', () => {
    const nested = (depth: number, inner: string): string => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;
    expect(findPromqlError(nested(1_000, '1'))).toBeUndefined();
    // How deep the stack goes depends on the runtime: whatever the verdict, it is a value, not a RangeError.
    expect(() => findPromqlError(nested(50_000, '1'))).not.toThrow();
    expect(findPromqlError(`${nested(50_000, '1')} +`)).toBeDefined();
    expect(() => longestRangeMs(nested(50_000, 'x[5m]'))).not.toThrow();
  });

  it('points past the last token, not at trailing blank lines, when the query ends too early', () => {
    expect(findPromqlError('rate(x[5m]) /\n\n')?.offset).toBe(13);
  });
});

describe('templateOffset', () => {
  const vars: Record<string, string> = { service: 'checkout-service', range: '5m' };
  const render = (text: string): string => text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name]!);
  it('maps an offset after placeholders back to the template', () => {
    const template = 'rate(x{service="{{service}}"}[{{ range }})';
    const rendered = render(template);
    const offset = rendered.indexOf(')');
    expect(template.slice(templateOffset(template, offset, render))).toBe(')');
  });
  it('points at the placeholder when the offset falls inside a substituted value', () => {
    const template = 'x{service="{{service}}"}';
    expect(templateOffset(template, render(template).indexOf('service"') + 3, render)).toBe(template.indexOf('{{service}}'));
  });
  it('is the identity without placeholders', () => {
    expect(templateOffset('foo bar', 4, render)).toBe(4);
  });
});

describe('range selectors', () => {
  it('finds the longest range of a query, subqueries included', () => {
    expect(longestRangeMs('sum(rate(a[1m])) / sum(rate(b[5m]))')).toBe(300_000);
    expect(longestRangeMs('max_over_time(rate(x[1m])[10m:30s])')).toBe(600_000);
    expect(longestRangeMs('x[1h30m] offset 5m')).toBe(5_400_000);
    expect(longestRangeMs('up')).toBe(0);
  });

  it('reads ranges of syntax newer than Prometheus 2.x through lezer', () => {
    expect(longestRangeMs('max_over_time(x[15m:1])')).toBe(900_000);
  });

  it('parses Prometheus durations, bare numbers being seconds', () => {
    expect(parsePromDuration('90')).toBe(90_000);
    expect(parsePromDuration('1y')).toBe(31_536_000_000);
    expect(parsePromDuration('500ms')).toBe(500);
    expect(parsePromDuration('abc')).toBeUndefined();
  });
});
