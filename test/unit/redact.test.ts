import { describe, expect, it } from 'vitest';
import { REDACTED, redactDeep, redactHeaders, redactText, redactUrl, secretVarValues, trimSecretFragment } from '../../src/lib/redact.js';

describe('redactText', () => {
  it('replaces every occurrence of every secret', () => {
    expect(redactText('a=tok-1234 b=tok-1234 c=pass-5678', ['tok-1234', 'pass-5678'])).toBe('a=*** b=*** c=***');
  });
  it('ignores secrets shorter than 4 characters and empty ones', () => {
    expect(redactText('weight 10 abc', ['10', 'abc', ''])).toBe('weight 10 abc');
  });
  it('masks the longer secret whole when one contains another', () => {
    expect(redactText('x=abcd-efgh', ['abcd', 'abcd-efgh'])).toBe('x=***');
  });
  it('masks the URL-encoded form too', () => {
    expect(redactText('GET /?t=p%40ss%2Fw0rd', ['p@ss/w0rd'])).toBe('GET /?t=***');
  });
  it('treats regex characters in secrets literally', () => {
    expect(redactText('k=a.b*c+d? k=aXbbc', ['a.b*c+d?'])).toBe('k=*** k=aXbbc');
  });
});

describe('trimSecretFragment', () => {
  it('drops the start of a secret cut off at the end, and its end at the start', () => {
    expect(trimSecretFragment('output: s3cr', ['s3cret-value'], 'end')).toBe('output: ');
    expect(trimSecretFragment('t-value rest', ['s3cret-value'], 'start')).toBe(' rest');
    expect(trimSecretFragment('nothing here', ['s3cret-value'], 'end')).toBe('nothing here');
  });
});

describe('redactUrl', () => {
  it('masks user:password and credential query parameters, leaving the rest as written', () => {
    expect(redactUrl('https://user:p%40ss@router.example:8443/w/{{x}}?a=1&token=abc&api_key=k#f')).toBe(
      'https://***@router.example:8443/w/{{x}}?a=1&token=***&api_key=***#f',
    );
    expect(redactUrl('http://router/weights?service=checkout')).toBe('http://router/weights?service=checkout');
    expect(redactUrl('redis://:secret@localhost:6379/0')).toBe('redis://***@localhost:6379/0');
  });
  it('leaves a URL without credentials unchanged', () => {
    expect(redactUrl('http://127.0.0.1:9090/api/v1/query')).toBe('http://127.0.0.1:9090/api/v1/query');
  });
});

describe('redactHeaders', () => {
  it('masks credential headers by name, case-insensitively', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        'proxy-authorization': 'Basic y',
        Cookie: 'sid=1',
        'X-Api-Key': 'k',
        'X-Auth-Token': 't',
        'X-Client-Secret': 's',
        'X-Scope-OrgID': 'team-a',
        'Content-Type': 'application/json',
      }),
    ).toEqual({
      Authorization: REDACTED,
      'proxy-authorization': REDACTED,
      Cookie: REDACTED,
      'X-Api-Key': REDACTED,
      'X-Auth-Token': REDACTED,
      'X-Client-Secret': REDACTED,
      'X-Scope-OrgID': 'team-a',
      'Content-Type': 'application/json',
    });
  });
});

describe('redactDeep', () => {
  it('masks secret keys, secret values and URL credentials at any depth without changing the input', () => {
    const input = {
      prometheus: { url: 'https://u:pw@prom:9090', bearerTokenFile: '/run/secrets/t', headers: { Authorization: 'Bearer zzz' } },
      basicAuth: { username: 'me', password: 'hunter2', passwordEnv: 'PROM_PASS' },
      steps: [{ output: 'echoed tok-98765 here', weight: 10 }],
      apiKey: 'k',
      token: { value: 'x', nested: ['y'] },
      ok: true,
      nothing: null,
    };
    const copy = structuredClone(input);
    expect(redactDeep(input, ['tok-98765'])).toEqual({
      prometheus: { url: 'https://***@prom:9090', bearerTokenFile: '/run/secrets/t', headers: { Authorization: REDACTED } },
      basicAuth: { username: 'me', password: REDACTED, passwordEnv: 'PROM_PASS' },
      steps: [{ output: 'echoed *** here', weight: 10 }],
      apiKey: REDACTED,
      token: { value: REDACTED, nested: [REDACTED] },
      ok: true,
      nothing: null,
    });
    expect(input).toEqual(copy);
  });
  it('copies shared objects and marks cycles', () => {
    const shared = { a: 1 };
    expect(redactDeep({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } });
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toEqual({ name: 'c', self: '[Circular]' });
  });
});

describe('credential patterns in free text', () => {
  it('masks bearer/basic tokens and key=value credentials, leaves prose alone', async () => {
    const { maskCredentialPatterns, redactDeep } = await import('../../src/lib/redact.js');
    expect(maskCredentialPatterns('Authorization: Bearer sk_live_abcdef123456')).toBe('Authorization: Bearer ***');
    expect(maskCredentialPatterns('curl -H "X-Api-Key: abcdefgh1234" http://x')).toBe('curl -H "X-Api-Key: ***" http://x');
    expect(maskCredentialPatterns('api_key=supersecret1&x=1')).toBe('api_key=***&x=1');
    expect(maskCredentialPatterns('authorization failed for user bob; token bucket refilled')).toBe('authorization failed for user bob; token bucket refilled');
    expect(maskCredentialPatterns('header Authorization: environment variable X is not set')).toBe('header Authorization: environment variable X is not set');
    expect(redactDeep({ headers: { 'X-Auth': 'abc12345', 'Private-Key': 'zzz', Accept: 'json' }, key: 4 })).toEqual({ headers: { 'X-Auth': '***', 'Private-Key': '***', Accept: 'json' }, key: 4 });
  });
});

describe('auth is a secret name (issue 7.7)', () => {
  it('values under auth-like keys are masked; "author" is not; an object under basicAuth is walked', () => {
    expect(redactDeep({ routerAuth: 'abc123', xAuth: 'q', author: 'me', basicAuth: { username: 'u', password: 'p', passwordFile: '/run/p' } })).toEqual({
      routerAuth: REDACTED,
      xAuth: REDACTED,
      author: 'me',
      basicAuth: { username: 'u', password: REDACTED, passwordFile: '/run/p' },
    });
  });
  it('secretVarValues: named like a secret, or listed as secret by the plan', () => {
    expect(secretVarValues({ routerAuth: 'a-secret', routerLogin: 'login-123', release: 'v2.3.1' }, ['routerLogin'])).toEqual(['a-secret', 'login-123']);
  });
});
