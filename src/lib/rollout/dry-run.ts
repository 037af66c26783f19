/**
 * A dry run records the traffic changes it would make without making them. Its `weight.applied`
 * events carry `dryRun: true`; logs written before that field existed are told by the action
 * placeholder a dry run records instead of a command.
 */
export const DRY_RUN_COMMAND = '(dry run: not executed)';

export function isDryRunAction(action: unknown): boolean {
  const command = (action as { command?: unknown } | null | undefined)?.command;
  return Array.isArray(command) && command[0] === DRY_RUN_COMMAND;
}
