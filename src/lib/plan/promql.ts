/**
 * PromQL syntax checks and range-selector lookup, on the parser Prometheus' own web UI uses
 * (`@prometheus-io/lezer-promql`). Lezer recovers from errors by inserting error nodes, so a
 * query is valid when its tree has none.
 */
import { parser } from '@prometheus-io/lezer-promql';

/**
 * Stand-ins for the placeholders that are only known at run time, so a query can be parsed
 * at load time: `[{{range}}]` must still be a valid range, `{{weight}}` a number.
 */
export const RUNTIME_PLACEHOLDER_SAMPLES: Readonly<Record<string, string>> = { weight: '50', step: '1', range: '5m', rolloutId: 'r1' };

export interface PromqlSyntaxError {
  /** Character offset of the problem in the query. */
  offset: number;
  /** The text at fault (empty at the end of the query). */
  near: string;
  message: string;
}

/** The first syntax error of a query, or undefined when it parses. */
export function findPromqlError(query: string): PromqlSyntaxError | undefined {
  if (query.trim() === '') return { offset: 0, near: '', message: 'the query is empty' };
  let first: { from: number; to: number } | undefined;
  parser.parse(query).iterate({
    enter: (node) => {
      if (first) return false;
      if (node.type.isError) first = { from: node.from, to: node.to };
      return undefined;
    },
  });
  if (!first) return undefined;
  const rest = query.slice(first.from);
  if (rest.trim() === '') return { offset: first.from, near: '', message: 'PromQL syntax error: the query ends too early (unclosed bracket or missing operand?)' };
  const near = (first.to > first.from ? query.slice(first.from, first.to) : /^\S+/.exec(rest)?.[0] ?? rest).slice(0, 30);
  // lezer has no node for an unknown function: it stops at the "(" after the identifier.
  const unknownFunction = near.startsWith('(') ? /([A-Za-z_:][\w:]*)\s*$/.exec(query.slice(0, first.from))?.[1] : undefined;
  if (unknownFunction) return { offset: first.from - unknownFunction.length, near: unknownFunction, message: `PromQL syntax error: unknown function "${unknownFunction}"` };
  return { offset: first.from, near, message: `PromQL syntax error near "${near}"` };
}

const PROM_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Prometheus duration syntax (`1h30m`, `5m`, `90` = seconds) in ms, or undefined. */
export function parsePromDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
  if (!/^(?:\d+(?:ms|s|m|h|d|w|y))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(amount) * PROM_UNIT_MS[unit!]!;
  return total;
}

/** The longest range selector (`[1m]`) or subquery range (`[5m:30s]`) of a query, in ms; 0 when none. */
export function longestRangeMs(query: string): number {
  let longest = 0;
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.name !== 'MatrixSelector' && node.name !== 'SubqueryExpr') return;
      const range = node.node.getChild('DurationExpr');
      const ms = range ? parsePromDuration(query.slice(range.from, range.to)) : undefined;
      if (ms !== undefined && ms > longest) longest = ms;
    },
  });
  return longest;
}
