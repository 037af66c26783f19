// ESM resolve hook that records every bare package specifier a process imports (for start-up tests).
import { appendFileSync } from 'node:fs';

let out;
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  if (out && !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('file:') && !specifier.startsWith('node:')) {
    appendFileSync(out, `${specifier}\n`);
  }
  const resolved = await next(specifier, context);
  // The bundled CLI (dist/bundle/cli.cjs, run by bin/bundle-loader.mjs) inlines its light packages: record that it ran.
  if (out && resolved.url.endsWith('/bin/bundle-loader.mjs')) appendFileSync(out, 'rollgate-bundle\n');
  return resolved;
}
