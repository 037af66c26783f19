/** Entry point of the audit report formats: redact, summarise from the log, lay out. */
import { redactText } from '../../redact.js';
import type { RolloutEvent } from '../../state/types.js';
import { renderAuditHtml } from './audit-html.js';
import { renderAuditJunit } from './audit-junit.js';
import { renderAuditMarkdown } from './audit-markdown.js';
import { auditJson, summarizeAudit, type AuditReport } from './audit-summary.js';
import type { ReportFormat } from './render.js';
import { redactEvents, toChainResult, type ChainResult } from './summary.js';
import { verifyChain } from '../../log/chain.js';

export function renderAuditReport(events: readonly RolloutEvent[], format: ReportFormat, options: { secrets?: readonly string[]; chain?: ChainResult } = {}): { text: string; report: AuditReport } {
  const secrets = options.secrets ?? [];
  const chain = options.chain ?? toChainResult(verifyChain(events));
  const redacted = redactEvents(events, secrets);
  const report = summarizeAudit(redacted.events, chain);
  const evidence = { stateStore: report.stateStore, events: chain.events, head: chain.head, intact: chain.intact };
  let text: string;
  switch (format) {
    case 'md':
      text = renderAuditMarkdown(report);
      break;
    case 'html':
      text = renderAuditHtml(report);
      break;
    case 'json':
      text = `${JSON.stringify({ ...auditJson(report, evidence), events: redacted.events }, null, 2)}\n`;
      break;
    case 'junit':
      text = renderAuditJunit(report);
      break;
  }
  return { text: secrets.length > 0 ? redactText(text, secrets) : text, report };
}
