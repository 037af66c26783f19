/**
 * Where a value of the plan sits in the YAML source. Issues are found on plain data (zod issues,
 * semantic checks) and carry a data path such as `steps[2].weight`; this module walks the YAML
 * tree along that path to give them a `line:col`.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { PlanIssue } from '../errors.js';
import { scalarSourceOffset } from './scalar-offset.js';

export type PathSegment = string | number;

/** An issue found on data, before it has a position. */
export interface PathIssue {
  path: PathSegment[];
  message: string;
  /** Point at the key of the last path segment (unknown keys) rather than at its value. */
  at?: 'key' | 'value';
  /** Point at this text inside the value when it occurs there (a placeholder, a PromQL token). */
  needle?: string;
  /** Which occurrence of `needle` (0-based) when it occurs several times. */
  needleIndex?: number;
  /**
   * Point at this character of the string value (a PromQL token): exact through quotes, escapes
   * and block scalars; `needle` is the fallback when the source does not spell the value.
   */
  valueOffset?: number;
}

const IDENTIFIER_RE = /^[A-Za-z_$][\w$-]*$/;

/** `steps[2].weight`, `prometheus.headers["X Odd"]`: the path as people read it in messages. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER_RE.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

interface Located {
  node: Node | null;
  /** The pair whose value is `node` (absent for the root and sequence items). */
  pair?: Pair;
  /** True when the whole path was found. */
  complete: boolean;
}

/** A parsed plan file: its text, YAML tree and line counter, turning data paths into positions. */
export class PlanSource {
  constructor(
    /** The path as the user gave it; used verbatim in messages. */
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** 1-based line and column of a character offset. */
  lineCol(offset: number): { line: number; col: number } {
    const { line, col } = this.lineCounter.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line: Math.max(1, line), col: Math.max(1, col) };
  }

  /** A positioned issue. */
  issue(found: PathIssue): PlanIssue {
    return { file: this.file, ...this.lineCol(this.offsetOf(found)), path: formatPath(found.path), message: found.message };
  }

  /** A file-level issue at a given offset (YAML syntax errors, unreadable files). */
  issueAt(offset: number, message: string): PlanIssue {
    return { file: this.file, ...this.lineCol(offset), path: '', message };
  }

  private offsetOf(found: PathIssue): number {
    const located = this.locate(found.path);
    if (!located.complete) {
      // A missing key: point at the key of its parent, where the user has to add it.
      return located.pair?.key && isNodeLike(located.pair.key) ? startOf(located.pair.key) : startOf(located.node);
    }
    if (found.at === 'key' && located.pair && isNodeLike(located.pair.key)) return startOf(located.pair.key);
    const node = located.node ?? (located.pair && isNodeLike(located.pair.key) ? located.pair.key : null);
    if (!node || !node.range) return located.pair && isNodeLike(located.pair.key) ? startOf(located.pair.key) : 0;
    if (found.valueOffset !== undefined && isScalar(node) && typeof node.value === 'string') {
      const at = scalarSourceOffset(this.text, node.type, this.valueStart(node), node.range[1], node.value, found.valueOffset);
      if (at !== undefined) return at;
    }
    if (found.needle) {
      const [start, end] = node.range;
      const slice = this.text.slice(start, end);
      let at = -1;
      for (let n = 0, from = 0; n <= (found.needleIndex ?? 0); n++) {
        const next = slice.indexOf(found.needle, from);
        if (next < 0) break;
        at = next;
        from = next + 1;
      }
      if (at >= 0) return start + at;
    }
    return this.contentStart(node);
  }

  /** Start of a node's content; for block scalars (`|`, `>`) the first line of text, not the indicator. */
  private contentStart(node: Node): number {
    const start = startOf(node);
    if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') && node.range) {
      const newline = this.text.indexOf('\n', start);
      if (newline >= 0 && newline < node.range[1]) {
        let offset = newline + 1;
        while (offset < node.range[1] && (this.text[offset] === ' ' || this.text[offset] === '\t')) offset++;
        return offset;
      }
    }
    return start;
  }

  /** Where a scalar's value text starts: after the opening quote, or at the first line of a block. */
  private valueStart(node: Node): number {
    if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) return startOf(node) + 1;
    if (isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED')) {
      // The line after the `|`/`>` header; its indentation is skipped while walking.
      const newline = this.text.indexOf('\n', startOf(node));
      if (newline >= 0) return newline + 1;
    }
    return startOf(node);
  }

  /** Walks the YAML tree along a data path, through aliases; stops at the deepest node found. */
  locate(path: readonly PathSegment[]): Located {
    let current: Located = { node: (this.doc.contents as Node | null) ?? null, complete: true };
    for (const segment of path) {
      const node = this.resolveAlias(current.node);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) return { ...current, complete: false };
        current = { node: isNodeLike(pair.value) ? pair.value : null, pair: pair as Pair, complete: true };
      } else if (isSeq(node) && typeof segment === 'number' && isNodeLike(node.items[segment])) {
        current = { node: node.items[segment] as Node, complete: true };
      } else {
        return { ...current, complete: false };
      }
    }
    return current;
  }

  private resolveAlias(node: Node | null): Node | null {
    let resolved: unknown = node;
    // An alias of an alias is legal YAML; a few hops are enough and guard against cycles.
    for (let hops = 0; hops < 8 && isAlias(resolved); hops++) resolved = resolved.resolve(this.doc);
    return isNodeLike(resolved) ? resolved : null;
  }
}

function isNodeLike(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && 'range' in value;
}

function startOf(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}
