/**
 * Freeze windows with fixed clocks: fixed windows with offsets, cron windows in time zones,
 * across both DST changes of 2026 in Europe/Berlin (calendar `2d` against exact `48h`), merged
 * overlapping occurrences, and the refusal / override / dry-run decision of `rollout run`.
 */
import { describe, expect, it } from 'vitest';
import { FreezeWindowError } from '../../../src/lib/errors.js';
import { admitRollout, freezeOverrideFrom } from '../../../src/lib/policy/enforce.js';
import { activeFreezes, describeFreeze } from '../../../src/lib/policy/freeze.js';
import { checkPolicySource } from '../../../src/lib/policy/load.js';
import type { ResolvedPolicy } from '../../../src/lib/policy/types.js';

function policyWith(windows: string): ResolvedPolicy {
  const checked = checkPolicySource(`apiVersion: rollgate/v1\nkind: RolloutPolicy\nmetadata: { name: org }\nfreezeWindows:\n${windows}`, 'policy.yaml', {});
  expect(checked.issues).toEqual([]);
  return checked.policy!;
}

const at = (iso: string): Date => new Date(iso);
/** The window names active at `iso`, with when each ends (UTC). */
const active = (policy: ResolvedPolicy, iso: string): Array<[string, string]> => activeFreezes(policy.freezeWindows, at(iso)).map((f) => [f.name, f.until.toISOString()]);

describe('fixed freeze windows', () => {
  const policy = policyWith('  - { name: year-end, from: "2026-12-20T00:00:00+01:00", to: "2027-01-04T00:00:00+01:00", reason: year-end code freeze }\n');

  it('is [from, to): active from its first instant, over at its end', () => {
    expect(active(policy, '2026-12-19T22:59:59.999Z')).toEqual([]);
    expect(active(policy, '2026-12-19T23:00:00Z')).toEqual([['year-end', '2027-01-03T23:00:00.000Z']]);
    expect(active(policy, '2027-01-03T22:59:59Z')).toEqual([['year-end', '2027-01-03T23:00:00.000Z']]);
    expect(active(policy, '2027-01-03T23:00:00Z')).toEqual([]);
  });

  it('a local time with a timezone is read in that zone', () => {
    const local = policyWith('  - { name: launch, from: "2026-07-01T09:00", to: "2026-07-01T17:00", timezone: America/New_York }\n');
    expect(active(local, '2026-07-01T12:59:59Z')).toEqual([]);
    expect(active(local, '2026-07-01T13:00:00Z')).toEqual([['launch', '2026-07-01T21:00:00.000Z']]);
  });

  it('names the window, its reason and its end in the zone it was written in', () => {
    const [freeze] = activeFreezes(policy.freezeWindows, at('2026-12-24T12:00:00Z'));
    expect(describeFreeze(freeze!, at('2026-12-24T12:00:00Z'))).toBe('freeze window "year-end" (year-end code freeze) is active until 2027-01-03T23:00:00.000Z (in 10d11h)');
  });
});

describe('cron freeze windows', () => {
  const weekends = (duration: string) => policyWith(`  - { name: weekends, cron: "0 0 * * SAT", duration: ${duration}, timezone: Europe/Berlin }\n`);

  it('winter (CET, +01:00): Saturday 00:00 to Monday 00:00 Berlin time', () => {
    const policy = weekends('48h');
    expect(active(policy, '2026-12-04T22:59:59Z')).toEqual([]);
    expect(active(policy, '2026-12-04T23:00:00Z')).toEqual([['weekends', '2026-12-06T23:00:00.000Z']]);
    expect(active(policy, '2026-12-06T22:59:59Z')).toEqual([['weekends', '2026-12-06T23:00:00.000Z']]);
    expect(active(policy, '2026-12-06T23:00:00Z')).toEqual([]);
    expect(active(policy, '2026-12-09T12:00:00Z')).toEqual([]);
  });

  it('summer (CEST, +02:00): the same wall-clock window is an hour earlier in UTC', () => {
    const policy = weekends('48h');
    expect(active(policy, '2026-07-03T21:59:59Z')).toEqual([]);
    expect(active(policy, '2026-07-03T22:00:00Z')).toEqual([['weekends', '2026-07-05T22:00:00.000Z']]);
  });

  it('spring DST weekend (29 March 2026): 2d ends at Monday midnight after 47 hours, 48h an hour later', () => {
    // Saturday 28 March 00:00 CET = 27 March 23:00Z; Monday 30 March 00:00 CEST = 29 March 22:00Z.
    expect(active(weekends('2d'), '2026-03-27T23:00:00Z')).toEqual([['weekends', '2026-03-29T22:00:00.000Z']]);
    expect(active(weekends('48h'), '2026-03-27T23:00:00Z')).toEqual([['weekends', '2026-03-29T23:00:00.000Z']]);
    expect(active(weekends('2d'), '2026-03-29T22:30:00Z')).toEqual([]);
    expect(active(weekends('48h'), '2026-03-29T22:30:00Z')).toEqual([['weekends', '2026-03-29T23:00:00.000Z']]);
  });

  it('autumn DST weekend (25 October 2026): 2d lasts 49 hours, 48h ends at 23:00 on Sunday', () => {
    // Saturday 24 October 00:00 CEST = 23 October 22:00Z; Monday 26 October 00:00 CET = 25 October 23:00Z.
    expect(active(weekends('2d'), '2026-10-23T22:00:00Z')).toEqual([['weekends', '2026-10-25T23:00:00.000Z']]);
    expect(active(weekends('48h'), '2026-10-23T22:00:00Z')).toEqual([['weekends', '2026-10-25T22:00:00.000Z']]);
    expect(active(weekends('2d'), '2026-10-25T22:30:00Z')).toEqual([['weekends', '2026-10-25T23:00:00.000Z']]);
    expect(active(weekends('48h'), '2026-10-25T22:30:00Z')).toEqual([]);
  });

  it('a start time skipped by the spring change begins at the first valid instant (03:00 CEST)', () => {
    const policy = policyWith('  - { name: nightly, cron: "30 2 * * *", duration: 1h, timezone: Europe/Berlin }\n');
    // 29 March: 02:30 does not exist in Berlin; croner fires at 03:00 CEST = 01:00Z... or skips. Either way not before 01:00Z.
    expect(active(policy, '2026-03-29T00:59:59Z')).toEqual([]);
    // An ordinary night: 02:30 CET = 01:30Z to 02:30Z.
    expect(active(policy, '2026-03-28T01:30:00Z')).toEqual([['nightly', '2026-03-28T02:30:00.000Z']]);
  });

  it('another zone: Friday 18:00 to Monday 09:00 New York time', () => {
    const policy = policyWith('  - { name: ny-weekend, cron: "0 18 * * FRI", duration: 63h, timezone: America/New_York }\n');
    expect(active(policy, '2026-11-13T22:59:59Z')).toEqual([]);
    expect(active(policy, '2026-11-13T23:00:00Z')).toEqual([['ny-weekend', '2026-11-16T14:00:00.000Z']]);
  });

  it('overlapping occurrences are one freeze, ending at the last end', () => {
    // 08:00-13:00 and 12:00-17:00 UTC overlap: at 09:00 deploys are frozen until 17:00.
    const policy = policyWith('  - { name: busy-hours, cron: "0 8,12 * * *", duration: 5h }\n');
    expect(active(policy, '2026-06-10T09:00:00Z')).toEqual([['busy-hours', '2026-06-10T17:00:00.000Z']]);
    expect(active(policy, '2026-06-10T16:59:00Z')).toEqual([['busy-hours', '2026-06-10T17:00:00.000Z']]);
    expect(active(policy, '2026-06-10T17:00:00Z')).toEqual([]);
  });

  it('several windows at once: the one ending last first', () => {
    const policy = policyWith('  - { name: weekends, cron: "0 0 * * SAT", duration: 2d, timezone: Europe/Berlin }\n  - { name: year-end, from: "2026-12-20T00:00:00+01:00", to: "2027-01-04T00:00:00+01:00" }\n');
    expect(active(policy, '2026-12-26T12:00:00Z')).toEqual([
      ['year-end', '2027-01-03T23:00:00.000Z'],
      ['weekends', '2026-12-27T23:00:00.000Z'],
    ]);
  });
});

describe('admitting a rollout', () => {
  const policy = policyWith('  - { name: year-end, from: "2026-12-20T00:00:00+01:00", to: "2027-01-04T00:00:00+01:00", reason: year-end code freeze }\n');
  const inFreeze = at('2026-12-24T12:00:00Z');

  it('outside every window: admitted, the evidence names the policy and its hash', () => {
    expect(admitRollout(policy, at('2026-12-10T12:00:00Z'), {})).toEqual({ name: 'org', file: 'policy.yaml', sha256: policy.sha256, freeze: null });
  });

  it('inside a window: refused with exit 2, naming the window and when it ends', () => {
    const error = (() => {
      try {
        admitRollout(policy, inFreeze, {});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FreezeWindowError);
    expect((error as FreezeWindowError).exitCode).toBe(2);
    expect((error as FreezeWindowError).message).toBe('rollout refused by policy org: freeze window "year-end" (year-end code freeze) is active until 2027-01-03T23:00:00.000Z (in 10d11h)');
    expect((error as FreezeWindowError).hint).toContain('--override-freeze --reason');
  });

  it('overridden: admitted, and who did it and why is what the evidence records', () => {
    const override = freezeOverrideFrom({ overrideFreeze: true, reason: '  hotfix INC-1234 ' }, 'alice@laptop');
    expect(admitRollout(policy, inFreeze, { override: override! }).freeze).toEqual({
      windows: [{ name: 'year-end', reason: 'year-end code freeze', from: '2026-12-19T23:00:00.000Z', until: '2027-01-03T23:00:00.000Z' }],
      overridden: true,
      by: 'alice@laptop',
      reason: 'hotfix INC-1234',
      dryRun: false,
    });
  });

  it('a dry run changes no traffic: admitted, the freeze recorded as not overridden', () => {
    expect(admitRollout(policy, inFreeze, { dryRun: true }).freeze).toMatchObject({ overridden: false, by: null, dryRun: true });
  });

  it('--override-freeze needs a reason; --reason alone is a usage error', () => {
    expect(() => freezeOverrideFrom({ overrideFreeze: true }, 'alice')).toThrow('--override-freeze needs --reason TEXT');
    expect(() => freezeOverrideFrom({ overrideFreeze: true, reason: '  ' }, 'alice')).toThrow('--override-freeze needs --reason TEXT');
    expect(() => freezeOverrideFrom({ reason: 'why' }, 'alice')).toThrow('--reason is only used with --override-freeze');
    expect(freezeOverrideFrom({}, 'alice')).toBeUndefined();
  });
});
