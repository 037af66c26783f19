/** Markdown audit report, for tickets and pull requests. */
import { chainText, formatNumber } from './format.js';
import { budgetTime, intervalText, percent, verdictText, type AuditReport } from './audit-summary.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderAuditMarkdown(r: AuditReport): string {
  const out: string[] = [];
  out.push(`# SLA audit: ${r.policy.name} (${r.policy.service})`, '', `**${verdictText(r)}**`, '');
  out.push('| | |', '|---|---|');
  out.push(`| audit | \`${r.auditId}\` |`);
  out.push(`| period | ${r.from ?? '?'} → ${r.to ?? '?'} |`);
  out.push(`| policy | \`${cell(r.policy.file)}\` (${r.policy.source}, sha256 \`${r.policy.sha256.slice(0, 12)}\`) |`);
  out.push(`| Prometheus | ${cell(r.prometheusUrl ?? '')} |`);
  out.push(`| operator | ${cell(r.operator ?? '')} |`, `| tool | rollgate ${r.toolVersion ?? ''} |`, `| evidence | ${cell(chainText(r.chain))} |`, '');
  if (r.slos.length > 0) {
    out.push('## SLOs', '', '| SLO | objective | SLI | status | budget remaining | remaining time | alerts fired |', '|---|---|---|---|---|---|---|');
    for (const s of r.slos) {
      const b = s.errorBudget;
      const fired = s.alerts.reduce((n, a) => n + a.intervals.length, 0);
      out.push(`| ${cell(s.name)} | ${s.objective}% | ${percent(s.sli)} | ${s.status}${s.lowTraffic ? ' (low traffic)' : ''} | ${b ? percent(b.remaining, 2) : '-'} | ${b ? `${budgetTime(b.remainingSeconds)} of ${budgetTime(b.totalSeconds)}` : '-'} | ${fired} |`);
    }
    for (const s of r.slos) {
      out.push('', `### ${s.name}`, '', `${s.period}: ${s.from} → ${s.to}; ${s.sliKind} SLI ${percent(s.sli)} against ${s.objective}%.`);
      if (s.reasons.length > 0) out.push('', ...s.reasons.map((x) => `- ${x}`));
      if (s.excluded.length > 0) out.push('', 'Excluded:', ...s.excluded.map((e) => `- ${e.from} → ${e.to}: ${e.reason}`));
      out.push('', `Burn rates at the end: ${s.burnRates.map((b) => `${b.window} ${b.rate === null ? 'no data' : formatNumber(b.rate)}×`).join(', ')}`);
      out.push('', '| alert | windows | factor | firing at end | fired |', '|---|---|---|---|---|');
      for (const a of s.alerts) {
        out.push(`| ${a.severity} | ${a.longWindow} & ${a.shortWindow} | ${a.factor}× | ${a.firing ? 'yes' : 'no'} | ${a.intervals.length === 0 ? '-' : a.intervals.map(intervalText).join('<br>')} |`);
      }
    }
  }
  if (r.rules.length > 0) {
    out.push('', '## Rules', '', '| rule | severity | condition | for | result |', '|---|---|---|---|---|');
    for (const rule of r.rules) {
      const result = rule.violated
        ? rule.violations.map((v) => `${intervalText(v)} (${budgetTime(v.durationSeconds)}, peak ${formatNumber(v.peak)})`).join('<br>')
        : rule.insufficient
          ? `not enough data: ${rule.reasons.join('; ')}`
          : 'no violation';
      out.push(`| ${cell(rule.name)} | ${rule.severity} | ${cell(rule.condition)} | ${rule.for} | ${cell(result)} |`);
    }
  }
  out.push('', `Verify: \`rollgate evidence verify ${r.auditId}\``, '');
  return out.join('\n');
}
