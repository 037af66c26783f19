/**
 * Validates an SLA policy written by `rollgate init --policy` with the SLA policy loader of
 * src/lib/sla/ (the same code `sla audit` and `plan validate` use), on the exact text about to be
 * written.
 */
import { PlanError } from '../errors.js';
import { checkSlaPolicySource } from '../sla/load.js';

/** Returns the number of SLOs; throws PlanError (positions in `shown`) when the loader refuses it. */
export async function checkInitPolicy(text: string, shown: string, options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<number> {
  const checked = await checkSlaPolicySource(text, shown, { env: options.env, cwd: options.cwd });
  if (checked.issues.length > 0 || !checked.policy) throw new PlanError(checked.issues);
  return checked.policy.slos.length;
}
