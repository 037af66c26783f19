/**
 * PromQL checks and range-selector lookup. Problems are found and worded as Prometheus does
 * (promql-check.ts); the parser of Prometheus' own web UI (`@prometheus-io/lezer-promql`, imported
 * here and nowhere else) finds ranges and confirms grammar errors against the newest syntax.
 */
import { createRequire } from 'node:module';
import type { parser as LezerParser } from '@prometheus-io/lezer-promql';
import { checkPromql, promqlRangesMs } from './promql-check.js';

let lezer: typeof LezerParser | undefined;
/**
 * Lezer's PromQL parser, loaded on first use only (a valid query never needs it): its tables cost
 * about 10 ms to load, which every `plan validate` would pay. Required synchronously, from
 * node_modules, so the CLI bundle leaves it out.
 */
function lezerParser(): typeof LezerParser {
  lezer ??= (createRequire(import.meta.url)('@prometheus-io/lezer-promql') as { parser: typeof LezerParser }).parser;
  return lezer;
}

/**
 * Stand-ins for the placeholders that are only known at run time, so a query can be parsed
 * at load time: `[{{range}}]` must still be a valid range, `{{weight}}` a number.
 */
export const RUNTIME_PLACEHOLDER_SAMPLES: Readonly<Record<string, string>> = { weight: '50', step: '1', range: '5m', rolloutId: 'r1' };

export interface PromqlSyntaxError {
  /** Character offset of the problem in the query (where Prometheus places it). */
  offset: number;
  /** The text at fault (empty at the end of the query). */
  near: string;
  /** For people: `PromQL parse error: ` and Prometheus' own message. */
  message: string;
  /** Prometheus' message alone, as promtool prints it after `parse error:`. */
  detail: string;
}

/**
 * The first problem of a query, in Prometheus' words and at Prometheus' place (promql-check.ts,
 * which follows the parser of the Prometheus 2.x promtool installed with rollgate), or undefined
 * when Prometheus accepts it.
 *
 * A grammar error is reported only when the lezer grammar (which follows the newest Prometheus)
 * also finds the query broken: syntax newer than the grammar promql-check.ts follows is not
 * refused here. Lezer runs only then, so a valid query costs one pass.
 */
export function findPromqlError(query: string): PromqlSyntaxError | undefined {
  if (query.trim() === '') return problem(query, 0, 'no expression found in input (the query is empty)');
  const found = checkPromql(query);
  if (!found || (found.grammar && !lezerFindsError(query))) return undefined;
  return problem(query, found.offset, found.message);
}

function problem(query: string, offset: number, detail: string): PromqlSyntaxError {
  // Past the last token (end of input), point right after it rather than at trailing blank lines.
  const at = Math.min(offset, query.trimEnd().length);
  const near = (/^\S+/.exec(query.slice(at))?.[0] ?? '').slice(0, 30);
  return { offset: at, near, message: `PromQL parse error: ${detail}`, detail };
}

/** Whether lezer's tree of the query has an error node (lezer recovers by inserting them). */
function lezerFindsError(query: string): boolean {
  let broken = false;
  lezerParser().parse(query).iterate({
    enter: (node) => {
      if (broken) return false;
      if (node.type.isError) broken = true;
      return undefined;
    },
  });
  return broken;
}

/**
 * Where an offset of a rendered query lies in the template it was rendered from: the same
 * character in the text around placeholders, the placeholder itself inside a substituted value.
 * `render` renders a prefix of the template (a prefix renders to a prefix of the whole).
 */
export function templateOffset(template: string, renderedOffset: number, render: (prefix: string) => string): number {
  let templatePos = 0;
  let renderedPos = 0;
  // Sloth's `{{.window}}` counts as a placeholder too (a literal `{{…}}` maps the same either way).
  for (const match of template.matchAll(/\{\{\s*\.?[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}/g)) {
    const literal = match.index - templatePos;
    if (renderedOffset < renderedPos + literal) break;
    const renderedEnd = render(template.slice(0, match.index + match[0].length)).length;
    if (renderedOffset < renderedEnd) return match.index;
    templatePos = match.index + match[0].length;
    renderedPos = renderedEnd;
  }
  return Math.min(template.length, templatePos + (renderedOffset - renderedPos));
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
  const ranges = promqlRangesMs(query);
  if (ranges) return Math.max(0, ...ranges);
  // Syntax newer than the Prometheus 2.x grammar: lezer knows it.
  let longest = 0;
  lezerParser().parse(query).iterate({
    enter: (node) => {
      if (node.name !== 'MatrixSelector' && node.name !== 'SubqueryExpr') return;
      const range = node.node.getChild('DurationExpr');
      const ms = range ? parsePromDuration(query.slice(range.from, range.to)) : undefined;
      if (ms !== undefined && ms > longest) longest = ms;
    },
  });
  return longest;
}
