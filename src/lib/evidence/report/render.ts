/** One entry point for every report format: redact, summarise, lay out. */
import { redactText } from '../../redact.js';
import type { RolloutEvent } from '../../state/types.js';
import { renderHtmlChunks } from './html.js';
import { renderJsonChunks, renderJsonTextChunks } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { redactEvents, summarizeRollout, type ChainResult, type ReportSummary } from './summary.js';

export const REPORT_FORMATS = ['md', 'html', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderedReport {
  text: string;
  summary: ReportSummary;
}

export interface StreamedReport {
  /** The report's text in pieces, in order; each ends with a newline. Iterate once. */
  chunks: Iterable<string>;
  summary: ReportSummary;
}

/**
 * Renders a rollout's event log in one format. `secrets` are values to mask wherever they appear
 * (read from the plan's secret files and variables); names, URL credentials and credential
 * headers are masked regardless.
 */
export function renderReport(events: readonly RolloutEvent[], format: ReportFormat, options: { secrets?: readonly string[]; chain?: ChainResult } = {}): RenderedReport {
  const { chunks, summary } = streamReport(events, format, options);
  return { text: [...chunks].join(''), summary };
}

/**
 * As renderReport, the text in pieces: the JSON report (the whole log) is made as it is written,
 * the HTML page section by section; Markdown and JUnit, a fraction of the log's size, come whole.
 */
export function streamReport(events: readonly RolloutEvent[], format: ReportFormat, options: { secrets?: readonly string[]; chain?: ChainResult } = {}): StreamedReport {
  const secrets = options.secrets ?? [];
  const redacted = redactEvents(events, secrets);
  const summary = summarizeRollout(events, { secrets, redacted, ...(options.chain ? { chain: options.chain } : {}) });
  return { chunks: summaryChunks(summary, format, secrets, redacted.events), summary };
}

/**
 * Lays out a summary in one format, in pieces. `events` (redacted, or their JSON text) are needed
 * by the JSON report only, which holds the whole log; the other formats are made from the summary
 * alone, so a reader that summarised the log as it read it (RolloutSummarizer) never holds the log.
 */
export function summaryChunks(summary: ReportSummary, format: ReportFormat, secrets: readonly string[], events?: readonly RolloutEvent[] | { texts: readonly string[] }): Iterable<string> {
  let chunks: Iterable<string>;
  switch (format) {
    case 'md':
      chunks = [renderMarkdown(summary)];
      break;
    case 'html':
      chunks = renderHtmlChunks(summary);
      break;
    case 'json':
      if (!events) throw new TypeError('the JSON report holds the events: pass them');
      chunks = 'texts' in events ? renderJsonTextChunks(summary, events.texts) : renderJsonChunks(summary, events);
      break;
    case 'junit':
      chunks = [renderJunit(summary)];
      break;
  }
  // Last line of defence, on the finished text: no known secret value survives, whatever the layout did.
  // Per piece: a piece is whole sections (HTML) or whole event lines (JSON), so every recorded value
  // (and any secret inside one) lies within one piece.
  return secrets.length > 0 ? redactPieces(chunks, secrets) : chunks;
}

function* redactPieces(chunks: Iterable<string>, secrets: readonly string[]): Generator<string> {
  for (const chunk of chunks) yield redactText(chunk, secrets);
}
