/** Small text forms shared by the report renderers. */
import { formatDuration } from '../../duration.js';
import type { MeasurementRow } from './summary.js';
import { isPlainComparison } from '../../gates/reason.js';

/** A gate value for people: integers as they are, others to 4 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

export function formatValue(m: Pick<MeasurementRow, 'value' | 'rawValue'>): string {
  if (m.value !== null) return formatNumber(m.value);
  return m.rawValue ?? 'no value';
}

/** `10:00:01.123Z` — the date is in the report's header; rows show the time of day. */
export function timeOfDay(iso: string | null): string {
  if (!iso) return '';
  const t = iso.indexOf('T');
  return t >= 0 ? iso.slice(t + 1) : iso;
}

export function duration(ms: number | null): string {
  return ms === null ? '' : formatDuration(Math.max(0, ms));
}

export function stepLabel(step: number | null, weight: number | null): string {
  if (step === null) return weight === null ? '' : `${weight}%`;
  return weight === null ? `step ${step}` : `step ${step} (${weight}%)`;
}

/** Human form of the chain verification result. */
export function chainText(chain: { intact: boolean; events: number; head: string | null; brokenAt?: number; reason?: string; recordedHead?: { seq: number; hash: string } | null; note?: string }): string {
  if (!chain.intact) return `BROKEN at event #${chain.brokenAt}: ${chain.reason}`;
  // Said only when the store's recorded head was compared: an exported file has none to compare with.
  const against = chain.recordedHead ? ', matching the chain head the state store recorded' : '';
  return `intact: ${chain.events} events, head ${chain.head}${against}${chain.note ? ` (${chain.note})` : ''}`;
}

/** `[Prometheus warnings: "a", "b"]`: the server's warnings of a measurement, verbatim; '' without any. */
export function warningsText(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  return `[Prometheus warning${warnings.length === 1 ? '' : 's'}: ${warnings.map((w) => JSON.stringify(w)).join(', ')}]`;
}

/** The reason of a measurement with the server's warnings after it (a partial answer must show). */
/**
 * A measurement table's reason cell: without a plain comparison, which the row's value cell and
 * the gate's threshold above the table already say (and at one precision, not two).
 */
export function tableReason(m: Pick<MeasurementRow, 'value' | 'reason' | 'warnings'>): string {
  return isPlainComparison(m.value, m.reason) ? warningsText(m.warnings) : reasonWithWarnings(m);
}

export function reasonWithWarnings(m: Pick<MeasurementRow, 'reason' | 'warnings'>): string {
  const warnings = warningsText(m.warnings);
  return warnings && m.reason ? `${m.reason} ${warnings}` : m.reason || warnings;
}
