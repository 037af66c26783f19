/**
 * Rollout IDs and services for shell completion, read straight from the file store's records
 * (`<root>/rollouts/<ID>/record.json`) without opening a store: a completion must answer in a few
 * milliseconds and never wait for a network. A Redis store gives no candidates.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Candidate {
  rolloutId: string;
  service: string;
  status: string;
  updatedAt: string;
}

/** The directory of a `file:` state URL, or undefined for any other store. */
export function fileStoreRoot(url: string, cwd: string): string | undefined {
  if (!url.startsWith('file:') || url === 'file:') return undefined;
  const rest = url.slice('file:'.length);
  try {
    return path.resolve(cwd, rest.startsWith('//') ? fileURLToPath(url) : rest);
  } catch {
    return undefined;
  }
}

/** The rollouts of the store, newest first; audits are not rollouts and are left out. */
function rollouts(root: string): Candidate[] {
  let ids: string[];
  try {
    ids = readdirSync(path.join(root, 'rollouts'));
  } catch {
    return [];
  }
  const found: Candidate[] = [];
  for (const id of ids) {
    try {
      const record = JSON.parse(readFileSync(path.join(root, 'rollouts', id, 'record.json'), 'utf8')) as Partial<Candidate> & { kind?: string };
      if (record.kind === 'audit' || typeof record.rolloutId !== 'string' || typeof record.service !== 'string') continue;
      found.push({ rolloutId: record.rolloutId, service: record.service, status: String(record.status ?? ''), updatedAt: String(record.updatedAt ?? '') });
    } catch {
      // A rollout whose creation crashed half way has no record: not offered.
    }
  }
  found.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
  return found;
}

/** Rollout IDs (newest first), then each service once. */
export function completionCandidates(root: string): string[] {
  const found = rollouts(root);
  return [...found.map((c) => c.rolloutId), ...new Set(found.map((c) => c.service))];
}

/**
 * What `rollgate __complete rollouts` prints: one candidate a line; with `describe`, each
 * followed by a tab and what a menu shows beside it (zsh, fish): the service, status and time of
 * a rollout, the number of rollouts of a service.
 */
export function completionLines(root: string, describe: boolean): string {
  if (!describe) return completionCandidates(root).map((w) => `${w}\n`).join('');
  const found = rollouts(root);
  const lines = found.map((c) => `${c.rolloutId}\t${[c.service, c.status.replace(/_/g, ' '), c.updatedAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC')].filter(Boolean).join(', ')}\n`);
  const counts = new Map<string, number>();
  for (const c of found) counts.set(c.service, (counts.get(c.service) ?? 0) + 1);
  for (const [service, n] of counts) lines.push(`${service}\tservice, ${n} rollout${n === 1 ? '' : 's'}\n`);
  return lines.join('');
}
