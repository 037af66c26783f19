/**
 * The client against a deliberately misbehaving HTTP peer (node:http on a free loopback port):
 * retries, timeouts, garbage, auth and tenant headers. Real Prometheus answers are covered by
 * test/integration/gate-check.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/lib/errors.js';
import type { PrometheusConfig } from '../../../src/lib/plan/types.js';
import { createPrometheusClient } from '../../../src/lib/prometheus/client.js';
import { freePort } from '../../support/prometheus.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: URLSearchParams;
}

type Handler = (req: Seen, res: ServerResponse, attempt: number) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();
let seen: Seen[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollgate-client-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: new URLSearchParams(Buffer.concat(chunks).toString()) };
      seen.push(entry);
      handler(entry, res, seen.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  seen = [];
});

const config = (over: Partial<PrometheusConfig> = {}): PrometheusConfig => ({ url: base, timeoutMs: 2_000, retries: 2, headers: {}, insecureSkipVerify: false, ...over });
const client = (over: Partial<PrometheusConfig> = {}, env: NodeJS.ProcessEnv = {}) => createPrometheusClient(config(over), { env, backoffBaseMs: 10 });
const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};
const vector = (result: unknown[]) => ({ status: 'success', data: { resultType: 'vector', result } });

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('requests', () => {
  it('POSTs a form-encoded instant query with the time in unix seconds', async () => {
    handler = (_req, res) => json(res, 200, vector([{ metric: { pod: 'a' }, value: [1700000000.5, '0.25'] }]));
    const samples = await client().instant('sum(rate(x[1m]))', new Date(1_700_000_000_500));
    expect(samples).toEqual([{ labels: { pod: 'a' }, value: 0.25, timestamp: 1700000000.5 }]);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.path).toBe('/api/v1/query');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.body.get('query')).toBe('sum(rate(x[1m]))');
    expect(seen[0]!.body.get('time')).toBe('1700000000.5');
  });

  it('sends a range query with start, end and step in seconds', async () => {
    handler = (_req, res) =>
      json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[100, '1'], [115, 'NaN'], [130, '+Inf']] }] } });
    const series = await client().range('up', new Date(100_000), new Date(130_000), 15_000);
    expect(seen[0]!.path).toBe('/api/v1/query_range');
    expect(Object.fromEntries(seen[0]!.body)).toEqual({ query: 'up', start: '100', end: '130', step: '15' });
    expect(series[0]!.points[0]).toEqual([100, 1]);
    expect(series[0]!.points[1]![1]).toBeNaN();
    expect(series[0]!.points[2]![1]).toBe(Infinity);
  });

  it('keeps a path prefix of the base URL', async () => {
    handler = (_req, res) => json(res, 200, vector([]));
    await createPrometheusClient(config({ url: `${base}/prom/` }), { env: {} }).instant('up');
    expect(seen[0]!.path).toBe('/prom/api/v1/query');
  });
});

describe('response parsing', () => {
  it.each([
    ['NaN', NaN],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['1e-3', 0.001],
    ['-2.5', -2.5],
  ])('sample value %s', async (text, value) => {
    handler = (_req, res) => json(res, 200, vector([{ metric: {}, value: [1, text] }]));
    const [s] = await client().instant('q');
    if (Number.isNaN(value)) expect(s!.value).toBeNaN();
    else expect(s!.value).toBe(value);
  });

  it('a scalar is one sample without labels', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', data: { resultType: 'scalar', result: [1700000000, '42'] } });
    expect(await client().instant('scalar(1)')).toEqual([{ labels: {}, value: 42, timestamp: 1700000000 }]);
  });

  it('a matrix from an instant query is refused with a reason', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    const error = await providerError(client().instant('x[5m]'));
    expect(error.errorType).toBe('unsupported_result');
    expect(error.message).toMatch(/range vector/);
  });

  it.each([
    ['not JSON', 'hello <html>', 'sent a response that is not JSON'],
    ['not an envelope', '{"foo": 1}', 'sent an unexpected response'],
    ['a value that is not a number', JSON.stringify(vector([{ metric: {}, value: [1, 'abc'] }])), 'sent an unexpected response: data.result[0].value[1]: "abc" is not a sample value'],
    ['a wrong result type', JSON.stringify({ status: 'success', data: { resultType: 'table', result: [] } }), 'sent an unexpected response: data.resultType'],
  ])('garbage: %s → invalid_response, no retry', async (_name, body, message) => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    const error = await providerError(client().instant('q'));
    expect(error.errorType).toBe('invalid_response');
    expect(error.message).toContain(`Prometheus at ${base}/ ${message}`);
    expect(seen).toHaveLength(1);
  });
});

describe('errors and retries', () => {
  it("surfaces Prometheus' errorType and error verbatim and does not retry a 400", async () => {
    handler = (_req, res) => json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected end of input' });
    const error = await providerError(client().instant('sum('));
    expect(error.message).toBe('bad_data: 1:5: parse error: unexpected end of input');
    expect(error.errorType).toBe('bad_data');
    expect(error.address).toBe(`${base}/`);
    expect(seen).toHaveLength(1);
  });

  it('does not retry a 4xx without an API body', async () => {
    handler = (_req, res) => {
      res.writeHead(401);
      res.end('no');
    };
    const error = await providerError(client().instant('q'));
    expect(error.message).toBe(`Prometheus at ${base}/ answered HTTP 401 Unauthorized`);
    expect(error.hint).toMatch(/credentials/);
    expect(seen).toHaveLength(1);
  });

  it('retries a 5xx and then succeeds', async () => {
    handler = (_req, res, attempt) => {
      if (attempt < 3) {
        res.writeHead(503);
        res.end('busy');
      } else json(res, 200, vector([{ metric: {}, value: [1, '7'] }]));
    };
    expect((await client({ retries: 2 }).instant('q'))[0]!.value).toBe(7);
    expect(seen).toHaveLength(3);
  });

  it('gives up after the configured retries with the last 5xx', async () => {
    handler = (_req, res) => json(res, 503, { status: 'error', errorType: 'unavailable', error: 'overloaded' });
    const error = await providerError(client({ retries: 1 }).instant('q'));
    expect(error.message).toBe('unavailable: overloaded');
    expect(seen).toHaveLength(2);
  });

  it('a slow server → timeout error naming the timeout, not retried', async () => {
    handler = (_req, res) => setTimeout(() => json(res, 200, vector([])), 1_000);
    const started = Date.now();
    const error = await providerError(client({ timeoutMs: 200, retries: 3 }).instant('q'));
    expect(error.errorType).toBe('timeout');
    expect(error.message).toBe(`Prometheus at ${base}/ did not answer within the 200ms timeout (prometheus.timeout)`);
    expect(Date.now() - started).toBeLessThan(900);
    expect(seen).toHaveLength(1);
  });

  it('unreachable → names the address and the cause, after retrying', async () => {
    const port = await freePort();
    const api = createPrometheusClient(config({ url: `http://127.0.0.1:${port}`, retries: 2 }), { env: {}, backoffBaseMs: 10 });
    const error = await providerError(api.instant('q'));
    expect(error.message).toBe(`cannot reach Prometheus at http://127.0.0.1:${port}/ (ECONNREFUSED)`);
    expect(error.errorType).toBe('unreachable');
  });

  it('an aborted signal cancels the query', async () => {
    handler = (_req, res) => setTimeout(() => json(res, 200, vector([])), 1_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await providerError(client().instant('q', undefined, controller.signal));
    expect(error.errorType).toBe('cancelled');
  });
});

describe('headers and credentials', () => {
  it('sends extra headers (tenant) and a bearer token read from a file, trimmed, at call time', async () => {
    handler = (_req, res) => json(res, 200, vector([]));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 's3cret-1\n');
    const api = client({ headers: { 'X-Scope-OrgID': 'team-a' }, bearerTokenFile: tokenFile });
    await api.instant('q');
    await writeFile(tokenFile, 's3cret-2\n');
    await api.instant('q');
    expect(seen[0]!.headers['x-scope-orgid']).toBe('team-a');
    expect(seen[0]!.headers.authorization).toBe('Bearer s3cret-1');
    expect(seen[1]!.headers.authorization).toBe('Bearer s3cret-2');
  });

  it('takes the token from an env var, and ROLLGATE_PROMETHEUS_TOKEN_FILE first', async () => {
    handler = (_req, res) => json(res, 200, vector([]));
    const tokenFile = join(dir, 'env-token');
    await writeFile(tokenFile, 'from-file');
    await client({ bearerTokenEnv: 'PROM_TOKEN' }, { PROM_TOKEN: 'from-env' }).instant('q');
    await client({ bearerTokenEnv: 'PROM_TOKEN' }, { PROM_TOKEN: 'from-env', ROLLGATE_PROMETHEUS_TOKEN_FILE: tokenFile }).instant('q');
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer from-env', 'Bearer from-file']);
  });

  it('sends basic auth with the password from a file', async () => {
    handler = (_req, res) => json(res, 200, vector([]));
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'pa:ss\n');
    await client({ basicAuth: { username: 'alice', passwordFile } }).instant('q');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:pa:ss').toString('base64')}`);
  });

  it('never puts a credential in a message', async () => {
    const port = await freePort();
    const api = createPrometheusClient(config({ url: `http://bob:hunter2@127.0.0.1:${port}`, retries: 0 }), { env: {} });
    expect(api.url).toBe(`http://127.0.0.1:${port}`);
    const error = await providerError(api.instant('q'));
    expect(error.message).not.toContain('hunter2');
    const missing = await providerError(client({ bearerTokenEnv: 'NOPE' }).instant('q'));
    expect(missing.message).toBe('the bearer token variable NOPE is empty or not set');
    expect(missing.errorType).toBe('config');
  });

  it('a missing token file is a config error naming the file', async () => {
    const error = await providerError(client({ bearerTokenFile: join(dir, 'absent') }).instant('q'));
    expect(error.message).toBe(`cannot read the bearer token file ${join(dir, 'absent')} (ENOENT)`);
  });
});

describe('graphUrl', () => {
  it('links the graph page over the range', () => {
    const url = client().graphUrl('rate(x[1m]) > 0', new Date('2026-01-10T11:00:00Z'), new Date('2026-01-10T12:00:00Z'));
    expect(url).toBe(`${base}/graph?g0.expr=rate(x%5B1m%5D)%20%3E%200&g0.range_input=1h&g0.end_input=2026-01-10%2012%3A00%3A00&g0.tab=0`);
  });
});

describe('warnings of a successful answer (Thanos/Mimir partial responses) are kept', () => {
  const PARTIAL = 'partial response: store 10.0.0.7:10901 unavailable';

  it('instant: warnings ride on the result array, verbatim', async () => {
    handler = (_req, res) => json(res, 200, { ...vector([{ metric: {}, value: [1, '0.001'] }]), warnings: [PARTIAL, 'second'] });
    const samples = await client().instant('q');
    expect(samples).toHaveLength(1);
    expect(samples.warnings).toEqual([PARTIAL, 'second']);
  });

  it('range: warnings ride on the series array', async () => {
    handler = (_req, res) => json(res, 200, { status: 'success', warnings: [PARTIAL], data: { resultType: 'matrix', result: [] } });
    const series = await client().range('q', new Date(100_000), new Date(130_000), 15_000);
    expect(series.warnings).toEqual([PARTIAL]);
  });

  it('no warnings, or an empty list: no warnings property at all', async () => {
    handler = (_req, res) => json(res, 200, vector([]));
    expect(await client().instant('q')).not.toHaveProperty('warnings');
    handler = (_req, res) => json(res, 200, { ...vector([]), warnings: [] });
    expect(await client().instant('q')).not.toHaveProperty('warnings');
  });
});
