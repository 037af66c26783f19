/**
 * The policy rules, fixture by fixture: every plan in test/fixtures/policy/plans is checked
 * against org-policy.yaml and must report exactly the violations its `# expect:` lines list, in
 * that order, each at the plan node that breaks the rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatPlanIssue, PolicyViolationError } from '../../../src/lib/errors.js';
import { checkPlanFile } from '../../../src/lib/plan/load.js';
import { loadPlanUnderPolicy, policyViolations } from '../../../src/lib/policy/enforce.js';
import { loadPolicy } from '../../../src/lib/policy/load.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/policy');
const plans = readdirSync(join(FIXTURES, 'plans')).filter((name) => name.endsWith('.yaml')).sort();
const expected = (file: string): string[] =>
  readFileSync(join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => `${file}:${line.slice('# expect: '.length)}`);

describe('RolloutPolicy rules against plans', async () => {
  const policy = await loadPolicy('org-policy.yaml', { cwd: FIXTURES, env: {} });

  it('the corpus breaks every rule at least once and holds a compliant plan', () => {
    const all = plans.flatMap((name) => expected(join('plans', name))).join('\n');
    for (const rule of ['requiredGates', 'minBake', 'maxFirstWeight', 'maxStepIncrease', 'approvalAbove', 'requireAutoRollback', 'allowedTrafficHosts']) expect(all).toContain(`: ${rule}: `);
    expect(expected('plans/compliant.yaml')).toEqual([]);
  });

  it.each(plans)('%s reports exactly its expected violations', async (name) => {
    const file = join('plans', name);
    const checked = await checkPlanFile(file, { cwd: FIXTURES, env: {} });
    expect(checked.issues, 'the plan itself is valid').toEqual([]);
    expect(policyViolations(checked, policy).map(formatPlanIssue)).toEqual(expected(file));
  });

  it('refuses a violating plan with every violation at once (exit 2, kind policy)', async () => {
    const error = await loadPlanUnderPolicy(join('plans', 'every-rule-broken.yaml'), { cwd: FIXTURES, env: {} }, policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyViolationError);
    const violation = error as PolicyViolationError;
    expect(violation.exitCode).toBe(2);
    expect(violation.kind).toBe('policy');
    expect(violation.issues).toHaveLength(8);
    expect(violation.message.split('\n')).toEqual(expected('plans/every-rule-broken.yaml'));
  });

  it('loads a compliant plan unchanged', async () => {
    const plan = await loadPlanUnderPolicy(join('plans', 'compliant.yaml'), { cwd: FIXTURES, env: {} }, policy);
    expect(plan.steps.map((s) => s.weight)).toEqual([10, 50, 100]);
  });

  it('a rule the policy does not set is not checked', async () => {
    const lenient = { ...policy, rules: { minBakeMs: 60_000 } };
    const checked = await checkPlanFile(join('plans', 'every-rule-broken.yaml'), { cwd: FIXTURES, env: {} });
    expect(policyViolations(checked, lenient)).toEqual([]);
  });
});
