/**
 * Validates an SLA policy written by `rollgate init --policy` with the SLA policy loader of
 * src/lib/sla/ (the same code `sla audit` and `plan validate` use), before the file is written.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PlanError, RollgateError, UsageError } from '../errors.js';

type Loader = (file: string, options: { env?: NodeJS.ProcessEnv; cwd?: string }) => Promise<{ slos: unknown[] }>;

/** Returns the number of SLOs; throws PlanError (with positions in `shown`) when the loader refuses it. */
export async function checkSlaPolicySource(text: string, shown: string, options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<number> {
  // Kept as a variable so this module builds before the loader exists on every branch.
  const loaderModule = '../sla/load.js';
  let loadSlaPolicy: Loader | undefined;
  try {
    loadSlaPolicy = ((await import(loaderModule)) as { loadSlaPolicy?: Loader }).loadSlaPolicy;
  } catch {
    loadSlaPolicy = undefined;
  }
  if (!loadSlaPolicy) throw new UsageError('rollgate init --policy: this build has no SLA policy loader to validate the policy with; nothing was written');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rollgate-init-'));
  const file = path.join(dir, path.basename(shown));
  try {
    await writeFile(file, text, 'utf8');
    const policy = await loadSlaPolicy(file, { env: options.env, cwd: options.cwd });
    return policy.slos.length;
  } catch (error) {
    if (error instanceof PlanError) throw new PlanError(error.issues.map((issue) => ({ ...issue, file: shown })));
    if (error instanceof RollgateError) throw error;
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
