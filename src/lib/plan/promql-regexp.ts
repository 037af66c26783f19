/**
 * The common mistakes in a label matcher's regular expression (`=~`, `!~`), in the words of Go's
 * regexp/syntax, which Prometheus compiles them with (anchored as `^(?:…)$`): unbalanced
 * parentheses and brackets, a repetition with nothing to repeat (`*.example.com`, a glob habit),
 * nested repetitions, bad repeat counts and ranges, look-arounds. Anything this scanner does not
 * know is let through: a regexp is refused here only when Go would refuse it for certain.
 */

const MAX_REPEAT = 1000;

/** Go's error for this regexp, as `error parsing regexp: <what>: \`<where>\``; undefined when none is known. */
export function goRegexpProblem(value: string): string | undefined {
  const full = `^(?:${value})$`;
  const fail = (what: string, where: string): string => `error parsing regexp: ${what}: \`${where}\``;
  const open: number[] = [];
  /** Nothing to repeat here: the start, after "(" or "|". */
  let atStart = true;
  /** Where the last repetition operator began, when the previous item was one (for "nested"). */
  let repeatStart = -1;
  let lazyAllowed = false;
  let i = 0;
  while (i < full.length) {
    const ch = full[i]!;
    if (ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d+(?:,\d*)?\}/.test(full.slice(i)))) {
      const op = ch === '{' ? /^\{\d+(?:,\d*)?\}/.exec(full.slice(i))![0] : ch;
      if (ch === '?' && lazyAllowed) {
        // `a*?`: the non-greedy form of the repetition before it.
        lazyAllowed = false;
        i += 1;
        continue;
      }
      if (repeatStart >= 0) return fail('invalid nested repetition operator', full.slice(repeatStart, i + op.length));
      if (atStart) return fail('missing argument to repetition operator', op);
      if (ch === '{') {
        const [min, max] = op.slice(1, -1).split(',');
        const low = Number(min);
        const high = max === undefined ? low : max === '' ? undefined : Number(max);
        if (low > MAX_REPEAT || (high !== undefined && (high > MAX_REPEAT || high < low))) return fail('invalid repeat count', op);
      }
      repeatStart = i;
      lazyAllowed = true;
      i += op.length;
      continue;
    }
    repeatStart = -1;
    lazyAllowed = false;
    const wasAtStart: boolean = atStart;
    atStart = false;
    switch (ch) {
      case '\\': {
        const escaped = full[i + 1] ?? '';
        if (escaped === 'Q') {
          const end = full.indexOf('\\E', i + 2);
          i = end < 0 ? full.length : end + 2;
          continue;
        }
        // Back-references and letters Go gives no meaning to (\e, \g, \C, \E alone, …).
        if (/^[1-9]$/.test(escaped) || (/^[A-Za-z]$/.test(escaped) && !VALID_ESCAPE_LETTERS.includes(escaped))) return fail('invalid escape sequence', `\\${escaped}`);
        i += escaped === 'x' && full[i + 2] === '{' ? Math.max(2, full.indexOf('}', i) - i + 1) : 2;
        continue;
      }
      case '(': {
        const named = /^\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(full.slice(i));
        if (named || full[i + 1] !== '?') {
          // A group, plain or named ((?<name> is Go 1.22's spelling, accepted by newer Prometheus).
          open.push(i);
          atStart = true;
          i += named ? named[0].length : 1;
          continue;
        }
        const flags = perlFlags(full, i);
        if (typeof flags === 'string') return fail('invalid or unsupported Perl syntax', flags);
        if (full[flags - 1] === ':') open.push(i);
        // `(?i:` opens a group; `(?i)` only sets flags and leaves nothing to repeat behind it.
        atStart = full[flags - 1] === ':' || wasAtStart;
        i = flags;
        continue;
      }
      case ')':
        if (open.pop() === undefined) return fail('unexpected )', full);
        i += 1;
        continue;
      case '|':
        atStart = true;
        i += 1;
        continue;
      case '[': {
        const end = characterClassEnd(full, i);
        const range = badRange(full.slice(i + 1, end < 0 ? full.length : end));
        if (range) return fail('invalid character class range', range);
        if (end < 0) return fail('missing closing ]', full.slice(i));
        if (range) return fail('invalid character class range', range);
        i = end + 1;
        continue;
      }
      default:
        i += 1;
    }
  }
  if (open.length > 0) return fail('missing closing )', full);
  return undefined;
}

const VALID_ESCAPE_LETTERS = 'afnrtvxdDsSwWbBAzpPQ';

/**
 * `(?flags)` or `(?flags:` at `start`: the index after it, or the text Go names when it is not
 * one (`(?=`, `(?<=`, `(?P=`, `(?--`, `(?b`).
 */
function perlFlags(text: string, start: number): number | string {
  let j = start + 2;
  let minus = false;
  let flagAfterMinus = false;
  if (text[j] === 'P') return text.slice(start, j + 1);
  for (;;) {
    const ch = text[j];
    if (ch !== undefined && 'imsU'.includes(ch)) {
      flagAfterMinus = minus;
      j += 1;
    } else if (ch === '-' && !minus) {
      minus = true;
      j += 1;
    } else if ((ch === ':' || ch === ')') && (!minus || flagAfterMinus)) {
      return j + 1;
    } else {
      return text.slice(start, j + 1);
    }
  }
}

/** Index of the "]" closing the class opened at `start`, or -1. */
function characterClassEnd(text: string, start: number): number {
  let i = start + 1;
  if (text[i] === '^') i += 1;
  if (text[i] === ']') i += 1; // a "]" first in the class is literal
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text.startsWith('[:', i) && text.indexOf(':]', i + 2) > 0) i = text.indexOf(':]', i + 2) + 2;
    else if (text[i] === ']') return i;
    else i += 1;
  }
  return -1;
}

/** The first `z-a` range of plain characters whose end comes before its start. */
function badRange(body: string): string | undefined {
  for (const match of body.matchAll(/(?<![\\])([^\\\]-])-([^\\\]])/g)) {
    if (match[1]!.codePointAt(0)! > match[2]!.codePointAt(0)!) return `${match[1]}-${match[2]}`;
  }
  return undefined;
}
