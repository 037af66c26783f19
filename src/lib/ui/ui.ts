/**
 * The Ui is the only code that imports chalk, ora, @inquirer/prompts and cli-table3.
 * Library code never prints: commands render results and events through a Ui.
 *
 * Three modes:
 * - tty:   stdout and stderr are terminals, not CI, colour allowed → colours, spinners, tables, prompts.
 * - plain: anything else (piped, CI=1) → no ANSI escape at all, no spinner, one timestamped line
 *          per event on stderr (a `file:line:col:` diagnostic first on its line), never a prompt.
 * NO_COLOR and --no-color only remove colour, in either mode.
 * - json:  --json → exactly one JSON document (or NDJSON for streams) on stdout; logs on stderr as in plain.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { UsageError } from '../errors.js';

export type UiMode = 'tty' | 'plain' | 'json';
export type LogLevel = 'debug' | 'info' | 'success' | 'warn' | 'error';

export interface UiStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface UiOptions {
  json?: boolean;
  /** false for --no-color */
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  yes?: boolean;
  env?: NodeJS.ProcessEnv;
  streams?: UiStreams;
  /** Injected clock for timestamped lines (tests). */
  now?: () => Date;
}

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  /** checkbox: ticked at first */
  checked?: boolean;
}

export interface InputOptions {
  default?: string;
  /** true, or what is wrong with the answer (shown under the prompt; the question is asked again). */
  validate?: (value: string) => true | string;
}

export interface Ui {
  readonly mode: UiMode;
  /** Colour escapes allowed (tty mode, or FORCE_COLOR). */
  readonly color: boolean;
  /** A person can answer a prompt: stdin and stdout are terminals, not CI, not --json. */
  readonly canPrompt: boolean;
  readonly yes: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly paint: ChalkInstance;
  /** Data for stdout (tables, reports). Not used in json mode. */
  out(text: string): void;
  /** One JSON document on stdout; `schemaVersion: 1` is put first. */
  json(doc: object): void;
  /** A progress/log line on stderr. */
  log(level: LogLevel, message: string): void;
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /**
   * A compiler-style diagnostic on stderr (`plan.yaml:14:7: ...`, `plan.yaml:9:5: warning: ...`,
   * `nope.yaml: no such file`): first on its line in plain mode, no timestamp, as promtool and tsc
   * print them, so editors' quickfix lists and CI problem matchers find it; styled on a terminal.
   */
  diagnostic(level: 'error' | 'warn', message: string): void;
  spinner(text: string): Promise<Spinner>;
  table(head: string[], rows: Array<Array<string | number>>): string;
  /** Asks yes/no. Without a person to ask: `--yes` answers yes, otherwise a UsageError. */
  confirm(message: string, options?: { default?: boolean }): Promise<boolean>;
  /** Asks to pick one. Only when canPrompt; callers decide what to do otherwise. */
  /** `signal` withdraws the question (the answer came from elsewhere): the prompt is cleared and the promise rejects. */
  select<T>(message: string, choices: Array<Choice<T>>, options?: { default?: T; signal?: AbortSignal }): Promise<T>;
  /** Asks for a line of text. Only when canPrompt. */
  input(message: string, options?: InputOptions): Promise<string>;
  /** Asks to tick any of several choices. Only when canPrompt. */
  checkbox<T>(message: string, choices: Array<Choice<T>>, options?: { required?: boolean }): Promise<T[]>;
}

const ESC = String.fromCharCode(27);
const ANSI_RE = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/** Removes colour escapes; used where text built with colours must go to a plain stream. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Decides the mode from flags, environment and streams. Exported for tests. */
export function decideMode(options: UiOptions, streams: UiStreams, env: NodeJS.ProcessEnv): { mode: UiMode; color: boolean; canPrompt: boolean } {
  const ci = envFlag(env.CI);
  // NO_COLOR: any non-empty value disables colour (https://no-color.org).
  const noColor = options.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  const terminals = Boolean(streams.stdout.isTTY) && Boolean(streams.stderr.isTTY);
  // --no-color and NO_COLOR remove colour only: a terminal keeps its live line, tables and prompts.
  const mode: UiMode = options.json ? 'json' : terminals && !ci ? 'tty' : 'plain';
  const forceColor = envFlag(env.FORCE_COLOR) && !noColor;
  const color = !options.json && ((mode === 'tty' && !noColor) || forceColor);
  const canPrompt = Boolean(streams.stdin.isTTY) && Boolean(streams.stdout.isTTY) && !ci && !options.json;
  return { mode, color, canPrompt };
}

/** A compiler-style diagnostic: `path:line:col: message`. */
const DIAGNOSTIC_RE = /^[^\s:][^\s]*?:\d+:\d+: /;

const LEVEL_WORD: Record<LogLevel, string> = { debug: 'debug', info: 'info', success: 'ok', warn: 'warn', error: 'error' };

class TerminalUi implements Ui {
  readonly mode: UiMode;
  readonly color: boolean;
  readonly canPrompt: boolean;
  readonly yes: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly paint: ChalkInstance;
  private readonly streams: UiStreams;
  private readonly now: () => Date;
  private activeSpinner: { clear(): void; render(): void; start(): unknown; stop(): unknown; isSpinning: boolean } | undefined;

  /** The terminal's width (stderr first: the live line and logs go there), or undefined when not a terminal. */
  get columns(): number | undefined {
    const width = (this.streams.stderr as { columns?: number }).columns ?? this.streams.stdout.columns;
    return this.mode === 'tty' && width && width > 0 ? width : undefined;
  }

  constructor(options: UiOptions) {
    this.streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
    const env = options.env ?? process.env;
    const decided = decideMode(options, this.streams, env);
    this.mode = decided.mode;
    this.color = decided.color;
    this.canPrompt = decided.canPrompt;
    this.yes = Boolean(options.yes);
    this.verbose = Boolean(options.verbose);
    this.quiet = Boolean(options.quiet);
    this.paint = new Chalk({ level: this.color ? 1 : 0 });
    this.now = options.now ?? (() => new Date());
  }

  out(text: string): void {
    this.streams.stdout.write(this.color ? `${text}\n` : `${stripAnsi(text)}\n`);
  }

  json(doc: object): void {
    this.streams.stdout.write(`${JSON.stringify({ schemaVersion: 1, ...doc })}\n`);
  }

  log(level: LogLevel, message: string): void {
    if (level === 'debug' && !this.verbose) return;
    if (this.quiet && (level === 'info' || level === 'success' || level === 'debug')) return;
    let line: string;
    if (this.mode === 'tty') {
      const p = this.paint;
      const symbol = { debug: p.dim('·'), info: p.cyan('ℹ'), success: p.green('✔'), warn: p.yellow('⚠'), error: p.red('✖') }[level];
      line = `${symbol} ${level === 'debug' ? p.dim(message) : message}`;
    } else if (level === 'error' && DIAGNOSTIC_RE.test(stripAnsi(message))) {
      // An error at `file:line:col: ...` stays first on its line, as promtool and tsc print it, so
      // editors' quickfix lists and CI problem matchers find it.
      line = this.color ? message : stripAnsi(message);
    } else {
      line = `${this.now().toISOString()} ${LEVEL_WORD[level].padEnd(5)} ${this.color ? message : stripAnsi(message)}`;
    }
    this.write(line);
  }

  /** One line on stderr, keeping a running spinner intact: clear it, print the line, draw it again. */
  private write(line: string): void {
    const spinning = this.activeSpinner?.isSpinning === true;
    if (spinning) this.activeSpinner!.clear();
    this.streams.stderr.write(`${line}\n`);
    if (spinning) this.activeSpinner!.render();
  }

  info(message: string): void {
    this.log('info', message);
  }
  success(message: string): void {
    this.log('success', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
  debug(message: string): void {
    this.log('debug', message);
  }
  diagnostic(level: 'error' | 'warn', message: string): void {
    if (this.mode === 'tty') {
      this.log(level, message);
      return;
    }
    this.write(this.color ? message : stripAnsi(message));
  }

  async spinner(text: string): Promise<Spinner> {
    // ora needs the terminal's width to clear its line; a terminal reporting none gets plain lines.
    const columns = (this.streams.stderr as { columns?: number }).columns;
    if (this.mode !== 'tty' || this.quiet || !columns) {
      // Plain mode: the start is one line; updates are not repeated (they would flood CI logs).
      this.info(text);
      return {
        update: () => undefined,
        succeed: (done) => this.success(done ?? text),
        fail: (done) => this.error(done ?? text),
        stop: () => undefined,
      };
    }
    const { default: ora } = await import('ora');
    // The live line must fit on one terminal row: a wrapped line makes each redraw erase one
    // line of the log above it (ora clears as many rows as it drew). ora counts a line's colour
    // escapes as width too (string-width with countAnsiEscapeCodes), its own coloured symbol
    // included, so the budget is for the raw text: coloured gate marks cost room, not log lines.
    const fit = (line: string): string => fitLiveLine(line, (this.streams.stderr as { columns?: number }).columns ?? columns, this.color);
    const spinner = ora({ text: fit(text), stream: this.streams.stderr as NodeJS.WritableStream & { isTTY: boolean }, isEnabled: true, color: this.color ? 'cyan' : false }).start();
    this.activeSpinner = spinner;
    const end = (): void => {
      if (this.activeSpinner === spinner) this.activeSpinner = undefined;
    };
    return {
      update: (next) => {
        spinner.text = fit(next);
      },
      // Our own symbols through our paint: ora's would ignore NO_COLOR.
      succeed: (done) => {
        spinner.stopAndPersist({ symbol: this.paint.green('✔'), text: done ?? spinner.text });
        end();
      },
      fail: (done) => {
        spinner.stopAndPersist({ symbol: this.paint.red('✖'), text: done ?? spinner.text });
        end();
      },
      stop: () => {
        spinner.stop();
        end();
      },
    };
  }

  table(head: string[], rows: Array<Array<string | number>>): string {
    // Borderless aligned columns (like kubectl and gh); on a terminal fitted to its width, wide
    // cells wrapped; piped, full width so grep and cut see whole values.
    return alignedTable(head, rows, { ...(this.columns ? { width: this.columns } : {}), ...(this.mode === 'tty' ? { header: (h: string) => this.paint.bold(h) } : {}) });
  }

  async confirm(message: string, options: { default?: boolean } = {}): Promise<boolean> {
    if (this.yes) return true;
    if (!this.canPrompt) throw new UsageError(`${message} — no one can answer here`, 'pass --yes to confirm in a non-interactive run');
    const { confirm } = await import('@inquirer/prompts');
    return this.withSpinnerPaused(() => confirm({ message, default: options.default ?? false }, this.promptContext()));
  }

  async select<T>(message: string, choices: Array<Choice<T>>, options: { default?: T; signal?: AbortSignal } = {}): Promise<T> {
    if (!this.canPrompt) throw new UsageError(`${message} — no one can answer here`);
    const { select } = await import('@inquirer/prompts');
    const plain = choices.map(({ checked: _checked, ...choice }) => choice);
    const context = { ...this.promptContext(), ...(options.signal ? { signal: options.signal, clearPromptOnDone: true } : {}) };
    return this.withSpinnerPaused(() => select<T>({ message, choices: plain, ...(options.default !== undefined ? { default: options.default } : {}) }, context));
  }

  async input(message: string, options: InputOptions = {}): Promise<string> {
    if (!this.canPrompt) throw new UsageError(`${message} — no one can answer here`);
    const { input } = await import('@inquirer/prompts');
    const validate = options.validate;
    return this.withSpinnerPaused(() =>
      input({ message, ...(options.default !== undefined ? { default: options.default } : {}), ...(validate ? { validate: (value: string) => validate(value.trim()) } : {}) }, this.promptContext()),
    ).then((answer) => answer.trim());
  }

  async checkbox<T>(message: string, choices: Array<Choice<T>>, options: { required?: boolean } = {}): Promise<T[]> {
    if (!this.canPrompt) throw new UsageError(`${message} — no one can answer here`);
    const { checkbox } = await import('@inquirer/prompts');
    return this.withSpinnerPaused(() => checkbox<T>({ message, choices, required: options.required ?? false }, this.promptContext()));
  }

  /** A spinner redrawing under a prompt garbles both: hide it while the person answers. */
  private async withSpinnerPaused<T>(ask: () => Promise<T>): Promise<T> {
    const spinner = this.activeSpinner?.isSpinning ? this.activeSpinner : undefined;
    spinner?.stop();
    try {
      return await ask();
    } finally {
      if (spinner && this.activeSpinner === spinner) spinner.start();
    }
  }

  private promptContext(): { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } {
    return { input: this.streams.stdin, output: this.streams.stderr };
  }
}

/** Columns separated by two spaces, header first, no colour, full width. */
export function plainTable(head: string[], rows: Array<Array<string | number>>): string {
  return alignedTable(head, rows.map((row) => row.map((cell) => stripAnsi(String(cell)))));
}

/** Visible width of a text: colour escapes take none. (Wide CJK glyphs are counted as one.) */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Cuts a line to `width` visible characters, ending in `…` when cut; colour escapes are kept whole. */
/**
 * The live line cut so that ora draws it on one row of `columns`: ora measures the symbol, a
 * space and the text with their colour escapes counted as characters (escape bytes themselves
 * count 0), and clears as many rows as it measured on the next frame.
 */
export function fitLiveLine(text: string, columns: number, color: boolean): string {
  const symbol = color ? 10 : 1; // `ESC[36m⠙ESC[39m`: 8 counted + the frame, or the frame alone
  const budget = Math.max(10, columns - symbol - 2);
  // Symbols (✔ ✖ ⚠, U+2600–U+27BF) and emoji are two columns wide for string-width.
  const measured = (line: string): number => [...line].reduce((sum, ch) => sum + (ch === ESC ? 0 : /[\u2600-\u27bf]|\p{Extended_Pictographic}/u.test(ch) ? 2 : 1), 0);
  // The widest cut that ora measures within the budget (escapes kept before the cut count too).
  for (let width = Math.min(budget, visibleWidth(text)); width > 10; width--) {
    const out = truncateToWidth(text, width);
    if (measured(out) <= budget) return out;
  }
  return truncateToWidth(stripAnsi(text), 10);
}

export function truncateToWidth(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  let out = '';
  let seen = 0;
  // Escapes after the cut are dropped (they would colour nothing); one reset closes what is open.
  cut: for (const part of text.split(new RegExp(`(${ESC}\\[[0-9;]*m)`))) {
    if (part.startsWith(ESC)) {
      out += part;
      continue;
    }
    for (const ch of part) {
      if (seen >= width - 1) break cut;
      out += ch;
      seen++;
    }
  }
  return `${out}…${out.includes(ESC) ? `${ESC}[0m` : ''}`;
}

/** Breaks a cell into lines of at most `width`, at spaces where it can, mid-word where it must. */
function wrapCell(text: string, width: number): string[] {
  const plain = stripAnsi(text);
  if (plain.length <= width) return [text];
  const lines: string[] = [];
  let rest = plain;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) lines.push(rest);
  return lines;
}

/**
 * Aligned columns two spaces apart. With `width`, the widest columns give way until the table
 * fits (never below their header or 8 characters), and their cells wrap onto more lines.
 */
export function alignedTable(head: string[], rows: Array<Array<string | number>>, options: { width?: number; header?: (text: string) => string } = {}): string {
  const cells = rows.map((row) => head.map((_, i) => String(row[i] ?? '')));
  const natural = head.map((h, i) => Math.max(visibleWidth(h), ...cells.map((row) => visibleWidth(row[i]!))));
  const widths = [...natural];
  const gap = 2;
  if (options.width) {
    // Prose (cells with spaces) wraps well and gives way first; IDs and numbers only when it must.
    const prose = head.map((_, i) => cells.some((row) => stripAnsi(row[i]!).includes(' ')));
    const floor = head.map((h, i) => Math.min(natural[i]!, Math.max(visibleWidth(h), prose[i] ? 4 : 8)));
    let total = widths.reduce((a, b) => a + b, 0) + gap * (head.length - 1);
    for (const proseFirst of [true, false]) {
      while (total > options.width) {
        // Shrink the widest column that can still give.
        let widest = -1;
        for (let i = 0; i < widths.length; i++) if ((!proseFirst || prose[i]) && widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
        if (widest < 0) break;
        widths[widest]!--;
        total--;
      }
    }
  }
  const render = (row: string[], style?: (text: string) => string): string[] => {
    const wrapped = row.map((cell, i) => (visibleWidth(cell) <= widths[i]! ? [cell] : wrapCell(cell, widths[i]!)));
    const height = Math.max(...wrapped.map((w) => w.length));
    const lines: string[] = [];
    for (let line = 0; line < height; line++) {
      const parts = wrapped.map((w, i) => {
        const cell = w[line] ?? '';
        const shown = style ? style(cell) : cell;
        return i === row.length - 1 ? shown : shown + ' '.repeat(Math.max(0, widths[i]! - visibleWidth(cell)));
      });
      lines.push(parts.join(' '.repeat(gap)).trimEnd());
    }
    return lines;
  };
  return [...render(head, options.header), ...cells.flatMap((row) => render(row))].join('\n');
}

export function createUi(options: UiOptions = {}): Ui {
  return new TerminalUi(options);
}
