/**
 * {{vars}} never rewrite PromQL (issue 7.4): escaped inside string literals, refused where they
 * would change the query's structure. Every rendered query below is also parsed with Prometheus'
 * own grammar, and the label value it carries is read back from the parse: what the user set is
 * exactly what the matcher compares against.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { escapeForPromqlString, renderPromqlTemplate, UnsafePlaceholderError } from '../../../src/lib/plan/promql-vars.js';
import { findPromqlError } from '../../../src/lib/plan/promql.js';
import { MissingVarError } from '../../../src/lib/template.js';

/** Go/Prometheus unquoting of the escapes this module writes, to read a literal back. */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  return body.replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) =>
    e.startsWith('x') && e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e,
  );
}

/** The string literals of a query, in order, as the PromQL parser sees them. */
function stringLiterals(query: string): string[] {
  const found: string[] = [];
  parser.parse(query).iterate({ enter: (node) => void (node.name === 'StringLiteral' && found.push(unquote(query.slice(node.from, node.to)))) });
  return found;
}

const HOSTILE = [
  'v2"}[1m])) * 0 # ',
  'v2"} or vector(0) # ',
  "v2'}) * 0 # ",
  'a\\"b',
  'line\nbreak # }',
  'tab\there\u0001',
  '"; $(rm -rf /) #',
  'v2`raw',
  '{{weight}}',
];

describe('inside a string literal the value is escaped and stays data', () => {
  it.each(HOSTILE)('double quotes: %j', (value) => {
    const query = renderPromqlTemplate('sum(rate(x{version="{{version}}",code=~"5.."}[1m])) / sum(rate(x{version="{{version}}"}[1m]))', { version: value });
    expect(findPromqlError(query)).toBeUndefined();
    expect(stringLiterals(query)).toEqual([value, '5..', value]);
    expect(query.endsWith('}[1m]))')).toBe(true);
  });

  it.each(HOSTILE)("single quotes: %j", (value) => {
    const query = renderPromqlTemplate("x{version='{{version}}'} > 0", { version: value });
    expect(findPromqlError(query)).toBeUndefined();
    expect(stringLiterals(query)).toEqual([value]);
  });

  it('escapes follow the literal: \\" only in "…", \\\' only in \'…\'', () => {
    expect(escapeForPromqlString(`a"b'c\\`, '"')).toBe(`a\\"b'c\\\\`);
    expect(escapeForPromqlString(`a"b'c\\`, "'")).toBe(`a"b\\'c\\\\`);
  });

  it('the template\'s own escapes are kept, and a quote in the template still ends the literal', () => {
    expect(renderPromqlTemplate('x{a="q\\"{{v}}",b="{{v}}"}', { v: 'z' })).toBe('x{a="q\\"z",b="z"}');
  });

  it('raw strings cannot escape: a backtick in the value is refused', () => {
    expect(renderPromqlTemplate('x{a=`{{v}}`}', { v: 'a"b#c' })).toBe('x{a=`a"b#c`}');
    expect(() => renderPromqlTemplate('x{a=`{{v}}`}', { v: 'a`b' })).toThrow(UnsafePlaceholderError);
  });
});

describe('outside a string literal only one number, duration or name is accepted', () => {
  it.each([
    ['rate(x[{{window}}])', '5m', 'rate(x[5m])'],
    ['rate(x[{{window}}])', '1h30m', 'rate(x[1h30m])'],
    ['x > {{limit}}', '0.01', 'x > 0.01'],
    ['x > {{limit}}', '-1e-3', 'x > -1e-3'],
    ['{{metric}}{job="a"}', 'http_requests_total', 'http_requests_total{job="a"}'],
    ['x_{{suffix}}_total', 'v2', 'x_v2_total'],
  ])('%s with %j', (template, value, expected) => {
    expect(renderPromqlTemplate(template, { window: value, limit: value, metric: value, suffix: value })).toBe(expected);
  });

  it.each([
    ['rate(x[{{window}}])', '1m])) * 0 #'],
    ['x > {{limit}}', '0 or vector(0)'],
    ['x > {{limit}}', '1)'],
    ['x > {{limit}}', ''],
    ['{{metric}}{job="a"}', 'x"'],
    ['{{metric}}{job="a"}', 'up{job="b"} or up'],
    ['x {{op}} y', 'or'],
    ['{{agg}}(x)', 'sum'],
  ])('%s refuses %j, naming the placeholder and never echoing the value', (template, value) => {
    const error = (() => {
      try {
        renderPromqlTemplate(template, { window: value, limit: value, metric: value, op: value, agg: value });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsafePlaceholderError);
    expect((error as Error).message).toMatch(/^\{\{(window|limit|metric|op|agg)\}\} /);
    if (value.length > 3) expect((error as Error).message).not.toContain(value);
  });

  it('a line break in a value inside a comment is refused (it would end the comment)', () => {
    expect(renderPromqlTemplate('x # for {{v}}\n> 1', { v: 'v2 # ok' })).toBe('x # for v2 # ok\n> 1');
    expect(() => renderPromqlTemplate('x # for {{v}}\n> 1', { v: 'a\n* 0' })).toThrow(UnsafePlaceholderError);
  });
});

describe('unknown and kept placeholders', () => {
  it('keeps run-time names, throws MissingVarError for unknown ones', () => {
    expect(renderPromqlTemplate('x{w="{{weight}}"}[{{range}}]', {}, ['weight', 'range'])).toBe('x{w="{{weight}}"}[{{range}}]');
    expect(() => renderPromqlTemplate('x{a="{{nope}}"}', {})).toThrow(MissingVarError);
  });
});
