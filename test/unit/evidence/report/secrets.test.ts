/**
 * Secrets never leak, in any format: neither from the recorded runs (whose plans used a bearer
 * token file, a basic-auth password file, a traffic URL with user:password and an Authorization
 * header from a file) nor from a log that somehow holds raw secrets (the renderer redacts again).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENESIS_PREV, hashEvent } from '../../../../src/lib/evidence/chain.js';
import { REPORT_FORMATS, renderReport } from '../../../../src/lib/evidence/report/render.js';
import { readPlanSecrets } from '../../../../src/lib/evidence/report/secrets.js';
import type { RolloutEvent } from '../../../../src/lib/state/types.js';
import { SECRETS } from '../../../support/evidence-secrets.js';
import { fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

/** Re-links edited events into a valid chain (as if the engine had recorded them so). */
function rechain(events: RolloutEvent[]): RolloutEvent[] {
  let prev = GENESIS_PREV;
  return events.map((e) => {
    const { hash: _old, ...body } = { ...e, prev };
    const hash = hashEvent(body as RolloutEvent);
    prev = hash;
    return { ...body, hash } as RolloutEvent;
  });
}

const RAW = {
  urlPassword: 'raw-url-pw-77Qx',
  bearer: 'raw-bearer-token-Vv3k9',
  apiKey: 'raw-api-key-Mm41',
  fileSecret: 'raw-file-secret-Tt08',
  password: 'raw-password-Ee52',
  queryToken: 'raw-query-token-Aa19',
};

/** The promoted run with raw secrets in every place one could slip in. */
function leakyLog(tokenFile: string): RolloutEvent[] {
  const events = fixtureEvents('promoted').map((e) => structuredClone(e));
  const started = events[0]!.data as { plan: Record<string, any>; prometheus: string };
  started.prometheus = `http://reader:${RAW.urlPassword}@prometheus.internal:9090`;
  started.plan.prometheus = { ...started.plan.prometheus, url: started.prometheus, headers: { Authorization: `Bearer ${RAW.bearer}`, 'X-Scope-OrgID': 'team-a' }, bearerTokenFile: tokenFile, basicAuth: { username: 'u', password: RAW.password } };
  started.plan.traffic.http.url = `https://deployer:${RAW.urlPassword}@router.internal/weights?token=${RAW.queryToken}`;
  started.plan.traffic.http.headers = { 'X-Api-Key': RAW.apiKey };
  const applied = events.find((e) => e.type === 'weight.applied')!;
  (applied.data.action as Record<string, unknown>).command = ['PUT', `https://deployer:${RAW.urlPassword}@router.internal/weights?token=${RAW.queryToken}`];
  (applied.data.action as Record<string, unknown>).stdout = `echoed: ${RAW.fileSecret}`;
  const measurement = events.find((e) => e.type === 'measurement')!;
  measurement.data.reason = `server said: bad token ${RAW.fileSecret}`;
  return rechain(events);
}

describe('secrets in reports', () => {
  for (const name of FIXTURE_NAMES) {
    it.each(REPORT_FORMATS)(`${name}: no secret of the recorded run in %s`, (format) => {
      const { text } = renderReport(fixtureEvents(name), format);
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
      // The traffic URL's credentials show as masked, not dropped silently.
      if (format === 'json') expect(text).toContain('***@127.0.0.1');
    });
  }

  it.each(REPORT_FORMATS)('a log holding raw secrets is redacted in %s (by key, URL form, header name and by value)', async (format) => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-secrets-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${RAW.fileSecret}\n`);
    const events = leakyLog(tokenFile);
    const secrets = await readPlanSecrets(events, { cwd: dir, env: {} });
    expect(secrets).toContain(RAW.fileSecret);
    const { text, summary } = renderReport(events, format, { secrets });
    for (const secret of Object.values(RAW)) expect(text).not.toContain(secret);
    expect(text).toContain('***');
    expect(summary.redactedEvents).toEqual(expect.arrayContaining([1, events.find((e) => e.type === 'weight.applied')!.seq]));
    if (format === 'md' || format === 'html') expect(text).toContain('http://***@prometheus.internal:9090/graph?');
  });

  it('readPlanSecrets reads *File and *Env references, and skips what is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-secrets-'));
    writeFileSync(join(dir, 'pw'), 'file-password-123\n');
    writeFileSync(join(dir, 'hdr'), 'Bearer header-token-456\n');
    const events = fixtureEvents('promoted').map((e) => structuredClone(e));
    const plan = (events[0]!.data as { plan: Record<string, any> }).plan;
    plan.prometheus = { ...plan.prometheus, bearerTokenFile: join(dir, 'missing'), bearerTokenEnv: 'PROM_TOKEN', basicAuth: { username: 'u', passwordFile: 'pw' } };
    plan.traffic.http.headersFromFile = { 'X-Router-Token': 'hdr' };
    const secrets = await readPlanSecrets(events, { cwd: dir, env: { PROM_TOKEN: 'env-token-789' } });
    expect(secrets).toEqual(expect.arrayContaining(['file-password-123', 'Bearer header-token-456', 'header-token-456', 'env-token-789']));
  });
});
