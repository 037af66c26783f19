import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createUi, decideMode, fitLiveLine, plainTable, stripAnsi as stripAnsiForTest, truncateToWidth, type UiStreams } from '../../../src/lib/ui/ui.js';

function streams(tty: boolean): UiStreams & { text(): { out: string; err: string } } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin, text: () => ({ out, err }) };
}

const ESC = String.fromCharCode(27);

describe('decideMode', () => {
  const cases: Array<[string, { tty: boolean; env: NodeJS.ProcessEnv; json?: boolean; color?: boolean }, { mode: string; color: boolean; canPrompt: boolean }]> = [
    ['terminal', { tty: true, env: {} }, { mode: 'tty', color: true, canPrompt: true }],
    ['piped', { tty: false, env: {} }, { mode: 'plain', color: false, canPrompt: false }],
    ['CI on a terminal', { tty: true, env: { CI: 'true' } }, { mode: 'plain', color: false, canPrompt: false }],
    // NO_COLOR and --no-color only remove colour: the terminal keeps its live line and tables.
    ['NO_COLOR on a terminal', { tty: true, env: { NO_COLOR: '1' } }, { mode: 'tty', color: false, canPrompt: true }],
    ['--no-color', { tty: true, env: {}, color: false }, { mode: 'tty', color: false, canPrompt: true }],
    ['--json', { tty: true, env: {}, json: true }, { mode: 'json', color: false, canPrompt: false }],
    ['FORCE_COLOR piped', { tty: false, env: { FORCE_COLOR: '1' } }, { mode: 'plain', color: true, canPrompt: false }],
    ['FORCE_COLOR with NO_COLOR', { tty: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }, { mode: 'plain', color: false, canPrompt: false }],
    ['CI=0 is not CI', { tty: true, env: { CI: '0' } }, { mode: 'tty', color: true, canPrompt: true }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const s = streams(input.tty);
    expect(decideMode({ json: input.json, color: input.color }, s, input.env)).toEqual(expected);
  });
});

describe('Ui output', () => {
  it('plain mode: timestamped lines on stderr, no escapes, data on stdout', () => {
    const s = streams(false);
    const ui = createUi({ streams: s, env: {}, now: () => new Date('2026-11-23T10:00:00.000Z') });
    ui.info(ui.paint.red('hello'));
    ui.warn('careful');
    ui.out(ui.paint.green('data'));
    const { out, err } = s.text();
    expect(err).toBe('2026-11-23T10:00:00.000Z info  hello\n2026-11-23T10:00:00.000Z warn  careful\n');
    expect(out).toBe('data\n');
    expect(out + err).not.toContain(ESC);
  });

  it('tty mode: colour escapes and symbols', () => {
    const s = streams(true);
    const ui = createUi({ streams: s, env: {} });
    ui.error('broken');
    ui.out(ui.paint.green('ok'));
    expect(s.text().err).toContain(ESC);
    expect(s.text().out).toContain(`${ESC}[32m`);
    // Borderless: a bold header, aligned columns, no box.
    expect(ui.table(['a', 'b'], [[1, 2]])).toBe(`${ESC}[1ma${ESC}[22m  ${ESC}[1mb${ESC}[22m\n1  2`);
  });

  it('json mode: one document with schemaVersion first', () => {
    const s = streams(true);
    const ui = createUi({ streams: s, env: {}, json: true });
    ui.json({ verdict: 'pass' });
    expect(s.text().out).toBe('{"schemaVersion":1,"verdict":"pass"}\n');
  });

  it('quiet drops info but keeps warnings; debug needs verbose', () => {
    const s = streams(false);
    const ui = createUi({ streams: s, env: {}, quiet: true });
    ui.info('chatter');
    ui.debug('detail');
    ui.warn('important');
    expect(s.text().err).not.toContain('chatter');
    expect(s.text().err).toContain('important');
  });

  it('confirm without a person: --yes answers, otherwise a usage error naming --yes', async () => {
    const s = streams(false);
    await expect(createUi({ streams: s, env: {} }).confirm('Roll back?')).rejects.toThrow(/no one can answer/);
    await expect(createUi({ streams: s, env: {} }).confirm('Roll back?')).rejects.toMatchObject({ hint: 'pass --yes to confirm in a non-interactive run' });
    await expect(createUi({ streams: s, env: {}, yes: true }).confirm('Roll back?')).resolves.toBe(true);
  });

  it('tables fit the terminal: the widest column gives way and its cells wrap', () => {
    const s = Object.assign(streams(true), {});
    (s.stdout as { columns?: number }).columns = 40;
    (s.stderr as { columns?: number }).columns = 40;
    const ui = createUi({ streams: s, env: {}, color: false });
    const table = ui.table(['rollout', 'status'], [['checkout-20261201t100000-aaaaaa', 'rolled back from 25% to 0%: gate error-rate failed']]);
    const lines = table.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[0]).toMatch(/^rollout\s+status$/);
    expect(lines[1]).toMatch(/^checkout-20261201t100000-aaaaaa  rolled$/);
    expect(lines.slice(1).map((l) => l.slice(33)).join('').replace(/\s/g, '')).toBe('rolled back from 25% to 0%: gate error-rate failed'.replace(/\s/g, ''));
    // The ID column never wraps while the prose column can give way.
    expect(lines.slice(2).every((l) => l.startsWith(' '.repeat(33)))).toBe(true);
    expect(table).not.toContain(ESC);
    // Piped: full width, one line per row.
    expect(plainTable(['rollout', 'status'], [['a', 'x '.repeat(60).trim()]]).split('\n')).toHaveLength(2);
  });

  it('diagnostics stay first on their line when piped; other lines are timestamped', () => {
    const s = streams(false);
    const ui = createUi({ streams: s, env: {}, now: () => new Date('2026-11-23T10:00:00.000Z') });
    ui.error('plan.yaml:14:7: steps[2].weight: 140 is above 100');
    ui.error('something else');
    ui.warn('plan.yaml:3:1: gates[0].for: 5m is longer than the bake');
    expect(s.text().err).toBe('plan.yaml:14:7: steps[2].weight: 140 is above 100\n2026-11-23T10:00:00.000Z error something else\n2026-11-23T10:00:00.000Z warn  plan.yaml:3:1: gates[0].for: 5m is longer than the bake\n');
  });

  it('diagnostic(): plain and json modes print it first on its line, no timestamp, no colour; a terminal styles it', () => {
    for (const json of [false, true]) {
      const s = streams(false);
      const ui = createUi({ streams: s, env: { CI: '1' }, json, now: () => new Date('2026-11-23T10:00:00.000Z') });
      ui.diagnostic('warn', 'plan.yaml:20:11: warning: steps[0].bake: the 10s bake is shorter than the analysis interval (30s)');
      ui.diagnostic('error', 'nope.yaml: no such file');
      expect(s.text().err).toBe('plan.yaml:20:11: warning: steps[0].bake: the 10s bake is shorter than the analysis interval (30s)\nnope.yaml: no such file\n');
      expect(s.text().out).toBe('');
    }
    const t = streams(true);
    const tty = createUi({ streams: t, env: {} });
    tty.diagnostic('warn', 'plan.yaml: warning: --set verison=...: the plan uses no var "verison"');
    tty.diagnostic('error', 'nope.yaml: no such file');
    expect(t.text().err).toBe(`${ESC}[33m⚠${ESC}[39m plan.yaml: warning: --set verison=...: the plan uses no var "verison"\n${ESC}[31m✖${ESC}[39m nope.yaml: no such file\n`);
  });

  it('fitLiveLine: ora measures the live line (its coloured symbol included) as one row, escapes counted, at 80 columns and more', async () => {
    // The string-width ora itself uses (its own dependency, newer than the one at the top level).
    const oraDir = join(import.meta.dirname, '../../../node_modules/ora');
    const nested = join(oraDir, 'node_modules/string-width/index.js');
    const { default: stringWidth } = (await import(pathToFileURL(existsSync(nested) ? nested : join(oraDir, '../string-width/index.js')).href)) as { default: (text: string, options: { countAnsiEscapeCodes: boolean }) => number };
    expect(stringWidth(`${ESC}[32m✔${ESC}[39m`, { countAnsiEscapeCodes: true })).toBeGreaterThan(1);
    const mark = `${ESC}[32m✔${ESC}[39m`;
    const line = `step 1/4 · canary 10% · bake 4s left · error-rate 0 (<= 0.05) ${mark}  p95-latency 0.0425 (<= 0.25) ${mark}  stable 0 (<= 0.05) ${mark}`;
    for (const columns of [40, 80, 100, 120]) {
      for (const color of [true, false]) {
        const fitted = fitLiveLine(color ? line : stripAnsiForTest(line), columns, color);
        const frame = color ? `${ESC}[36m⠙${ESC}[39m` : '⠙';
        expect(stringWidth(`${frame} ${fitted}`, { countAnsiEscapeCodes: true }), `${columns} ${color}`).toBeLessThanOrEqual(columns);
        expect(stripAnsiForTest(fitted).startsWith('step 1/4 · canary 10%')).toBe(true);
      }
    }
    // A line that fits is left alone.
    expect(fitLiveLine('step 1/4 · canary 10%', 80, true)).toBe('step 1/4 · canary 10%');
  });

  it('truncateToWidth keeps colour escapes whole', () => {
    expect(truncateToWidth('abcdef', 4)).toBe('abc…');
    expect(truncateToWidth('abc', 4)).toBe('abc');
    expect(stripAnsiForTest(truncateToWidth(`${ESC}[32mabcdef${ESC}[39m`, 4))).toBe('abc…');
  });

  it('plain table aligns columns', () => {
    expect(plainTable(['name', 'v'], [['error-rate', 0.5], ['p95', 1]])).toBe('name        v\nerror-rate  0.5\np95         1');
  });
});
