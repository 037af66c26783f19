/**
 * Property: whatever an SLA policy file holds, in any of the three formats, the loader answers
 * with positioned issues (a PlanError from loadSlaPolicy), never with any other exception; and
 * whatever it accepts, the rules generator turns into rules without throwing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkSlaPolicySource } from '../../../src/lib/sla/load.js';
import { buildRuleGroups } from '../../../src/lib/sla/rules.js';

const VALID = join(import.meta.dirname, '../../fixtures/sla/valid');
const seeds = ['policy-checkout.yaml', 'sloth-k8s-apiserver.yaml', 'sloth-raw-kubernetes.yaml', 'openslo-multi-document.yaml', 'openslo-ratio-counters.yaml'].map((name) => readFileSync(join(VALID, name), 'utf8'));

async function assertIssuesOnly(text: string): Promise<void> {
  const checked = await checkSlaPolicySource(text, 'random.yaml', { env: {}, cwd: VALID });
  expect(Array.isArray(checked.issues)).toBe(true);
  expect(checked.policy === undefined).toBe(checked.issues.length > 0);
  for (const issue of checked.issues) {
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.col).toBeGreaterThanOrEqual(1);
  }
  if (checked.policy) expect(buildRuleGroups(checked.policy).length).toBeGreaterThan(0);
}

const word = fc.constantFrom('slos', 'name', 'objective', 'window', 'calendar', 'timezone', 'errorRatio', 'errors', 'total', 'timeslices', 'ratio', 'query', 'max', 'min', 'slice', 'minEvents', 'exclude', 'from', 'to', 'reason', 'alerting', 'page', 'ticket', 'disable', 'labels', 'rules', 'for', 'maxDecrease', 'offset', 'sli', 'events', 'error_query', 'total_query', 'raw', 'plugin', 'spec', 'indicator', 'indicatorRef', 'ratioMetric', 'counter', 'good', 'bad', 'metricSource', 'timeWindow', 'duration', 'budgetingMethod', 'objectives', 'target');
const scalar = fc.oneof(
  fc.constantFrom('99.9', '99.9%', '100', '30d', '1M', 'Europe/Berlin', 'Mars/Olympus', 'month', '2026-10-04T01:00:00Z', 'sum(increase(x[{{range}}]))', 'sum(rate(x[{{.window}}]))', 'sum(', '{{nope}}', '${UNSET}', 'Prometheus', 'Timeslices', 'Occurrences', '5%'),
  fc.string(),
  fc.integer({ min: -200, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('object'), tie('array')),
  object: fc.dictionary(fc.oneof(word, fc.string()), tie('value'), { maxKeys: 6 }),
  array: fc.array(tie('value'), { maxLength: 4 }),
})).object;

/** Replaces the value at a random path of a parsed document with a random value. */
function mutate(data: unknown, choices: number[], value: unknown): unknown {
  if (choices.length === 0 || typeof data !== 'object' || data === null) return value;
  const keys = Object.keys(data as object);
  if (keys.length === 0) return value;
  const key = keys[choices[0]! % keys.length]!;
  const copy = (Array.isArray(data) ? [...data] : { ...(data as object) }) as Record<string, unknown>;
  copy[key] = mutate(copy[key], choices.slice(1), value);
  return copy;
}

describe('the SLA loader never crashes', () => {
  it('on random policy-like objects under each format header', async () => {
    const headers = [{ apiVersion: 'rollgate/v1', kind: 'SLAPolicy' }, { version: 'prometheus/v1' }, { apiVersion: 'openslo/v1', kind: 'SLO' }, { apiVersion: 'sloth.slok.dev/v1', kind: 'PrometheusServiceLevel' }];
    await fc.assert(
      fc.asyncProperty(fc.nat(headers.length - 1), tree, async (header, object) => {
        await assertIssuesOnly(stringify({ ...headers[header], ...object }));
      }),
      { numRuns: 300 },
    );
  });

  it('on valid fixtures with one value replaced at random', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(seeds.length - 1), fc.array(fc.nat(20), { minLength: 1, maxLength: 7 }), fc.oneof(scalar, tree), async (seed, path, value) => {
        const documents = seeds[seed]!.split(/^---$/m).map((text) => parse(text) as unknown);
        const index = path[0]! % documents.length;
        documents[index] = mutate(documents[index], path.slice(1), value);
        await assertIssuesOnly(documents.map((doc) => stringify(doc)).join('---\n'));
      }),
      { numRuns: 400 },
    );
  });

  it('on random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        await assertIssuesOnly(text);
      }),
      { numRuns: 200 },
    );
  });
});
