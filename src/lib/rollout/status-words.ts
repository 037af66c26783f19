/**
 * Rollout statuses in words, for lines people read ("rolled back", not `rolled_back`). JSON and
 * NDJSON keep the enum values; only prose uses these.
 */
const WORDS: Record<string, string> = {
  running: 'running',
  paused: 'paused',
  promoted: 'promoted',
  rolled_back: 'rolled back',
  failed: 'rollback failed',
  aborted: 'aborted',
};

export function statusWords(status: string): string {
  return WORDS[status] ?? status.replace(/_/g, ' ');
}
