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
  // The bundled CLI (dist/bundle/) inlines its light packages: record that it ran, and which chunk.
  if (out && resolved.url.includes('/dist/bundle/')) appendFileSync(out, `rollgate-bundle:${resolved.url.slice(resolved.url.lastIndexOf('/') + 1)}\n`);
  return resolved;
}
