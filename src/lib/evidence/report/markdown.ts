/**
 * Markdown report, for pull requests and tickets: the outcome first, then the timeline, each gate
 * (query as sent, threshold, every measurement, a Prometheus graph link), approvals, the rollback,
 * and where the evidence comes from. Every piece of recorded text is escaped: a reason or a query
 * cannot break the table or inject HTML into a rendered page.
 */
import { chainText, duration, formatValue, stepLabel, tableReason, timeOfDay } from './format.js';
import { policyText } from './policy-text.js';
import type { GateReport, ReportSummary } from './summary.js';

/** Escapes text for a Markdown paragraph or table cell (one line, no HTML, no emphasis). */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
    // A leading # or list marker would turn a cell or paragraph into a heading or a list.
    .replace(/^([#+-])/, '\\$1');
}

/** A code span that survives any backticks inside. */
function mdCode(text: string): string {
  const one = text.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${one} ${fence}`;
}

/** A fenced block that survives any backtick runs inside. */
function mdFence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.trim()}\n${fence}`;
}

/** A link whose URL cannot close the parenthesis early. */
function mdLink(label: string, url: string): string {
  return `[${mdText(label)}](<${url.replace(/[<>\s]/g, encodeURIComponent)}>)`;
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const VERDICT_MARK: Record<string, string> = { pass: '✅ pass', fail: '❌ fail', inconclusive: '⚠️ inconclusive', error: '⛔ error' };

function gateSection(gate: GateReport, lines: string[]): void {
  const c = gate.counts;
  lines.push(`### Gate ${mdText(gate.name)} (${gate.severity})`, '');
  if (gate.description) lines.push(mdText(gate.description), '');
  lines.push(`- threshold: ${mdCode(gate.threshold || '(not recorded)')}`);
  lines.push(`- measurements: ${gate.measurements.length} (${c.pass} pass, ${c.fail} fail, ${c.inconclusive} inconclusive, ${c.error} error)`);
  if (gate.warnings.length > 0) lines.push(`- ⚠️ Prometheus warnings (partial answers, verbatim): ${gate.warnings.map((w) => mdCode(w)).join(', ')}`);
  for (const link of gate.graphLinks) lines.push(`- ${mdLink(gate.graphLinks.length > 1 ? `Prometheus graph (query ${gate.graphLinks.indexOf(link) + 1})` : 'Prometheus graph over the rollout', link.url)}`);
  lines.push('');
  for (const [i, query] of gate.queries.entries()) {
    lines.push(gate.queries.length > 1 ? `Query ${i + 1} (as sent):` : 'Query (as sent):', '', mdFence(query, 'promql'), '');
  }
  if (gate.measurements.length === 0) {
    lines.push('_Not measured._', '');
    return;
  }
  lines.push(
    table(
      ['time', 'step', 'phase', 'value', 'verdict', 'reason'],
      gate.measurements.map((m) => [
        timeOfDay(m.at),
        m.phase === 'verify' ? 'rollback verification' : mdText(stepLabel(m.step, m.weight)),
        m.phase,
        mdText(formatValue(m)),
        VERDICT_MARK[m.verdict] ?? m.verdict,
        mdText(tableReason(m)),
      ]),
    ),
    '',
  );
}

export function renderMarkdown(s: ReportSummary): string {
  const lines: string[] = [];
  const status = s.stillRunning ? `still running (${s.status})` : s.status.replace('_', ' ');
  lines.push(`# Rollout ${mdText(s.rolloutId)}: ${mdText(status)}`, '');
  if (s.stillRunning) {
    lines.push(`> **⚠️ This rollout is still running.** The report shows the evidence up to ${mdText(s.lastEventAt ?? 'now')} (event #${s.chain.events}); it is not a final result.`, '');
  }
  lines.push(`**${mdText(s.outcome)}**`, '');
  if (!s.chain.intact) lines.push(`> **❌ Evidence chain broken at event #${s.chain.brokenAt}:** ${mdText(s.chain.reason ?? '')}. Do not trust what follows without investigation.`, '');

  lines.push(
    table(
      ['', ''],
      [
        ['service', mdText(s.service)],
        ['plan', `${mdText(s.planName ?? '')} (${mdCode(s.planFile ?? '')})`],
        ['plan sha256', mdCode(s.planSha256 ?? 'not recorded')],
        ['operator', mdText(s.operator ?? 'not recorded')],
        ...(s.policy ? [['rollout policy', mdText(policyText(s.policy))]] : []),
        ['rollgate version', mdText(s.toolVersion ?? 'not recorded')],
        ['state store', mdCode(s.stateStore ?? 'not recorded')],
        ['Prometheus', mdCode(s.prometheusUrl ?? 'not recorded')],
        ['started', mdText(s.startedAt ?? '')],
        ['last event', `${mdText(s.lastEventAt ?? '')} (${duration(s.durationMs)} after the start)`],
        ['final canary weight', `${s.finalWeight}%`],
        ['evidence chain', mdText(chainText(s.chain))],
      ],
    ),
    '',
  );
  if (s.redactedEvents.length > 0) {
    lines.push(`> Secrets were masked in events ${s.redactedEvents.map((n) => `#${n}`).join(', ')}; their shown content differs from the hashed content.`, '');
  }

  lines.push('## Steps', '');
  lines.push(
    table(
      ['step', 'weight', 'bake', 'gates', 'approval', 'result', 'started', 'completed'],
      s.steps.map((st) => [mdText(String(st.number)), mdText(`${st.weight}%`), duration(st.bakeMs), mdText(st.gates.join(', ')), st.approval ? 'yes' : '', st.result, timeOfDay(st.startedAt), timeOfDay(st.endedAt)]),
    ),
    '',
  );

  lines.push('## Timeline', '', '_Passing measurements are listed under each gate._', '');
  lines.push(
    table(
      ['time', 'step', 'weight', 'event', 'detail'],
      s.timeline.map((r) => [timeOfDay(r.at), r.step === null ? '' : String(r.step), r.weight === null ? '' : `${r.weight}%`, mdCode(r.event), mdText(r.detail)]),
    ),
    '',
  );

  lines.push('## Gates', '');
  if (s.gates.length === 0) lines.push('_No gates._', '');
  for (const gate of s.gates) gateSection(gate, lines);

  lines.push('## Approvals', '');
  if (s.approvals.length === 0) lines.push('_None requested._', '');
  else {
    lines.push(
      table(
        ['step', 'requested', 'why', 'decision', 'by', 'when', 'comment'],
        s.approvals.map((a) => [String(a.step), timeOfDay(a.requestedAt), mdText(a.reason), a.decision ?? 'pending', mdText(a.by ?? ''), timeOfDay(a.decidedAt), mdText(a.comment ?? '')]),
      ),
      '',
    );
  }

  lines.push('## Rollback', '');
  const rb = s.rollback;
  if (!rb) lines.push('_No rollback._', '');
  else {
    if (rb.abort) lines.push(`- requested by ${mdText(rb.abort.by)} at ${mdText(rb.abort.at)} (severity ${mdText(rb.abort.severity ?? 'critical')}): ${mdText(rb.abort.reason)}`);
    lines.push(`- trigger: ${mdText(rb.trigger)}; started ${mdText(rb.at)}${rb.by ? ` by ${mdText(rb.by)}` : ''}${rb.step !== null ? ` at step ${rb.step}` : ''}${rb.fromWeight !== null ? ` from ${rb.fromWeight}%` : ''}`);
    lines.push(`- reason: ${mdText(rb.reason)}`);
    lines.push(`- stable verification: ${rb.verified === null ? 'not run' : rb.verified ? 'passed' : 'FAILED'}`);
    if (rb.incomplete.length > 0) lines.push(`- incomplete: ${mdText(rb.incomplete.join('; '))}`);
    if (rb.failed) lines.push(`- **failed:** ${mdText(rb.failed)}`);
    lines.push(`- ended: ${rb.endedAt ? mdText(rb.endedAt) : 'not yet'}`, '');
  }

  lines.push('---', '', `_Rendered by rollgate from the hash-chained event log alone; verify it with_ ${mdCode(`rollgate evidence verify ${s.rolloutId}`)}.`, '');
  return lines.join('\n');
}
