#!/usr/bin/env node
/**
 * Writes dist/bundle/<group>.cache (cli.cache, plan.cache): V8's compiled code for the bundle, after running in one process
 * the commands whose start-up matters most in CI steps (help, plan validate and show of
 * the rollout playbooks, gate check). Not more: V8 reads the whole cache at every start, so code few
 * commands use (SLA loaders, JSON Schema) is left to compile when used. Run by scripts/bundle.mjs right after the bundle is built, in a fresh `node` with
 * default flags, because V8 only accepts a cache made under the same version and flags.
 * Output of the warm-up commands goes nowhere; they read only the repository's playbooks.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { cacheFile, compileBundle } from '../bin/bundle-loader.mjs';

// `plan` or `cli`: see cacheGroup() in bin/bundle-loader.mjs. One process per group, because a
// cache holds everything compiled in its process so far.
const group = process.argv[2] ?? 'cli';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = `${root}dist/bundle/cli.cjs`;
const { script, run } = compileBundle(file);
const { main } = run();

const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const streams = { stdout: sink(), stderr: sink(), stdin: process.stdin };
// The user's ROLLGATE_* settings (a policy, a state store, a Prometheus) have no place in the warm-up.
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ROLLGATE_'))), CI: '1', NO_COLOR: '1' };
const playbooks = readdirSync(`${root}playbooks`).filter((name) => name.endsWith('.yaml') && !name.startsWith('sla-') && name !== 'org-policy.yaml').map((name) => `playbooks/${name}`);
const planRuns = [
  ['plan', 'validate', ...playbooks],
  ['--json', 'plan', 'validate', ...playbooks],
  ['plan', 'show', 'playbooks/canary-standard.yaml'],
  ['--json', 'plan', 'show', 'playbooks/canary-standard.yaml'],
];
const runs = group === 'plan' ? planRuns : [['--help'], ['rollout', 'run', '--help'], ['gate', 'check', '--help'], ...planRuns];
for (const argv of runs) await main(argv, { streams, env, cwd: root });
if (group === 'plan') {
  writeFileSync(cacheFile(file, group), script.createCachedData());
  process.exit(0);
}

// gate check, the call CI steps make most, against a stand-in for Prometheus on loopback that
// answers every query with one sample: this compiles the query path (axios, response checks,
// evaluation) into the cache. Nothing leaves this machine.
const prometheus = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const now = Date.now() / 1_000;
    const data = request.url?.includes('query_range')
      ? { resultType: 'matrix', result: [{ metric: {}, values: [[now - 60, '0.01'], [now, '0.01']] }] }
      : { resultType: 'vector', result: [{ metric: {}, value: [now, '0.01'] }] };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
  });
});
await new Promise((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
const prometheusUrl = `http://127.0.0.1:${prometheus.address().port}`;
for (const json of [[], ['--json']]) await main([...json, 'gate', 'check', 'playbooks/canary-standard.yaml', '--prometheus', prometheusUrl], { streams, env, cwd: root });
prometheus.close();
writeFileSync(cacheFile(file, group), script.createCachedData());
