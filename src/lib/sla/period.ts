/**
 * Which period an SLO is audited over: rolling (the SLO's window or --window, ending at --at or
 * now), explicit (--from/--to), or calendar (the week/month/quarter containing --at, to date when
 * that is the current one). Calendar boundaries are local midnights in the SLO's IANA time zone,
 * computed with luxon, so October 2026 in Europe/Berlin is 31 days and 1 hour long (DST ends on
 * the 25th).
 */
import { DateTime } from 'luxon';
import { UsageError } from '../errors.js';
import type { SloWindow } from './model.js';

export interface PeriodRequest {
  /** --window: a rolling window replacing every SLO's own. */
  windowMs?: number;
  from?: Date;
  to?: Date;
  at?: Date;
  now: Date;
}

export interface AuditPeriod {
  from: Date;
  to: Date;
  /**
   * The SLO's nominal period length, which scales the burn-rate alert factors (30d → 14.4×): the
   * rolling window, the whole calendar period (even when audited to date), or to - from.
   */
  nominalMs: number;
  kind: 'rolling' | 'calendar' | 'explicit';
  /** For people: `rolling 30d`, `month of 2026-10 (Europe/Berlin)`, `2026-10-01T00:00:00Z..`. */
  label: string;
}

/** Checks the flags together (before anything is read): one way of choosing the period. */
export function checkPeriodFlags(req: Omit<PeriodRequest, 'now'>): void {
  if ((req.from === undefined) !== (req.to === undefined)) throw new UsageError('--from and --to go together', 'for example: --from 2026-10-01T00:00:00Z --to 2026-11-01T00:00:00Z');
  if (req.from && (req.windowMs !== undefined || req.at)) throw new UsageError('--from/--to cannot be combined with --window or --at');
  if (req.from && req.to && req.from.getTime() >= req.to.getTime()) throw new UsageError(`--from ${req.from.toISOString()} is not before --to ${req.to.toISOString()}`);
  if (req.windowMs !== undefined && req.windowMs <= 0) throw new UsageError('--window must be longer than 0');
}

export function resolvePeriod(window: SloWindow, req: PeriodRequest): AuditPeriod {
  const now = req.now.getTime();
  if (req.from && req.to) {
    if (req.to.getTime() > now) throw new UsageError(`--to ${req.to.toISOString()} is in the future`);
    return { from: req.from, to: req.to, nominalMs: req.to.getTime() - req.from.getTime(), kind: 'explicit', label: `${req.from.toISOString()} .. ${req.to.toISOString()}` };
  }
  const at = req.at?.getTime() ?? now;
  if (at > now) throw new UsageError(`--at ${new Date(at).toISOString()} is in the future`);
  if (req.windowMs !== undefined || window.kind === 'rolling') {
    const length = req.windowMs ?? (window as { durationMs: number }).durationMs;
    return { from: new Date(at - length), to: new Date(at), nominalMs: length, kind: 'rolling', label: `rolling ${formatDays(length)}` };
  }
  const { start, end } = calendarPeriod(window.unit, window.timezone, new Date(at));
  const to = Math.min(end.getTime(), now);
  return {
    from: start,
    to: new Date(to),
    nominalMs: end.getTime() - start.getTime(),
    kind: 'calendar',
    label: `${window.unit} from ${DateTime.fromJSDate(start, { zone: window.timezone }).toISO()} (${window.timezone})${to < end.getTime() ? ', to date' : ''}`,
  };
}

/** The calendar week (ISO, Monday first), month or quarter containing `at`, in `timezone`. */
export function calendarPeriod(unit: 'week' | 'month' | 'quarter', timezone: string, at: Date): { start: Date; end: Date } {
  const local = DateTime.fromJSDate(at, { zone: timezone });
  if (!local.isValid) throw new UsageError(`time zone "${timezone}" is not a known IANA zone`, 'for example: Europe/Berlin, America/New_York, UTC');
  const start = local.startOf(unit);
  const end = start.plus({ [`${unit}s`]: 1 });
  return { start: start.toJSDate(), end: end.toJSDate() };
}

function formatDays(ms: number): string {
  const day = 86_400_000;
  if (ms % day === 0) return `${ms / day}d`;
  const hour = 3_600_000;
  return ms % hour === 0 ? `${ms / hour}h` : `${ms / 1_000}s`;
}
