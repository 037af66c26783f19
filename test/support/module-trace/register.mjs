// Loaded with `node --import`: registers hooks.mjs and records CommonJS requires too.
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.MODULE_TRACE_FILE;
register('./hooks.mjs', import.meta.url, { data: { out } });
const Module = createRequire(import.meta.url)('node:module');
const original = Module._load;
Module._load = function load(request, parent, isMain) {
  if (out && !request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:')) appendFileSync(out, `${request}\n`);
  return original.call(this, request, parent, isMain);
};
