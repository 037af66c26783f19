/** One entry point for every report format: redact, summarise, lay out. */
import { redactText } from '../../redact.js';
import type { RolloutEvent } from '../../state/types.js';
import { renderHtml } from './html.js';
import { renderJsonChunks } from './json.js';
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
 * As renderReport, the text in pieces: the JSON report (the whole log) is made as it is written;
 * the other formats, a fraction of the log's size, come as one piece.
 */
export function streamReport(events: readonly RolloutEvent[], format: ReportFormat, options: { secrets?: readonly string[]; chain?: ChainResult } = {}): StreamedReport {
  const secrets = options.secrets ?? [];
  const redacted = redactEvents(events, secrets);
  const summary = summarizeRollout(events, { secrets, redacted, ...(options.chain ? { chain: options.chain } : {}) });
  let chunks: Iterable<string>;
  switch (format) {
    case 'md':
      chunks = [renderMarkdown(summary)];
      break;
    case 'html':
      chunks = [renderHtml(summary)];
      break;
    case 'json':
      chunks = renderJsonChunks(summary, redacted.events);
      break;
    case 'junit':
      chunks = [renderJunit(summary)];
      break;
  }
  // Last line of defence, on the finished text: no known secret value survives, whatever the layout did.
  // Pieces end at a newline, and the JSON report never holds a raw newline inside a value, so no secret spans two.
  return { chunks: secrets.length > 0 ? redactPieces(chunks, secrets) : chunks, summary };
}

function* redactPieces(chunks: Iterable<string>, secrets: readonly string[]): Generator<string> {
  for (const chunk of chunks) yield redactText(chunk, secrets);
}
