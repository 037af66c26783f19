/**
 * Property: whatever a plan file holds, the validator answers with issues (a PlanError from the
 * throwing entry points), never with any other exception.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PlanError } from '../../../src/lib/errors.js';
import { checkPlanSource, loadPlanSource } from '../../../src/lib/plan/load.js';
import { validatePlanSemantics } from '../../../src/lib/plan/validate.js';

const VALID = readFileSync(join(import.meta.dirname, '../../fixtures/plans/valid/full-contract-example.yaml'), 'utf8');
const ENV = { PROMETHEUS_URL: 'http://localhost:9090', SET: 'x' };

/** Loads and asserts the only possible failure is a PlanError. */
function assertOnlyPlanErrors(text: string): void {
  const checked = checkPlanSource(text, 'random.yaml', { env: ENV });
  expect(Array.isArray(checked.issues)).toBe(true);
  expect(checked.plan === undefined).toBe(checked.issues.length > 0);
  try {
    loadPlanSource(text, 'random.yaml', { env: ENV });
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
  }
}

/** Words a plan uses, so random objects hit the validator's real paths, not only unknown keys. */
const planWord = fc.constantFrom(
  'apiVersion', 'kind', 'metadata', 'name', 'service', 'vars', 'prometheus', 'url', 'headers', 'Authorization', 'traffic', 'exec', 'http',
  'analysis', 'interval', 'gates', 'query', 'max', 'min', 'for', 'step', 'baseline', 'maxIncrease', 'maxDecrease', 'minSamples', 'steps',
  'weight', 'bake', 'approval', 'canary', 'weights', 'hooks', 'beforeRollout', 'undo', 'rollback', 'verify', 'within', 'json', 'timeout',
);
const planScalar = fc.oneof(
  fc.constantFrom('rollgate/v1', 'RolloutPlan', 'SLAPolicy', '10%', '5m', '0s', '{{service}}', '{{weight}}', '{{nope}}', '${SET}', '${UNSET}', '${', 'sum(rate(x[1m]))', 'sum(', 'http://x', 'error-rate'),
  fc.string(),
  fc.integer({ min: -200, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const planLike = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, planScalar, tie('object'), tie('array')),
  object: fc.dictionary(fc.oneof(planWord, fc.string()), tie('value'), { maxKeys: 6 }),
  array: fc.array(tie('value'), { maxLength: 4 }),
})).object;

describe('the validator never crashes', () => {
  it('on random plan-like objects written as YAML', () => {
    fc.assert(
      fc.property(planLike, (object) => {
        assertOnlyPlanErrors(stringify({ apiVersion: 'rollgate/v1', kind: 'RolloutPlan', ...object }));
      }),
      { numRuns: 300 },
    );
  });

  it('on random data given straight to the semantic checks', () => {
    fc.assert(
      fc.property(fc.anything(), planLike, (anything, object) => {
        expect(Array.isArray(validatePlanSemantics(anything, {}))).toBe(true);
        expect(Array.isArray(validatePlanSemantics(object, { version: 'v1' }))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('on the contract example with one value replaced at random', () => {
    const lines = VALID.split('\n');
    fc.assert(
      fc.property(fc.nat({ max: lines.length - 1 }), planScalar, (index, value) => {
        const edited = [...lines];
        edited[index] = (edited[index] ?? '').replace(/:\s.*$/, `: ${JSON.stringify(value)}`);
        assertOnlyPlanErrors(edited.join('\n'));
      }),
      { numRuns: 300 },
    );
  });

  it('on random YAML text: random strings and random edits of a valid plan', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => assertOnlyPlanErrors(text)),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat({ max: VALID.length }), fc.nat({ max: 20 }), fc.string({ maxLength: 8 }), (at, cut, insert) => {
        assertOnlyPlanErrors(VALID.slice(0, at) + insert + VALID.slice(at + cut));
      }),
      { numRuns: 300 },
    );
  });
});
