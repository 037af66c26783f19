/**
 * Freeze windows: is `now` inside one, and until when. Calendar maths is croner's (cron
 * occurrences in a time zone, DST included) and luxon's (adding calendar days in a zone);
 * nothing here counts days by hand.
 *
 * A window is [start, end): a rollout started at `end` exactly is allowed. Overlapping or
 * touching occurrences of the same window are one freeze, ending at the last end.
 * Only the start of a rollout is checked: a freeze that begins while a rollout runs does not
 * stop it (Argo Rollouts and Spinnaker behave the same; stop one with `rollgate rollback`).
 */
import { Cron } from 'croner';
import { DateTime } from 'luxon';
import { formatDuration } from '../duration.js';
import { durationParts } from './duration-parts.js';
import type { CronFreezeWindow, FreezeWindow } from './types.js';

export interface ActiveFreeze {
  name: string;
  reason?: string;
  index: number;
  /** Start of the occurrence that covers `now`. */
  from: Date;
  /** When deploys are allowed again (exclusive end). */
  until: Date;
  /** IANA zone the window is written in (cron windows); UTC for fixed ones. */
  timezone: string;
}

/** Safety bound on occurrences followed (a cron firing every minute with a week-long duration). */
const MAX_OCCURRENCES = 10_000;

export function cronOf(window: CronFreezeWindow): Cron {
  return new Cron(window.cron, { timezone: window.timezone, legacyMode: true });
}

/** End of the occurrence starting at `start`: calendar days in the window's zone, exact hours. */
export function occurrenceEnd(start: Date, window: CronFreezeWindow): Date {
  return DateTime.fromJSDate(start, { zone: window.timezone }).plus(durationParts(window.duration)).toJSDate();
}

function activeCron(window: CronFreezeWindow, now: Date): ActiveFreeze | undefined {
  const cron = cronOf(window);
  const spanMs = occurrenceEnd(now, window).getTime() - now.getTime();
  // Any occurrence covering now started less than one span ago (plus a DST hour of slack).
  let cursor = new Date(now.getTime() - spanMs - 3_600_000);
  let from: Date | undefined;
  let until: Date | undefined;
  for (let n = 0; n < MAX_OCCURRENCES; n++) {
    const next = cron.nextRun(cursor);
    if (!next) break;
    if (next.getTime() > now.getTime() && (until === undefined || next.getTime() > until.getTime())) break;
    const end = occurrenceEnd(next, window);
    if (end.getTime() > now.getTime() || (until !== undefined && next.getTime() <= until.getTime())) {
      from ??= next;
      if (until === undefined || end.getTime() > until.getTime()) until = end;
    }
    cursor = next;
  }
  if (!from || !until || until.getTime() <= now.getTime()) return undefined;
  return { name: window.name, ...(window.reason ? { reason: window.reason } : {}), index: window.index, from, until, timezone: window.timezone };
}

/** The windows `now` falls in, the one ending last first. */
export function activeFreezes(windows: readonly FreezeWindow[], now: Date): ActiveFreeze[] {
  const active: ActiveFreeze[] = [];
  for (const window of windows) {
    if (window.kind === 'fixed') {
      if (window.from.getTime() <= now.getTime() && now.getTime() < window.to.getTime()) {
        active.push({ name: window.name, ...(window.reason ? { reason: window.reason } : {}), index: window.index, from: window.from, until: window.to, timezone: 'UTC' });
      }
    } else {
      const found = activeCron(window, now);
      if (found) active.push(found);
    }
  }
  return active.sort((a, b) => b.until.getTime() - a.until.getTime());
}

/** `2027-01-04T00:00:00.000+01:00` in the window's zone. */
export function formatInZone(at: Date, timezone: string): string {
  return DateTime.fromJSDate(at, { zone: timezone }).toISO() ?? at.toISOString();
}

/** `freeze window "year-end" (code freeze for the holidays) is active until 2027-01-04T00:00:00.000+01:00 (in 3d2h)` */
export function describeFreeze(freeze: ActiveFreeze, now: Date): string {
  const reason = freeze.reason ? ` (${freeze.reason})` : '';
  return `freeze window "${freeze.name}"${reason} is active until ${formatInZone(freeze.until, freeze.timezone)} (in ${formatDuration(freeze.until.getTime() - now.getTime())})`;
}
