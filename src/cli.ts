/**
 * The commander program. Each action lazy-imports its command module, so `rollgate --help`
 * and `--version` load neither axios, ioredis, inquirer nor ora.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { resolveStateUrl, type CommandContext, type GlobalOptions } from './commands/context.js';
import { EXIT_CODE_TABLE, ExitCode, PlanError, formatPlanIssue, RollgateError, UsageError, exitCodeFor, isCommanderError } from './lib/errors.js';
import { createUi, type Ui, type UiStreams } from './lib/ui/ui.js';
import { TOOL_VERSION } from './lib/version.js';

export interface MainIo {
  streams?: UiStreams;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}


function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Builds the program; `run` receives the command's code so main() stays the single exit point. */
function buildProgram(io: Required<MainIo>, setCode: (code: number) => void): Command {
  const program = new Command('rollgate');
  let ui: Ui | undefined;

  const context = (): CommandContext => {
    const global = program.opts<GlobalOptions>();
    ui ??= createUi({ json: global.json, color: global.color, quiet: global.quiet, verbose: global.verbose, yes: global.yes, env: io.env, streams: io.streams });
    return { ui, global, env: io.env, cwd: io.cwd, streams: io.streams };
  };
  const action =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      setCode(await fn(context(), ...args));
    };

  program
    .description('Progressive delivery and SLA governance: canary steps, Prometheus gates, rollback, evidence.')
    .version(TOOL_VERSION, '-V, --version')
    .option('--json', 'machine output: one JSON document on stdout, nothing else there (rollout run/resume and demo: NDJSON events, the last line the result)', false)
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('-q, --quiet', 'only warnings and errors on stderr', false)
    .option('-v, --verbose', 'debug lines, and stack traces on errors', false)
    .option('--yes', 'consent to any confirmation when not interactive', false)
    .option('--state <url>', 'state store: file:./.rollgate (default), redis://host:port/db, redis-sentinel://h1:26379,h2:26379/MASTER/db or redis-cluster://h1:6379,h2:6379 (env ROLLGATE_STATE; password from ${ENV} in the URL or ROLLGATE_STATE_PASSWORD_FILE; rediss:// for TLS, private CA in ROLLGATE_STATE_CA_FILE)')
    .option('--prometheus <url>', 'Prometheus base URL, overrides the plan (env ROLLGATE_PROMETHEUS_URL)')
    .option('--policy <file>', 'a RolloutPolicy enforced on plan validate/show and rollout run (env ROLLGATE_POLICY)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.streams.stdout.write(text),
      writeErr: (text) => io.streams.stderr.write(text),
      // commander's own errors look like ours: a red ✖ on a terminal; main() adds which help to run.
      outputError: (text, write) => {
        const message = text.replace(/^error: /, '').trimEnd();
        const terminal = Boolean(io.streams.stderr.isTTY) && !io.env.CI;
        const noColor = (io.env.NO_COLOR ?? '') !== '' || program.opts().color === false;
        write(terminal ? `${noColor ? '✖' : '\u001b[31m✖\u001b[39m'} ${message}\n` : `error: ${message}\n`);
      },
    })
    .helpCommand(false)
    // Subcommand help lists the global flags too (as "Global Options"), like gh's inherited flags.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', examples('rollgate plan validate playbooks/canary-standard.yaml', 'rollgate gate check plan.yaml --json', 'rollgate help exit-codes'));

  program
    .command('help [topic...]')
    .description('help for a command (nested too: help rollout run), or a topic: exit-codes')
    .addHelpText('after', examples('rollgate help rollout run', 'rollgate help exit-codes', 'rollgate help plan'))
    .action(
      action(async (ctx, words: string[]) => {
        const topic = words.length > 0 ? words.join(' ') : undefined;
        if (topic === 'exit-codes') {
          if (ctx.global.json) ctx.ui.json({ exitCodes: EXIT_CODE_TABLE.map(([code, meaning]) => ({ code, meaning })) });
          else ctx.ui.out(['Exit codes:', ...EXIT_CODE_TABLE.map(([code, meaning]) => `  ${String(code).padEnd(4)} ${meaning}`)].join('\n'));
          return ExitCode.ok;
        }
        let target: Command | undefined = program;
        for (const word of words) target = target?.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!target) throw new UsageError(`help: unknown command or topic "${topic}"`, 'run rollgate --help for the list of commands');
        io.streams.stdout.write(target.helpInformation());
        return ExitCode.ok;
      }),
    );

  registerCommands(program, action);
  return program;
}

function registerSlaCommands(program: Command, action: ActionFactory): void {
  const sla = program.commands.find((c) => c.name() === 'sla') ?? program.command('sla').description('SLA governance: compliance audits and Prometheus rules from SLA policies');
  sla
    .command('audit')
    .description('SLO compliance, error budget, burn rates, alert firing intervals and rule violation intervals over a period, recorded as evidence; for cron (exit 0 compliant, 1 violated, 3 no verdict)')
    .argument('<policy>', 'SLAPolicy, Sloth prometheus/v1 or OpenSLO v1 file')
    .option('--window <duration>', 'rolling window ending at --at or now, instead of each SLO\'s own (e.g. 30d)')
    .option('--from <time>', 'start of an explicit period (RFC 3339 or unix seconds); with --to')
    .option('--to <time>', 'end of an explicit period')
    .option('--at <time>', 'audit the period containing this time (calendar SLOs) or ending at it (rolling); default now')
    .option('--format <format>', 'also render the report: md | html | json | junit (to stdout, or --out)')
    .option('--out <file>', 'write the --format report to this file (atomically; never over an existing one without --force)')
    .option('--force', 'replace an existing --out file', false)
    .option('--pushgateway <url>', 'push the results as metrics to this Prometheus Pushgateway (one group per policy, replaced each run)')
    .option('--concurrency <n>', 'queries in flight at once (default 8)')
    .addHelpText(
      'after',
      examples(
        'rollgate sla audit playbooks/sla-checkout.yaml --window 30d',
        'rollgate sla audit sla.yaml --at 2026-10-15T00:00:00Z --format html --out october.html',
        'rollgate sla audit sloth-slos.yaml --prometheus http://prometheus:9090 --json --pushgateway http://pushgateway:9091',
      ) + '\nCron (every night at 02:00, exit code and metrics for alerting):\n  0 2 * * * rollgate sla audit /etc/rollgate/sla.yaml --pushgateway http://pushgateway:9091 --format md --out /var/log/rollgate/sla-$(date +\\%F).md\n',
    )
    .action(
      action(async (ctx, file: string, opts: { window?: string; from?: string; to?: string; at?: string; format?: string; out?: string; force?: boolean; pushgateway?: string; concurrency?: string }) => {
        const { run } = await import('./commands/sla-audit.js');
        return run(ctx, { file, ...opts });
      }),
    );
  sla
    .command('rules')
    .description('Prometheus recording rules (error ratio per window and period, objective, budget) and multi-window multi-burn-rate page/ticket alerts for the SLOs of a policy; nothing is queried')
    .argument('<policy>', 'SLAPolicy, Sloth prometheus/v1 or OpenSLO v1 file')
    .addOption(new Option('--format <format>', 'a Prometheus rule file, or a prometheus-operator PrometheusRule').choices(['prometheus', 'prometheus-operator']).default('prometheus'))
    .option('--out <file>', 'write to this file (atomically, replacing it) instead of stdout')
    .addHelpText('after', examples('rollgate sla rules playbooks/sla-checkout.yaml --out /etc/prometheus/rules/checkout-slos.yaml && promtool check rules /etc/prometheus/rules/checkout-slos.yaml', 'rollgate sla rules sloth-slos.yaml --format prometheus-operator | kubectl apply -f -', 'rollgate sla rules openslo.yaml --json | jq .rules'))
    .action(
      action(async (ctx, file: string, opts: { format: string; out?: string }) => {
        const { run } = await import('./commands/sla-rules.js');
        return run(ctx, { file, format: opts.format, ...(opts.out !== undefined ? { out: opts.out } : {}) });
      }),
    );
}

type ActionFactory = <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) => (...args: A) => Promise<void>;

function registerCommands(program: Command, action: ActionFactory): void {
  const plan = program
    .command('plan')
    .description('validate and show rollout plans')
    .addHelpText('after', examples('rollgate plan validate playbooks/*.yaml', 'rollgate plan show playbooks/canary-standard.yaml', 'rollgate help plan validate'));
  plan
    .command('validate')
    .description('schema and semantic checks of plans and policies, PromQL syntax included')
    .argument('<file...>', 'rollout plans and SLA policies (SLAPolicy, Sloth prometheus/v1, OpenSLO v1)')
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addHelpText('after', examples('rollgate plan validate plan.yaml', 'rollgate plan validate playbooks/*.yaml --json', 'rollgate plan validate plan.yaml --policy playbooks/org-policy.yaml', 'rollgate plan validate sla-policy.yaml sloth-slos.yaml openslo.yaml'))
    .action(
      action(async (ctx, files: string[], opts: { set?: string[] }) => {
        const { run } = await import('./commands/plan-validate.js');
        return run(ctx, { files, set: opts.set ?? [] });
      }),
    );
  plan
    .command('show')
    .description('the resolved plan: steps, bake times, gates, minimum duration, worst-case detection time per gate')
    .argument('<file>', 'plan file')
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addHelpText('after', examples('rollgate plan show plan.yaml', 'rollgate plan show plan.yaml --json | jq .plan.steps', 'ROLLGATE_POLICY=org-policy.yaml rollgate plan show plan.yaml'))
    .action(
      action(async (ctx, file: string, opts: { set?: string[] }) => {
        const { run } = await import('./commands/plan-show.js');
        return run(ctx, { file, set: opts.set ?? [] });
      }),
    );

  plan
    .command('backtest')
    .description("replay the plan's gates over past data as simulated rollouts: which would have been rolled back, when, by which gate")
    .argument('<plan>', 'plan file')
    .requiredOption('--from <time>', 'start of the period: RFC 3339, unix seconds or now')
    .requiredOption('--to <time>', 'end of the period (not in the future)')
    .option('--every <duration>', "time between simulated rollout starts (default: the plan's minimum duration, back to back)")
    .option('--expect <state>', 'healthy: the period was healthy, every rollback is a false positive (exit 1 if any)')
    .option('--format <format>', 'md or html: a readable report (html: a timeline of the period) instead of the summary')
    .option('--out <file>', 'write the --format report to this file (atomically)')
    .option('--force', 'replace an existing --out file', false)
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addHelpText(
      'after',
      examples(
        'rollgate plan backtest plan.yaml --from 2026-11-16T00:00:00Z --to 2026-11-23T00:00:00Z --expect healthy',
        'rollgate plan backtest plan.yaml --from 2026-11-22T00:00:00Z --to now --every 1h --json | jq .summary',
        'rollgate plan backtest plan.yaml --from 2026-11-16T00:00:00Z --to 2026-11-23T00:00:00Z --format html --out backtest.html',
      ),
    )
    .action(
      action(async (ctx, file: string, opts: { from: string; to: string; every?: string; expect?: string; format?: string; out?: string; force: boolean; set?: string[] }) => {
        const { run } = await import('./commands/plan-backtest.js');
        return run(ctx, { file, from: opts.from, to: opts.to, every: opts.every, expect: opts.expect, format: opts.format, out: opts.out, force: opts.force, set: opts.set ?? [] });
      }),
    );

  program
    .command('schema')
    .description('JSON Schema of the plan, SLA policy or rollout policy format, for editor completion')
    .argument('<kind>', 'plan | policy | rollout-policy')
    .addHelpText('after', examples('rollgate schema plan > rollgate-plan.schema.json', 'rollgate schema policy > rollgate-policy.schema.json', 'rollgate schema rollout-policy > rollgate-rollout-policy.schema.json'))
    .action(
      action(async (ctx, kind: string) => {
        const { run } = await import('./commands/schema.js');
        return run(ctx, { kind });
      }),
    );

  const gate = program
    .command('gate')
    .description('evaluate SLA gates')
    .addHelpText('after', examples('rollgate gate check plan.yaml', 'rollgate gate check plan.yaml --gate error-rate --json', 'rollgate gate check plan.yaml --at 2026-11-23T10:00:00Z'));
  gate
    .command('check')
    .description("evaluate the plan's gates once, now or at a past time")
    .argument('<plan>', 'plan file')
    .option('--gate <name>', 'only this gate (repeatable)', collect)
    .option('--at <time>', 'evaluate at a past time: RFC 3339 or unix seconds')
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addHelpText('after', examples('rollgate gate check plan.yaml', 'rollgate gate check plan.yaml --gate error-rate --json', 'rollgate gate check plan.yaml --at 2026-11-23T10:00:00Z'))
    .action(
      action(async (ctx, file: string, opts: { gate?: string[]; at?: string; set?: string[] }) => {
        const { run } = await import('./commands/gate-check.js');
        return run(ctx, { file, gates: opts.gate ?? [], at: opts.at, set: opts.set ?? [] });
      }),
    );

  program
    .command('demo')
    .description('a self-contained sandbox: demo service (stable + canary behind a weighted router), load generator and a local Prometheus from PATH; runs a healthy rollout to 100% and a faulty one that is rolled back, then shows where the evidence is')
    .option('--dir <dir>', 'where to keep the plans and the state store (default: a new temporary directory, kept afterwards)')
    .addHelpText('after', examples('rollgate demo', 'rollgate demo --dir ./rollgate-demo && rollgate evidence report checkout --format html --out demo.html --state file:./rollgate-demo/state'))
    .action(
      action(async (ctx, opts: { dir?: string }) => {
        const { run } = await import('./commands/demo.js');
        return run(ctx, opts.dir !== undefined ? { dir: opts.dir } : {});
      }),
    );

  program
    .command('dashboard')
    .description('Grafana dashboard JSON for a rollout plan (gates, canary weight and status) or an SLA policy (SLI, error budget, burn rates, rules)')
    .argument('<file>', 'plan or SLA policy (SLAPolicy, Sloth prometheus/v1, OpenSLO v1)')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--force', 'replace an existing --out file', false)
    .option('--datasource <uid>', 'Prometheus datasource UID preselected in the dashboard\'s datasource variable')
    .option('--recording-rules', 'SLA policy: query the series `rollgate sla rules` records instead of the raw series', false)
    .option('--runbook <url>', 'link to the runbook on the dashboard (policies also link each SLO\'s runbook_url)')
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addHelpText('after', examples('rollgate dashboard plan.yaml --out rollout-dashboard.json', 'rollgate dashboard checkout-sla.yaml --datasource prometheus-main --recording-rules > slo.json', 'rollgate dashboard plan.yaml --runbook https://runbooks.example/checkout --out rollout.json --force'))
    .action(
      action(async (ctx, file: string, opts: { out?: string; force: boolean; datasource?: string; recordingRules: boolean; runbook?: string; set?: string[] }) => {
        const { run } = await import('./commands/dashboard.js');
        return run(ctx, { file, force: opts.force, recordingRules: opts.recordingRules, set: opts.set ?? [], ...(opts.out !== undefined ? { out: opts.out } : {}), ...(opts.datasource !== undefined ? { datasource: opts.datasource } : {}), ...(opts.runbook !== undefined ? { runbook: opts.runbook } : {}) });
      }),
    );

  program
    .command('serve')
    .description('HTTP server: Alertmanager webhook → emergency rollback, /metrics of every rollout in the state store, /healthz')
    .requiredOption('--listen <addr>', 'HOST:PORT to listen on (:PORT for all interfaces)')
    .option('--token-file <file>', 'file holding the Bearer token Alertmanager must send')
    .option('--insecure-no-auth', 'no token (only on a loopback address)', false)
    .option('--config <file>', 'YAML: alert label names/values and severity mapping (see docs/serve.md)')
    .addHelpText('after', examples('rollgate serve --listen 127.0.0.1:9797 --token-file /etc/rollgate/token --state redis://redis:6379/0', 'rollgate serve --listen :9797 --token-file token --config serve.yaml --json', 'rollgate serve --listen 127.0.0.1:9797 --insecure-no-auth'))
    .action(
      action(async (ctx, opts: { listen: string; tokenFile?: string; insecureNoAuth: boolean; config?: string }) => {
        const { run } = await import('./commands/serve.js');
        return run(ctx, { listen: opts.listen, insecureNoAuth: opts.insecureNoAuth, ...(opts.tokenFile !== undefined ? { tokenFile: opts.tokenFile } : {}), ...(opts.config !== undefined ? { config: opts.config } : {}) });
      }),
    );

  registerRolloutCommands(program, action);
  registerSlaCommands(program, action);
  registerInitCommand(program, action);
  registerCompletionCommands(program, action);
}

function registerCompletionCommands(program: Command, action: ActionFactory): void {
  program
    .command('completion')
    .description('shell completion script: commands, flags, their values, and rollout IDs and services from the state store')
    .addArgument(new Argument('<shell>', 'bash | zsh | fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', examples('source <(rollgate completion bash)', 'rollgate completion zsh > ~/.zfunc/_rollgate   # with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc', 'rollgate completion fish > ~/.config/fish/completions/rollgate.fish'))
    .action(
      action(async (ctx, shell: 'bash' | 'zsh' | 'fish') => {
        const { completionScript } = await import('./lib/completion/scripts.js');
        const script = completionScript(program, shell);
        // Under --json, stdout is one JSON document like every other command's: the script inside it.
        if (ctx.global.json) ctx.ui.json({ shell, script });
        else ctx.streams.stdout.write(script);
        return ExitCode.ok;
      }),
    );
  // Called by the completion scripts on every <Tab>: reads the file store directly, prints one word a line.
  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'rollouts')
    .option('--describe', 'WORD<tab>DESCRIPTION lines (zsh, fish)')
    .action(
      action(async (ctx, what: string, opts: { describe?: boolean }) => {
        if (what !== 'rollouts') return ExitCode.usage;
        const { completionLines, fileStoreRoot } = await import('./lib/completion/candidates.js');
        const root = fileStoreRoot(resolveStateUrl(ctx), ctx.cwd);
        if (root) ctx.streams.stdout.write(completionLines(root, Boolean(opts.describe)));
        return ExitCode.ok;
      }),
    );
}

function registerInitCommand(program: Command, action: ActionFactory): void {
  program
    .command('init')
    .description('wizard that writes a commented, valid rollout plan (or SLA policy with --policy); on a terminal it asks, every question has a flag, and with --yes or without a terminal it never asks')
    .option('--out <file>', 'where to write it (default: SERVICE-rollout.yaml, or SERVICE-sla.yaml with --policy)')
    .option('--force', 'replace an existing file', false)
    .option('--sla-policy', 'write an SLA policy (kind SLAPolicy) instead of a rollout plan; `rollgate init --policy` means the same', false)
    .option('--service <name>', 'the service (required when nothing is asked)')
    .addOption(new Option('--traffic <template>', 'how the weight is applied').choices(['exec', 'http', 'nginx', 'envoy', 'http-router', 'feature-flag', 'kubectl']))
    .option('--traffic-exec <command>', 'command that sets the weight, e.g. "./set-weight.sh {{service}} {{weight}}" (argv, no shell)')
    .option('--traffic-http <url>', 'URL of the HTTP request that sets the weight')
    .addOption(new Option('--steps <preset>', 'standard (10/25/50/100), fast (20/100) or blue-green (0→100)').choices(['standard', 'fast', 'blue-green']))
    .option('--gates <list>', 'comma-separated: error-rate, p95-latency, success-rate, baseline (default: error-rate,p95-latency)')
    .option('--approval', 'wait for a person before 100% (default)')
    .option('--no-approval', 'go to 100% without asking anyone')
    .option('--verify', 'after a rollback, verify that stable is healthy (default)')
    .option('--no-verify', 'no verification after a rollback')
    .option('--requests-metric <name>', 'request counter with service, track and code labels (default http_requests_total)')
    .option('--latency-metric <name>', 'latency histogram, without _bucket (default http_request_duration_seconds)')
    .option('--p95-max <seconds>', 'p95 latency threshold: 0.3 or 300ms (default 0.3)')
    .option('--objective <percent>', '--policy: availability objective (default 99.9)')
    .option('--window <window>', '--policy: rolling window (default 30d)')
    .option('--latency-objective <percent>', '--policy: share of 5-minute slices under the p95 threshold (default 99)')
    .addHelpText(
      'after',
      examples('rollgate init', 'rollgate init --service checkout --traffic nginx --steps fast --gates error-rate,baseline --yes', 'rollgate init --policy --service checkout --objective 99.95 --out checkout-sla.yaml --yes'),
    )
    .action(
      action(async (ctx, opts: { out?: string; force: boolean; slaPolicy: boolean; service?: string; traffic?: string; trafficExec?: string; trafficHttp?: string; steps?: string; gates?: string; approval?: boolean; verify?: boolean; requestsMetric?: string; latencyMetric?: string; p95Max?: string; objective?: string; window?: string; latencyObjective?: string }) => {
        const { run } = await import('./commands/init.js');
        return run(ctx, { ...opts, policy: opts.slaPolicy });
      }),
    );
}

function registerRolloutCommands(program: Command, action: ActionFactory): void {
  const rollout = program
    .command('rollout')
    .description('run and steer canary rollouts')
    .addHelpText('after', examples('rollgate rollout run plan.yaml --set version=v2', 'rollgate rollout status checkout --watch', 'rollgate rollout approve checkout --comment "dashboards look fine"'));
  rollout
    .command('run')
    .description('run the canary: shift weight step by step, bake, gate, approve, promote or roll back')
    .argument('<plan>', 'plan file')
    .option('--set <name=value>', 'override a plan var (repeatable)', collect)
    .addOption(new Option('--on-approval <mode>', 'at an approval step: prompt/wait for `rollout approve`, or exit 5 and resume later').choices(['wait', 'exit']).default('wait'))
    .option('--approval-timeout <duration>', 'how long to wait for an approval (default: plan, else 24h)')
    .option('--dry-run', 'evaluate gates but run no action and change no traffic', false)
    .option('--override-freeze', "start even inside a freeze window of the --policy (needs --reason; recorded in the evidence)", false)
    .option('--reason <text>', 'why the freeze is overridden')
    .addHelpText('after', examples('rollgate rollout run plan.yaml', 'CI=1 rollgate rollout run plan.yaml --on-approval exit --json', 'rollgate rollout run plan.yaml --policy org-policy.yaml --override-freeze --reason "hotfix INC-1234"'))
    .action(
      action(async (ctx, file: string, opts: { set?: string[]; onApproval: 'wait' | 'exit'; approvalTimeout?: string; dryRun: boolean; overrideFreeze: boolean; reason?: string }) => {
        const { run } = await import('./commands/rollout-run.js');
        return run(ctx, { file, set: opts.set ?? [], onApproval: opts.onApproval, approvalTimeout: opts.approvalTimeout, dryRun: opts.dryRun, overrideFreeze: opts.overrideFreeze, reason: opts.reason });
      }),
    );
  rollout
    .command('status')
    .description('current and recent rollouts, from the state store')
    .argument('[target]', 'rollout ID or service')
    .option('--watch', 'keep refreshing until the rollout ends', false)
    .addHelpText('after', examples('rollgate rollout status', 'rollgate rollout status checkout --watch', 'rollgate rollout status checkout-20261123t101500-3fa2c1 --json'))
    .action(
      action(async (ctx, target: string | undefined, opts: { watch: boolean }) => {
        const { run } = await import('./commands/rollout-status.js');
        return run(ctx, { target, watch: opts.watch });
      }),
    );
  rollout
    .command('approve')
    .description('approve a rollout paused at an approval step')
    .argument('<id>', 'rollout ID or service')
    .option('--comment <text>', 'why it is approved')
    .addHelpText('after', examples('rollgate rollout approve checkout', 'rollgate rollout approve checkout-20261123t101500-3fa2c1 --comment "dashboards look fine"'))
    .action(
      action(async (ctx, id: string, opts: { comment?: string }) => {
        const { run } = await import('./commands/rollout-approve.js');
        return run(ctx, { target: id, comment: opts.comment });
      }),
    );
  rollout
    .command('resume')
    .description('continue a rollout after a crash, a lost runner, or an approval exit')
    .argument('<id>', 'rollout ID or service')
    .addOption(new Option('--on-approval <mode>', 'at an approval step: wait or exit 5').choices(['wait', 'exit']).default('wait'))
    .option('--approval-timeout <duration>', 'how long to wait for an approval')
    .addHelpText('after', examples('rollgate rollout resume checkout', 'rollgate rollout resume checkout-20261123t101500-3fa2c1 --json'))
    .action(
      action(async (ctx, id: string, opts: { onApproval: 'wait' | 'exit'; approvalTimeout?: string }) => {
        const { run } = await import('./commands/rollout-resume.js');
        return run(ctx, { target: id, onApproval: opts.onApproval, approvalTimeout: opts.approvalTimeout });
      }),
    );

  program
    .command('rollback')
    .description('emergency rollback: the running runner aborts at once and compensates; an orphaned rollout is taken over')
    .argument('<target>', 'rollout ID or service')
    .requiredOption('--reason <text>', 'why (recorded in the evidence)')
    .addOption(new Option('--severity <level>', 'incident severity').choices(['critical', 'major', 'minor']).default('critical'))
    .addHelpText('after', examples('rollgate rollback checkout --reason "5xx spike" --yes', 'rollgate rollback checkout-20261123t101500-3fa2c1 --reason "bad config" --severity major --yes'))
    .action(
      action(async (ctx, target: string, opts: { reason: string; severity: 'critical' | 'major' | 'minor' }) => {
        const { run } = await import('./commands/rollback.js');
        return run(ctx, { target, reason: opts.reason, severity: opts.severity });
      }),
    );

  const evidence = program
    .command('evidence')
    .description('evidence of rollouts: reports and chain verification')
    .addHelpText('after', examples('rollgate evidence verify checkout', 'rollgate evidence report checkout --format html --out rollout.html', 'rollgate evidence report checkout --format junit --out junit/rollout.xml --force'));
  evidence
    .command('verify')
    .description('check the evidence hash chain of a rollout or an exported log')
    .argument('<target>', 'rollout ID, service (its current or newest rollout), or a log file (NDJSON or JSON report)')
    .option('--expect-head <hash>', 'the log must end at this chain head (HASH or SEQ:HASH, e.g. from a report): detects a copy whose tail was cut')
    .addHelpText(
      'after',
      examples(
        'rollgate evidence verify checkout-20261123t101500-3fa2c1',
        'rollgate evidence verify evidence.json --json',
        'rollgate evidence verify evidence.ndjson --expect-head 17:9b74c9897bac770ffc029102a200c5de1f1c2e8c2e1a6b8c6a4bb8e4e0f1a3d2',
      ),
    )
    .action(
      action(async (ctx, target: string, opts: { expectHead?: string }) => {
        const { run } = await import('./commands/evidence-verify.js');
        return run(ctx, { target, expectHead: opts.expectHead });
      }),
    );
  evidence
    .command('report')
    .description('render the evidence of a rollout (or an exported log) as Markdown, self-contained HTML, JSON or JUnit XML; the log is checked as `evidence verify` checks it, and a broken or cut log is reported as such and exits 1')
    .argument('<target>', 'rollout ID, service (its current or newest rollout), or a log file (NDJSON or JSON report)')
    // No commander default: the command must know whether md was asked for or implied (its errors say which).
    .addOption(new Option('--format <format>', 'md (the default: pull requests, tickets), html (one file with charts), json (log + summary), junit (gates as CI test results)').choices(['md', 'html', 'json', 'junit']))
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--force', 'replace an existing --out file', false)
    .addHelpText('after', examples('rollgate evidence report checkout --format md >> "$GITHUB_STEP_SUMMARY"', 'rollgate evidence report checkout-20261123t101500-3fa2c1 --format html --out rollout.html', 'rollgate evidence report checkout-20261123t101500-3fa2c1 --format junit --out junit/rollout.xml --force'))
    .action(
      action(async (ctx, target: string, opts: { format?: string; out?: string; force: boolean }) => {
        const { run } = await import('./commands/evidence-report.js');
        return run(ctx, { target, ...(opts.format !== undefined ? { format: opts.format } : {}), ...(opts.out !== undefined ? { out: opts.out } : {}), force: opts.force });
      }),
    );
}

function renderError(error: unknown, ui: Ui | undefined, io: Required<MainIo>, wantJson: boolean, verbose: boolean): void {
  const kind = error instanceof RollgateError ? error.kind : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof RollgateError ? error.hint : undefined;
  if (wantJson) {
    const doc: Record<string, unknown> = { schemaVersion: 1, error: { kind, message, ...(hint ? { hint } : {}), ...(error instanceof PlanError ? { issues: error.issues } : {}) } };
    io.streams.stdout.write(`${JSON.stringify(doc)}\n`);
  }
  const target = ui ?? createUi({ env: io.env, streams: io.streams, verbose });
  if (error instanceof PlanError) for (const issue of error.issues) target.diagnostic('error', formatPlanIssue(issue));
  else for (const line of message.split('\n')) target.error(line);
  if (hint) target.info(`hint: ${hint}`);
  if (verbose && error instanceof Error && error.stack) io.streams.stderr.write(`${error.stack}\n`);
  else if (!(error instanceof RollgateError)) target.info('run again with --verbose for the stack trace');
}

/**
 * `rollgate init --policy` (the contract's spelling) asks for an SLA policy, while the global
 * `--policy FILE` names a RolloutPolicy to enforce and would take the next word as its file. A
 * RolloutPolicy means nothing to init, so there the flag is read as init's own --sla-policy.
 */
function initPolicyFlag(argv: string[]): string[] {
  const takesValue = new Set(['--state', '--prometheus', '--policy']);
  const command = argv.findIndex((arg, index) => !arg.startsWith('-') && !(index > 0 && takesValue.has(argv[index - 1]!)));
  if (command < 0 || argv[command] !== 'init') return argv;
  return argv.map((arg, index) => (index > command && arg === '--policy' ? '--sla-policy' : arg));
}

/** `rollgate rollout run --help`: the help of the deepest command named in argv. */
function helpFor(program: Command, argv: string[]): string {
  const path: string[] = [];
  let command: Command = program;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const sub = command.commands.find((c) => c.name() === word);
    if (!sub) break;
    path.push(word);
    command = sub;
  }
  return ['rollgate', ...path, '--help'].join(' ');
}

/** Runs the CLI and returns the exit code; never calls process.exit. */
export async function main(argv: string[], ioIn: MainIo = {}): Promise<number> {
  const io: Required<MainIo> = {
    streams: ioIn.streams ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    env: ioIn.env ?? process.env,
    cwd: ioIn.cwd ?? process.cwd(),
  };
  // `--version --json`: one JSON document, like every other --json answer (commander prints plain text).
  if (argv.includes('--json') && (argv.includes('--version') || argv.includes('-V')) && argv.every((arg) => arg.startsWith('-'))) {
    io.streams.stdout.write(`${JSON.stringify({ schemaVersion: 1, version: TOOL_VERSION, node: process.versions.node })}\n`);
    return ExitCode.ok;
  }
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(initPolicyFlag(argv), { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError || isCommanderError(error)) {
      // commander already printed its message (or the help/version text).
      const exit = exitCodeFor(error);
      const commanderCode = (error as { code: string }).code;
      if (exit !== ExitCode.ok && commanderCode !== 'commander.help' && commanderCode !== 'commander.helpDisplayed') io.streams.stderr.write(`hint: run ${helpFor(program, argv)} for usage\n`);
      if (exit !== ExitCode.ok && argv.includes('--json')) io.streams.stdout.write(`${JSON.stringify({ schemaVersion: 1, error: { kind: 'usage', message: (error as { message: string }).message } })}\n`);
      return exit;
    }
    const opts = program.opts<GlobalOptions>();
    renderError(error, undefined, io, Boolean(opts.json), Boolean(opts.verbose));
    return exitCodeFor(error);
  }
}
