/**
 * JUnit XML report, so CI systems show gates as test results: one <testsuite> per step, one
 * <testcase> per gate of that step. A critical gate that failed in the step has a <failure> with
 * value, threshold and reason; a gate that only produced inconclusive/error measurements has an
 * <error>; a gate of a step never reached is <skipped>. Warning-severity gates never fail the
 * build (the plan says they are reported only): a breach is written to their <system-out>.
 * Rollback verification gets its own suite.
 */
import { chainText, formatValue, reasonWithWarnings, stepLabel } from './format.js';
import { policyText } from './policy-text.js';
import { exceedsFailureLimit, type MeasurementRow, type ReportSummary } from './summary.js';

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Content text keeps its line breaks. */
function xmlContent(text: string): string {
  return xmlEscape(text).replace(/&#10;/g, '\n');
}

function seconds(from: string | null, to: string | null): string {
  if (!from || !to) return '0';
  return (Math.max(0, Date.parse(to) - Date.parse(from)) / 1000).toFixed(3);
}

interface CaseResult {
  xml: string;
  failed: boolean;
  errored: boolean;
  skipped: boolean;
}

function describe(m: MeasurementRow): string {
  const reason = reasonWithWarnings(m);
  // A reason already says value and threshold: each once, at one precision.
  return `${m.at} ${m.verdict}: ${m.reason ? reason : `value ${formatValue(m)} (threshold ${m.threshold})${reason ? ` — ${reason}` : ''}`}`;
}

function testCase(name: string, classname: string, severity: 'critical' | 'warning', measurements: MeasurementRow[], notReached: boolean, failureLimit = 0): CaseResult {
  const first = measurements[0];
  const last = measurements.at(-1);
  const head = `<testcase name="${xmlEscape(name)}" classname="${xmlEscape(classname)}" time="${seconds(first?.at ?? null, last?.at ?? null)}"`;
  const out = measurements.length > 0 ? `<system-out>${xmlContent(measurements.map(describe).join('\n'))}</system-out>` : '';
  const failure = measurements.find((m) => m.verdict === 'fail');
  if (measurements.length === 0) {
    const why = notReached ? 'not measured: the step was not reached' : 'not measured in this step';
    return { xml: `    ${head}><skipped message="${xmlEscape(why)}"/></testcase>`, failed: false, errored: false, skipped: true };
  }
  // Failures the plan tolerates (failureLimit) did not fail the step, so they do not fail the test.
  if (failure && severity === 'critical' && exceedsFailureLimit(measurements, failureLimit)) {
    const message = failure.reason ? `failed: ${failure.reason}` : `value ${formatValue(failure)} breaches threshold ${failure.threshold}`;
    const body = `gate: ${name}\nvalue: ${formatValue(failure)}\nthreshold: ${failure.threshold}\nreason: ${failure.reason}\nat: ${failure.at}\nquery: ${failure.query}`;
    return { xml: `    ${head}><failure message="${xmlEscape(message)}" type="gate-failed">${xmlContent(body)}</failure>${out}</testcase>`, failed: true, errored: false, skipped: false };
  }
  if (!measurements.some((m) => m.verdict === 'pass') && severity === 'critical' && !failure) {
    const worst = measurements.find((m) => m.verdict === 'error') ?? last!;
    const message = `no passing measurement: ${worst.verdict}: ${reasonWithWarnings(worst)}`;
    return { xml: `    ${head}><error message="${xmlEscape(message)}" type="gate-${worst.verdict}">${xmlContent(describe(worst))}</error>${out}</testcase>`, failed: false, errored: true, skipped: false };
  }
  return { xml: `    ${head}>${out}</testcase>`, failed: false, errored: false, skipped: false };
}

function suite(name: string, timestamp: string | null, time: string, cases: CaseResult[], properties: Record<string, string>): string {
  const counts = `tests="${cases.length}" failures="${cases.filter((c) => c.failed).length}" errors="${cases.filter((c) => c.errored).length}" skipped="${cases.filter((c) => c.skipped).length}"`;
  const props = Object.entries(properties)
    .map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`)
    .join('\n');
  return [`  <testsuite name="${xmlEscape(name)}" ${counts} time="${time}"${timestamp ? ` timestamp="${xmlEscape(timestamp.replace(/Z$/, ''))}"` : ''}>`, `    <properties>\n${props}\n    </properties>`, ...cases.map((c) => c.xml), '  </testsuite>'].join('\n');
}

export function renderJunit(s: ReportSummary): string {
  const suites: string[] = [];
  const classBase = `rollgate.${s.service || 'rollout'}`;
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const tally = (cases: CaseResult[]): void => {
    tests += cases.length;
    failures += cases.filter((c) => c.failed).length;
    errors += cases.filter((c) => c.errored).length;
    skipped += cases.filter((c) => c.skipped).length;
  };
  const common = { rolloutId: s.rolloutId, planSha256: s.planSha256 ?? '', outcome: s.outcome, evidenceChain: s.chain.intact ? `intact, head ${s.chain.head}` : `broken at event #${s.chain.brokenAt}: ${s.chain.reason ?? ''}`, ...(s.policy ? { rolloutPolicy: policyText(s.policy) } : {}) };

  for (const step of s.steps) {
    const cases = step.gates.map((name) => {
      const gate = s.gates.find((g) => g.name === name);
      const measured = gate?.measurements.filter((m) => m.phase === 'bake' && m.step === step.number) ?? [];
      return testCase(name, `${classBase}.step${step.number}`, gate?.severity ?? 'critical', measured, step.startedAt === null, s.failureLimit);
    });
    tally(cases);
    suites.push(suite(`${stepLabel(step.number, step.weight)}`, step.startedAt, seconds(step.startedAt, step.endedAt ?? s.lastEventAt), cases, { ...common, step: String(step.number), weight: String(step.weight), result: step.result }));
  }

  const verify = s.gates.filter((g) => g.measurements.some((m) => m.phase === 'verify'));
  if (verify.length > 0) {
    const cases = verify.map((g) => testCase(g.name, `${classBase}.rollback-verification`, g.severity, g.measurements.filter((m) => m.phase === 'verify'), false));
    tally(cases);
    suites.push(suite('rollback verification', s.rollback?.at ?? null, seconds(s.rollback?.at ?? null, s.rollback?.endedAt ?? s.lastEventAt), cases, { ...common, verified: String(s.rollback?.verified ?? '') }));
  }

  // A broken or cut chain fails the CI test report: gates that passed in a log that was altered prove nothing.
  if (!s.chain.intact) {
    const message = chainText(s.chain);
    const cases: CaseResult[] = [{ xml: `    <testcase classname="${xmlEscape(`${classBase}.evidence`)}" name="evidence chain" time="0"><failure message="${xmlEscape(message)}" type="evidence-broken">${xmlContent(message)}</failure></testcase>`, failed: true, errored: false, skipped: false }];
    tally(cases);
    suites.unshift(suite('evidence', s.startedAt, '0', cases, common));
  }

  const head = `<testsuites name="${xmlEscape(`rollgate ${s.rolloutId} (${s.service})`)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(s.startedAt, s.lastEventAt)}">`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${xmlComment(s.outcome)} -->\n${head}\n${suites.join('\n')}\n</testsuites>\n`;
}

/** XML comments may not hold `--` anywhere nor end in `-`: space out every dash that a dash follows. */
function xmlComment(text: string): string {
  return xmlEscape(text).replace(/-(?=-)/g, '- ').replace(/-$/, '- ');
}
