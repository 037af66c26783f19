/**
 * Where a character of a YAML string value sits in the file: the value of `"a\"b"`, of a folded
 * `>` block or of an indented `|` block is not the text between its quotes or lines, so an offset
 * into the value (a PromQL token) is walked through the source, skipping indentation, line
 * folding, quote doubling and escape sequences.
 */

const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';

/** The length of a double-quoted YAML escape at `at` (which holds a backslash). */
function escapeLength(text: string, at: number): number {
  const kind = text[at + 1];
  return kind === 'x' ? 4 : kind === 'u' ? 6 : kind === 'U' ? 10 : 2;
}

/**
 * The file offset of `value[valueOffset]`, for a scalar whose content starts at `contentStart`
 * and ends before `end`; undefined when the source does not spell the value (e.g. `${ENV}` was
 * substituted before the offending character), so the caller can fall back to something coarser.
 */
export function scalarSourceOffset(text: string, type: string | undefined, contentStart: number, end: number, value: string, valueOffset: number): number | undefined {
  const doubleQuoted = type === 'QUOTE_DOUBLE';
  const singleQuoted = type === 'QUOTE_SINGLE';
  let p = contentStart;
  for (let i = 0; i < valueOffset && i < value.length; i++) {
    const wanted = value[i]!;
    for (;;) {
      if (p >= end) return undefined;
      const ch = text[p]!;
      if (doubleQuoted && ch === '\\') {
        if (text[p + 1] === '\n' || text[p + 1] === '\r') {
          // An escaped line break continues the line: it stands for nothing in the value.
          p += 2;
          while (text[p] === ' ' || text[p] === '\t' || text[p] === '\n') p++;
          continue;
        }
        p += escapeLength(text, p);
        break;
      }
      if (singleQuoted && ch === "'" && text[p + 1] === "'") {
        p += 2;
        break;
      }
      if (ch === wanted) {
        p += 1;
        break;
      }
      if (wanted === ' ' && (ch === '\n' || ch === '\r')) {
        // A folded line break.
        p += 1;
        break;
      }
      if (isBlank(ch)) {
        p += 1; // indentation or the extra line breaks of a fold
        continue;
      }
      return undefined;
    }
  }
  // Land on the character itself, not on the indentation before it.
  if (valueOffset < value.length && !isBlank(value[valueOffset])) while (p < end && isBlank(text[p]) && text[p] !== value[valueOffset]) p++;
  return p <= end ? p : undefined;
}
