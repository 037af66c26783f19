/**
 * The first problem Prometheus would report for a query, in Prometheus' words and at its position.
 *
 * A small recursive-descent parser over promql-lexer.ts that follows Prometheus' grammar
 * (promql/parser/generated_parser.y): a token the grammar cannot take is reported as
 * `unexpected <token> in <context>, expected <what>` with the contexts of its error rules (label
 * matching, grouping opts, subquery or range, offset, @, aggregation), the checks Prometheus makes
 * while it builds the tree (unknown function, ranges only on selectors, offset/@ placement, durations,
 * aggregation arity) keep their order, and the type checks of parse.go's checkAST run last, when the
 * query parses. Only the first problem is kept, as promtool prints only the first.
 */
import { AGGREGATORS, describeToken, PromqlLexer, type Token, type TokenType } from './promql-lexer.js';
import { promqlFunction, type PromqlFunction, type ValueType } from './promql-functions.js';
import { goRegexpProblem } from './promql-regexp.js';

export interface PromqlProblem {
  /** Character offset in the query where Prometheus places the problem. */
  offset: number;
  /** Prometheus' message, without its `parse error:` prefix. */
  message: string;
  /**
   * True for a grammar error (an unexpected token or character) that newer Prometheus versions
   * may accept as new syntax; false for what every version refuses (types, arity, unknown
   * function, modifiers, broken string literals).
   */
  grammar: boolean;
}

/** Lexer errors about string literals: no Prometheus version accepts those. */
const STRING_ERROR_RE = /quoted string|raw string|escape sequence|UTF-8/;

type Card = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
interface Matcher {
  name: string;
  op: TokenType;
  value: string;
}
type Expr =
  | { kind: 'number'; pos: number }
  | { kind: 'string'; pos: number }
  | { kind: 'selector'; pos: number; name: string; matchers: Matcher[]; offsetMs: number; at: boolean }
  | { kind: 'matrix'; pos: number; inner: Expr; rangeMs: number }
  | { kind: 'subquery'; pos: number; inner: Expr; rangeMs: number; offsetMs: number; at: boolean }
  | { kind: 'call'; pos: number; fn: PromqlFunction | undefined; name: string; args: Expr[] }
  | { kind: 'aggregate'; pos: number; op: TokenType; opText: string; expr?: Expr; param?: Expr }
  | { kind: 'binary'; pos: number; opPos: number; op: TokenType; opText: string; lhs: Expr; rhs: Expr; bool: boolean; on: boolean; matching: string[]; include: string[]; card: Card }
  | { kind: 'paren'; pos: number; inner: Expr }
  | { kind: 'unary'; pos: number; inner: Expr };

/** Binary operators by precedence, lowest first (generated_parser.y's %left lines). */
const PRECEDENCE: Partial<Record<TokenType, number>> = {
  LOR: 1, LAND: 2, LUNLESS: 2, EQLC: 3, GTE: 3, GTR: 3, LSS: 3, LTE: 3, NEQ: 3, ADD: 4, SUB: 4, MUL: 5, DIV: 5, MOD: 5, ATAN2: 5, POW: 6,
};
const COMPARISONS = new Set<TokenType>(['EQLC', 'NEQ', 'LTE', 'LSS', 'GTE', 'GTR']);
const SET_OPERATORS = new Set<TokenType>(['LAND', 'LOR', 'LUNLESS']);
const MATCH_OPS = new Set<TokenType>(['EQL', 'NEQ', 'EQL_REGEX', 'NEQ_REGEX']);
/** Keywords that may also name a metric (metric_identifier). */
const NAME_KEYWORDS = new Set<TokenType>(['IDENTIFIER', 'METRIC_IDENTIFIER', 'BY', 'WITHOUT', 'OFFSET', 'LAND', 'LOR', 'LUNLESS', 'START', 'END', ...AGGREGATORS]);
/** Tokens accepted as label names in by/without/on/ignoring lists (maybe_label). */
const LABEL_TOKENS = new Set<TokenType>([
  'IDENTIFIER', 'METRIC_IDENTIFIER', 'BOOL', 'BY', 'GROUP_LEFT', 'GROUP_RIGHT', 'IGNORING', 'LAND', 'LOR', 'LUNLESS', 'OFFSET', 'ON', 'START', 'END', 'ATAN2', ...AGGREGATORS,
]);
/** Tokens an expression can start with (what may follow an operator, a comma or `group_left`). */
const EXPRESSION_START = new Set<TokenType>(['NUMBER', 'STRING', 'LEFT_PAREN', 'LEFT_BRACE', 'ADD', 'SUB', ...NAME_KEYWORDS]);
const PARAM_AGGREGATORS = new Set<TokenType>(['TOPK', 'BOTTOMK', 'COUNT_VALUES', 'QUANTILE', 'LIMITK', 'LIMIT_RATIO']);
const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNIT_MS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Prometheus' user-facing type names (DocumentedType). */
function documented(type: ValueType): string {
  return type === 'vector' ? 'instant vector' : type === 'matrix' ? 'range vector' : type;
}

/** Thrown to stop at the first syntax error; the error itself is already recorded. */
class Stop extends Error {}

/** The value of a PromQL string literal (as strutil.Unquote reads it; escapes are already valid). */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith('`')) return body;
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  return body.replace(/\\(?:([0-7]{3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))/gs, (_, oct: string, hex: string, u4: string, u8: string, other: string) => {
    if (oct) return String.fromCodePoint(parseInt(oct, 8));
    const code = hex ?? u4 ?? u8;
    if (code) return String.fromCodePoint(parseInt(code, 16));
    return simple[other] ?? other;
  });
}

/** Whether a label matcher matches the empty value (a selector needs one that does not). */
function matchesEmpty(matcher: Matcher): boolean {
  switch (matcher.op) {
    case 'EQL':
      return matcher.value === '';
    case 'NEQ':
      return matcher.value !== '';
    default: {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${matcher.value})$`, 's');
      } catch {
        return false; // Go's RE2 syntax differs in corners; never refuse a query over that here.
      }
      return matcher.op === 'EQL_REGEX' ? re.test('') : !re.test('');
    }
  }
}

class Parser {
  readonly problems: PromqlProblem[] = [];
  private readonly lexer: PromqlLexer;
  private lookahead: Token | undefined;
  /** Open aggregations (`sum(` … `)`): an error inside one is "in aggregation", as Prometheus says. */
  private aggregationDepth = 0;

  constructor(input: string) {
    this.lexer = new PromqlLexer(input);
  }

  private peek(): Token {
    if (!this.lookahead) {
      this.lookahead = this.lexer.next();
      if (this.lookahead.type === 'ERROR') {
        this.problems.push({ offset: this.lookahead.pos, message: this.lookahead.val, grammar: !STRING_ERROR_RE.test(this.lookahead.val) });
        throw new Stop();
      }
    }
    return this.lookahead;
  }

  private consume(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private semantic(offset: number, message: string): void {
    this.problems.push({ offset, message, grammar: false });
  }

  /** Prometheus' `unexpected(context, expected)`: about the token the parser is looking at. */
  private unexpected(context = '', expected = ''): never {
    const token = this.peek();
    const where = context || (this.aggregationDepth > 0 ? 'aggregation' : '');
    let message = `unexpected ${describeToken(token)}`;
    if (where) message += ` in ${where}`;
    if (expected && context) message += `, expected ${expected}`;
    this.problems.push({ offset: token.pos, message, grammar: true });
    throw new Stop();
  }

  parse(): Expr | undefined {
    try {
      if (this.peek().type === 'EOF') {
        this.semantic(0, 'no expression found in input');
        return undefined;
      }
      const expr = this.expression(1);
      if (this.peek().type !== 'EOF') this.unexpected();
      return expr;
    } catch (error) {
      if (error instanceof Stop) return undefined;
      throw error;
    }
  }

  /** Precedence climbing over the binary operators; `^` is right-associative. */
  private expression(minPrecedence: number): Expr {
    let left = this.unary();
    for (;;) {
      const op = this.peek();
      const precedence = PRECEDENCE[op.type];
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.consume();
      const modifiers = this.binaryModifiers();
      const right = this.expression(op.type === 'POW' ? precedence : precedence + 1);
      left = { kind: 'binary', pos: left.pos, opPos: op.pos, op: op.type, opText: op.val, lhs: left, rhs: right, ...modifiers };
    }
  }

  private binaryModifiers(): { bool: boolean; on: boolean; matching: string[]; include: string[]; card: Card } {
    const result = { bool: false, on: false, matching: [] as string[], include: [] as string[], card: 'one-to-one' as Card };
    if (this.peek().type === 'BOOL') {
      this.consume();
      result.bool = true;
    }
    const keyword = this.peek().type;
    if (keyword === 'ON' || keyword === 'IGNORING') {
      this.consume();
      result.on = keyword === 'ON';
      result.matching = this.groupingLabels();
      const group = this.peek().type;
      if (group === 'GROUP_LEFT' || group === 'GROUP_RIGHT') {
        this.consume();
        result.card = group === 'GROUP_LEFT' ? 'many-to-one' : 'one-to-many';
        // The label list is optional: an expression may follow at once; anything else is a bad list.
        if (!EXPRESSION_START.has(this.peek().type) || this.peek().type === 'LEFT_PAREN') result.include = this.groupingLabels();
      }
    }
    return result;
  }

  /** A unary sign binds like `*`: `-a^b` is `-(a^b)`, `-a*b` is `(-a)*b`. */
  private unary(): Expr {
    const sign = this.peek();
    if (sign.type !== 'ADD' && sign.type !== 'SUB') return this.postfix(this.primary());
    this.consume();
    const inner = this.expression(PRECEDENCE.POW!);
    return inner.kind === 'number' ? { kind: 'number', pos: sign.pos } : { kind: 'unary', pos: sign.pos, inner };
  }

  /** `[range]`, `[range:step]`, `offset d` and `@ t` bind to the expression right before them. */
  private postfix(expr: Expr): Expr {
    let current = expr;
    for (;;) {
      const type = this.peek().type;
      if (type === 'LEFT_BRACKET') current = this.rangeOrSubquery(current);
      else if (type === 'OFFSET') current = this.offset(current);
      else if (type === 'AT') current = this.at(current);
      else return current;
    }
  }

  private primary(): Expr {
    const token = this.peek();
    if (token.type === 'NUMBER') {
      this.number(this.consume());
      return { kind: 'number', pos: token.pos };
    }
    if (token.type === 'STRING') {
      this.consume();
      return { kind: 'string', pos: token.pos };
    }
    if (token.type === 'LEFT_PAREN') {
      this.consume();
      const inner = this.expression(1);
      if (this.peek().type !== 'RIGHT_PAREN') this.unexpected();
      this.consume();
      return { kind: 'paren', pos: token.pos, inner };
    }
    if (token.type === 'LEFT_BRACE') return this.selector(token.pos, '');
    if (AGGREGATORS.has(token.type)) {
      this.consume();
      const next = this.peek().type;
      // Without "(", by or without, an aggregation keyword is a metric name (`sum{job="a"}`).
      if (next === 'LEFT_PAREN' || next === 'BY' || next === 'WITHOUT') return this.aggregate(token);
      return this.selectorAfterName(token);
    }
    if (token.type === 'IDENTIFIER') {
      this.consume();
      if (this.peek().type === 'LEFT_PAREN') return this.call(token);
      return this.selectorAfterName(token);
    }
    if (NAME_KEYWORDS.has(token.type)) {
      this.consume();
      return this.selectorAfterName(token);
    }
    return this.unexpected();
  }

  private call(name: Token): Expr {
    const args = this.callArguments();
    const fn = promqlFunction(name.val);
    if (!fn) this.semantic(name.pos, `unknown function with name "${name.val}"`);
    return { kind: 'call', pos: name.pos, fn, name: name.val, args };
  }

  /** `( expr, expr )` after a function name or aggregation (function_call_body); at "(". */
  private callArguments(): Expr[] {
    this.consume();
    const args: Expr[] = [];
    if (this.peek().type === 'RIGHT_PAREN') {
      this.consume();
      return args;
    }
    args.push(this.expression(1));
    for (;;) {
      const token = this.peek();
      if (token.type === 'RIGHT_PAREN') {
        this.consume();
        return args;
      }
      if (token.type !== 'COMMA') this.unexpected();
      this.consume();
      // Prometheus takes a comma not followed by an argument as a trailing one, whatever follows.
      if (!EXPRESSION_START.has(this.peek().type)) {
        this.semantic(token.pos, 'trailing commas not allowed in function call args');
        if (this.peek().type !== 'RIGHT_PAREN') this.unexpected();
        this.consume();
        return args;
      }
      args.push(this.expression(1));
    }
  }

  private aggregate(op: Token): Expr {
    this.aggregationDepth += 1;
    let grouped = false;
    const modifier = this.peek().type;
    if (modifier === 'BY' || modifier === 'WITHOUT') {
      this.consume();
      this.groupingLabels();
      grouped = true;
      if (this.peek().type !== 'LEFT_PAREN') this.unexpected();
    }
    const args = this.callArguments();
    this.aggregationDepth -= 1;
    const after = this.peek().type;
    if (!grouped && (after === 'BY' || after === 'WITHOUT')) {
      this.consume();
      this.groupingLabels();
    }
    const node: Expr = { kind: 'aggregate', pos: op.pos, op: op.type, opText: op.val.toLowerCase() };
    if (args.length === 0) {
      this.semantic(op.pos, 'no arguments for aggregate expression provided');
      return node;
    }
    const wanted = PARAM_AGGREGATORS.has(op.type) ? 2 : 1;
    if (wanted === 2) node.param = args[0];
    if (args.length !== wanted) {
      this.semantic(op.pos, `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`);
      return node;
    }
    node.expr = args[wanted - 1];
    return node;
  }

  /** `( label, … )` after by, without, on, ignoring, group_left, group_right. */
  private groupingLabels(): string[] {
    if (this.peek().type !== 'LEFT_PAREN') this.unexpected('grouping opts', '"("');
    this.consume();
    const labels: string[] = [];
    this.commaList('RIGHT_PAREN', ')', 'grouping opts', () => {
      const label = this.peek();
      if (!LABEL_TOKENS.has(label.type) || label.type === 'METRIC_IDENTIFIER') this.unexpected('grouping opts', 'label');
      this.consume();
      labels.push(label.val);
    });
    return labels;
  }

  /**
   * The items of a comma list up to its closing token, after the opening one: empty, or items
   * separated by commas with an optional trailing comma, as Prometheus' grammar has them.
   */
  private commaList(close: TokenType, closeText: string, context: string, item: () => void): void {
    if (this.peek().type === close) {
      this.consume();
      return;
    }
    for (;;) {
      item();
      const next = this.peek().type;
      if (next === close) {
        this.consume();
        return;
      }
      if (next !== 'COMMA') this.unexpected(context, `"," or "${closeText}"`);
      this.consume();
      if (this.peek().type === close) {
        this.consume();
        return;
      }
    }
  }

  private selectorAfterName(name: Token): Expr {
    if (this.peek().type === 'LEFT_BRACE') return this.selector(name.pos, name.val);
    return { kind: 'selector', pos: name.pos, name: name.val, matchers: [], offsetMs: 0, at: false };
  }

  /** `{ name op "value", … }`; at "{". */
  private selector(pos: number, name: string): Expr {
    this.consume();
    const matchers: Matcher[] = [];
    const node: Expr = { kind: 'selector', pos, name, matchers, offsetMs: 0, at: false };
    this.commaList('RIGHT_BRACE', '}', 'label matching', () => {
      const label = this.peek();
      if (label.type !== 'IDENTIFIER') this.unexpected('label matching', 'identifier or "}"');
      this.consume();
      const op = this.peek();
      if (!MATCH_OPS.has(op.type)) this.unexpected('label matching', 'label matching operator');
      this.consume();
      const value = this.peek();
      if (value.type !== 'STRING') this.unexpected('label matching', 'string');
      this.consume();
      const matcher = { name: label.val, op: op.type, value: unquote(value.val) };
      if (op.type === 'EQL_REGEX' || op.type === 'NEQ_REGEX') {
        const problem = goRegexpProblem(matcher.value);
        if (problem) this.semantic(label.pos, problem);
      }
      matchers.push(matcher);
    });
    return node;
  }

  /** A NUMBER token as Prometheus reads it (strconv: out of range or malformed is an error). */
  private number(token: Token): void {
    if (/^[+-]?(?:inf|nan)$/i.test(token.val)) return;
    const value = Number(token.val);
    if (Number.isNaN(value)) this.semantic(token.pos, `error parsing number: strconv.ParseFloat: parsing "${token.val}": invalid syntax`);
    else if (!Number.isFinite(value)) this.semantic(token.pos, `error parsing number: strconv.ParseFloat: parsing "${token.val}": value out of range`);
  }

  /** A DURATION token as Prometheus reads it (model.ParseDuration, then "greater than 0"), in ms. */
  private duration(token: Token): number {
    const match = token.val === '0' ? [] : DURATION_RE.exec(token.val);
    if (!match || token.val === '') {
      this.semantic(token.pos, `not a valid duration string: "${token.val}"`);
      return 1;
    }
    const ms = match.slice(1).reduce((sum, amount, i) => sum + (amount ? Number(amount) * DURATION_UNIT_MS[i]! : 0), 0);
    if (ms === 0) this.semantic(token.pos, 'duration must be greater than 0');
    return ms;
  }

  /** `[range]` or `[range:step]` / `[range:]` after an expression; at "[". */
  private rangeOrSubquery(inner: Expr): Expr {
    const bracket = this.consume();
    if (this.peek().type !== 'DURATION') this.unexpected('subquery selector', 'duration');
    const rangeMs = this.duration(this.consume());
    if (this.peek().type === 'RIGHT_BRACKET') {
      this.consume();
      const problem =
        inner.kind !== 'selector' ? 'ranges only allowed for vector selectors' : inner.offsetMs !== 0 ? 'no offset modifiers allowed before range' : inner.at ? 'no @ modifiers allowed before range' : undefined;
      if (problem) this.semantic(bracket.pos, problem);
      return { kind: 'matrix', pos: inner.pos, inner, rangeMs };
    }
    if (this.peek().type !== 'COLON') this.unexpected('subquery or range', '":" or "]"');
    this.consume();
    if (this.peek().type === 'DURATION') {
      this.duration(this.consume());
      if (this.peek().type !== 'RIGHT_BRACKET') this.unexpected('subquery selector', '"]"');
    } else if (this.peek().type !== 'RIGHT_BRACKET') this.unexpected('subquery selector', 'duration or "]"');
    this.consume();
    return { kind: 'subquery', pos: inner.pos, inner, rangeMs, offsetMs: 0, at: false };
  }

  /** The selector or subquery a modifier applies to, or undefined (reported) when there is none. */
  private modifierTarget(expr: Expr, modifier: 'offset' | '@'): { offsetMs: number; at: boolean } | undefined {
    if (expr.kind === 'selector' || expr.kind === 'subquery') return expr;
    if (expr.kind === 'matrix') {
      if (expr.inner.kind === 'selector') return expr.inner;
      this.semantic(expr.pos, 'ranges only allowed for vector selectors');
      return undefined;
    }
    this.semantic(expr.pos, `${modifier} modifier must be preceded by an instant vector selector or range vector selector or a subquery`);
    return undefined;
  }

  /** `offset 5m` / `offset -5m`; at "offset". */
  private offset(expr: Expr): Expr {
    this.consume();
    let sign = 1;
    if (this.peek().type === 'SUB') {
      this.consume();
      sign = -1;
    }
    if (this.peek().type !== 'DURATION') this.unexpected('offset', 'duration');
    const ms = this.duration(this.consume()) * sign;
    const target = this.modifierTarget(expr, 'offset');
    if (target && target.offsetMs !== 0) this.semantic(expr.pos, 'offset may not be set multiple times');
    else if (target) target.offsetMs = ms;
    return expr;
  }

  /** `@ 1700000000`, `@ start()`, `@ end()`; at "@". */
  private at(expr: Expr): Expr {
    this.consume();
    const token = this.peek();
    if (token.type === 'START' || token.type === 'END') {
      this.consume();
      if (this.peek().type !== 'LEFT_PAREN') this.unexpected('@', 'timestamp');
      this.consume();
      if (this.peek().type !== 'RIGHT_PAREN') this.unexpected('@', 'timestamp');
      this.consume();
    } else {
      const negative = token.type === 'SUB';
      if (token.type === 'ADD' || token.type === 'SUB') this.consume();
      if (this.peek().type !== 'NUMBER') this.unexpected('@', 'timestamp');
      const number = this.consume();
      this.number(number);
      const literal = number.val.toLowerCase();
      const seconds = (literal === 'inf' ? Infinity : literal === 'nan' ? NaN : Number(number.val)) * (negative ? -1 : 1);
      // Go's float64 → int64 milliseconds must not overflow; %f prints ±Inf, NaN and the full integer.
      if (!Number.isFinite(seconds) || Math.abs(seconds) >= 2 ** 63) {
        const shown = Number.isNaN(seconds) ? 'NaN' : !Number.isFinite(seconds) ? (seconds > 0 ? '+Inf' : '-Inf') : `${BigInt(seconds).toString()}.000000`;
        this.semantic(expr.pos, `timestamp out of bounds for @ modifier: ${shown}`);
      }
    }
    const target = this.modifierTarget(expr, '@');
    if (target?.at) this.semantic(expr.pos, '@ <timestamp> may not be set multiple times');
    else if (target) target.at = true;
    return expr;
  }
}

function typeOf(expr: Expr): ValueType {
  switch (expr.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'selector':
    case 'aggregate':
      return 'vector';
    case 'matrix':
    case 'subquery':
      return 'matrix';
    case 'call':
      return expr.fn?.returnType ?? 'vector';
    case 'binary':
      return typeOf(expr.lhs) === 'scalar' && typeOf(expr.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'paren':
    case 'unary':
      return typeOf(expr.inner);
  }
}

/** parse.go's checkAST: types, arity, vector matching, in Prometheus' order; problems appended. */
function checkTypes(expr: Expr, problems: PromqlProblem[]): ValueType {
  const report = (offset: number, message: string): void => void problems.push({ offset, message, grammar: false });
  const expectType = (node: Expr, want: ValueType, context: string): void => {
    const got = checkTypes(node, problems);
    if (got !== want) report(node.pos, `expected type ${documented(want)} in ${context}, got ${documented(got)}`);
  };
  switch (expr.kind) {
    case 'aggregate':
      if (expr.expr) expectType(expr.expr, 'vector', 'aggregation expression');
      if (expr.param && ['TOPK', 'BOTTOMK', 'QUANTILE', 'LIMITK', 'LIMIT_RATIO'].includes(expr.op)) expectType(expr.param, 'scalar', 'aggregation parameter');
      if (expr.param && expr.op === 'COUNT_VALUES') expectType(expr.param, 'string', 'aggregation parameter');
      break;
    case 'binary': {
      const lt = checkTypes(expr.lhs, problems);
      const rt = checkTypes(expr.rhs, problems);
      const comparison = COMPARISONS.has(expr.op);
      const setOperator = SET_OPERATORS.has(expr.op);
      if (expr.bool && !comparison) report(expr.opPos, 'bool modifier can only be used on comparison operators');
      if (comparison && !expr.bool && typeOf(expr.rhs) === 'scalar' && typeOf(expr.lhs) === 'scalar') report(expr.opPos, 'comparisons between scalars must use BOOL modifier');
      const card: Card = setOperator && expr.card === 'one-to-one' ? 'many-to-many' : expr.card;
      for (const label of expr.matching) if (expr.on && expr.include.includes(label)) report(expr.opPos, `label "${label}" must not occur in ON and GROUP clause at once`);
      if (lt !== 'scalar' && lt !== 'vector') report(expr.lhs.pos, 'binary expression must contain only scalar and instant vector types');
      if (rt !== 'scalar' && rt !== 'vector') report(expr.rhs.pos, 'binary expression must contain only scalar and instant vector types');
      if (lt !== 'vector' || rt !== 'vector') {
        if (expr.matching.length > 0) report(expr.pos, 'vector matching only allowed between instant vectors');
      } else if (setOperator) {
        if (card === 'one-to-many' || card === 'many-to-one') report(expr.pos, `no grouping allowed for "${expr.opText.toLowerCase()}" operation`);
        if (card !== 'many-to-many') report(expr.pos, 'set operations must always be many-to-many');
      }
      if ((lt === 'scalar' || rt === 'scalar') && setOperator) report(expr.pos, `set operator "${expr.opText.toLowerCase()}" not allowed in binary scalar expression`);
      break;
    }
    case 'call': {
      const fn = expr.fn;
      if (!fn) break;
      const declared = fn.argTypes.length;
      if (fn.variadic === 0) {
        if (declared !== expr.args.length) report(expr.pos, `expected ${declared} argument(s) in call to "${fn.name}", got ${expr.args.length}`);
      } else {
        const least = declared - 1;
        if (least > expr.args.length) report(expr.pos, `expected at least ${least} argument(s) in call to "${fn.name}", got ${expr.args.length}`);
        else if (fn.variadic > 0 && least + fn.variadic < expr.args.length) report(expr.pos, `expected at most ${least + fn.variadic} argument(s) in call to "${fn.name}", got ${expr.args.length}`);
      }
      for (let i = 0; i < expr.args.length; i++) {
        let index = i;
        if (i >= declared) {
          if (fn.variadic === 0) break;
          index = declared - 1;
        }
        const want = fn.argTypes[index]!;
        const arg = expr.args[i]!;
        const got = checkTypes(arg, problems);
        if (got !== want) report(arg.pos, `expected type ${documented(want)} in call to function "${fn.name}", got ${documented(got)}`);
      }
      break;
    }
    case 'paren':
      checkTypes(expr.inner, problems);
      break;
    case 'unary': {
      const inner = checkTypes(expr.inner, problems);
      if (inner !== 'scalar' && inner !== 'vector') report(expr.pos, `unary expression only allowed on expressions of type scalar or instant vector, got "${documented(inner)}"`);
      break;
    }
    case 'subquery': {
      const inner = checkTypes(expr.inner, problems);
      if (inner !== 'vector') report(expr.pos, `subquery is only allowed on instant vector, got ${inner} instead`);
      break;
    }
    case 'matrix':
      checkTypes(expr.inner, problems);
      break;
    case 'selector':
      if (expr.name !== '') {
        const named = expr.matchers.find((m) => m.name === '__name__');
        if (named) report(expr.pos, `metric name must not be set twice: "${expr.name}" or "${named.value}"`);
      } else if (expr.matchers.every(matchesEmpty)) {
        report(expr.pos, 'vector selector must contain at least one non-empty matcher');
      }
      break;
    case 'number':
    case 'string':
      break;
  }
  return typeOf(expr);
}

/** Every expression of a tree, depth first. */
function* walk(expr: Expr): Generator<Expr> {
  yield expr;
  switch (expr.kind) {
    case 'matrix':
    case 'subquery':
    case 'paren':
    case 'unary':
      yield* walk(expr.inner);
      break;
    case 'binary':
      yield* walk(expr.lhs);
      yield* walk(expr.rhs);
      break;
    case 'call':
      for (const arg of expr.args) yield* walk(arg);
      break;
    case 'aggregate':
      if (expr.param) yield* walk(expr.param);
      if (expr.expr) yield* walk(expr.expr);
      break;
    default:
      break;
  }
}

/**
 * The ranges (`[5m]`, the 10m of `[10m:30s]`) of a query in ms, in the order written; undefined
 * when the query does not parse as Prometheus 2.x grammar.
 */
export function promqlRangesMs(query: string): number[] | undefined {
  const expr = parseDeep(new Parser(query));
  if (!expr) return undefined;
  const ranges: number[] = [];
  for (const node of walk(expr)) if (node.kind === 'matrix' || node.kind === 'subquery') ranges.push(node.rangeMs);
  return ranges;
}

/** The first problem Prometheus reports for this query, or undefined when Prometheus accepts it. */
export function checkPromql(query: string): PromqlProblem | undefined {
  const parser = new Parser(query);
  const expr = parseDeep(parser);
  if (parser.problems.length > 0) return parser.problems[0];
  if (!expr) return undefined;
  const problems: PromqlProblem[] = [];
  try {
    checkTypes(expr, problems);
  } catch (error) {
    if (error instanceof RangeError) return TOO_DEEP;
    throw error;
  }
  return problems[0];
}

/** For a query nested deeper than the call stack goes: a grammar "problem", so only lezer decides. */
const TOO_DEEP: PromqlProblem = { offset: 0, message: 'the query is nested too deeply to check', grammar: true };

/** Parses; a query nested thousands of levels deep overflows the stack, and gives no tree then. */
function parseDeep(parser: Parser): Expr | undefined {
  try {
    return parser.parse();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    parser.problems.splice(0, parser.problems.length, TOO_DEEP);
    return undefined;
  }
}
