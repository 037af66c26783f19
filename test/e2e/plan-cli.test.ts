/**
 * `plan validate`, `plan show` and `schema plan` through the built binary, as a user or a CI job
 * runs them: exit code, stdout and stderr checked separately. Assumes `npm run build` ran
 * (`npm test` does it first).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderrMessages } from '../support/cli.js';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rollgate');
const FIXTURES = 'test/fixtures/plans';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function rollgate(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    // Paths relative to the repository, so messages carry them exactly as given.
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', CI: '1', NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** stderr lines without the plain-mode timestamp and level: `error plan.yaml:1:1: ...` → `plan.yaml:1:1: ...`. */
function messages(stderr: string, level = 'error'): string[] {
  return stderrMessages(stderr, level);
}

const expectedIssues = (file: string): string[] =>
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => `${file}:${line.slice('# expect: '.length)}`);

const invalid = readdirSync(join(ROOT, FIXTURES, 'invalid'))
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => `${FIXTURES}/invalid/${name}`);
const valid = readdirSync(join(ROOT, FIXTURES, 'valid'))
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => `${FIXTURES}/valid/${name}`);

describe('rollgate plan validate', () => {
  it('passes every valid plan and the standard playbook: exit 0, one line each, nothing on stdout', async () => {
    const files = [...valid, 'playbooks/canary-standard.yaml'];
    const run = await rollgate('plan', 'validate', ...files);
    expect(run.stderr).not.toMatch(/\u001b\[/);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr, 'ok')).toEqual(files.map((file) => expect.stringMatching(new RegExp(`^${file.replace(/[.]/g, '\\.')}: valid \\(\\d+ steps?, \\d+ gates?\\)$`))));
  });

  it.concurrent.each(invalid)('%s: exit 2, the exact issues on stderr, nothing on stdout', async (file) => {
    const run = await rollgate('plan', 'validate', file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(messages(run.stderr)).toEqual(expectedIssues(file));
  });

  type ValidationDoc = { schemaVersion: number; valid: boolean; files: Array<{ file: string; valid: boolean; kind: string | null; issues: Array<{ file: string; line: number; col: number; path: string; message: string }> }> };
  const formatted = (entry: ValidationDoc['files'][number]): string[] =>
    entry.issues.map((issue) => `${issue.file}:${issue.line}:${issue.col}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);

  // One file per run for a few kinds of failure; the whole corpus in one run below (a spawn costs ~0.5s).
  it.concurrent.each([`${FIXTURES}/invalid/yaml-syntax-error.yaml`, `${FIXTURES}/invalid/several-issues.yaml`, 'test/fixtures/sla/invalid/no-slos.yaml'])(
    '%s --json: exit 2, stdout holds only the validation document',
    async (file) => {
      const run = await rollgate('plan', 'validate', file, '--json');
      expect(run.code).toBe(2);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const doc = JSON.parse(lines[0]!) as ValidationDoc;
      expect(doc).toMatchObject({ schemaVersion: 1, valid: false, files: [{ file, valid: false }] });
      expect(formatted(doc.files[0]!)).toEqual(expectedIssues(file));
      expect(messages(run.stderr)).toEqual(expectedIssues(file));
    },
  );

  it('--json over the whole invalid corpus: one document on stdout, every file with its exact issues', async () => {
    const run = await rollgate('plan', 'validate', ...invalid, '--json');
    expect(run.code).toBe(2);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!) as ValidationDoc;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.valid).toBe(false);
    expect(doc.files.map((entry) => entry.file)).toEqual(invalid);
    for (const entry of doc.files) {
      expect(entry.valid, entry.file).toBe(false);
      expect(formatted(entry), entry.file).toEqual(expectedIssues(entry.file));
    }
  });

  it('validates several files: every file reported, exit 2 when any is invalid', async () => {
    const bad = `${FIXTURES}/invalid/weight-over-100.yaml`;
    const run = await rollgate('plan', 'validate', `${FIXTURES}/valid/minimal.yaml`, bad, '--json');
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { valid: boolean; files: Array<{ file: string; valid: boolean; kind: string }> };
    expect(doc.valid).toBe(false);
    expect(doc.files.map((entry) => [entry.file, entry.valid, entry.kind])).toEqual([
      [`${FIXTURES}/valid/minimal.yaml`, true, 'RolloutPlan'],
      [bad, false, 'RolloutPlan'],
    ]);
    expect(messages(run.stderr)).toEqual(expectedIssues(bad));
  });

  it('a gate `for` window longer than a step\'s bake is a warning: printed at file:line:col, exit 0, listed in --json', async () => {
    const file = `${FIXTURES}/warnings/for-longer-than-bake.yaml`;
    const run = await rollgate('plan', 'validate', file);
    expect(run.code, run.stderr).toBe(0);
    const warned = messages(run.stderr, 'warn');
    expect(warned[0]).toBe(`${file}:20:11: warning: steps[0].bake: gate "p95-latency" looks back 5m (for), longer than the 2m bake of step 1 (weight 10%): its window reaches into the traffic before the step began; bake at least 5m or shorten for`);
    expect(warned).toHaveLength(2);
    expect(run.stdout).toBe('');
    const json = await rollgate('--json', 'plan', 'validate', file);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { valid: boolean; files: Array<{ warnings: Array<{ line: number; col: number; path: string }> }> };
    expect(doc.valid).toBe(true);
    expect(doc.files[0]!.warnings.map((w) => [w.line, w.col, w.path])).toEqual([[20, 11, 'steps[0].bake'], [23, 5, 'steps[2].weight']]);
  });

  it('a step with gates: [] is an error at its position (exit 2)', async () => {
    const file = `${FIXTURES}/invalid/step-with-empty-gates.yaml`;
    const run = await rollgate('plan', 'validate', file);
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual([`${file}:16:12: steps[0].gates: is empty: a step without gates would be promoted without measuring; name at least one gate, or remove gates: to check every gate`]);
  });

  it('a YAML syntax error is reported once, where the broken token starts', async () => {
    const file = `${FIXTURES}/invalid/yaml-unclosed-quote.yaml`;
    const run = await rollgate('plan', 'validate', file);
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual([`${file}:4:9: YAML syntax error: this double-quoted string is never closed: add the closing " (or remove the opening one)`]);
  });

  it('a tab or a bad indent inside the steps: the one syntax error, and nothing else on stderr (no YAML library warning)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-indent-'));
    const standard = readFileSync(join(ROOT, 'playbooks/canary-standard.yaml'), 'utf8');
    for (const [name, broken] of [['tab.yaml', '\tbake: 5m'], ['indent.yaml', 'bake: 5m']] as const) {
      const file = join(dir, name);
      writeFileSync(file, standard.replace(/^( {4})bake: 5m$/m, broken));
      const run = await rollgate('plan', 'validate', file);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/YAML syntax error/);
      expect(run.stderr).not.toMatch(/Warning|stringified/);
    }
  });

  it('reports a missing file with exit 2', async () => {
    const run = await rollgate('plan', 'validate', 'no-such-plan.yaml');
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual(['no-such-plan.yaml: no such file']);
  });

  it('a --set name the plan never uses is a warning naming the closest used var: exit unchanged, in --json warnings', async () => {
    const file = `${FIXTURES}/valid/canary-shorthand.yaml`;
    const run = await rollgate('plan', 'validate', file, '--set', 'verison=v3');
    expect(run.code, run.stderr).toBe(0);
    expect(messages(run.stderr, 'warn')).toEqual([`${file}: warning: --set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored`]);
    // First on its line (no timestamp, no colour): editors and CI problem matchers find it.
    expect(run.stderr.split('\n')).toContain(`${file}: warning: --set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored`);
    const json = await rollgate('--json', 'plan', 'validate', file, '--set', 'verison=v3', '--set', 'version=v4');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { files: Array<{ warnings: Array<{ line: number; col: number; message: string }> }> };
    expect(doc.files[0]!.warnings).toEqual([{ file, line: 0, col: 0, path: '', message: '--set verison=...: the plan uses no var "verison" (did you mean "version"?); the value is ignored' }]);
    // A used name is no warning; a name far from every used one gets no suggestion.
    const far = await rollgate('plan', 'validate', file, '--set', 'version=v4', '--set', 'colour=blue');
    expect(messages(far.stderr, 'warn')).toEqual([`${file}: warning: --set colour=...: the plan uses no var "colour"; the value is ignored`]);
  });

  it('a directory given as a plan: exit 2, said without a line:col position', async () => {
    const run = await rollgate('plan', 'validate', FIXTURES);
    expect(run.code).toBe(2);
    expect(messages(run.stderr)).toEqual([`${FIXTURES}: is a directory, not a plan file`]);
    expect(run.stderr).not.toMatch(/:1:1:/);
    const json = await rollgate('--json', 'plan', 'validate', 'no-such-plan.yaml');
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, files: [{ file: 'no-such-plan.yaml', issues: [{ file: 'no-such-plan.yaml', line: 0, col: 0, path: '', message: 'no such file' }] }] });
  });

  it('applies --set before checking placeholders', async () => {
    const run = await rollgate('plan', 'validate', `${FIXTURES}/valid/canary-shorthand.yaml`, '--set', 'version=v8', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ schemaVersion: 1, valid: true, files: [{ valid: true, issues: [] }] });
  });
});

describe('rollgate plan show', () => {
  it('prints the plan\'s warnings (bake shorter than the interval, for longer than bake, unused --set) first on their lines, exit 0, and lists them in --json', async () => {
    const file = `${FIXTURES}/warnings/shorthand-bake-and-for.yaml`;
    const run = await rollgate('plan', 'show', file, '--set', 'verison=v3');
    expect(run.code, run.stderr).toBe(0);
    expect(messages(run.stderr, 'warn')).toEqual([
      `${file}: warning: --set verison=...: the plan uses no var "verison"; the value is ignored`,
      `${file}:19:9: warning: canary.bake: the 15s bake of each step is shorter than the analysis interval (1m): its gates are measured only once, at the end of the bake; bake at least 1m or shorten analysis.interval`,
      `${file}:19:9: warning: canary.bake: gate "p95-latency" looks back 2m (for), longer than the 15s bake of each step: its window reaches into the traffic before the step began; bake at least 2m or shorten for`,
    ]);
    expect(run.stdout).toContain('Minimum total duration');
    const json = await rollgate('--json', 'plan', 'show', file);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { warnings: Array<{ line: number; col: number; path: string }> };
    expect(doc.warnings.map((w) => [w.line, w.col, w.path])).toEqual([[19, 9, 'canary.bake'], [19, 9, 'canary.bake']]);
  });

  it('prints the steps, the gates with worst-case detection, and the minimum duration', async () => {
    const run = await rollgate('plan', 'show', 'playbooks/canary-standard.yaml');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/\u001b\[/);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('step  weight  bake  approval  gates');
    expect(lines).toContain('3     50%     10m   yes       error-rate, p95-latency');
    expect(lines).toContain('p95-latency        <= 0.12    critical  2m   1m     3m30s');
    expect(lines).toContain('Minimum total duration: 30m (sum of bakes, not counting 1 approval wait)');
    // Every line fits 80 columns, and the detection note is in words (no raw field name).
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(run.stdout).not.toContain('failureLimit');
    expect(run.stdout).toContain('Worst-case detection = analysis interval × (failures allowed + 1)');
  });

  it('--json prints one document: the resolved plan and its summary', async () => {
    const run = await rollgate('plan', 'show', `${FIXTURES}/valid/canary-shorthand.yaml`, '--json', '--prometheus', 'http://flag:9090');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { schemaVersion: number; plan: { prometheus: { url: string }; steps: Array<{ weight: number; approval: boolean }> }; summary: { minimumDurationMs: number } };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.plan.prometheus.url).toBe('http://flag:9090');
    expect(doc.plan.steps.map((step) => [step.weight, step.approval])).toEqual([[5, false], [25, false], [50, true], [100, false]]);
    expect(doc.summary.minimumDurationMs).toBe(40 * 60_000);
  });

  it('an invalid plan: exit 2, issues on stderr, only the error document on stdout with --json', async () => {
    const file = `${FIXTURES}/invalid/weight-over-100.yaml`;
    const run = await rollgate('plan', 'show', file, '--json');
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { schemaVersion: number; error: { kind: string; message: string; issues: unknown[] } };
    expect(doc).toMatchObject({ schemaVersion: 1, error: { kind: 'plan', message: expectedIssues(file)[0] } });
    expect(messages(run.stderr)).toEqual(expectedIssues(file));
  });
});

describe('rollgate schema', () => {
  it('plan prints the JSON Schema', async () => {
    const run = await rollgate('schema', 'plan');
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as { $schema: string; title: string; properties: Record<string, unknown> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(Object.keys(schema.properties)).toContain('gates');
  });

  it('policy prints the SLAPolicy JSON Schema', async () => {
    const run = await rollgate('schema', 'policy');
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout) as { $schema: string; title: string; properties: Record<string, unknown> };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('rollgate SLAPolicy v1');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['slos', 'rules', 'exclude']));
  });
});
