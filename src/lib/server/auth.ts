import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/**
 * Checks `Authorization: Bearer <token>` against the expected token in constant time: both sides
 * are hashed first, so timingSafeEqual compares equal-length digests and neither the token's
 * content nor its length leaks through timing.
 */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const presented = match?.[1] ?? '';
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  // Hash comparison first (constant time), then the emptiness check, so timing never depends on where it fails.
  return timingSafeEqual(a, b) && presented.length > 0;
}

/** The token file's content without surrounding whitespace (editors add a final newline). */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`--token-file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`--token-file ${file}: the file is empty`, 'write a long random token into it, e.g.: openssl rand -hex 32 > token');
  if (/\s/.test(token)) throw new UsageError(`--token-file ${file}: the token must be one word without spaces or newlines`);
  return token;
}

/** 127.0.0.0/8, ::1 and localhost: the only addresses that may run without a token. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(?:\.\d{1,3}){3}$/.test(bare) || bare === '::ffff:127.0.0.1';
}

/** `HOST:PORT`, `[V6]:PORT` or `:PORT` (all interfaces). */
export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || !Number.isInteger(port) || port > 65_535) throw new UsageError(`--listen ${value}: expected HOST:PORT`, 'for example: --listen 127.0.0.1:9797 or --listen :9797 (all interfaces)');
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
