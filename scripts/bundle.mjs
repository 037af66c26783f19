#!/usr/bin/env node
/**
 * Bundles the CLI for start-up speed (`npm run build` runs it after tsc): dist/bundle/cli.js plus
 * lazily loaded chunks, one per command and per shared piece, as esbuild's code splitting cuts
 * them along the dynamic `import()`s of src/cli.ts. Measured on Node 20 (no compile cache there):
 * resolving and loading ~200 small ESM files cost 60–100 ms per call; the bundle loads a handful.
 *
 * bin/rollgate runs dist/bundle/cli.js; dist/ keeps tsc's per-module output for the benches and
 * anything that imports a library module directly. Heavy or native-ish packages stay external
 * (loaded from node_modules only by the commands that need them, as before). Chunks sit beside
 * cli.js, two levels below the package root like dist/lib/*, so src/lib/version.ts still finds
 * package.json.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
  // Loaded only by the commands that use them; several are CommonJS with optional requires.
  external: ['ioredis', 'axios', 'fastify', '@inquirer/prompts', 'ora', 'prom-client', '@grafana/grafana-foundation-sdk', 'execa', 'luxon', 'croner', 'playwright-core', 'cli-table3'],
  // Bundled CommonJS (commander, yaml's CJS parts) calls require() for Node built-ins.
  banner: { js: "import { createRequire as __rollgateCreateRequire } from 'node:module';\nconst require = __rollgateCreateRequire(import.meta.url);" },
});
