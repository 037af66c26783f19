#!/usr/bin/env node
/**
 * Writes dist/bundle/cli.cache: V8's compiled code for the bundle, after running in one process
 * the commands whose start-up matters most in CI steps (help, plan validate and show of
 * the rollout playbooks). Not more: V8 reads the whole cache at every start, so code few
 * commands use (SLA loaders, JSON Schema) is left to compile when used. Run by scripts/bundle.mjs right after the bundle is built, in a fresh `node` with
 * default flags, because V8 only accepts a cache made under the same version and flags.
 * Output of the warm-up commands goes nowhere; they read only the repository's playbooks.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { compileBundle } from '../bin/bundle-loader.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = `${root}dist/bundle/cli.cjs`;
const { script, run } = compileBundle(file);
const { main } = run();

const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const streams = { stdout: sink(), stderr: sink(), stdin: process.stdin };
const env = { ...process.env, CI: '1', NO_COLOR: '1' };
const playbooks = readdirSync(`${root}playbooks`).filter((name) => name.endsWith('.yaml') && !name.startsWith('sla-') && name !== 'org-policy.yaml').map((name) => `playbooks/${name}`);
const runs = [
  ['--help'],
  ['rollout', 'run', '--help'],
  ['gate', 'check', '--help'],
  ['plan', 'validate', ...playbooks],
  ['--json', 'plan', 'validate', ...playbooks],
  ['plan', 'show', 'playbooks/canary-standard.yaml'],
  ['--json', 'plan', 'show', 'playbooks/canary-standard.yaml'],
];
for (const argv of runs) await main(argv, { streams, env, cwd: root });
writeFileSync(`${root}dist/bundle/cli.cache`, script.createCachedData());
