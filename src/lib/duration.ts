/** Time values of the plan and flags: `500ms`, `30s`, `5m`, `2h`, `7d`, `1w`, and sums such as `1h30m`. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Parses a duration into milliseconds, or returns undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART_RE)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/** Formats milliseconds the way people write them: `1h30m`, `45s`, `500ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms === 0) return '0s';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** Prometheus range/step syntax (whole seconds at least), e.g. for `[{{range}}]` and `step=`. */
export function toPromDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1_000));
  return `${seconds}s`;
}
