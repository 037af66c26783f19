/**
 * `rollgate sla audit <policy> [--window 30d | --from T --to T | --at T] [--format md|html|json|junit]
 * [--out FILE] [--pushgateway URL]`: SLO compliance, error budget, burn rates, alert firing
 * intervals and rule violation intervals over a period, recorded as hash-chained evidence.
 * Exit 0 compliant, 1 violated, 2 bad input, 3 no answer from Prometheus or not enough data.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseDuration } from '../lib/duration.js';
import { ExitCode, ProviderError, UsageError } from '../lib/errors.js';
import { REPORT_FORMATS, type ReportFormat } from '../lib/evidence/report/render.js';
import type { AuditReport } from '../lib/evidence/report/audit-summary.js';
import { operatorIdentity } from '../lib/operator.js';
import type { PrometheusApi } from '../lib/prometheus/types.js';
import type { SlaPolicyModel } from '../lib/sla/model.js';
import type { PeriodRequest } from '../lib/sla/period.js';
import { parseTimeArg } from '../lib/time.js';
import { TOOL_VERSION } from '../lib/version.js';
import { prometheusOverride, resolveStateUrl, type CommandContext } from './context.js';

export interface SlaAuditInput {
  file: string;
  window?: string;
  from?: string;
  to?: string;
  at?: string;
  format?: string;
  out?: string;
  force?: boolean;
  pushgateway?: string;
  concurrency?: string;
}

export interface AuditOptions {
  period: Omit<PeriodRequest, 'now'>;
  now?: Date;
  format?: ReportFormat;
  outFile?: string;
  /** --out as the user typed it, for messages. */
  outShown?: string;
  force?: boolean;
  pushgateway?: string;
  concurrency?: number;
  api?: PrometheusApi;
}

/** Checks every flag before the policy is read (a typo costs nothing), then loads, audits, records, renders. */
export async function run(ctx: CommandContext, input: SlaAuditInput): Promise<number> {
  const options = await parseFlags(ctx, input);
  const { loadSlaPolicy } = await import('../lib/sla/load.js');
  const policy = await loadSlaPolicy(input.file, { env: ctx.env, cwd: ctx.cwd, prometheusUrl: prometheusOverride(ctx) });
  return auditLoadedPolicy(ctx, policy, options);
}

async function parseFlags(ctx: CommandContext, input: SlaAuditInput): Promise<AuditOptions> {
  const { checkPeriodFlags } = await import('../lib/sla/period.js');
  const period: Omit<PeriodRequest, 'now'> = {};
  if (input.window !== undefined) {
    const ms = parseDuration(input.window);
    if (ms === undefined || ms <= 0) throw new UsageError(`--window: "${input.window}" is not a duration`, 'for example: --window 30d');
    period.windowMs = ms;
  }
  if (input.from !== undefined) period.from = parseTimeArg(input.from, '--from');
  if (input.to !== undefined) period.to = parseTimeArg(input.to, '--to');
  if (input.at !== undefined) period.at = parseTimeArg(input.at, '--at');
  checkPeriodFlags(period);
  const options: AuditOptions = { period, force: input.force === true };
  if (input.format !== undefined) {
    if (!REPORT_FORMATS.includes(input.format as ReportFormat)) throw new UsageError(`--format ${input.format}: expected one of ${REPORT_FORMATS.join(', ')}`);
    options.format = input.format as ReportFormat;
  }
  if (input.out !== undefined) {
    if (!options.format) throw new UsageError('--out needs --format md|html|json|junit');
    const { checkOutFile } = await import('./evidence-report.js');
    options.outFile = path.resolve(ctx.cwd, input.out);
    options.outShown = input.out;
    await checkOutFile(options.outFile, input.out, options.force === true);
  }
  if (options.format && !options.outFile && ctx.global.json) throw new UsageError('--json and --format both print to stdout', 'write the report to a file with --out FILE');
  if (input.pushgateway !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(input.pushgateway);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) throw new UsageError(`--pushgateway: "${input.pushgateway}" is not an http(s) URL`, 'for example: --pushgateway http://pushgateway:9091');
    options.pushgateway = input.pushgateway;
  }
  if (input.concurrency !== undefined) {
    const n = Number(input.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency: "${input.concurrency}" is not a whole number from 1 to 64`);
    options.concurrency = n;
  }
  return options;
}

/** Everything after the policy is loaded; separate so tests can hand in a model built in code. */
export async function auditLoadedPolicy(ctx: CommandContext, policy: SlaPolicyModel, options: AuditOptions): Promise<number> {
  const [{ auditPolicy }, { resolvePeriod }, { AuditEvidence, newAuditId }, { createPrometheusClient }, { openStateStore }, { verifyChain }, { toChainResult }, audit] = await Promise.all([
    import('../lib/sla/audit.js'),
    import('../lib/sla/period.js'),
    import('../lib/sla/audit-evidence.js'),
    import('../lib/prometheus/client.js'),
    import('../lib/state/open.js'),
    import('../lib/log/chain.js'),
    import('../lib/evidence/report/summary.js'),
    import('../lib/evidence/report/audit-summary.js'),
  ]);
  const now = options.now ?? new Date();
  // Periods are checked before anything is recorded: --at in the future is bad input, not an audit.
  for (const slo of policy.slos) resolvePeriod(slo.window, { ...options.period, now });
  if (!options.api && !policy.prometheus) {
    throw new UsageError(`${policy.file}: no Prometheus URL (${policy.source} files carry none)`, 'pass --prometheus URL or set ROLLGATE_PROMETHEUS_URL');
  }
  const api = options.api ?? createPrometheusClient(policy.prometheus!, { env: ctx.env });

  const store = await openStateStore(resolveStateUrl(ctx), { cwd: ctx.cwd });
  try {
    const auditId = newAuditId(policy.service, now, randomBytes(3).toString('hex'));
    const request = {
      window: options.period.windowMs !== undefined ? `${options.period.windowMs / 1_000}s` : undefined,
      from: options.period.from?.toISOString(),
      to: options.period.to?.toISOString(),
      at: options.period.at?.toISOString(),
      now: now.toISOString(),
    };
    const evidence = await AuditEvidence.begin(store, { auditId, policy, prometheusUrl: api.url, request, operator: operatorIdentity(ctx.env).display, toolVersion: TOOL_VERSION, now });
    const spinner = await ctx.ui.spinner(`auditing ${policy.slos.length} SLO${policy.slos.length === 1 ? '' : 's'} and ${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'} of ${policy.name} against ${api.url}`);
    let result;
    try {
      result = await auditPolicy(policy, api, { period: options.period, now, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
    } catch (error) {
      spinner.stop();
      if (error instanceof ProviderError) {
        await evidence.fail(error.message);
        ctx.ui.info(`evidence: ${auditId} in ${store.url} records the audit without an answer`);
      }
      throw error;
    }
    spinner.stop();
    await evidence.finish(result);
    const events = await store.readEvents(auditId);
    const chain = toChainResult(verifyChain(events));
    const report = audit.summarizeAudit(events, chain);
    const evidenceDoc = { stateStore: store.url, auditId, events: chain.events, head: chain.head, verify: `rollgate evidence verify ${auditId}` };

    if (options.format) {
      const { renderAuditReport } = await import('../lib/evidence/report/audit-render.js');
      const { text } = renderAuditReport(events, options.format, { chain });
      if (options.outFile) {
        const { writeAtomically } = await import('./evidence-report.js');
        await writeAtomically(options.outFile, text, options.force === true, options.outShown ?? options.outFile);
        ctx.ui.info(`${options.format} report written to ${options.outShown}`);
      } else ctx.streams.stdout.write(text);
    }
    if (ctx.global.json) ctx.ui.json(audit.auditJson(report, evidenceDoc));
    else if (!options.format || options.outFile) ctx.ui.out(renderTables(ctx, report));

    if (options.pushgateway) {
      const { pushAudit } = await import('../lib/sla/pushgateway.js');
      await pushAudit(result, { url: options.pushgateway, policy: policy.name, service: policy.service }, now);
      ctx.ui.info(`metrics pushed to ${options.pushgateway} (job rollgate_sla_audit, policy ${policy.name})`);
    }
    summarize(ctx, report);
    ctx.ui.info(`evidence: ${auditId} in ${store.url} (rollgate evidence report ${auditId} --format html)`);
    return report.verdict === 'compliant' ? ExitCode.ok : report.verdict === 'violated' ? ExitCode.failed : ExitCode.noVerdict;
  } finally {
    await store.close().catch(() => undefined);
  }
}

const pct = (ratio: number | null, digits = 4): string => (ratio === null ? '-' : `${Number((ratio * 100).toFixed(digits))}%`);

function renderTables(ctx: CommandContext, report: AuditReport): string {
  const p = ctx.ui.paint;
  const status = (s: string): string => (s === 'compliant' ? p.green(s) : s === 'violated' ? p.red(s) : p.yellow('not enough data'));
  const parts: string[] = [];
  if (report.slos.length > 0) {
    parts.push(
      ctx.ui.table(
        ['SLO', 'objective', 'SLI', 'status', 'budget left', 'burn 1h', 'alerts fired', 'period'],
        report.slos.map((s) => [
          s.name,
          `${s.objective}%`,
          pct(s.sli),
          status(s.status) + (s.lowTraffic ? ' (low traffic)' : ''),
          s.errorBudget ? `${pct(s.errorBudget.remaining, 2)} (${Math.round(s.errorBudget.remainingSeconds / 60)} of ${Math.round(s.errorBudget.totalSeconds / 60)} min)` : '-',
          (() => {
            const r = s.burnRates.find((b) => b.window === '1h')?.rate;
            return r === undefined || r === null ? '-' : `${Number(r.toFixed(2))}×`;
          })(),
          s.alerts.map((a) => `${a.severity} ${a.longWindow}: ${a.intervals.length}${a.firing ? ' (firing)' : ''}`).join(', '),
          `${s.from} → ${s.to}`,
        ]),
      ),
    );
  }
  if (report.rules.length > 0) {
    parts.push(
      ctx.ui.table(
        ['rule', 'severity', 'condition', 'for', 'violations'],
        report.rules.map((r) => [
          r.name,
          r.severity,
          r.condition,
          r.for,
          r.violated ? r.violations.map((v) => `${v.start} → ${v.end} (peak ${Number(v.peak.toPrecision(4))})`).join('\n') : r.insufficient ? p.yellow('not enough data') : p.green('none'),
        ]),
      ),
    );
  }
  return parts.join('\n');
}

/** The one-line verdict on stderr, and why when there is no verdict. */
function summarize(ctx: CommandContext, report: AuditReport): void {
  for (const s of report.slos) for (const reason of s.reasons) ctx.ui.debug(`${s.name}: ${reason}`);
  for (const s of report.slos.filter((x) => x.excluded.length > 0)) ctx.ui.info(`${s.name}: excluded ${s.excluded.map((e) => `${e.from} → ${e.to} (${e.reason})`).join('; ')}`);
  for (const r of report.rules.filter((x) => x.violated && x.severity === 'warning')) ctx.ui.warn(`rule ${r.name} (warning): ${r.violations.length} ${r.violations.length === 1 ? 'violation' : 'violations'}, reported only`);
  switch (report.verdict) {
    case 'compliant':
      ctx.ui.success(`compliant: ${report.slos.length} SLO${report.slos.length === 1 ? '' : 's'} met, no critical rule violated`);
      break;
    case 'violated':
      ctx.ui.error(`violated: ${[...report.slos.filter((s) => s.status === 'violated').map((s) => `SLO ${s.name}`), ...report.rules.filter((r) => r.violated && r.severity === 'critical').map((r) => `rule ${r.name}`)].join(', ')}`);
      break;
    default:
      for (const s of report.slos.filter((x) => x.status === 'insufficient_data')) ctx.ui.warn(`${s.name}: not enough data: ${s.reasons.join('; ')}`);
      for (const r of report.rules.filter((x) => x.insufficient)) ctx.ui.warn(`rule ${r.name}: not enough data: ${r.reasons.join('; ')}`);
      ctx.ui.warn('no verdict: not enough data to judge');
  }
}
