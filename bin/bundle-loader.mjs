// Runs the bundled CLI (dist/bundle/cli.cjs, one CommonJS file made by scripts/bundle.mjs) with
// V8's code cache (dist/bundle/cli.cache and plan.cache, made at build time by scripts/warm-code-cache.mjs).
// Why: on Node 20 most of a command's start-up is V8 compiling JavaScript (parsing the bundle,
// then each function on its first call), and Node 20 has no module.enableCompileCache(). The
// cache holds the compiled code of what the build's warm-up ran; anything else compiles lazily
// as usual. V8 itself refuses a cache made by another V8 version or flags
// (`script.cachedDataRejected`); the cache is only ever written by the build, next to the very
// bundle it was made from, and it holds compiled code only, never a result of a command.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

// The bundle's dynamic imports (scripts/bundle.mjs rewrote them): ESM-only packages such as ora,
// execa and @inquirer/prompts, resolved from this package like the bundle's own requires.
const importForBundle = (specifier) => import(specifier);

/** Compiles the bundle (with `cachedData` when given); `run()` evaluates it and returns its exports. */
export function compileBundle(file, cachedData) {
  // The same function wrapper Node gives a CommonJS file, so the bundle sees require, module, __filename.
  const source = `(function (exports, require, module, __filename, __dirname, __rollgateImport) { ${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const run = () => {
    const module = { exports: {} };
    script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), importForBundle);
    return module.exports;
  };
  return { script, run };
}

/** Global flags that take a value (src/cli.ts), to find the command words in argv. */
const GLOBAL_WITH_VALUE = new Set(['--state', '--prometheus', '--policy']);

/**
 * Which cache fits the command: `plan` (plan validate/show, made by running only those) or the
 * general one (also holding gate check's query path). V8 reads a whole cache at every start, so
 * the quickest, most frequent calls get one without code they never run.
 */
export function cacheGroup(argv) {
  const words = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    if (GLOBAL_WITH_VALUE.has(argv[i])) i += 1;
    else if (!argv[i].startsWith('-')) words.push(argv[i]);
  }
  return words[0] === 'plan' && (words[1] === 'validate' || words[1] === 'show') ? 'plan' : 'cli';
}

/** The cache file of a group, beside the bundle. */
export const cacheFile = (bundle, group) => bundle.replace(/cli\.cjs$/, `${group}.cache`);

/** The bundle's exports, with the build's code cache for this command when it is there. */
export function loadBundle(file, argv) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile(file, cacheGroup(argv)));
  } catch {
    cachedData = undefined; // no cache (a build without the warm-up): compile as usual
  }
  return compileBundle(file, cachedData).run();
}
