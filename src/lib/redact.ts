/**
 * Secret redaction for everything rollgate shows or stores: action results, logs, evidence and
 * reports. The contract says secrets never appear in output, logs or evidence, so every path that
 * turns outside data into text for a person goes through one of these functions.
 *
 * Two complementary mechanisms:
 * - by value: `redactText` replaces every occurrence of a known secret (read from a file or the
 *   environment at run time) wherever it shows up, e.g. echoed back in a response body;
 * - by name: headers, URL credentials, query parameters and object keys that conventionally hold
 *   secrets are masked even when their value is not in the list.
 */

export const REDACTED = '***';

/**
 * Secrets shorter than this are not redacted by value: masking every "a" or "10" in an output
 * would destroy it while protecting nothing (such a value is not a credential).
 */
export const MIN_SECRET_LENGTH = 4;

/** Header names that always carry credentials. */
const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
/** Anything that looks like it names a credential. Over-masking is cheap; a leak is not. */
const SENSITIVE_NAME_RE = /token|secret|passw|auth|key|cookie|session|credential/i;
/**
 * Object keys whose value is a secret. Keys ending in File/Env (`bearerTokenFile`, `passwordEnv`)
 * hold a path or a variable name, not the secret itself, and are kept so reports stay useful.
 */
const SENSITIVE_KEY_RE = /password|passwd|secret|token|authorization|api[-_]?key|cookie|credential/i;
/**
 * `auth` (routerAuth, authHeader, x-auth): a value under such a key is a secret. Not "author".
 * An object under it (basicAuth: {username, passwordFile}) is walked instead, its own keys decide.
 */
const AUTH_KEY_RE = /auth(?!or(?!i[sz]ation))/i;
const REFERENCE_KEY_RE = /(?:File|Env)$/;

/** The distinct secrets worth redacting, longest first so a secret containing another is masked whole. */
function usableSecrets(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
}

/**
 * Replaces every occurrence of each secret (at least MIN_SECRET_LENGTH characters long) with `***`.
 * The URL-encoded form of a secret is masked too, since servers often echo request URLs back.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = maskCredentialPatterns(text);
  for (const secret of usableSecrets(secrets)) {
    result = result.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) result = result.split(encoded).join(REDACTED);
  }
  return result;
}

/**
 * Removes a secret cut in two by truncation: when `text` ends with the beginning of a secret (or,
 * with `side: 'start'`, begins with its end), that fragment is dropped. Call it on text already
 * passed through redactText, at the edges where output was cut.
 */
export function trimSecretFragment(text: string, secrets: readonly string[], side: 'start' | 'end'): string {
  let cut = 0;
  for (const secret of usableSecrets(secrets)) {
    for (let length = secret.length - 1; length > cut; length--) {
      const fragment = side === 'end' ? secret.slice(0, length) : secret.slice(secret.length - length);
      if (side === 'end' ? text.endsWith(fragment) : text.startsWith(fragment)) {
        cut = length;
        break;
      }
    }
  }
  if (cut === 0) return text;
  return side === 'end' ? text.slice(0, text.length - cut) : text.slice(cut);
}

/**
 * Masks the credentials of a URL: `https://user:pass@host/x?token=abc` becomes
 * `https://***@host/x?token=***`. Works on the text (not through `new URL`), so the rest of the
 * string is left exactly as it was, and on strings that are not valid URLs too.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@]*@/, `$1${REDACTED}@`)
    .replace(/([?&;])([^=&#;]*)=([^&#;]*)/g, (whole, sep: string, name: string) =>
      SENSITIVE_NAME_RE.test(decodeSafely(name)) ? `${sep}${name}=${REDACTED}` : whole,
    );
}

/** decodeURIComponent that leaves malformed escapes as they are. */
export function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** True when a header of this name carries credentials and its value must never be shown. */
export function isSensitiveHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_HEADERS.has(lower) || SENSITIVE_NAME_RE.test(lower);
}

/** A copy of the headers with the value of every credential-bearing header replaced by `***`. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSensitiveHeader(name) ? REDACTED : value]));
}

/**
 * A deep copy of a JSON-like value for display or storage: values under secret-looking keys
 * (password, token, secret, authorization, api key, cookie) become `***`, every string is passed
 * through redactText, and URLs lose their credentials. Non-plain objects (Date, Buffer) pass through.
 */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  return redactValue(value, usableSecrets(secrets), new WeakSet()) as T;
}

function redactValue(value: unknown, secrets: string[], seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    const masked = secrets.length > 0 ? redactText(value, secrets) : maskCredentialPatterns(value);
    return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(masked) ? redactUrl(masked) : masked;
  }
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  // `seen` holds the ancestors only, so an object shared by two branches is copied twice, not flagged.
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => redactValue(item, secrets, seen))
    : Object.fromEntries(
        Object.entries(value).map(([key, item]) => [
          key,
          isSensitiveKey(key) && !(isPlainObject(item) && !SENSITIVE_KEY_RE.test(key)) ? redactAll(item) : key.toLowerCase() === 'headers' && item && typeof item === 'object' && !Array.isArray(item) ? redactValue(maskHeaderMap(item as Record<string, unknown>), secrets, seen) : redactValue(item, secrets, seen),
        ]),
      );
  seen.delete(value);
  return copy;
}

/** Under a secret key, every leaf is a secret: `{ token: { value: "x" } }` keeps its shape only. */
function redactAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAll);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactAll(item)]));
  }
  return value === null || value === undefined ? value : REDACTED;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True for keys whose values are secrets by their name (`routerToken`, `dbPassword`, `apiKey`, `routerAuth`). */
export function isSensitiveKey(key: string): boolean {
  return (SENSITIVE_KEY_RE.test(key) || AUTH_KEY_RE.test(key)) && !REFERENCE_KEY_RE.test(key);
}

/**
 * Values of vars that must never appear in output or evidence: those named like secrets, and
 * those listed in `secretNames` (a plan's `secretVars`: every var whose value came from the
 * environment or a file, unless the plan lists it in `public:`).
 */
export function secretVarValues(vars: Readonly<Record<string, string>>, secretNames: readonly string[] = []): string[] {
  return Object.entries(vars)
    .filter(([name, value]) => (isSensitiveKey(name) || secretNames.includes(name)) && value.length > 0)
    .map(([, value]) => value);
}

/** Every secret value of a loaded plan: its secret vars' values and the environment values written straight into actions. */
export function planSecretValues(plan: { vars: Readonly<Record<string, string>>; secretVars?: readonly string[]; secretValues?: readonly string[] }): string[] {
  return [...secretVarValues(plan.vars, plan.secretVars), ...(plan.secretValues ?? [])];
}

/** Inside a `headers` map the header rule applies (X-Auth-Key, Private-Token, ...), wider than the key rule. */
function maskHeaderMap(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSensitiveHeader(name) && !REFERENCE_KEY_RE.test(name) ? REDACTED : value]));
}

/**
 * Credentials recognisable by their form in free text (a script echoing its request, an error
 * message): `Bearer <token>`, `Basic <b64>`, `Authorization: <value>`, `api_key=<value>`.
 */
const CREDENTIAL_PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{8,}/g, '$1 ***'],
  // The value must look like a credential (6+ characters with a digit), so prose such as
  // "Authorization: environment variable X is not set" stays readable.
  [/\b((?:proxy-)?authorization|x-api-key|api[-_]?key|access[-_]?token|private[-_]?key)(["']?\s*[:=]\s*["']?)(?!\*\*\*)(?!Bearer\b|Basic\b)(?=[^\s"',;&]*[0-9])[^\s"',;&]{6,}/gi, '$1$2***'],
];

export function maskCredentialPatterns(text: string): string {
  let result = text;
  for (const [pattern, replacement] of CREDENTIAL_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/**
 * Masks the known secret values in every string of `value` (by value only: series labels such as
 * `auth_method` are data here, not credentials). Unchanged when there are no secrets.
 */
export function maskSecretValues<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return redactText(item, secrets);
    if (Array.isArray(item)) return item.map(walk);
    if (item !== null && typeof item === 'object') return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, walk(v)]));
    return item;
  };
  return walk(value) as T;
}
