/** The workbook's multi-window multi-burn-rate table and its scaling to other SLO periods, by hand. */
import { describe, expect, it } from 'vitest';
import { BURN_RATE_WINDOWS_MS, burnAlertWindows, burnFactor, detectionTimeMs, nominalPeriodMs, promWindow } from '../../../src/lib/sla/burn-windows.js';

const H = 3_600_000;
const D = 24 * H;

describe('burn alert windows', () => {
  it('30 days: the workbook factors 14.4, 6, 3, 1 over 1h/5m, 6h/30m, 1d/2h, 3d/6h', () => {
    expect(burnAlertWindows(30 * D).map((row) => [row.severity, promWindow(row.longWindowMs), promWindow(row.shortWindowMs), row.factor])).toEqual([
      ['page', '1h', '5m', 14.4],
      ['page', '6h', '30m', 6],
      ['ticket', '1d', '2h', 3],
      ['ticket', '3d', '6h', 1],
    ]);
  });

  it('other periods keep the budget-consumed shares: factor = consumed × period / long window', () => {
    // 28d: 0.02 × 672h / 1h = 13.44; 0.05 × 672 / 6 = 5.6; 0.1 × 28 = 2.8; 0.1 × 28 / 3 = 0.9333…
    expect(burnAlertWindows(28 * D).map((row) => row.factor)).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    // 7d: 0.02 × 168 = 3.36; 0.05 × 168 / 6 = 1.4; 0.1 × 7 = 0.7; 0.1 × 7 / 3 = 0.2333…
    expect(burnAlertWindows(7 * D).map((row) => row.factor)).toEqual([3.36, 1.4, 0.7, 0.233333333333]);
    expect(burnFactor(0.02, 90 * D, H)).toBe(43.2);
  });

  it('the burn-rate windows, shortest first', () => {
    expect(BURN_RATE_WINDOWS_MS.map(promWindow)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
  });

  it('nominal periods: rolling exact, calendar week/month/quarter 7/30/90 days', () => {
    expect(nominalPeriodMs({ kind: 'rolling', durationMs: 28 * D })).toBe(28 * D);
    expect(nominalPeriodMs({ kind: 'calendar', unit: 'week', timezone: 'UTC' })).toBe(7 * D);
    expect(nominalPeriodMs({ kind: 'calendar', unit: 'month', timezone: 'UTC' })).toBe(30 * D);
    expect(nominalPeriodMs({ kind: 'calendar', unit: 'quarter', timezone: 'UTC' })).toBe(90 * D);
  });

  it('detection time of a full outage at 99.9%: 0.001 × 1h × 14.4 = 51.84s for the fast page', () => {
    const [fast, slow] = burnAlertWindows(30 * D);
    expect(detectionTimeMs(fast!, 99.9, 1)).toBeCloseTo(51_840, 6);
    expect(detectionTimeMs(slow!, 99.9, 1)).toBeCloseTo(129_600, 6);
    expect(detectionTimeMs(fast!, 99.9, 0.0005)).toBe(Infinity);
  });

  it('promWindow formats exact units', () => {
    expect([300_000, 1_800_000, 5_400_000, 90_000, 1_500].map(promWindow)).toEqual(['5m', '30m', '90m', '90s', '1500ms']);
  });
});
