/**
 * The bundled CLI and its V8 code cache (scripts/bundle.mjs, scripts/warm-code-cache.mjs,
 * bin/bundle-loader.mjs): the cache the build wrote is one this Node accepts, and the CLI gives
 * the same answers with the cache, without it, and from tsc's unbundled dist/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { cacheGroup, compileBundle } from '../../bin/bundle-loader.mjs';
import { CI_ENV, ROOT, runCli } from '../support/cli.js';

const BUNDLE = join(ROOT, 'dist/bundle/cli.cjs');

describe('bundled CLI with the code cache', () => {
  it('the build wrote caches that V8 accepts for the bundle they were made from', () => {
    for (const group of ['cli', 'plan']) {
      const cache = readFileSync(join(ROOT, `dist/bundle/${group}.cache`));
      const { script } = compileBundle(BUNDLE, cache) as { script: { cachedDataRejected?: boolean } };
      expect(script.cachedDataRejected, group).toBe(false);
    }
  });

  it('plan validate and show take the plan cache, every other command the general one', () => {
    const group = cacheGroup as (argv: string[]) => string;
    expect(group(['plan', 'validate', 'x.yaml'])).toBe('plan');
    expect(group(['--state', 'file:plan', '--json', 'plan', 'show', 'x.yaml'])).toBe('plan');
    expect(group(['--prometheus', 'http://p:9090', 'plan', 'validate'])).toBe('plan');
    expect(group(['plan', 'backtest', 'x.yaml'])).toBe('cli');
    expect(group(['gate', 'check', 'plan'])).toBe('cli');
    expect(group(['--help'])).toBe('cli');
  });

  it('a cache made for other source is refused, not used', () => {
    const other = join(mkdtempSync(join(tmpdir(), 'rollgate-cc-')), 'cli.cjs');
    writeFileSync(other, 'module.exports = { main: async () => 0 };\n');
    const { script, run } = compileBundle(other, readFileSync(join(ROOT, 'dist/bundle/cli.cache'))) as { script: { cachedDataRejected?: boolean }; run(): { main(): Promise<number> } };
    expect(script.cachedDataRejected).toBe(true);
    expect(typeof run().main).toBe('function');
  });

  it('gives the same answers with the cache, without it, and unbundled', async () => {
    const args = ['--json', 'plan', 'validate', 'playbooks/canary-standard.yaml', 'playbooks/blue-green.yaml'];
    const withCache = await runCli(args);
    // The copy's path has spaces: the bundle is found by path, not by a percent-encoded URL.
    const runCopy = (copy: string) => spawnSync(process.execPath, [join(copy, 'bin/rollgate'), ...args], { cwd: ROOT, env: { ...process.env, ...CI_ENV }, encoding: 'utf8' });
    expect(withCache.code).toBe(0);
    // A copy of the package without the caches, then without dist/bundle at all.
    const copy = mkdtempSync(join(tmpdir(), 'rollgate copy with spaces-'));
    for (const part of ['bin', 'dist', 'playbooks', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bundled = runCopy(copy);
    expect(bundled.status, bundled.stderr).toBe(0);
    for (const group of ['cli', 'plan']) rmSync(join(copy, `dist/bundle/${group}.cache`));
    const noCache = runCopy(copy);
    rmSync(join(copy, 'dist/bundle'), { recursive: true });
    const unbundled = runCopy(copy);
    for (const other of [noCache, unbundled]) {
      expect(other.status, other.stderr).toBe(0);
      expect(JSON.parse(other.stdout)).toEqual(JSON.parse(withCache.stdout));
    }
    expect(existsSync(join(copy, 'dist/bundle'))).toBe(false);
  });
});
