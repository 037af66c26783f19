/**
 * Whether a measurement's reason only compares its value with the threshold (`0.001 <= max 0.01`,
 * `0.2 within min 0.1 and max 0.3`, `0.25 > max 0.05`): where value and threshold are shown
 * beside it (a table's columns), such a reason says nothing new — and at another precision.
 * Anything more (no data, a baseline's value, other series, warnings) is not a plain comparison.
 */
import { formatValue } from './evaluate.js';

export function isPlainComparison(value: number | null, reason: string): boolean {
  if (value === null) return false;
  const shown = formatValue(value).replace(/[.+*?^$()[\]{}|\\]/g, '\\$&');
  const bound = '(?:max|min) \\S+';
  return new RegExp(`^${shown} (?:(?:<=|>=|<|>) ${bound}|within ${bound} and ${bound})$`).test(reason);
}
