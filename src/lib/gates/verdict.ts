/**
 * The overall verdict of gates checked together (`gate check`):
 * a critical failure beats everything (a known failure is worth more than an unknown), then a
 * provider error, then inconclusive; only when every gate passed is the whole a pass.
 * Warning-severity failures are reported but never decide.
 */
import type { Measurement, Verdict } from './types.js';

export function overallVerdict(measurements: readonly Measurement[]): Verdict {
  // Nothing measured is not a pass.
  if (measurements.length === 0) return 'inconclusive';
  const decisive = measurements.map((m) => (m.verdict === 'fail' && m.severity === 'warning' ? 'pass' : m.verdict));
  if (decisive.includes('fail')) return 'fail';
  if (decisive.includes('error')) return 'error';
  if (decisive.includes('inconclusive')) return 'inconclusive';
  return 'pass';
}

/** Gates that failed at warning severity: reported, not decisive. */
export function warnings(measurements: readonly Measurement[]): Measurement[] {
  return measurements.filter((m) => m.verdict === 'fail' && m.severity === 'warning');
}
