/**
 * Start-up benchmark: how long a person or a CI step waits for the quick commands, against the
 * Go-binary floor for the same kind of work.
 *
 *   rollgate --version                                       (node bin/rollgate, built dist/)
 *   rollgate plan validate playbooks/canary-standard.yaml    (read YAML, schema + semantics, parse 4 PromQL expressions)
 *   promtool check rules bench/fixtures/canary-rules.yaml    (the floor: read YAML, check structure, parse the same PromQL)
 *
 * For context (not judged): `node -e 0` (the runtime's own start-up, which rollgate cannot go
 * below) and `promtool --version`.
 *
 * Prints one JSON line per comparison: {"bench":"startup.version",...} and {"bench":"startup.validate",...}.
 * Limits: NODE_LIMITS below (the promtool comparison is context, not judged) and bench/README.md.
 */
import { join } from 'node:path';
import { BIN, ROOT, emit, log, median, onPath, round, timeRuns } from './support.mjs';

const RUNS = Number(process.env.ROLLGATE_BENCH_STARTUP_RUNS ?? 20);

/**
 * Issue 11's targets against Node's own start-up (`node -e 0`, measured in the same run): the part
 * of each call that is rollgate's. These are the judged limits. The comparison with promtool is
 * printed for context only: Node's own start-up is 2–2.5× promtool's whole `check rules` on this
 * machine (54 ms against 22 ms idle), so a ratio to promtool measures Node more than rollgate.
 * Measured (idle machine, one CommonJS bundle with the build's V8 code cache, see
 * scripts/bundle.mjs): --version 1.1–1.15× (answered before the CLI loads), plan validate
 * 1.9–2.05×. Before: ~200 ESM files 3.4–3.7× for validate, ESM chunks 2.9×.
 */
export const NODE_LIMITS = { version: 1.3, validate: 2 };

const PLAYBOOK = join(ROOT, 'playbooks', 'canary-standard.yaml');
const RULES = join(ROOT, 'bench', 'fixtures', 'canary-rules.yaml');

async function main() {
  if (!onPath('promtool')) {
    for (const name of ['version', 'validate']) emit({ bench: `startup.${name}`, skipped: 'promtool not on PATH' });
    return;
  }
  const commands = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'promtool --version', argv: ['promtool', '--version'] },
    { name: 'promtool check rules', argv: ['promtool', 'check', 'rules', RULES] },
    { name: 'rollgate --version', argv: [process.execPath, BIN, '--version'] },
    { name: 'rollgate plan validate', argv: [process.execPath, BIN, 'plan', 'validate', PLAYBOOK] },
  ];
  log(`startup: ${RUNS} runs of each of ${commands.length} commands, interleaved`);
  const { tool, results } = await timeRuns(commands, { runs: RUNS, warmup: 3 });
  const med = Object.fromEntries(Object.entries(results).map(([name, times]) => [name, median(times)]));
  for (const [name, ms] of Object.entries(med)) log(`  ${name.padEnd(24)} median ${ms.toFixed(1)} ms  (min ${Math.min(...results[name]).toFixed(1)}, max ${Math.max(...results[name]).toFixed(1)})`);

  const floor = med['promtool check rules'];
  const context = { nodeStartupMs: round(med['node -e 0'], 1), promtoolVersionMs: round(med['promtool --version'], 1) };
  for (const [name, label] of [
    ['version', 'rollgate --version'],
    ['validate', 'rollgate plan validate'],
  ]) {
    const ratio = med[label] / floor;
    emit({
      bench: `startup.${name}`,
      what: `${label === 'rollgate --version' ? 'rollgate --version' : 'rollgate plan validate playbooks/canary-standard.yaml'} vs promtool check rules (similar-size rules file)`,
      measuredMs: round(med[label], 1),
      floorMs: round(floor, 1),
      floor: 'promtool check rules bench/fixtures/canary-rules.yaml',
      ratio: round(ratio),
      judged: false,
      runs: RUNS,
      tool,
      ...context,
    });
  }
  for (const [name, label] of [
    ['version', 'rollgate --version'],
    ['validate', 'rollgate plan validate'],
  ]) {
    const ratio = med[label] / med['node -e 0'];
    emit({
      bench: `startup.${name}-vs-node`,
      what: `${label} vs node -e 0 (the runtime's own start-up)`,
      measuredMs: round(med[label], 1),
      floorMs: round(med['node -e 0'], 1),
      floor: 'node -e 0',
      ratio: round(ratio),
      maxRatio: NODE_LIMITS[name],
      ok: ratio <= NODE_LIMITS[name],
      runs: RUNS,
      tool,
    });
  }
}

main().catch((error) => {
  log(`startup: ${error.stack ?? error}`);
  process.exitCode = 2;
});
