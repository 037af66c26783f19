/**
 * The state store over TLS (`rediss://`): a real redis-server that speaks only TLS, its
 * certificate signed by a private CA given with ROLLGATE_STATE_CA_FILE. The shared contract runs
 * over it; an untrusted certificate (no CA, or the wrong one) is exit 3 naming the address with
 * the setting to fix, never a plain-text fallback; a CA file that is missing or not PEM is exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../../src/lib/state/open.js';
import { runCli } from '../../support/cli.js';
import { startRedisTls, type TlsRedisServer } from '../../support/redis.js';
import { describeStateStoreContract } from './contract.js';

let server: TlsRedisServer;

beforeAll(async () => {
  server = await startRedisTls();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describeStateStoreContract('redis over TLS', {
  reset: async () => server.flush(),
  open: async () => openStateStore(server.url, { env: { ROLLGATE_STATE_CA_FILE: server.caFile } }),
  lockLiveness: 'server-ttl',
});

describe('rediss:// from the command line', () => {
  it('works with the private CA, and says which setting to fix without it or with the wrong one', async () => {
    await server.flush();
    const ok = await runCli(['--json', 'rollout', 'status', '--state', server.url], { env: { ROLLGATE_STATE_CA_FILE: server.caFile } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ rollouts: [] });
    for (const env of [{ ROLLGATE_STATE_CA_FILE: undefined }, { ROLLGATE_STATE_CA_FILE: server.otherCaFile }]) {
      const refused = await runCli(['rollout', 'status', '--state', server.url], { env });
      expect(refused.code, refused.stderr).toBe(3);
      expect(refused.stderr).toContain(`rediss://127.0.0.1:${server.port}/0`);
      expect(refused.stderr).toContain('ROLLGATE_STATE_CA_FILE');
    }
  });

  it('a CA file that cannot be read or holds no certificate, or one given for a plain redis:// URL, is a usage error (exit 2)', async () => {
    const missing = await runCli(['rollout', 'status', '--state', server.url], { env: { ROLLGATE_STATE_CA_FILE: '/nonexistent/ca.pem' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ROLLGATE_STATE_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)');
    const notPem = await runCli(['rollout', 'status', '--state', server.url], { env: { ROLLGATE_STATE_CA_FILE: __filename } });
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain('holds no PEM certificate');
    const plain = await runCli(['rollout', 'status', '--state', `redis://127.0.0.1:${server.port}/0`], { env: { ROLLGATE_STATE_CA_FILE: server.caFile } });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('does not use TLS');
  });
});
