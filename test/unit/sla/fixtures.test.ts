/**
 * The SLA policy corpus: every valid file of the three formats loads into the model; every
 * invalid one reports exactly the issues its `# expect: line:col: path: message` comments list.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSlaPolicyFile } from '../../../src/lib/sla/load.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sla');
const yamlFiles = (dir: string): string[] => readdirSync(join(FIXTURES, dir)).filter((name) => name.endsWith('.yaml')).sort();

const expectedIssues = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => line.slice('# expect: '.length));

describe('valid policies', () => {
  it.each(yamlFiles('valid'))('%s loads without issues', async (name) => {
    const checked = await checkSlaPolicyFile(join('valid', name), { cwd: FIXTURES, env: {} });
    expect(checked.issues).toEqual([]);
    expect(checked.policy?.slos.length).toBeGreaterThan(0);
  });

  it('holds all three formats', async () => {
    const formats = new Set<string>();
    for (const name of yamlFiles('valid')) formats.add((await checkSlaPolicyFile(join('valid', name), { cwd: FIXTURES, env: {} })).format);
    expect([...formats].sort()).toEqual(['openslo', 'rollgate', 'sloth']);
  });
});

describe('invalid policies', () => {
  it('the corpus holds at least 20 invalid files, each declaring its expected issues', () => {
    const files = yamlFiles('invalid');
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const name of files) expect(expectedIssues(readFileSync(join(FIXTURES, 'invalid', name), 'utf8')), name).not.toEqual([]);
  });

  it.each(yamlFiles('invalid'))('%s reports exactly its expected issues', async (name) => {
    const file = join('invalid', name);
    const checked = await checkSlaPolicyFile(file, { cwd: FIXTURES, env: {} });
    expect(checked.policy).toBeUndefined();
    expect(checked.issues.map((issue) => `${issue.line}:${issue.col}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`)).toEqual(expectedIssues(readFileSync(join(FIXTURES, file), 'utf8')));
    for (const issue of checked.issues) expect(issue.file).toBe(file);
  });
});
