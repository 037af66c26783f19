/**
 * A freeze window's `duration` as luxon units: `d` and `w` are calendar days in the window's
 * time zone (a `2d` weekend freeze ends at the same wall-clock time even across a DST change),
 * `h`, `m`, `s`, `ms` are exact.
 */
import type { DurationLikeObject } from 'luxon';

const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const UNIT: Record<string, keyof DurationLikeObject> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours', d: 'days', w: 'weeks' };

export function durationParts(text: string): DurationLikeObject {
  const parts: Record<string, number> = {};
  for (const [, amount, unit] of text.trim().matchAll(PART_RE)) {
    const key = UNIT[unit!]!;
    parts[key] = (parts[key] ?? 0) + Number(amount);
  }
  return parts as DurationLikeObject;
}
