import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAction } from '../../../src/lib/actions/run-action.js';
import type { ActionSpec } from '../../../src/lib/plan/types.js';
import type { RawHttpSpec } from '../../../src/lib/plan/schema.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A router stand-in on a random port: each test scripts its answers through `respond`. */
let server: http.Server;
let base: string;
let received: Received[] = [];
let respond: (req: Received, res: http.ServerResponse, index: number) => void;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      respond(entry, res, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  respond = (_req, res) => res.end('ok');
});

const work = mkdtempSync(path.join(tmpdir(), 'rollgate-http-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function action(httpSpec: Partial<RawHttpSpec>, extra: Partial<ActionSpec> = {}): ActionSpec {
  return { http: { method: 'PUT', url: `${base}/weights/{{service}}`, ...httpSpec } as RawHttpSpec, timeoutMs: 5_000, retries: 0, ...extra };
}
const fast = { retryDelayMs: 10 };

describe('http action', () => {
  it('sends a PUT with rendered URL, headers and JSON body; numeric placeholders become numbers', async () => {
    respond = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"applied":true}');
    const result = await runAction(
      action({ headers: { 'X-Change': '{{service}}-{{version}}' }, json: { canary: '{{weight}}', label: 'v={{version}}', note: '{{version}}', nested: [{ w: '{{weight}}' }], keep: 5 } }),
      { service: 'checkout', weight: '25', version: 'v2' },
    );
    expect(result).toMatchObject({ ok: true, kind: 'http', status: 200, stdout: '{"applied":true}', attempts: 1, timedOut: false });
    expect(result.command).toEqual(['PUT', `${base}/weights/checkout`]);
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req).toMatchObject({ method: 'PUT', url: '/weights/checkout' });
    expect(req!.headers['x-change']).toBe('checkout-v2');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({ canary: 25, label: 'v=v2', note: 'v2', nested: [{ w: 25 }], keep: 5 });
  });

  it('percent-encodes vars in the path and query, keeps a leading base-URL var verbatim', async () => {
    const result = await runAction(
      { http: { method: 'POST', url: '{{router}}/weights/{{service}}?note={{note}}' }, timeoutMs: 5_000, retries: 0 },
      { router: base, service: 'a/b c', note: 'x&admin=1#f' },
    );
    expect(result.ok).toBe(true);
    expect(received[0]!.url).toBe('/weights/a%2Fb%20c?note=x%26admin%3D1%23f');
  });

  it('sends a raw templated body as text', async () => {
    await runAction(action({ body: 'weight={{weight}}' }), { service: 's', weight: '10' });
    expect(received[0]!.body).toBe('weight=10');
    expect(received[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('retries a 500 and succeeds when the router recovers', async () => {
    respond = (_req, res, i) => (i < 2 ? res.writeHead(500).end('busy') : res.writeHead(204).end());
    const result = await runAction(action({}, { retries: 3 }), { service: 's' }, fast);
    expect(result).toMatchObject({ ok: true, status: 204, attempts: 3 });
    expect(received).toHaveLength(3);
  });

  it('fails with the status when the router answers 500 forever', async () => {
    respond = (_req, res) => res.writeHead(500).end('internal error');
    const result = await runAction(action({}, { retries: 2 }), { service: 's' }, fast);
    expect(result).toMatchObject({ ok: false, status: 500, attempts: 3, stdout: 'internal error', timedOut: false });
    expect(result.error).toBe(`PUT ${base}/weights/s answered 500, expected 2xx (after 3 attempts)`);
  });

  it('does not retry a 4xx', async () => {
    respond = (_req, res) => res.writeHead(404).end('no such service');
    const result = await runAction(action({}, { retries: 3 }), { service: 's' }, fast);
    expect(result).toMatchObject({ ok: false, status: 404, attempts: 1, stdout: 'no such service' });
    expect(received).toHaveLength(1);
  });

  it('accepts exactly the statuses of expectStatus', async () => {
    respond = (_req, res) => res.writeHead(202).end();
    expect((await runAction(action({ expectStatus: [202] }), { service: 's' })).ok).toBe(true);
    const refused = await runAction(action({ expectStatus: [200] }), { service: 's' });
    expect(refused).toMatchObject({ ok: false, status: 202 });
    expect(refused.error).toMatch(/answered 202, expected 200$/);
  });

  it('reports a redirect instead of following it', async () => {
    respond = (_req, res) => res.writeHead(307, { location: '/elsewhere' }).end();
    const result = await runAction(action({}, { retries: 2 }), { service: 's' }, fast);
    expect(result).toMatchObject({ ok: false, status: 307, attempts: 1 });
    expect(received).toHaveLength(1);
  });

  it('times out a router that never answers, and retries the timeout', async () => {
    respond = () => undefined; // hang
    const started = Date.now();
    const result = await runAction(action({}, { timeoutMs: 200, retries: 1 }), { service: 's' }, fast);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result).toMatchObject({ ok: false, timedOut: true, attempts: 2 });
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/no complete response within 200 ms/);
  });

  it('times out a response body that stalls after the headers', async () => {
    respond = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const result = await runAction(action({}, { timeoutMs: 300 }), { service: 's' });
    expect(result).toMatchObject({ ok: false, timedOut: true, stdout: 'partial' });
  });

  it('retries a refused connection and then fails', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runAction({ http: { method: 'POST', url: `http://127.0.0.1:${port}/x` }, timeoutMs: 2_000, retries: 2 }, {}, fast);
    expect(result).toMatchObject({ ok: false, attempts: 3, timedOut: false });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('stops when the AbortSignal fires', async () => {
    respond = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('rollback requested')), 100);
    const result = await runAction(action({}, { retries: 3 }), { service: 's' }, { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toBe('aborted: rollback requested');
  });

  it('fails without sending on an unknown placeholder, a bad URL or a missing secret', async () => {
    const unknown = await runAction(action({ json: { w: '{{weight}}' } }), { service: 's' });
    expect(unknown).toMatchObject({ ok: false, attempts: 0 });
    expect(unknown.error).toBe('unknown placeholder: {{weight}}; nothing was run');
    const badUrl = await runAction({ http: { method: 'GET', url: 'ftp://{{host}}/x' }, timeoutMs: 1_000, retries: 0 }, { host: 'h' });
    expect(badUrl.error).toMatch(/only http and https/);
    const noEnv = await runAction(action({ headersFromEnv: { Authorization: 'ROLLGATE_TEST_UNSET_VAR' } }), { service: 's' }, { env: {} });
    expect(noEnv.error).toMatch(/environment variable ROLLGATE_TEST_UNSET_VAR is not set/);
    const noFile = await runAction(action({ headersFromFile: { 'X-Api-Key': path.join(work, 'missing') } }), { service: 's' });
    expect(noFile.error).toMatch(/cannot read .*missing: ENOENT/);
    expect(received).toHaveLength(0);
  });

  it('refuses a header value with a newline (no header injection) without retrying', async () => {
    const result = await runAction(action({ headers: { 'X-Note': '{{note}}' } }, { retries: 2 }), { service: 's', note: 'a\r\nX-Admin: yes' }, fast);
    expect(result).toMatchObject({ ok: false, attempts: 0 });
    expect(result.error).toMatch(/header X-Note: the value contains a line break/);
    expect(received).toHaveLength(0);
  });

  it('sends hostile vars verbatim in the JSON body', async () => {
    const hostile = `"quotes" 'single' $(touch /tmp/x) \`id\` ; rm -rf / && echo\nnewline`;
    await runAction(action({ json: { note: '{{v}}' } }), { service: 's', v: hostile });
    expect(JSON.parse(received[0]!.body)).toEqual({ note: hostile });
  });
});

describe('http action secrets', () => {
  it('never lets a headersFromEnv or headersFromFile secret into the result, even when echoed', async () => {
    const envSecret = `env-${randomUUID()}`;
    const fileSecret = `file-${randomUUID()}`;
    const tokenFile = path.join(work, 'token');
    writeFileSync(tokenFile, `${fileSecret}\n`);
    // A misbehaving router that echoes the request headers in its error page.
    respond = (req, res) => res.writeHead(500).end(`denied: ${JSON.stringify(req.headers)} url=${req.url}`);
    const result = await runAction(
      action({ url: `${base}/weights/{{service}}?auth={{token}}`, headersFromEnv: { Authorization: 'ROLLGATE_TEST_TOKEN' }, headersFromFile: { 'X-Api-Key': tokenFile } }, { retries: 1 }),
      { service: 's', token: envSecret },
      { env: { ROLLGATE_TEST_TOKEN: envSecret }, ...fast },
    );
    expect(received[0]!.headers.authorization).toBe(envSecret);
    expect(received[0]!.headers['x-api-key']).toBe(fileSecret);
    expect(result).toMatchObject({ ok: false, status: 500, attempts: 2 });
    const serialized = JSON.stringify(result);
    expect(serialized).not.toContain(envSecret);
    expect(serialized).not.toContain(fileSecret);
    expect(result.stdout).toContain('***');
    expect(result.command[1]).toBe(`${base}/weights/s?auth=***`);
  });

  it('removes URL credentials from the command and masks the password', async () => {
    respond = (req, res) => res.end(`you sent ${req.headers.authorization}`);
    const result = await runAction({ http: { method: 'GET', url: base.replace('http://', 'http://admin:hunter22@') + '/x' }, timeoutMs: 2_000, retries: 0 }, {});
    expect(result.ok).toBe(true);
    expect(result.command).toEqual(['GET', base.replace('http://', 'http://***@') + '/x']);
    expect(JSON.stringify(result)).not.toContain('hunter22');
  });

  it('redacts caller-provided secrets from the response', async () => {
    respond = (_req, res) => res.end('prom token is tok-123456 ok');
    const result = await runAction(action({}), { service: 's' }, { secrets: ['tok-123456'] });
    expect(result.stdout).toBe('prom token is *** ok');
  });
});
