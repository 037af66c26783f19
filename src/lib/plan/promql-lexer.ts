/**
 * A PromQL tokenizer that behaves like Prometheus' own (promql/parser/lex.go, as in Prometheus 2.x):
 * the same tokens, the same states (inside braces, inside brackets) and the same error texts at the
 * same positions, so that a broken query is reported in the words promtool uses. The grammar side
 * lives in promql-check.ts.
 */

export type TokenType =
  | 'EOF' | 'ERROR' | 'COMMENT' | 'IDENTIFIER' | 'METRIC_IDENTIFIER' | 'NUMBER' | 'DURATION' | 'STRING'
  | 'LEFT_PAREN' | 'RIGHT_PAREN' | 'LEFT_BRACE' | 'RIGHT_BRACE' | 'LEFT_BRACKET' | 'RIGHT_BRACKET'
  | 'COMMA' | 'EQL' | 'COLON'
  // operators
  | 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MOD' | 'POW' | 'EQLC' | 'NEQ' | 'LTE' | 'LSS' | 'GTE' | 'GTR'
  | 'EQL_REGEX' | 'NEQ_REGEX' | 'AT' | 'ATAN2' | 'LAND' | 'LOR' | 'LUNLESS'
  // aggregators
  | 'AVG' | 'BOTTOMK' | 'COUNT' | 'COUNT_VALUES' | 'GROUP' | 'MAX' | 'MIN' | 'QUANTILE' | 'STDDEV' | 'STDVAR' | 'SUM' | 'TOPK'
  | 'LIMITK' | 'LIMIT_RATIO'
  // keywords
  | 'BOOL' | 'BY' | 'GROUP_LEFT' | 'GROUP_RIGHT' | 'IGNORING' | 'OFFSET' | 'ON' | 'WITHOUT'
  // @ modifier preprocessors
  | 'START' | 'END';

export interface Token {
  type: TokenType;
  /** Offset of the token's first character (for ERROR: where Prometheus reports the error). */
  pos: number;
  /** The text of the token; for ERROR the error message. */
  val: string;
}

const KEYWORDS: Readonly<Record<string, TokenType>> = {
  and: 'LAND', or: 'LOR', unless: 'LUNLESS', atan2: 'ATAN2',
  sum: 'SUM', avg: 'AVG', count: 'COUNT', min: 'MIN', max: 'MAX', group: 'GROUP', stddev: 'STDDEV', stdvar: 'STDVAR',
  topk: 'TOPK', bottomk: 'BOTTOMK', count_values: 'COUNT_VALUES', quantile: 'QUANTILE', limitk: 'LIMITK', limit_ratio: 'LIMIT_RATIO',
  offset: 'OFFSET', by: 'BY', without: 'WITHOUT', on: 'ON', ignoring: 'IGNORING', group_left: 'GROUP_LEFT', group_right: 'GROUP_RIGHT', bool: 'BOOL',
  start: 'START', end: 'END',
  inf: 'NUMBER', nan: 'NUMBER',
};

export const OPERATORS: ReadonlySet<TokenType> = new Set<TokenType>([
  'ADD', 'SUB', 'MUL', 'DIV', 'MOD', 'POW', 'EQLC', 'NEQ', 'LTE', 'LSS', 'GTE', 'GTR', 'EQL_REGEX', 'NEQ_REGEX', 'AT', 'ATAN2', 'LAND', 'LOR', 'LUNLESS',
]);
export const AGGREGATORS: ReadonlySet<TokenType> = new Set<TokenType>([
  'AVG', 'BOTTOMK', 'COUNT', 'COUNT_VALUES', 'GROUP', 'MAX', 'MIN', 'QUANTILE', 'STDDEV', 'STDVAR', 'SUM', 'TOPK', 'LIMITK', 'LIMIT_RATIO',
]);
const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set<TokenType>(['BOOL', 'BY', 'GROUP_LEFT', 'GROUP_RIGHT', 'IGNORING', 'OFFSET', 'ON', 'WITHOUT']);
/** Token types Prometheus names by their text (ItemTypeStr): punctuation, operators, keywords. */
const PUNCTUATION: ReadonlySet<TokenType> = new Set<TokenType>([
  'LEFT_PAREN', 'RIGHT_PAREN', 'LEFT_BRACE', 'RIGHT_BRACE', 'LEFT_BRACKET', 'RIGHT_BRACKET', 'COMMA', 'EQL', 'COLON', 'START', 'END',
]);
const TYPE_WORDS: Partial<Record<TokenType, string>> = {
  IDENTIFIER: 'identifier', METRIC_IDENTIFIER: 'metric identifier', STRING: 'string', NUMBER: 'number', DURATION: 'duration', COMMENT: 'comment',
};

/** Go's %q of a string, close enough for messages (Go and JSON escape the same common characters). */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** Go's %q of one character: 'x'. */
function goQuoteRune(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '\\') return "'\\\\'";
  const short: Record<string, string> = { '\x07': 'a', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' };
  if (short[ch]) return `'\\${short[ch]}'`;
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${ch}'`;
}

/** Go's %#U of a character: U+0071 'q'. */
function goUnicode(ch: string): string {
  const code = ch.codePointAt(0)!;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}${code >= 0x20 && code !== 0x7f ? ` '${ch}'` : ''}`;
}

/**
 * How Prometheus names a token in "unexpected …" messages (Item.desc()). Prometheus cuts values
 * longer than 10 characters (`"\"tenant-8c"...`); here they are kept whole, because a cut value
 * from a secret var could no longer be masked in the message.
 */
export function describeToken(token: Token): string {
  if (token.type === 'EOF') return 'end of input';
  if (OPERATORS.has(token.type)) return `<op:${token.val}>`;
  if (AGGREGATORS.has(token.type)) return `<aggr:${token.val}>`;
  if (KEYWORD_TYPES.has(token.type)) return `<${token.val}>`;
  if (PUNCTUATION.has(token.type)) return goQuote(token.val);
  return `${TYPE_WORDS[token.type] ?? token.type.toLowerCase()} ${goQuote(token.val)}`;
}

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isAlpha = (ch: string | undefined): boolean => ch !== undefined && (ch === '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
const isAlphaNumeric = (ch: string | undefined): boolean => isAlpha(ch) || isDigit(ch);

type State = 'statements' | 'braces' | 'duration' | 'done';

/** Tokens one at a time, as the parser asks for them; after an ERROR or EOF only EOF. */
export class PromqlLexer {
  private pos = 0;
  private start = 0;
  private state: State = 'statements';
  /** Offsets of the "(" not closed yet (Prometheus keeps only their count). */
  private readonly openParens: number[] = [];
  private bracketOpen = false;
  private bracketPos = 0;
  private gotColon = false;

  constructor(private readonly input: string) {}

  next(): Token {
    for (;;) {
      const token = this.scan();
      if (token.type !== 'COMMENT') return token;
    }
  }

  private peekChar(): string | undefined {
    return this.input[this.pos];
  }
  private take(): string | undefined {
    const ch = this.input[this.pos];
    if (ch !== undefined) this.pos += 1;
    return ch;
  }
  private accept(valid: string): boolean {
    const ch = this.peekChar();
    if (ch !== undefined && valid.includes(ch)) {
      this.pos += 1;
      return true;
    }
    return false;
  }
  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }
  private emit(type: TokenType): Token {
    const token = { type, pos: this.start, val: this.input.slice(this.start, this.pos) };
    this.start = this.pos;
    return token;
  }
  private error(message: string): Token {
    this.state = 'done';
    return { type: 'ERROR', pos: this.start, val: message };
  }
  private errorAt(pos: number, message: string): Token {
    this.state = 'done';
    return { type: 'ERROR', pos, val: message };
  }
  private skipSpaces(): void {
    while (isSpace(this.peekChar())) this.pos += 1;
    this.start = this.pos;
  }

  private scan(): Token {
    if (this.state === 'done') return { type: 'EOF', pos: this.input.length, val: '' };
    if (this.state === 'duration') return this.lexDuration();
    this.skipSpaces();
    if (this.input.startsWith('#', this.pos)) {
      while (this.pos < this.input.length && this.input[this.pos] !== '\n' && this.input[this.pos] !== '\r') this.pos += 1;
      return this.emit('COMMENT');
    }
    if (this.state === 'braces') return this.lexInsideBraces();
    const ch = this.take();
    switch (true) {
      case ch === undefined:
        // Prometheus places these at the end of the input; the bracket that is never closed is
        // where a person has to look, so they point at it (the message is Prometheus').
        if (this.openParens.length > 0) return this.errorAt(this.openParens.at(-1)!, 'unclosed left parenthesis');
        if (this.bracketOpen) return this.errorAt(this.bracketPos, 'unclosed left bracket');
        this.state = 'done';
        return this.emit('EOF');
      case ch === ',': return this.emit('COMMA');
      case ch === '*': return this.emit('MUL');
      case ch === '/': return this.emit('DIV');
      case ch === '%': return this.emit('MOD');
      case ch === '+': return this.emit('ADD');
      case ch === '-': return this.emit('SUB');
      case ch === '^': return this.emit('POW');
      case ch === '@': return this.emit('AT');
      case ch === '=': {
        const after = this.peekChar();
        if (after === '=') {
          this.pos += 1;
          return this.emit('EQLC');
        }
        if (after === '~') return this.error(`unexpected character after '=': ${goQuoteRune(after)}`);
        return this.emit('EQL');
      }
      case ch === '!': {
        const after = this.take();
        if (after !== '=') return this.error(`unexpected character after '!': ${after === undefined ? 'U+FFFFFFFFFFFFFFFF' : goQuoteRune(after)}`);
        return this.emit('NEQ');
      }
      case ch === '<':
      case ch === '>': {
        const equal = this.accept('=');
        return this.emit(ch === '<' ? (equal ? 'LTE' : 'LSS') : equal ? 'GTE' : 'GTR');
      }
      case isDigit(ch) || (ch === '.' && isDigit(this.peekChar())):
        this.pos -= 1;
        return this.lexNumberOrDuration();
      case ch === '"' || ch === "'":
        return this.lexString(ch!);
      case ch === '`':
        return this.lexRawString();
      case isAlpha(ch) || ch === ':':
        if (!this.bracketOpen) {
          this.pos -= 1;
          return this.lexKeywordOrIdentifier();
        }
        // Inside [...] only a colon can follow the range (and Prometheus 2.x reads any letter as one).
        if (this.gotColon) return this.error(`unexpected colon ${goQuoteRune(ch!)}`);
        this.gotColon = true;
        return this.emit('COLON');
      case ch === '(':
        this.openParens.push(this.start);
        return this.emit('LEFT_PAREN');
      case ch === ')': {
        const token = this.emit('RIGHT_PAREN');
        // Reported after the parenthesis, where Prometheus' lexer stands.
        if (this.openParens.pop() === undefined) return this.error(`unexpected right parenthesis ${goQuoteRune(ch!)}`);
        return token;
      }
      case ch === '{':
        this.state = 'braces';
        return this.emit('LEFT_BRACE');
      case ch === '[': {
        if (this.bracketOpen) return this.error(`unexpected left bracket ${goQuoteRune(ch!)}`);
        this.gotColon = false;
        this.bracketPos = this.start;
        const token = this.emit('LEFT_BRACKET');
        this.skipSpaces();
        this.bracketOpen = true;
        this.state = 'duration';
        return token;
      }
      case ch === ']':
        if (!this.bracketOpen) return this.error(`unexpected right bracket ${goQuoteRune(ch!)}`);
        this.bracketOpen = false;
        return this.emit('RIGHT_BRACKET');
      default:
        return this.error(`unexpected character: ${goQuoteRune(ch!)}`);
    }
  }

  private lexInsideBraces(): Token {
    const ch = this.take();
    switch (true) {
      case ch === undefined:
        return this.error('unexpected end of input inside braces');
      case isAlpha(ch):
        while (isAlphaNumeric(this.peekChar())) this.pos += 1;
        return this.emit('IDENTIFIER');
      case ch === ',':
        return this.emit('COMMA');
      case ch === '"' || ch === "'":
        return this.lexString(ch!);
      case ch === '`':
        return this.lexRawString();
      case ch === '=':
        return this.emit(this.accept('~') ? 'EQL_REGEX' : 'EQL');
      case ch === '!': {
        const after = this.take();
        if (after === '~') return this.emit('NEQ_REGEX');
        if (after === '=') return this.emit('NEQ');
        return this.error(`unexpected character after '!' inside braces: ${after === undefined ? 'U+FFFFFFFFFFFFFFFF' : goQuoteRune(after)}`);
      }
      case ch === '{':
        return this.error(`unexpected left brace ${goQuoteRune(ch!)}`);
      case ch === '}':
        this.state = 'statements';
        return this.emit('RIGHT_BRACE');
      default:
        return this.error(`unexpected character inside braces: ${goQuoteRune(ch!)}`);
    }
  }

  /** Right after "[": a duration is required (Prometheus 2.x lexDuration). */
  private lexDuration(): Token {
    this.state = 'statements';
    if (this.scanNumber()) return this.error('missing unit character in duration');
    if (!this.acceptRemainingDuration()) return this.error(`bad duration syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    return this.emit('DURATION');
  }

  private lexNumberOrDuration(): Token {
    if (this.scanNumber()) return this.emit('NUMBER');
    if (this.acceptRemainingDuration()) return this.emit('DURATION');
    return this.error(`bad number or duration syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
  }

  /** Consumes a number; true when what follows cannot continue it (so it is a whole number). */
  private scanNumber(): boolean {
    let digits = '0123456789';
    if (this.accept('0') && this.accept('xX')) digits = '0123456789abcdefABCDEF';
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789');
    }
    return !isAlphaNumeric(this.peekChar());
  }

  /** After the digits: a unit, then more digit+unit pairs, and then no letter or digit. */
  private acceptRemainingDuration(): boolean {
    if (!this.accept('smhdwy')) return false;
    this.accept('s');
    while (this.accept('0123456789')) {
      this.acceptRun('0123456789');
      if (!this.accept('smhdw')) return false;
      this.accept('s');
    }
    if (isAlphaNumeric(this.peekChar())) {
      this.pos += 1;
      return false;
    }
    return true;
  }

  private lexKeywordOrIdentifier(): Token {
    while (isAlphaNumeric(this.peekChar()) || this.peekChar() === ':') this.pos += 1;
    const word = this.input.slice(this.start, this.pos);
    // Own keys only: a metric named __proto__ or constructor is a name, not Object.prototype.
    const lower = word.toLowerCase();
    const keyword = Object.hasOwn(KEYWORDS, lower) ? KEYWORDS[lower] : undefined;
    if (keyword) return this.emit(keyword);
    return this.emit(word.includes(':') ? 'METRIC_IDENTIFIER' : 'IDENTIFIER');
  }

  private lexString(quote: string): Token {
    for (;;) {
      const ch = this.take();
      if (ch === undefined || ch === '\n') return this.error('unterminated quoted string');
      if (ch === quote) return this.emit('STRING');
      if (ch === '\\') {
        const problem = this.lexEscape(quote);
        if (problem) return this.error(problem);
      }
    }
  }

  /** An escape sequence after "\"; the error text when it is not one Prometheus accepts. */
  private lexEscape(quote: string): string | undefined {
    const ch = this.take();
    let count: number;
    let base: number;
    let max: number;
    if (ch === undefined) return 'escape sequence not terminated';
    if ('abfnrtv\\'.includes(ch) || ch === quote) return undefined;
    if (ch >= '0' && ch <= '7') [count, base, max] = [3, 8, 255];
    else if (ch === 'x') [count, base, max] = [2, 16, 255];
    else if (ch === 'u') [count, base, max] = [4, 16, 0x10ffff];
    else if (ch === 'U') [count, base, max] = [8, 16, 0x10ffff];
    else return `unknown escape sequence ${goUnicode(ch)}`;
    let digit: string | undefined = ch >= '0' && ch <= '7' ? ch : this.take();
    let value = 0;
    for (;;) {
      const d = digit === undefined ? 16 : parseInt(digit, 16);
      if (Number.isNaN(d) || d >= base) return digit === undefined ? 'escape sequence not terminated' : `illegal character ${goUnicode(digit)} in escape sequence`;
      value = value * base + d;
      count -= 1;
      if (count === 0) break;
      digit = this.take();
    }
    if (value > max || (value >= 0xd800 && value < 0xe000)) return 'escape sequence is an invalid Unicode code point';
    return undefined;
  }

  private lexRawString(): Token {
    for (;;) {
      const ch = this.take();
      if (ch === undefined) return this.error('unterminated raw string');
      if (ch === '`') return this.emit('STRING');
    }
  }
}
