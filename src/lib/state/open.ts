/**
 * Opens the state store named by a URL (`--state`, `ROLLGATE_STATE`):
 *   file:./.rollgate (default, relative to cwd) · file:/abs/path · file:///abs/path
 *   redis://[user:pass@]host:port/db · rediss://... (TLS)
 *   redis-sentinel://[user:pass@]h1:p1,h2:p2/MASTER[/db] · rediss-sentinel://... (TLS)
 *   redis-cluster://[user:pass@]h1:p1,h2:p2 · rediss-cluster://... (TLS)
 * A Redis URL is checked in full first (exit 2 on a bad one); the Redis backend, and ioredis with
 * it, is imported only then.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { FileStateStore } from './file-store.js';
import { isRedisUrl, parseRedisUrl, redactUrl } from './redis-url.js';
import type { StateStore } from './types.js';

export async function openStateStore(url: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<StateStore> {
  const cwd = options.cwd ?? process.cwd();
  if (url.startsWith('file:')) {
    const rest = url.slice('file:'.length);
    if (rest === '') throw new UsageError('state store URL "file:" names no directory', 'for example: --state file:./.rollgate');
    let dir = rest;
    if (rest.startsWith('//')) {
      try {
        dir = fileURLToPath(url);
      } catch (error) {
        throw new UsageError(`state store URL "${url}" is not a local file URL (${(error as Error).message})`, 'for example: --state file:///var/lib/rollgate');
      }
    }
    return new FileStateStore(path.resolve(cwd, dir));
  }
  if (isRedisUrl(url)) {
    const target = parseRedisUrl(url, { env: options.env ?? process.env });
    const { RedisStateStore } = await import('./redis-store.js');
    return RedisStateStore.connect(target);
  }
  // Never echo a password someone put in a mistyped URL.
  throw new UsageError(
    `unknown state store "${redactUrl(url)}"`,
    'use file:./.rollgate (default), file:/abs/path, redis://host:6379/0, redis-sentinel://h1:26379,h2:26379/mymaster/0 or redis-cluster://h1:6379,h2:6379',
  );
}
