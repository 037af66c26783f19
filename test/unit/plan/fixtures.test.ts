/**
 * The fixture corpus: every valid plan loads; every invalid plan reports exactly the issues its
 * trailing `# expect: line:col: path: message` comments list, in that order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPlanFile } from '../../../src/lib/plan/load.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/plans');
const yamlFiles = (dir: string): string[] => readdirSync(join(FIXTURES, dir)).filter((name) => name.endsWith('.yaml')).sort();

/** The expected issue lines a fixture declares about itself. */
function expectedIssues(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => line.slice('# expect: '.length));
}

describe('valid plans', () => {
  it.each(yamlFiles('valid'))('%s loads without issues', async (name) => {
    const checked = await checkPlanFile(join('valid', name), { cwd: FIXTURES, env: {} });
    expect(checked.issues).toEqual([]);
    expect(checked.plan?.steps.length).toBeGreaterThan(0);
  });

  it('the corpus holds at least 3 valid plans', () => {
    expect(yamlFiles('valid').length).toBeGreaterThanOrEqual(3);
  });
});

describe('invalid plans', () => {
  it('the corpus holds at least 25 invalid plans, each declaring its expected issues', () => {
    const files = yamlFiles('invalid');
    expect(files.length).toBeGreaterThanOrEqual(25);
    for (const name of files) expect(expectedIssues(readFileSync(join(FIXTURES, 'invalid', name), 'utf8')), name).not.toEqual([]);
  });

  it.each(yamlFiles('invalid'))('%s reports exactly its expected issues', async (name) => {
    const file = join('invalid', name);
    const checked = await checkPlanFile(file, { cwd: FIXTURES, env: {} });
    const expected = expectedIssues(readFileSync(join(FIXTURES, file), 'utf8'));
    expect(checked.plan).toBeUndefined();
    expect(checked.issues.map((issue) => `${issue.line}:${issue.col}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`)).toEqual(expected);
    for (const issue of checked.issues) expect(issue.file).toBe(file);
  });
});

describe('playbooks', () => {
  const PLAYBOOKS = join(import.meta.dirname, '../../../playbooks');
  it('canary-standard.yaml validates clean: 10/25/50/100 with error-rate and p95 gates, schema comment on top', async () => {
    const checked = await checkPlanFile('canary-standard.yaml', { cwd: PLAYBOOKS, env: {} });
    expect(checked.issues).toEqual([]);
    expect(checked.plan?.steps.map((step) => step.weight)).toEqual([10, 25, 50, 100]);
    expect(checked.plan?.gates.map((gate) => gate.name)).toEqual(expect.arrayContaining(['error-rate', 'p95-latency']));
    expect(readFileSync(join(PLAYBOOKS, 'canary-standard.yaml'), 'utf8').split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=/);
  });
});

describe('plans with warnings', () => {
  it.each(yamlFiles('warnings'))('%s is valid and warns exactly as its `# warn:` comments say', async (name) => {
    const file = join('warnings', name);
    const checked = await checkPlanFile(file, { cwd: FIXTURES, env: {} });
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const expected = text.split('\n').filter((line) => line.startsWith('# warn: ')).map((line) => line.slice('# warn: '.length));
    expect(checked.issues).toEqual([]);
    expect(checked.plan).toBeDefined();
    expect(expected).not.toEqual([]);
    expect((checked.warnings ?? []).map((w) => `${w.line}:${w.col}: ${w.path ? `${w.path}: ` : ''}${w.message}`)).toEqual(expected);
  });

  it('valid plans and the playbooks need no warning', async () => {
    for (const name of yamlFiles('valid')) expect((await checkPlanFile(join('valid', name), { cwd: FIXTURES, env: {} })).warnings, name).toBeUndefined();
  });
});
