import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runAction } from '../../../src/lib/actions/run-action.js';
import type { ActionSpec } from '../../../src/lib/plan/types.js';

const scripts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/scripts');
const printArgv = path.join(scripts, 'print-argv.mjs');
const node = process.execPath;
const work = mkdtempSync(path.join(tmpdir(), 'rollgate-exec-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function exec(argv: string[], extra: Partial<ActionSpec> = {}): ActionSpec {
  return { exec: argv, timeoutMs: 10_000, retries: 0, ...extra };
}

function readProcState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
}

/** Running, not a zombie: in containers PID 1 does not always reap orphans, which then stay as zombies. */
function isAlive(pid: number): boolean {
  if (/^\d+ \([^)]*\) Z/.test(readProcState(pid))) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('exec action', () => {
  it('runs the argv, captures both streams and the exit code', async () => {
    const result = await runAction(exec([node, '-e', 'console.log("out {{who}}"); console.error("err")', '{{who}}']), { who: 'x' });
    expect(result).toMatchObject({ ok: true, kind: 'exec', exitCode: 0, stdout: 'out x', stderr: 'err', attempts: 1, timedOut: false });
    expect(result.command).toEqual([node, '-e', 'console.log("out x"); console.error("err")', 'x']);
    expect(result.error).toBeUndefined();
  });

  it('appends the weight with the set-weight.sh fixture', async () => {
    const statefile = path.join(work, 'checkout.weights');
    const spec = exec([path.join(scripts, 'set-weight.sh'), '{{service}}', '{{weight}}', statefile]);
    expect((await runAction(spec, { service: 'checkout', weight: '10' })).ok).toBe(true);
    expect((await runAction(spec, { service: 'checkout', weight: '25' })).ok).toBe(true);
    expect(readFileSync(statefile, 'utf8')).toBe('10\n25\n');
  });

  it('reports a non-zero exit with the first line of stderr', async () => {
    const result = await runAction(exec([node, '-e', 'console.error("router said no\\nsecond line"); process.exit(3)']), {});
    expect(result).toMatchObject({ ok: false, exitCode: 3, attempts: 1, timedOut: false });
    expect(result.error).toBe('exited with code 3: router said no');
    expect(result.stderr).toBe('router said no\nsecond line');
  });

  it('retries a failing command and succeeds on the third attempt', async () => {
    const counter = path.join(work, `counter-${randomUUID()}`);
    const result = await runAction(exec([path.join(scripts, 'fail-times.sh'), counter, '2'], { retries: 2 }), {}, { retryDelayMs: 10 });
    expect(result).toMatchObject({ ok: true, exitCode: 0, attempts: 3, stdout: 'attempt 3: ok' });
    expect(readFileSync(counter, 'utf8').trim()).toBe('3');
  });

  it('gives up when retries are exhausted, reporting the last attempt', async () => {
    const counter = path.join(work, `counter-${randomUUID()}`);
    const result = await runAction(exec([path.join(scripts, 'fail-times.sh'), counter, '5'], { retries: 1 }), {}, { retryDelayMs: 10 });
    expect(result).toMatchObject({ ok: false, exitCode: 1, attempts: 2, stderr: 'attempt 2: failing on purpose' });
    expect(result.error).toContain('after 2 attempts');
  });

  it('kills a hanging command at its timeout and reports timedOut', async () => {
    const started = Date.now();
    const result = await runAction(exec(['sleep', '30'], { timeoutMs: 300 }), {});
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, timedOut: true, signal: 'SIGTERM', attempts: 1 });
    expect(result.error).toMatch(/timed out after 300 ms/);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('kills the whole process group, SIGKILLing what ignores SIGTERM', async () => {
    const pidfile = path.join(work, `child-${randomUUID()}`);
    const started = Date.now();
    const result = await runAction(exec([path.join(scripts, 'ignore-sigterm.sh'), pidfile], { timeoutMs: 400 }), {}, { killGraceMs: 300 });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, timedOut: true, stdout: 'ready' });
    expect(elapsed).toBeLessThan(2_500);
    const childPid = Number(readFileSync(pidfile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isAlive(childPid), readProcState(childPid)).toBe(false);
  });

  it('retries after a timeout', async () => {
    const result = await runAction(exec(['sleep', '30'], { timeoutMs: 150, retries: 1 }), {}, { retryDelayMs: 10 });
    expect(result).toMatchObject({ ok: false, timedOut: true, attempts: 2 });
  });

  it('stops at once when the AbortSignal fires, without further attempts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('emergency rollback requested')), 200);
    const started = Date.now();
    const result = await runAction(exec(['sleep', '30'], { retries: 3 }), {}, { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result).toMatchObject({ ok: false, attempts: 1, timedOut: false });
    expect(result.error).toBe('aborted: emergency rollback requested');
  });

  it('does not start when already aborted', async () => {
    const result = await runAction(exec(['true']), {}, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, attempts: 0 });
    expect(result.error).toMatch(/^aborted/);
  });

  it('closes stdin so a command waiting for input ends at once', async () => {
    const result = await runAction(exec(['cat'], { timeoutMs: 2_000 }), {});
    expect(result).toMatchObject({ ok: true, exitCode: 0, stdout: '', timedOut: false });
  });

  it('reports a missing program without retrying', async () => {
    const result = await runAction(exec(['./no-such-program-here', 'x'], { retries: 3 }), {}, { cwd: work, retryDelayMs: 10 });
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result.error).toMatch(/could not start the command.*ENOENT/);
  });

  it('fails without running anything on an unknown placeholder', async () => {
    const marker = path.join(work, `ran-${randomUUID()}`);
    const result = await runAction(exec(['touch', marker, '{{nope}}']), {});
    expect(result).toMatchObject({ ok: false, attempts: 0, kind: 'exec' });
    expect(result.error).toBe('exec argument 2: unknown placeholder: {{nope}}; nothing was run');
    expect(existsSync(marker)).toBe(false);
  });

  it('passes the cwd and extra env to the child', async () => {
    const result = await runAction(exec([node, '-e', 'console.log(process.cwd(), process.env.ROLLGATE_TEST_VALUE)']), {}, { cwd: work, env: { ROLLGATE_TEST_VALUE: 'v1' } });
    expect(result.stdout).toBe(`${work} v1`);
  });

  it('truncates large output with a marker', async () => {
    const result = await runAction(exec([node, '-e', 'process.stdout.write("a".repeat(100000) + "END")']), {});
    expect(result.ok).toBe(true);
    expect(result.stdout.length).toBeLessThan(9_000);
    expect(result.stdout.startsWith('aaaa')).toBe(true);
    expect(result.stdout.endsWith('aaEND')).toBe(true);
    expect(result.stdout).toContain('bytes not captured');
  });

  it('redacts secrets from argv, output and error', async () => {
    const secret = 's3cr3t-t0ken-value';
    const result = await runAction(
      exec([node, '-e', 'console.log("token=" + process.argv[1]); console.error(process.argv[1]); process.exit(1)', '{{token}}']),
      { token: secret },
      { secrets: [secret] },
    );
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(result.stdout).toBe('token=***');
  });
});

describe('exec action with hostile vars', () => {
  const pwned = path.join(tmpdir(), `pwned-${randomUUID()}`);
  const hostile: Record<string, string> = {
    dq: 'say "hello" "',
    sq: "it's 'quoted'",
    subst: `$(touch ${pwned})`,
    backticks: `\`touch ${pwned}\``,
    semi: `x; touch ${pwned}; rm -rf /nonexistent-${randomUUID()}`,
    newline: `line1\ntouch ${pwned}\nline3`,
    and: `ok && touch ${pwned} || touch ${pwned}`,
    glob: '* ?.ts ~ $HOME ${PATH}',
    pipe: `| touch ${pwned} > /tmp/x < /etc/passwd`,
  };
  const names = Object.keys(hostile);

  it('passes every value verbatim as one argv element and never reaches a shell', async () => {
    const result = await runAction(exec([node, printArgv, ...names.map((n) => `{{${n}}}`)]), hostile);
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.stdout)).toEqual(names.map((n) => hostile[n]));
    expect(result.command.slice(2)).toEqual(names.map((n) => hostile[n]));
    expect(existsSync(pwned)).toBe(false);
  });

  it('keeps a value embedded in a larger argument inside that one argument', async () => {
    const result = await runAction(exec([node, printArgv, '--weight={{v}}', 'pre{{v}}post']), { v: `1 "; touch ${pwned}` });
    expect(JSON.parse(result.stdout)).toEqual([`--weight=1 "; touch ${pwned}`, `pre1 "; touch ${pwned}post`]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('does not substitute placeholders that appear inside a value', async () => {
    const result = await runAction(exec([node, printArgv, '{{a}}']), { a: '{{b}}', b: 'expanded' });
    expect(JSON.parse(result.stdout)).toEqual(['{{b}}']);
  });

  it('hands hostile values to a shell script as data ($1, $2), even via set-weight.sh', async () => {
    const statefile = path.join(work, `hostile-${randomUUID()}`);
    writeFileSync(statefile, '');
    const result = await runAction(exec([path.join(scripts, 'set-weight.sh'), '{{service}}', '{{weight}}', statefile]), {
      service: `svc; touch ${pwned}`,
      weight: `$(touch ${pwned})`,
    });
    expect(result).toMatchObject({ ok: false, exitCode: 2 });
    expect(existsSync(pwned)).toBe(false);
    expect(readFileSync(statefile, 'utf8')).toBe('');
  });
});
