/**
 * JUnit XML of an audit: one testcase per SLO (failure when missed, error when not judged) and
 * one per rule (failure when a critical rule was violated; a warning rule's violations go to
 * system-out and never fail the build).
 */
import { xmlEscape } from './junit.js';
import { intervalText, percent, type AuditReport } from './audit-summary.js';
import { chainText } from './format.js';

function testcase(classname: string, name: string, body: string): string {
  return `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(name)}" time="0">${body}</testcase>`;
}

export function renderAuditJunit(r: AuditReport): string {
  const suites: string[] = [];
  const sloCases = r.slos.map((s) => {
    const excluded = s.excluded.map((e) => `excluded ${e.from} → ${e.to}: ${e.reason}`);
    const text = [`SLI ${percent(s.sli)} vs objective ${s.objective}% over ${s.from} → ${s.to}`, ...excluded, ...s.reasons].join('\n');
    if (s.status === 'violated') return { xml: testcase(`sla.${r.policy.name}`, s.name, `<failure message="${xmlEscape(`SLO missed: ${percent(s.sli)} < ${s.objective}%`)}">${xmlEscape(text)}</failure>`), failed: true, errored: false };
    if (s.status === 'insufficient_data') return { xml: testcase(`sla.${r.policy.name}`, s.name, `<error message="not enough data to judge">${xmlEscape(text)}</error>`), failed: false, errored: true };
    return { xml: testcase(`sla.${r.policy.name}`, s.name, `<system-out>${xmlEscape(text)}</system-out>`), failed: false, errored: false };
  });
  const ruleCases = r.rules.map((rule) => {
    const list = rule.violations.map((v) => `${intervalText(v)} (${v.durationSeconds}s, peak ${v.peak})`).join('\n');
    if (rule.violated && rule.severity === 'critical') return { xml: testcase(`sla.${r.policy.name}.rules`, rule.name, `<failure message="${xmlEscape(`${rule.violations.length} ${rule.violations.length === 1 ? 'violation' : 'violations'}: ${rule.condition} for ${rule.for}`)}">${xmlEscape(list)}</failure>`), failed: true, errored: false };
    if (rule.insufficient && rule.severity === 'critical') return { xml: testcase(`sla.${r.policy.name}.rules`, rule.name, `<error message="not enough data to judge">${xmlEscape(rule.reasons.join('\n'))}</error>`), failed: false, errored: true };
    const note = rule.violated ? `warning rule violated (reported only):\n${list}` : rule.insufficient ? rule.reasons.join('\n') : 'no violation';
    return { xml: testcase(`sla.${r.policy.name}.rules`, rule.name, `<system-out>${xmlEscape(note)}</system-out>`), failed: false, errored: false };
  });
  for (const [name, cases] of [['SLOs', sloCases], ['rules', ruleCases]] as const) {
    if (cases.length === 0) continue;
    const failures = cases.filter((c) => c.failed).length;
    const errors = cases.filter((c) => c.errored).length;
    suites.push(`  <testsuite name="${xmlEscape(`${r.policy.name} ${name}`)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" timestamp="${xmlEscape(r.startedAt ?? '')}">\n${cases.map((c) => c.xml).join('\n')}\n  </testsuite>`);
  }
  // A broken or cut chain fails the CI test report: an audit read from an altered log proves nothing.
  const evidenceCases = r.chain.intact ? [] : [{ xml: testcase(`sla.${r.policy.name}.evidence`, 'evidence chain', `<failure message="${xmlEscape(chainText(r.chain))}" type="evidence-broken">${xmlEscape(chainText(r.chain))}</failure>`), failed: true, errored: false }];
  if (evidenceCases.length > 0) suites.unshift(`  <testsuite name="${xmlEscape(`${r.policy.name} evidence`)}" tests="1" failures="1" errors="0" skipped="0" timestamp="${xmlEscape(r.startedAt ?? '')}">\n${evidenceCases[0]!.xml}\n  </testsuite>`);
  const all = [...sloCases, ...ruleCases, ...evidenceCases];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- rollgate SLA audit ${xmlEscape(r.auditId).replace(/--/g, '- -')} -->\n<testsuites name="${xmlEscape(`sla audit ${r.policy.name}`)}" tests="${all.length}" failures="${all.filter((c) => c.failed).length}" errors="${all.filter((c) => c.errored).length}">\n${suites.join('\n')}\n</testsuites>\n`;
}
