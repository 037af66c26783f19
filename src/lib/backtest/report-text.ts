/** Words shared by the backtest's Markdown, HTML and terminal output. */
import { formatDuration } from '../duration.js';
import { formatValue } from '../gates/evaluate.js';
import type { BacktestResult } from './run-backtest.js';
import type { Outcome } from './simulate.js';

export const OUTCOMES: readonly Outcome[] = ['promoted', 'rolled_back', 'paused', 'no_data'];

export const OUTCOME_WORDS: Record<Outcome, string> = { promoted: 'promoted', rolled_back: 'rolled back', paused: 'paused', no_data: 'no data' };

export const valueText = (value: number | null): string => (value === null ? '-' : formatValue(value));

/** `from 2026-11-23T00:00:00.000Z to ...: 112 simulated rollouts, one every 1h30m (each at least 1h30m; analysis every 30s)` */
export function periodLine(r: BacktestResult): string {
  return `${r.from} to ${r.to}: ${r.summary.runs} simulated rollout${r.summary.runs === 1 ? '' : 's'}, one every ${r.every} (each at least ${formatDuration(r.durationMs)}; analysis every ${formatDuration(r.analysisIntervalMs)})`;
}

/** One sentence: what would have happened, and what it means with --expect healthy. */
export function headline(r: BacktestResult): string {
  const s = r.summary;
  const parts = OUTCOMES.filter((o) => s[o] > 0).map((o) => `${s[o]} ${OUTCOME_WORDS[o]}`);
  const base = `${parts.join(', ') || 'no simulated rollouts'} of ${s.runs}`;
  if (s.expect === 'healthy') {
    return s.falsePositives === 0 ? `${base}: no false positives over a period expected healthy` : `${base}: ${s.falsePositives} false positive${s.falsePositives === 1 ? '' : 's'} (the period is expected healthy, so every rollback is one)`;
  }
  return base;
}

/** Step as people count it, with its weight: `step 2 (25%)`. */
export const stepText = (step: number, weight: number): string => `step ${step + 1} (${weight}%)`;
