/**
 * `{{vars}}` in PromQL, substituted so that a value can never rewrite the query.
 *
 * Plain text substitution let `--set 'version=v2"}[1m])) * 0 # '` close the label matcher, multiply
 * the gate's value by zero and comment out the rest: a failing gate passed. `"`, `{`, `}` and `#`
 * are legal in git ref names that CI passes in, so this is not far-fetched. Here every placeholder
 * is substituted according to where it stands in the query:
 * - inside a string literal ("…", '…'): the value is escaped for that literal (Prometheus'
 *   strutil.Unquote rules: backslash, the literal's own quote, control characters), so it stays data;
 * - inside a raw string (`…`): nothing can be escaped, so a value holding a backtick is refused;
 * - outside any literal: the value must be one number, duration or name (not a keyword), or it is
 *   refused — anything else would change the query's structure;
 * - inside a comment: a value with a line break is refused (it would end the comment).
 */
import { PLACEHOLDER_PATTERN, MissingVarError } from '../template.js';

/** A value that cannot be placed where its placeholder stands. */
export class UnsafePlaceholderError extends Error {
  constructor(
    /** The placeholder's name (without braces). */
    readonly placeholder: string,
    /** Why, in words for a person (the value itself is never repeated: it may be a secret). */
    readonly why: string,
  ) {
    super(`{{${placeholder}}} ${why}`);
  }
}

type Context = 'code' | 'double' | 'single' | 'raw' | 'comment';

const NUMBER_RE = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/;
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const NAME_RE = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
/** Words that are operators, modifiers or aggregations: as a value outside a literal they change the parse. */
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2', 'start', 'end',
  'sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio',
]);

/** The value escaped for a "…" or '…' PromQL string literal. */
export function escapeForPromqlString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Why a value may not stand outside a string literal; undefined when it is one harmless token. */
function codeProblem(value: string): string | undefined {
  if (value === '') return 'is empty, and stands outside a string literal where the query needs a value';
  if (NUMBER_RE.test(value) || DURATION_RE.test(value)) return undefined;
  if (NAME_RE.test(value)) return KEYWORDS.has(value.toLowerCase()) ? `has a PromQL keyword as its value ("${value}"), which would change the query's structure` : undefined;
  return "has a value that would change the query's structure: outside a string literal only a number, a duration or a name may be substituted; put the placeholder inside quotes (label=\"{{…}}\")";
}

function substitute(name: string, value: string, context: Context): string {
  switch (context) {
    case 'double':
      return escapeForPromqlString(value, '"');
    case 'single':
      return escapeForPromqlString(value, "'");
    case 'raw':
      if (value.includes('`')) throw new UnsafePlaceholderError(name, 'has a value holding a backtick, which a raw (`…`) string cannot hold; use "…" quotes around the placeholder');
      return value;
    case 'comment':
      if (/[\r\n]/.test(value)) throw new UnsafePlaceholderError(name, 'has a value holding a line break, which would end the comment it stands in');
      return value;
    case 'code': {
      const problem = codeProblem(value);
      if (problem) throw new UnsafePlaceholderError(name, problem);
      return value;
    }
  }
}

/**
 * Substitutes the placeholders of a PromQL query template, each according to where it stands (see
 * the module comment). Names in `keep` without a value stay as written (run-time placeholders).
 * Throws MissingVarError for unknown names and UnsafePlaceholderError for a value it refuses.
 */
export function renderPromqlTemplate(template: string, vars: Readonly<Record<string, string>>, keep: readonly string[] = []): string {
  const placeholder = new RegExp(PLACEHOLDER_PATTERN, 'y');
  const missing = new Set<string>();
  let context: Context = 'code';
  let out = '';
  let i = 0;
  while (i < template.length) {
    placeholder.lastIndex = i;
    const match = placeholder.exec(template);
    if (match) {
      const name = match[1]!;
      if (name in vars) out += substitute(name, vars[name]!, context);
      else {
        if (!keep.includes(name)) missing.add(name);
        out += match[0];
      }
      i += match[0].length;
      continue;
    }
    const ch = template[i]!;
    out += ch;
    i += 1;
    switch (context) {
      case 'code':
        if (ch === '"') context = 'double';
        else if (ch === "'") context = 'single';
        else if (ch === '`') context = 'raw';
        else if (ch === '#') context = 'comment';
        break;
      case 'double':
      case 'single':
        if (ch === '\\' && i < template.length) {
          // An escape in the template itself: copy the escaped character as it is.
          out += template[i];
          i += 1;
        } else if (ch === (context === 'double' ? '"' : "'")) context = 'code';
        break;
      case 'raw':
        if (ch === '`') context = 'code';
        break;
      case 'comment':
        if (ch === '\n') context = 'code';
        break;
    }
  }
  if (missing.size > 0) throw new MissingVarError([...missing]);
  return out;
}
