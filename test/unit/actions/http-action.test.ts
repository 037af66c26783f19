import { describe, expect, it } from 'vitest';
import { renderJson, renderUrl } from '../../../src/lib/actions/http-action.js';
import { MissingVarError } from '../../../src/lib/template.js';

describe('renderUrl', () => {
  const vars = { host: 'router:8080', base: 'http://router:8080/api', service: 'check out/x', weight: '25' };
  it('substitutes the origin verbatim and encodes path and query values', () => {
    expect(renderUrl('http://{{host}}/weights/{{service}}?w={{weight}}', vars)).toBe('http://router:8080/weights/check%20out%2Fx?w=25');
    expect(renderUrl('{{base}}/weights/{{service}}', vars)).toBe('http://router:8080/api/weights/check%20out%2Fx');
  });
  it('refuses a non-http URL, a relative one, and unknown placeholders', () => {
    expect(() => renderUrl('file:///etc/{{weight}}', vars)).toThrow(/only http and https/);
    expect(() => renderUrl('/weights/{{weight}}', vars)).toThrow(/not a valid URL/);
    expect(() => renderUrl('http://x/{{nope}}', vars)).toThrow(MissingVarError);
  });
});

describe('renderJson', () => {
  const vars = { weight: '25', ratio: '0.5', neg: '-3', version: 'v2', padded: '007', big: '1e3' };
  it('turns a whole-string placeholder with a decimal value into a number, and nothing else', () => {
    expect(
      renderJson({ w: '{{weight}}', r: '{{ ratio }}', n: '{{neg}}', v: '{{version}}', s: 'w={{weight}}', p: '{{padded}}', e: '{{big}}', list: ['{{weight}}', 1, true, null] }, vars),
    ).toEqual({ w: 25, r: 0.5, n: -3, v: 'v2', s: 'w=25', p: '007', e: '1e3', list: [25, 1, true, null] });
  });
});
