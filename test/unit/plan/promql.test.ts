import { describe, expect, it } from 'vitest';
import { findPromqlError, longestRangeMs, parsePromDuration } from '../../../src/lib/plan/promql.js';

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
    ['sum(rate(x[1m])', 'PromQL syntax error: the query ends too early (unclosed bracket or missing operand?)'],
    ['rate(x[5m]) /', 'PromQL syntax error: the query ends too early (unclosed bracket or missing operand?)'],
    ['histogram_quantil(0.95, x)', 'PromQL syntax error: unknown function "histogram_quantil"'],
    ['foo bar', 'PromQL syntax error near "bar"'],
    ['x +* y', 'PromQL syntax error near "*"'],
    ['   ', 'the query is empty'],
  ])('rejects %s', (query, message) => {
    expect(findPromqlError(query)?.message).toBe(message);
  });

  it('gives the offset of the problem', () => {
    expect(findPromqlError('foo bar')).toEqual({ offset: 4, near: 'bar', message: 'PromQL syntax error near "bar"' });
  });
});

describe('range selectors', () => {
  it('finds the longest range of a query, subqueries included', () => {
    expect(longestRangeMs('sum(rate(a[1m])) / sum(rate(b[5m]))')).toBe(300_000);
    expect(longestRangeMs('max_over_time(rate(x[1m])[10m:30s])')).toBe(600_000);
    expect(longestRangeMs('x[1h30m] offset 5m')).toBe(5_400_000);
    expect(longestRangeMs('up')).toBe(0);
  });

  it('parses Prometheus durations, bare numbers being seconds', () => {
    expect(parsePromDuration('90')).toBe(90_000);
    expect(parsePromDuration('1y')).toBe(31_536_000_000);
    expect(parsePromDuration('500ms')).toBe(500);
    expect(parsePromDuration('abc')).toBeUndefined();
  });
});
