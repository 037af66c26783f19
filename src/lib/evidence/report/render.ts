/** One entry point for every report format: redact, summarise, lay out. */
import { redactText } from '../../redact.js';
import type { RolloutEvent } from '../../state/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { redactEvents, summarizeRollout, type ChainResult, type ReportSummary } from './summary.js';

export const REPORT_FORMATS = ['md', 'html', 'json', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderedReport {
  text: string;
  summary: ReportSummary;
}

/**
 * Renders a rollout's event log in one format. `secrets` are values to mask wherever they appear
 * (read from the plan's secret files and variables); names, URL credentials and credential
 * headers are masked regardless.
 */
export function renderReport(events: readonly RolloutEvent[], format: ReportFormat, options: { secrets?: readonly string[]; chain?: ChainResult } = {}): RenderedReport {
  const secrets = options.secrets ?? [];
  const redacted = redactEvents(events, secrets);
  const summary = summarizeRollout(events, { secrets, redacted, ...(options.chain ? { chain: options.chain } : {}) });
  let text: string;
  switch (format) {
    case 'md':
      text = renderMarkdown(summary);
      break;
    case 'html':
      text = renderHtml(summary);
      break;
    case 'json':
      text = renderJson(summary, redacted.events);
      break;
    case 'junit':
      text = renderJunit(summary);
      break;
  }
  // Last line of defence, on the finished text: no known secret value survives, whatever the layout did.
  return { text: secrets.length > 0 ? redactText(text, secrets) : text, summary };
}
