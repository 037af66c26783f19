import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../../src/lib/evidence/report/render.js';
import { xmlEscape } from '../../../../src/lib/evidence/report/junit.js';
import { failedGates, fixtureEvents, FIXTURE_NAMES } from './fixtures.js';

interface TestCase {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '#text': string };
  error?: unknown;
  skipped?: unknown;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  testcase: TestCase[];
}

function parse(xml: string): { '@_tests': string; '@_failures': string; testsuite: Suite[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' || name === 'property' });
  return (parser.parse(xml) as { testsuites: ReturnType<typeof parse> }).testsuites;
}

describe('junit report', () => {
  it.each(FIXTURE_NAMES)('%s: one testsuite per step, one testcase per gate per step, a failure per failed gate', (name) => {
    const events = fixtureEvents(name);
    const { text, summary } = renderReport(events, 'junit');
    const root = parse(text);
    const stepSuites = root.testsuite.filter((s) => s['@_name'].startsWith('step '));
    expect(stepSuites.map((s) => s['@_name'])).toEqual(summary.steps.map((st) => `step ${st.number} (${st.weight}%)`));
    for (const [i, suite] of stepSuites.entries()) {
      expect(suite.testcase.map((c) => c['@_name'])).toEqual(summary.steps[i]!.gates);
      expect(Number(suite['@_tests'])).toBe(suite.testcase.length);
      expect(Number(suite['@_failures'])).toBe(suite.testcase.filter((c) => c.failure).length);
    }
    const failing = stepSuites.flatMap((suite, i) => suite.testcase.filter((c) => c.failure).map((c) => ({ step: i + 1, gate: c['@_name'], failure: c.failure! })));
    expect(failing.map(({ step, gate }) => ({ step, gate }))).toEqual(failedGates(events));
    for (const f of failing) {
      expect(f.failure['@_message']).toMatch(/^failed: [\d.e-]+ > max 0\.05/);
      expect(f.failure['#text']).toMatch(/value: [\d.]+\nthreshold: <= 0\.05\nreason: .+/);
    }
    expect(Number(root['@_failures'])).toBe(failing.length);
    // Steps never reached have their gates skipped, not passed.
    for (const [i, st] of summary.steps.entries()) if (st.result === 'not reached') expect(stepSuites[i]!.testcase.every((c) => c.skipped !== undefined)).toBe(true);
  });

  it('the gate rollback has exactly one failing testcase: error-rate in step 2', () => {
    const root = parse(renderReport(fixtureEvents('rolled back by a gate'), 'junit').text);
    const failures = root.testsuite.flatMap((s) => s.testcase.filter((c) => c.failure).map((c) => `${s['@_name']}/${c['@_name']}`));
    expect(failures).toEqual(['step 2 (25%)/error-rate']);
    expect(root.testsuite.map((s) => s['@_name'])).toContain('rollback verification');
  });

  it('escapes what XML cannot hold as is', () => {
    expect(xmlEscape(`<a b="c" d='e'>&\u0001`)).toBe('&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;\uFFFD');
  });
});
