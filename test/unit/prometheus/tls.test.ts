/**
 * TLS towards Prometheus: a self-signed server is refused by default, accepted with its CA in
 * `caFile`, and accepted with an explicit `insecureSkipVerify`. The certificate is made by openssl
 * at test time (the Debian base image ships it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/lib/errors.js';
import type { PrometheusConfig } from '../../../src/lib/plan/types.js';
import { createPrometheusClient } from '../../../src/lib/prometheus/client.js';

let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const config = (over: Partial<PrometheusConfig>): PrometheusConfig => ({ url, timeoutMs: 2_000, retries: 0, headers: {}, insecureSkipVerify: false, ...over });

describe('TLS', () => {
  it('refuses a certificate it cannot verify', async () => {
    const error = await createPrometheusClient(config({}), { env: {} }).instant('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).message).toBe(`cannot reach Prometheus at ${url}/ (DEPTH_ZERO_SELF_SIGNED_CERT)`);
    expect((error as ProviderError).hint).toMatch(/caFile/);
  });
  it('accepts it with the CA in caFile', async () => {
    expect(await createPrometheusClient(config({ caFile: join(dir, 'cert.pem') }), { env: {} }).instant('1')).toEqual([{ labels: {}, value: 1, timestamp: 1 }]);
  });
  it('accepts it with an explicit insecureSkipVerify', async () => {
    expect(await createPrometheusClient(config({ insecureSkipVerify: true }), { env: {} }).instant('1')).toHaveLength(1);
  });
  it('a missing CA file is a config error naming the file', async () => {
    const error = (await createPrometheusClient(config({ caFile: join(dir, 'absent.pem') }), { env: {} }).instant('1').catch((e: unknown) => e)) as ProviderError;
    expect(error.message).toBe(`cannot read the CA file ${join(dir, 'absent.pem')} (ENOENT)`);
  });
});
