/**
 * YAML syntax errors as a person can act on them. The yaml library reports an unclosed quote or
 * bracket where it gave up — often the end of the file, far from the mistake — so the position is
 * moved back to the start of the token left open (the quote, the `[` or `{`), and the library's
 * wording is replaced by what to do. Only the first error is reported: the ones after it are
 * usually echoes of it.
 */
import { CST, Parser, type YAMLError } from 'yaml';

export interface YamlProblem {
  /** Character offset where the broken token starts. */
  offset: number;
  message: string;
}

/** A quoted scalar or flow collection the parser opened and never closed. */
interface OpenToken {
  offset: number;
  kind: 'double' | 'single' | 'sequence' | 'mapping';
}

/** Every quoted scalar and flow collection of the text that has no closing character. */
function openTokens(text: string): OpenToken[] {
  const open: OpenToken[] = [];
  const consider = (token: CST.Token | undefined): void => {
    if (!token) return;
    if (token.type === 'double-quoted-scalar' || token.type === 'single-quoted-scalar') {
      const quote = token.type === 'double-quoted-scalar' ? '"' : "'";
      if (!closesQuote(token.source, quote)) open.push({ offset: token.offset, kind: quote === '"' ? 'double' : 'single' });
    } else if (token.type === 'flow-collection') {
      const opener = token.start.source;
      const closer = opener === '[' ? ']' : '}';
      if (!token.end.some((t) => t.source === closer)) open.push({ offset: token.offset, kind: opener === '[' ? 'sequence' : 'mapping' });
    }
  };
  try {
    for (const token of new Parser().parse(text)) {
      if (token.type !== 'document') continue;
      consider(token.value);
      CST.visit(token, (item) => {
        consider(item.key ?? undefined);
        consider(item.value);
      });
    }
  } catch {
    // The CST is only a better pointer; without it the library's own position stands.
  }
  return open;
}

/** True when a quoted scalar's source ends with its closing quote (`''` inside single quotes is an escaped quote). */
function closesQuote(source: string, quote: '"' | "'"): boolean {
  if (source.length < 2 || !source.endsWith(quote)) return false;
  if (quote === "'") {
    // Count the trailing quotes after the opening one: an odd run closes the scalar.
    let run = 0;
    for (let i = source.length - 1; i > 0 && source[i] === "'"; i--) run++;
    return run % 2 === 1;
  }
  let backslashes = 0;
  for (let i = source.length - 2; i > 0 && source[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

const OPEN_WORDS: Record<OpenToken['kind'], string> = {
  double: 'this double-quoted string is never closed: add the closing " (or remove the opening one)',
  single: "this single-quoted string is never closed: add the closing ' (write '' for a quote inside it)",
  sequence: 'this [ list is never closed: add the closing ] (or write the list one "- item" per line)',
  mapping: 'this { mapping is never closed: add the closing } (quote values holding "{", "}" or ",")',
};

function plainWords(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation: YAML indents with spaces only';
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(text.slice(error.pos[0]))?.[0]?.trim();
      return `duplicate key${key ? ` "${key}"` : ''}: each key may appear only once in a mapping`;
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a value holds ": ", which YAML reads as a nested mapping: quote the value';
    case 'MULTIPLE_DOCS':
      return 'the file holds several YAML documents (---): a plan is one document';
    case 'BAD_INDENT':
      if (/same column/.test(error.message)) return 'this key is not indented like the other keys of its mapping';
      return `bad indentation: ${lowerFirst(error.message)}`;
    default:
      return lowerFirst(error.message);
  }
}

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/**
 * The first syntax error of a YAML text, at the start of the token it concerns, in plain words.
 * `errors` are the parser's (Document.errors); undefined when there are none.
 */
export function firstYamlProblem(text: string, errors: readonly YAMLError[]): YamlProblem | undefined {
  if (errors.length === 0) return undefined;
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0]!;
  // An unclosed quote or bracket before the error is its cause: the parser only noticed later.
  // The innermost (last opened) one: an unclosed quote inside [ ] leaves the list open too.
  const cause = openTokens(text)
    .filter((token) => token.offset <= first.pos[0])
    .sort((a, b) => b.offset - a.offset)[0];
  if (cause && (first.code === 'MISSING_CHAR' || first.code === 'BAD_INDENT' || first.code === 'UNEXPECTED_TOKEN' || first.code === 'BLOCK_AS_IMPLICIT_KEY' || first.code === 'MULTILINE_IMPLICIT_KEY')) {
    return { offset: cause.offset, message: `YAML syntax error: ${OPEN_WORDS[cause.kind]}` };
  }
  return { offset: first.pos[0], message: `YAML syntax error: ${plainWords(first, text)}` };
}
