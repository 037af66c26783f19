/**
 * Opens the state store named by a URL (`--state`, `ROLLGATE_STATE`):
 *   file:./.rollgate (default, relative to cwd) · file:/abs/path · file:///abs/path
 *   redis://[user:pass@]host:port/db · rediss://... (TLS)
 * The Redis backend, and ioredis with it, is imported only when a redis URL is given.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { FileStateStore } from './file-store.js';
import type { StateStore } from './types.js';

export async function openStateStore(url: string, options: { cwd?: string } = {}): Promise<StateStore> {
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
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { RedisStateStore } = await import('./redis-store.js');
    return RedisStateStore.connect(url);
  }
  // Never echo a password someone put in a mistyped URL.
  const shown = url.replace(/\/\/[^@/]*@/, '//***@');
  throw new UsageError(`unknown state store "${shown}"`, 'use file:./.rollgate (default), file:/abs/path, redis://host:6379/0 or rediss://host:6380/0');
}
