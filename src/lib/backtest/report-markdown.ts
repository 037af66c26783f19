/** The backtest as Markdown: for a pull request or a ticket that tunes a plan's gates. */
import { mdText } from '../evidence/report/markdown.js';
import { headline, OUTCOME_WORDS, OUTCOMES, periodLine, stepText, valueText } from './report-text.js';
import type { BacktestResult } from './run-backtest.js';

const row = (cells: Array<string | number>): string => `| ${cells.map(String).join(' | ')} |`;
const table = (head: string[], rows: Array<Array<string | number>>): string => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/** Rows of the rollouts not promoted, at most this many (the JSON has them all). */
const MAX_ROWS = 200;

export function renderBacktestMarkdown(r: BacktestResult): string {
  const lines: string[] = [];
  lines.push(`# Backtest of ${mdText(r.plan.name)} (${mdText(r.plan.file)})`, '');
  lines.push(mdText(periodLine(r)), '');
  lines.push(`**${mdText(headline(r))}**`, '');
  lines.push(table(['outcome', 'simulated rollouts'], OUTCOMES.map((o) => [OUTCOME_WORDS[o], r.summary[o]])), '');
  lines.push('## Gates', '');
  lines.push(
    table(
      ['gate', 'severity', 'threshold', 'measurements', 'failing', 'inconclusive', 'rollbacks', 'pauses', 'no data', 'worst failing', 'min', 'max'],
      r.gates.map((g) => [
        mdText(g.name),
        g.severity,
        mdText(g.threshold),
        g.measurements,
        g.failures,
        g.inconclusive,
        g.rollbacks,
        g.pauses,
        g.noData,
        g.worst ? `${valueText(g.worst.value)} at ${g.worst.at}` : '-',
        valueText(g.minValue),
        valueText(g.maxValue),
      ]),
    ),
    '',
  );
  const stopped = r.runs.map((run, index) => ({ run, index })).filter(({ run }) => run.outcome !== 'promoted');
  lines.push('## Simulated rollouts not promoted', '');
  if (stopped.length === 0) lines.push('None: every simulated rollout would have been promoted.', '');
  else {
    lines.push(
      table(
        ['#', 'start', 'outcome', 'step', 'at', 'gate', 'value', 'reason'],
        stopped.slice(0, MAX_ROWS).map(({ run, index }) => [index + 1, run.start, OUTCOME_WORDS[run.outcome], stepText(run.step, run.weight), run.at, mdText(run.gate ?? '-'), valueText(run.value), mdText(run.reason)]),
      ),
      '',
    );
    if (stopped.length > MAX_ROWS) lines.push(`… and ${stopped.length - MAX_ROWS} more (see --json).`, '');
  }
  lines.push(
    `Fetched ${r.stats.points} points in ${r.stats.requests} range request${r.stats.requests === 1 ? '' : 's'} (${r.stats.queries} quer${r.stats.queries === 1 ? 'y' : 'ies'}) in ${r.stats.fetchMs} ms; evaluated in ${r.stats.evaluationMs} ms. Plan sha256 \`${r.plan.sha256}\`.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}
