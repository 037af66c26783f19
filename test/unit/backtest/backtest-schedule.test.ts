/** When simulated rollouts measure: the bake loop's rounds, and where simulated rollouts start. */
import { describe, expect, it } from 'vitest';
import { minimumDurationMs, roundSchedule, runStarts } from '../../../src/lib/backtest/schedule.js';
import { windowTimes } from '../../../src/lib/backtest/series-store.js';

const plan = (intervalMs: number, bakes: number[]) => ({
  analysis: { intervalMs } as never,
  steps: bakes.map((bakeMs, index) => ({ index, weight: (index + 1) * 10, bakeMs, approval: false, gates: [] })),
});

describe('round schedule', () => {
  it('one round per interval, the last one waiting only what is left of the bake', () => {
    expect(roundSchedule(plan(30_000, [60_000, 45_000]))).toEqual([
      { step: 0, startMs: 0, roundsMs: [30_000, 60_000] },
      { step: 1, startMs: 60_000, roundsMs: [90_000, 105_000] },
    ]);
  });

  it('a bake of 0 measures once, at the start of its step', () => {
    expect(roundSchedule(plan(30_000, [0, 30_000, 0]))).toEqual([
      { step: 0, startMs: 0, roundsMs: [0] },
      { step: 1, startMs: 0, roundsMs: [30_000] },
      { step: 2, startMs: 30_000, roundsMs: [30_000] },
    ]);
  });

  it('a bake shorter than the interval measures once, at its end', () => {
    expect(roundSchedule(plan(30_000, [10_000]))).toEqual([{ step: 0, startMs: 0, roundsMs: [10_000] }]);
  });

  it('minimum duration is the sum of the bakes', () => {
    expect(minimumDurationMs(plan(30_000, [300_000, 600_000, 0]))).toBe(900_000);
  });
});

describe('simulated rollout starts', () => {
  it('start at from, every `every`, while a whole rollout fits before to', () => {
    expect(runStarts(0, 100, 30, 30)).toEqual([0, 30, 60]);
    expect(runStarts(0, 90, 30, 30)).toEqual([0, 30, 60]);
    expect(runStarts(0, 89, 30, 30)).toEqual([0, 30]);
    expect(runStarts(0, 100, 10, 95)).toEqual([0]);
    expect(runStarts(0, 10, 10, 20)).toEqual([]);
  });

  it('a for window is read at the points the live range query returns', () => {
    expect(windowTimes(120_000, 60_000, 30_000)).toEqual([60_000, 90_000, 120_000]);
    expect(windowTimes(120_000, 50_000, 30_000)).toEqual([70_000, 100_000]);
  });
});
