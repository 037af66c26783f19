/**
 * `rollgate plan validate` on the built binary: a PromQL problem is one diagnostic line,
 * `file:line:col: path: PromQL parse error: <promtool's words>`, first on its line for editors and
 * CI problem matchers, the same in --json; and the lezer grammar (about 10 ms to load) is loaded only
 * to confirm a grammar error, never for a valid plan or a type error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const TRACE = fileURLToPath(new URL('../support/module-trace/register.mjs', import.meta.url));
const LEZER = '@prometheus-io/lezer-promql';
const work = mkdtempSync(join(tmpdir(), 'rollgate-validate-promql-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function plan(name: string, queryYaml: string): string {
  const file = join(work, name);
  const text = [
    'apiVersion: rollgate/v1',
    'kind: RolloutPlan',
    'metadata: { name: checkout-v2, service: checkout }',
    'traffic:',
    '  exec: ["./set-weight.sh", "{{weight}}"]',
    'canary: { weights: [50, 100], bake: 1m }',
    'gates:',
    '  - name: error-rate',
    '    max: 0.01',
    queryYaml,
    '',
  ].join('\n');
  writeFileSync(file, text);
  return file;
}

/** Runs `plan validate` with the module trace on; returns the result and the packages it loaded. */
async function validate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  const trace = join(mkdtempSync(join(work, 'trace-')), 'trace.txt');
  writeFileSync(trace, '');
  const result = await runCli(['plan', 'validate', ...args], { nodeArgs: ['--import', TRACE], env: { MODULE_TRACE_FILE: trace } });
  return { ...result, loaded: readFileSync(trace, 'utf8').split('\n').filter(Boolean) };
}

describe('plan validate reports PromQL problems as promtool does', () => {
  it('a ")" where a range goes on, inside a block scalar: the line and column of the ")"', async () => {
    const file = plan('range.yaml', '    query: |\n      sum(rate(http_requests_total{code=~"5.."}[5m]))\n        / sum(rate(http_requests_total[5m)))');
    const result = await validate([file]);
    expect(result.code).toBe(2);
    const line = `${file}:12:42: gates[0].query: PromQL parse error: unexpected ")" in subquery or range, expected ":" or "]"`;
    expect(result.stderr.split('\n')).toContain(line);
    expect(readFileSync(file, 'utf8').split('\n')[11]!.slice(41)).toBe(')))');
    // A grammar error is confirmed against the newest grammar: lezer is loaded for it.
    expect(result.loaded).toContain(LEZER);

    const json = await validate(['--json', file]);
    const doc = JSON.parse(json.stdout) as { files: Array<{ issues: Array<{ line: number; col: number; path: string; message: string }> }> };
    expect(doc.files[0]!.issues).toEqual([{ file, line: 12, col: 42, path: 'gates[0].query', message: 'PromQL parse error: unexpected ")" in subquery or range, expected ":" or "]"' }]);
  });

  it('a type error names both types, at the argument, without loading lezer', async () => {
    const file = plan('types.yaml', '    query: sum(rate(http_requests_total))');
    const result = await validate([file]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toContain(`${file}:10:21: gates[0].query: PromQL parse error: expected type range vector in call to function "rate", got instant vector`);
    expect(result.loaded).not.toContain(LEZER);
  });

  it('a valid playbook passes without loading lezer', async () => {
    const result = await validate(['playbooks/canary-standard.yaml']);
    expect(result.code).toBe(0);
    expect(result.loaded.some((p) => p === 'commander' || p === 'rollgate-bundle'), 'the trace ran').toBe(true);
    expect(result.loaded).not.toContain(LEZER);
  });
});
