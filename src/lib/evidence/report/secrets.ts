/**
 * The secret values a rollout's plan refers to (`bearerTokenFile`, `basicAuth.passwordFile`,
 * `headersFromFile`, their `*Env` twins, ROLLGATE_PROMETHEUS_TOKEN_FILE), read now so a report can
 * mask them by value wherever they might appear. Best effort: a file that is gone or unreadable
 * is skipped (the recorded evidence was redacted when it was written; this is a second line).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { REDACTED } from '../../redact.js';
import type { RolloutEvent } from '../../state/types.js';

interface Refs {
  files: string[];
  envs: string[];
}

function collect(value: unknown, refs: Refs, key = ''): void {
  if (typeof value === 'string') {
    if (value === REDACTED || value.includes(REDACTED)) return;
    if (/File$/.test(key)) refs.files.push(value);
    else if (/Env$/.test(key)) refs.envs.push(value);
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, refs, key);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    // headersFromFile: { Name: path } — the inner keys are header names; the outer key says what they hold.
    if ((k === 'headersFromFile' || k === 'headersFromEnv') && v && typeof v === 'object') {
      for (const inner of Object.values(v)) collect(inner, refs, k.endsWith('File') ? 'File' : 'Env');
    } else collect(v, refs, k);
  }
}

function planRefs(events: readonly RolloutEvent[], env: NodeJS.ProcessEnv): Refs {
  const refs: Refs = { files: [], envs: [] };
  const started = events.find((e) => e.type === 'rollout.started');
  if (started) collect(started.data.plan, refs);
  const tokenFile = env.ROLLGATE_PROMETHEUS_TOKEN_FILE?.trim();
  if (tokenFile) refs.files.push(tokenFile);
  return refs;
}

/** The values to mask, given each referenced file's content (undefined: gone or unreadable). */
function secretValues(refs: Refs, env: NodeJS.ProcessEnv, contentOf: (file: string) => string | undefined): string[] {
  const values: string[] = [];
  for (const file of new Set(refs.files)) {
    const content = contentOf(file)?.trim();
    if (content) values.push(content, ...content.split(/\s+/).filter((part) => part.length >= 8));
  }
  for (const name of new Set(refs.envs)) {
    const value = env[name]?.trim();
    if (value) values.push(value);
  }
  return [...new Set(values)];
}

export async function readPlanSecrets(events: readonly RolloutEvent[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string[]> {
  const refs = planRefs(events, options.env);
  const contents = new Map<string, string>();
  for (const file of new Set(refs.files)) {
    try {
      contents.set(file, await readFile(path.resolve(options.cwd, file), 'utf8'));
    } catch {
      // gone or unreadable: nothing to mask by value
    }
  }
  return secretValues(refs, options.env, (file) => contents.get(file));
}

/**
 * readPlanSecrets without waiting: for a reader that meets the plan (the first event) in the middle
 * of reading the log and must mask from the next event on. The files are a few small ones.
 */
export function readPlanSecretsSync(events: readonly RolloutEvent[], options: { cwd: string; env: NodeJS.ProcessEnv }): string[] {
  const refs = planRefs(events, options.env);
  return secretValues(refs, options.env, (file) => {
    try {
      return readFileSync(path.resolve(options.cwd, file), 'utf8');
    } catch {
      return undefined; // gone or unreadable: nothing to mask by value
    }
  });
}
