/**
 * `{{name}}` placeholders, used in gate queries (at load time) and in action arguments (at run time).
 * Substitution is textual and per string: a value is never parsed again, so quotes, `$(...)` or
 * newlines in a value stay data (actions run argv without a shell). PromQL queries are rendered
 * by plan/promql-vars.ts instead, which escapes values for the string literal they stand in.
 */

/** The placeholder grammar, as a pattern source (renderers build their own RegExp flags from it). */
export const PLACEHOLDER_PATTERN = '\\{\\{\\s*([A-Za-z_][A-Za-z0-9_.-]*)\\s*\\}\\}';
const PLACEHOLDER_RE = new RegExp(PLACEHOLDER_PATTERN, 'g');

export class MissingVarError extends Error {
  constructor(readonly names: string[]) {
    super(`unknown placeholder${names.length > 1 ? 's' : ''}: ${names.map((n) => `{{${n}}}`).join(', ')}`);
  }
}

/** Names of the placeholders used in a text, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!))];
}

/**
 * Substitutes every placeholder. Unknown names throw MissingVarError unless `keep` lists them
 * (e.g. `weight` and `range` stay for run time).
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>, keep: readonly string[] = []): string {
  const missing = placeholdersIn(text).filter((name) => !(name in vars) && !keep.includes(name));
  if (missing.length > 0) throw new MissingVarError(missing);
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => (name in vars ? vars[name]! : whole));
}
