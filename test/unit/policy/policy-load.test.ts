/** Loading RolloutPolicy files: the invalid corpus with exact messages and positions, the JSON Schema, the playbook. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPlanIssue } from '../../../src/lib/errors.js';
import { checkPolicyFile, checkPolicySource } from '../../../src/lib/policy/load.js';
import { rolloutPolicyJsonSchema } from '../../../src/lib/policy/schema.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/policy');
const ROOT = join(import.meta.dirname, '../../..');
const invalid = readdirSync(join(FIXTURES, 'invalid')).filter((name) => name.endsWith('.yaml')).sort();

describe('RolloutPolicy files', () => {
  it('the org policy fixture and the playbook are valid', async () => {
    const fixture = await checkPolicyFile('org-policy.yaml', { cwd: FIXTURES, env: {} });
    expect(fixture.issues).toEqual([]);
    expect(fixture.policy).toMatchObject({ name: 'org-guardrails', rules: { requiredGates: ['error-rate'], minBakeMs: 300_000, maxFirstWeight: 10, maxStepIncrease: 50, approvalAbove: 50, requireAutoRollback: true } });
    expect(fixture.policy?.freezeWindows.map((w) => w.kind)).toEqual(['fixed', 'cron']);
    expect(fixture.policy?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const playbook = await checkPolicyFile('playbooks/org-policy.yaml', { cwd: ROOT, env: {} });
    expect(playbook.issues).toEqual([]);
    expect(playbook.policy?.freezeWindows.length).toBeGreaterThan(0);
  });

  it.each(invalid)('%s reports exactly its expected issues', async (name) => {
    const file = join('invalid', name);
    const want = readFileSync(join(FIXTURES, file), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('# expect: '))
      .map((line) => `${file}:${line.slice('# expect: '.length)}`);
    expect(want.length).toBeGreaterThan(0);
    const checked = await checkPolicyFile(file, { cwd: FIXTURES, env: {} });
    expect(checked.policy).toBeUndefined();
    expect(checked.issues.map(formatPlanIssue)).toEqual(want);
  });

  it('interpolates ${ENV} like a plan and reports an unset variable at its position', () => {
    const text = 'apiVersion: rollgate/v1\nkind: RolloutPolicy\nmetadata: { name: "${TEAM}-guardrails" }\nrules: { minBake: "${MIN_BAKE}" }\n';
    expect(checkPolicySource(text, 'p.yaml', { TEAM: 'payments', MIN_BAKE: '10m' }).policy).toMatchObject({ name: 'payments-guardrails', rules: { minBakeMs: 600_000 } });
    expect(checkPolicySource(text, 'p.yaml', { TEAM: 'payments' }).issues.map(formatPlanIssue)).toEqual(['p.yaml:4:20: rules.minBake: environment variable MIN_BAKE is not set (write ${MIN_BAKE:-default} to give a default)']);
  });

  it('an empty file and a YAML error are positioned issues, never a throw', () => {
    expect(checkPolicySource('', 'p.yaml', {}).issues.map(formatPlanIssue)).toEqual(['p.yaml:1:1: the file is empty: expected a RolloutPolicy (apiVersion: rollgate/v1, kind: RolloutPolicy, ...)']);
    expect(checkPolicySource('rules: [', 'p.yaml', {}).issues[0]?.message).toMatch(/^YAML syntax error/);
  });

  it('JSON Schema: draft-07, the rules and both window shapes', () => {
    const schema = rolloutPolicyJsonSchema() as { $schema: string; title: string; properties: Record<string, { properties?: Record<string, unknown>; items?: { properties: Record<string, unknown> } }> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('rollgate RolloutPolicy v1');
    expect(Object.keys(schema.properties.rules!.properties!).sort()).toEqual(['allowedTrafficHosts', 'approvalAbove', 'maxFirstWeight', 'maxStepIncrease', 'minBake', 'requireAutoRollback', 'requiredGates']);
    expect(Object.keys(schema.properties.freezeWindows!.items!.properties).sort()).toEqual(['cron', 'duration', 'from', 'name', 'reason', 'timezone', 'to']);
  });
});
