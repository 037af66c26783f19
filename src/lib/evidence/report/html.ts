/**
 * HTML report: one self-contained file — inline CSS and inline SVG, no script, no font, no image,
 * nothing fetched when it is opened (a Content-Security-Policy of `default-src 'none'` makes sure).
 * The content of the Markdown report, plus a chart per gate (see chart.ts). Every recorded string
 * is escaped.
 */
import { gateChartSvg } from './chart.js';
import { chainText, duration, formatValue, stepLabel, tableReason, timeOfDay } from './format.js';
import { policyText } from './policy-text.js';
import { htmlEscape as esc } from './html-escape.js';
import { REPORT_CSS } from './html-style.js';
import type { GateReport, ReportSummary } from './summary.js';

function row(cells: string[], tag = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}
function cell(text: string, cls: string): string {
  return `<td class="${cls}">${esc(text)}</td>`;
}

function table(head: string[], rows: string[], scroll = false): string {
  return tablePieces(head, rows, scroll).join('');
}

/** ROWS_PER_PIECE rows a piece: a 10,000-row table is written as it is made, never joined whole. */
const ROWS_PER_PIECE = 500;

function tablePieces(head: string[], rows: readonly string[], scroll = false): string[] {
  const pieces = [`${scroll ? '<div class="scroll">' : ''}<table><thead>${row(head.map(esc), 'th')}</thead><tbody>`];
  for (let start = 0; start < rows.length; start += ROWS_PER_PIECE) pieces.push(rows.slice(start, start + ROWS_PER_PIECE).join(''));
  pieces.push(`</tbody></table>${scroll ? '</div>' : ''}`);
  return pieces;
}

/** A gate's section as pieces whose concatenation is the section (its parts one a line). */
function gateSection(gate: GateReport, s: ReportSummary): string[] {
  const c = gate.counts;
  const parts: string[] = [];
  parts.push(`<section class="gate" id="gate-${esc(gate.name)}" data-gate="${esc(gate.name)}">`);
  parts.push(`<h3>Gate ${esc(gate.name)} <span class="muted">(${esc(gate.severity)})</span></h3>`);
  if (gate.description) parts.push(`<p>${esc(gate.description)}</p>`);
  parts.push(
    `<p>Threshold <code>${esc(gate.threshold || '(not recorded)')}</code> · ${gate.measurements.length} measurements: ${c.pass} pass, <span class="${c.fail ? 'verdict-fail' : ''}">${c.fail} fail</span>, ${c.inconclusive} inconclusive, ${c.error} error</p>`,
  );
  parts.push(
    `<figure class="gate-chart" data-gate="${esc(gate.name)}">${gateChartSvg(gate, s)}<figcaption class="legend"><span><i class="swatch sw-series"></i>${esc(gate.name)}</span><span><i class="swatch sw-threshold"></i>threshold</span><span><i class="swatch sw-weight"></i>canary weight (right scale)</span><span><i class="swatch sw-fail"></i>failing measurement</span></figcaption></figure>`,
  );
  if (gate.warnings.length > 0) parts.push(`<p class="verdict-inconclusive">⚠ Prometheus warnings (partial answers, verbatim): ${gate.warnings.map((w) => `<code>${esc(w)}</code>`).join(', ')}</p>`);
  for (const [i, query] of gate.queries.entries()) {
    const link = gate.graphLinks.find((l) => l.query === query);
    parts.push(`<p class="muted">${gate.queries.length > 1 ? `Query ${i + 1}` : 'Query'} as sent${link ? ` · <a class="graph-link" href="${esc(link.url)}" rel="noreferrer noopener">Prometheus graph over the rollout</a>` : ''}</p><pre><code>${esc(query)}</code></pre>`);
  }
  const pieces = [parts.join('\n'), '\n'];
  if (gate.measurements.length > 0) {
    pieces.push(
      ...tablePieces(
        ['time', 'step', 'phase', 'value', 'verdict', 'reason'],
        gate.measurements.map(
          (m) =>
            `<tr>${cell(timeOfDay(m.at), 'time')}<td>${m.phase === 'verify' ? 'rollback verification' : esc(stepLabel(m.step, m.weight))}</td><td>${m.phase}</td>${cell(formatValue(m), 'num')}<td class="verdict-${m.verdict}">${m.verdict}</td><td>${esc(tableReason(m))}</td></tr>`,
        ),
        true,
      ),
    );
  } else pieces.push('<p class="muted">Not measured.</p>');
  pieces.push('\n</section>');
  return pieces;
}

export function renderHtml(s: ReportSummary): string {
  return renderHtmlChunks(s).join('');
}

/**
 * The page in pieces (head, each section, foot), for writing as they are: a 10,000-measurement
 * report is never joined into one more copy of itself.
 */
export function renderHtmlChunks(s: ReportSummary): string[] {
  const status = s.stillRunning ? `still running (${s.status})` : s.status.replace('_', ' ');
  const title = `Rollout ${s.rolloutId}: ${status}`;
  // Each entry is one part of the page (a line of its own); a gate section comes as pieces.
  const body: Array<string | string[]> = [];
  body.push(`<h1>${esc(title)}</h1>`);
  if (s.stillRunning) body.push(`<p class="banner running" role="status">⚠ This rollout is still running. The report shows the evidence up to ${esc(s.lastEventAt ?? 'now')} (event #${s.chain.events}); it is not a final result.</p>`);
  if (!s.chain.intact) body.push(`<p class="banner broken" role="alert">✖ Evidence chain broken at event #${s.chain.brokenAt}: ${esc(s.chain.reason ?? '')}. Do not trust what follows without investigation.</p>`);
  body.push(`<p class="outcome ${esc(s.status)}${s.chain.intact ? '' : ' broken'}">${esc(s.outcome)}</p>`);

  const facts: Array<[string, string]> = [
    ['service', esc(s.service)],
    ['plan', `${esc(s.planName ?? '')} <code>${esc(s.planFile ?? '')}</code>`],
    ['plan sha256', `<code>${esc(s.planSha256 ?? 'not recorded')}</code>`],
    ['operator', esc(s.operator ?? 'not recorded')],
    ...(s.policy ? [['rollout policy', esc(policyText(s.policy))] as [string, string]] : []),
    ['rollgate version', esc(s.toolVersion ?? 'not recorded')],
    ['state store', `<code>${esc(s.stateStore ?? 'not recorded')}</code>`],
    ['Prometheus', `<code>${esc(s.prometheusUrl ?? 'not recorded')}</code>`],
    ['started', esc(s.startedAt ?? '')],
    ['last event', `${esc(s.lastEventAt ?? '')} <span class="muted">(${esc(duration(s.durationMs))} after the start)</span>`],
    ['final canary weight', `${s.finalWeight}%`],
    ['evidence chain', `<span class="${s.chain.intact ? 'verdict-pass' : 'verdict-fail'}">${esc(chainText(s.chain))}</span>`],
  ];
  body.push(`<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`);
  if (s.redactedEvents.length > 0) body.push(`<p class="muted">Secrets were masked in events ${esc(s.redactedEvents.map((n) => `#${n}`).join(', '))}; their shown content differs from the hashed content.</p>`);

  body.push('<h2>Steps</h2>');
  body.push(
    table(
      ['step', 'weight', 'bake', 'gates', 'approval', 'result', 'started', 'completed'],
      s.steps.map((st) => row([esc(String(st.number)), esc(`${st.weight}%`), esc(duration(st.bakeMs)), esc(st.gates.join(', ')), st.approval ? 'yes' : '', esc(st.result), esc(timeOfDay(st.startedAt)), esc(timeOfDay(st.endedAt))])),
    ),
  );

  body.push('<h2>Gates</h2>');
  if (s.gates.length === 0) body.push('<p class="muted">No gates.</p>');
  for (const gate of s.gates) body.push(gateSection(gate, s));

  body.push('<h2>Timeline</h2><p class="muted">Passing measurements are listed under each gate.</p>');
  body.push(
    table(
      ['time', 'step', 'weight', 'event', 'detail'],
      s.timeline.map((r) => `<tr>${cell(timeOfDay(r.at), 'time')}<td>${r.step ?? ''}</td>${cell(r.weight === null ? '' : `${r.weight}%`, 'num')}<td><code>${esc(r.event)}</code></td><td>${esc(r.detail)}</td></tr>`),
      true,
    ),
  );

  body.push('<h2>Approvals</h2>');
  if (s.approvals.length === 0) body.push('<p class="muted">None requested.</p>');
  else {
    body.push(
      table(
        ['step', 'requested', 'why', 'decision', 'by', 'when', 'comment'],
        s.approvals.map((a) => row([String(a.step), esc(timeOfDay(a.requestedAt)), esc(a.reason), esc(a.decision ?? 'pending'), esc(a.by ?? ''), esc(timeOfDay(a.decidedAt)), esc(a.comment ?? '')])),
      ),
    );
  }

  body.push('<h2>Rollback</h2>');
  const rb = s.rollback;
  if (!rb) body.push('<p class="muted">No rollback.</p>');
  else {
    const items: string[] = [];
    if (rb.abort) items.push(`requested by <b>${esc(rb.abort.by)}</b> at ${esc(rb.abort.at)} (severity ${esc(rb.abort.severity ?? 'critical')}): ${esc(rb.abort.reason)}`);
    items.push(`trigger ${esc(rb.trigger)}; started ${esc(rb.at)}${rb.by ? ` by ${esc(rb.by)}` : ''}${rb.step !== null ? ` at step ${rb.step}` : ''}${rb.fromWeight !== null ? ` from ${rb.fromWeight}%` : ''}`);
    items.push(`reason: ${esc(rb.reason)}`);
    items.push(`stable verification: ${rb.verified === null ? 'not run' : rb.verified ? '<span class="verdict-pass">passed</span>' : '<span class="verdict-fail">FAILED</span>'}`);
    if (rb.incomplete.length > 0) items.push(`incomplete: ${esc(rb.incomplete.join('; '))}`);
    if (rb.failed) items.push(`<span class="verdict-fail">failed: ${esc(rb.failed)}</span>`);
    items.push(`ended: ${rb.endedAt ? esc(rb.endedAt) : 'not yet'}`);
    body.push(`<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`);
  }
  body.push(`<footer>Rendered by rollgate from the hash-chained event log alone. Verify it with <code>rollgate evidence verify ${esc(s.rolloutId)}</code>.</footer>`);

  const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
`;
  return [head, ...body.flatMap((part) => (typeof part === 'string' ? [`${part}\n`] : [...part, '\n'])), '</main>\n</body>\n</html>\n'];
}
