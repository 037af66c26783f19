#!/usr/bin/env node
/**
 * Bundles the CLI for start-up speed (`npm run build` runs it after tsc) into one CommonJS file,
 * dist/bundle/cli.cjs, then has scripts/warm-code-cache.mjs write V8's code cache for it
 * (dist/bundle/cli.cache, and plan.cache for plan validate/show); bin/rollgate runs the bundle with that cache (bin/bundle-loader.mjs).
 *
 * Measured on Node 20 (no module.enableCompileCache there), `plan validate` of a playbook: ~200
 * tsc ESM files 410–460 ms before any bundling; esbuild ESM chunks ~1.4× faster, still mostly V8
 * compiling; one CommonJS file with a code cache another ~1.35× (see bench/README.md). Code
 * splitting needs ESM, which vm.Script cannot take on Node 20, so there is one file: modules
 * reached through a dynamic import() stay wrapped and run only when imported, and V8 compiles
 * only what runs.
 *
 * dist/ keeps tsc's per-module output for the benches and anything that imports a library module
 * directly. Heavy or ESM-only packages stay external (loaded from node_modules only by the commands
 * that need them). The bundle sits two levels below the package root like dist/lib/*, so
 * src/lib/version.ts still finds package.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * commander requires node:child_process at load, for executable subcommands, which rollgate does
 * not have; loading it pulls in net, dgram and the process wrappers (~3 ms per start). commander
 * gets a stand-in that requires the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes('/node_modules/commander/') ? { path: 'lazy-child-process', namespace: 'rollgate-lazy' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'rollgate-lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: `${outdir}/cli.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  minifyWhitespace: true,
  minifySyntax: true,
  // Loaded only by the commands that use them; several are CommonJS with optional requires, some ESM only.
  // axios is bundled: every gate check and rollout sends its queries with it, and loaded from
  // node_modules it costs ~60 ESM files plus its CommonJS dependencies at each start.
  external: ['ioredis', 'fastify', '@inquirer/prompts', 'ora', 'prom-client', '@grafana/grafana-foundation-sdk', 'execa', 'luxon', 'croner', 'playwright-core', 'cli-table3'],
  // import.meta does not exist in CommonJS: the bundle's own URL stands in for it.
  define: { 'import.meta.url': '__rollgateBundleUrl' },
  plugins: [lazyChildProcessForCommander],
  banner: { js: "const __rollgateBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The bundle runs as a vm.Script (for the code cache), and on Node 20 an import() in code that V8
// took from a code cache can lose its loader ("A dynamic import callback was not specified"). So
// the bundle has no import() at all: each dynamic import of an external package becomes a call
// to the loader's own import() (bin/bundle-loader.mjs passes it in as __rollgateImport).
const bundleFile = `${outdir}/cli.cjs`;
const bundled = readFileSync(bundleFile, 'utf8');
let replaced = 0;
const rewritten = bundled.replace(/\bimport\(("[^"]+")\)/g, (_match, specifier) => {
  replaced += 1;
  return `__rollgateImport(${specifier})`;
});
const left = rewritten.match(/\bimport\s*\(/);
if (replaced === 0 || left) throw new Error(`bundle: ${left ? `an import() the build could not rewrite remains near offset ${left.index}` : 'no dynamic import found to rewrite (did esbuild change its output?)'}`);
writeFileSync(bundleFile, rewritten);

// A fresh process with default flags: V8 refuses a cache made under other flags.
for (const group of ['cli', 'plan']) execFileSync(process.execPath, [`${root}scripts/warm-code-cache.mjs`, group], { stdio: 'inherit' });
