/**
 * `${VAR}` and `${VAR:-default}` in the plan's string values, substituted from the environment
 * before validation, on the YAML tree itself so every problem keeps its position.
 * `$${` writes a literal `${`. Keys are never interpolated.
 */
import { isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import type { PathIssue, PathSegment } from './positions.js';

const REFERENCE_RE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_REFERENCE_RE = /\$\{[A-Za-z_]/;
const NUMBER_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

export interface InterpolationResult {
  value: string;
  issues: Array<{ message: string; needle: string }>;
  /** The values taken from the environment (not defaults written in the plan), in order. */
  fromEnv: string[];
}

/** An environment value placed into the plan, and where. */
export interface EnvValue {
  path: PathSegment[];
  value: string;
}

/** Substitutes the references of one string. Unset variables without a default are issues. */
export function interpolateString(text: string, env: NodeJS.ProcessEnv): InterpolationResult {
  const issues: InterpolationResult['issues'] = [];
  const fromEnv: string[] = [];
  const value = text.replace(REFERENCE_RE, (whole: string, body: string | undefined) => {
    if (whole === '$${') return '${';
    if (!whole.endsWith('}')) {
      issues.push({ message: `unterminated "\${" reference; write "$\${" for a literal "\${"`, needle: whole });
      return whole;
    }
    const inner = body ?? '';
    const dash = inner.indexOf(':-');
    const name = dash >= 0 ? inner.slice(0, dash) : inner;
    if (!NAME_RE.test(name)) {
      issues.push({ message: `"${whole}" is not an environment reference: use \${NAME} or \${NAME:-default} (write "$\${" for a literal "\${")`, needle: whole });
      return whole;
    }
    const current = env[name];
    // `:-` as in the shell: the default also applies when the variable is set but empty.
    if (dash >= 0 && (current === undefined || current === '')) return inner.slice(dash + 2);
    if (current === undefined) {
      issues.push({ message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`, needle: whole });
      return whole;
    }
    fromEnv.push(current);
    return current;
  });
  return { value, issues, fromEnv };
}

/**
 * Interpolates every string scalar under `node` in place. A plain (unquoted) scalar whose text
 * changed is typed again, so `weight: ${W:-10}` is the number 10 as if written literally;
 * a quoted one stays a string. The path of every value that held a `${...}` reference is pushed
 * to `interpolated`, and each value taken from the environment to `envValues`.
 */
export function interpolateTree(node: Node | null, env: NodeJS.ProcessEnv, path: PathSegment[] = [], issues: PathIssue[] = [], interpolated: PathSegment[][] = [], envValues: EnvValue[] = []): PathIssue[] {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      interpolateTree(pair.value as Node | null, env, [...path, key], issues, interpolated, envValues);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => interpolateTree(item as Node | null, env, [...path, index], issues, interpolated, envValues));
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
    const original = node.value;
    const result = interpolateString(original, env);
    for (const found of result.issues) issues.push({ path, message: found.message, needle: found.needle });
    if (result.issues.length === 0 && result.value !== original) {
      node.value = retype(node, result.value);
      // Which values came from the environment (a `$${` escape alone does not count): vars among
      // them are secrets unless the plan lists them in `public:`.
      if (ENV_REFERENCE_RE.test(original.replaceAll('$${', ''))) interpolated.push(path);
      for (const value of result.fromEnv) envValues.push({ path, value });
    }
  }
  return issues;
}

function retype(node: Scalar, value: string): unknown {
  if (node.type !== 'PLAIN') return value;
  if (NUMBER_RE.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}
