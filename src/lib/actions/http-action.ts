/**
 * The `http` action: one HTTP request with templated URL, headers and body, secret headers read
 * at call time, a timeout per attempt, retries on network errors, timeouts and 5xx.
 *
 * Templating rules (see docs/actions.md):
 * - URL: placeholders in the scheme://host:port part, or a placeholder the URL starts with
 *   (`{{router}}/weights`), are substituted verbatim; placeholders in the path, query and fragment
 *   are percent-encoded (encodeURIComponent), so a value cannot change which resource is addressed.
 *   The result must be an absolute http(s) URL.
 * - json: every string is templated; a string that is exactly one placeholder (`"{{weight}}"`)
 *   whose value is a decimal number becomes a JSON number, because routers expect `"canary": 25`,
 *   not `"canary": "25"`. Use `body:` for full control over the JSON text.
 * - body, header values: templated as text. A header value holding a line break is refused (the
 *   action fails without sending anything), so a hostile value cannot inject a header.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RawHttpSpec } from '../plan/schema.js';
import { MissingVarError, placeholdersIn, renderTemplate } from '../template.js';
import type { ActionResult } from './types.js';
import { OutputCapture, boundedText } from './output.js';
import { abortReason, retryDelayMs, sleepUnlessAborted, type ActionRunOptions } from './retry.js';
import { decodeSafely, isSensitiveHeader, redactText, redactUrl } from '../redact.js';

/** The request as it will be sent, after templating and reading secret headers. */
export interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  data?: string;
  expectStatus?: number[];
  /** Values read from files and the environment (and URL passwords): masked in the result. */
  secrets: string[];
}

/** Thrown while preparing a request: the action fails with this message, nothing is sent. */
export class HttpActionInputError extends Error {}

const PLACEHOLDER_ONLY_RE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}$/;
const DECIMAL_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
/** Network failures worth another attempt; anything else (bad header, bad URL) fails at once. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Renders a URL template with the encoding rule above, and checks it is an absolute http(s) URL. */
export function renderUrl(template: string, vars: Readonly<Record<string, string>>): string {
  const missing = placeholdersIn(template).filter((name) => !(name in vars));
  if (missing.length > 0) throw new MissingVarError(missing);
  const originEnd = originLength(template);
  const origin = renderTemplate(template.slice(0, originEnd), vars);
  const encoded = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, encodeURIComponent(value)]));
  const url = origin + renderTemplate(template.slice(originEnd), encoded);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpActionInputError(`not a valid URL: ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpActionInputError(`only http and https URLs are supported, not ${parsed.protocol} (${redactUrl(url)})`);
  }
  return url;
}

/** Length of the part of a URL template whose placeholders are substituted verbatim. */
function originLength(template: string): number {
  const leading = /^\{\{[^}]*\}\}/.exec(template);
  if (leading) return leading[0].length;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(template);
  if (!scheme) return 0;
  const pathStart = template.slice(scheme[0].length).search(/[/?#]/);
  return pathStart === -1 ? template.length : scheme[0].length + pathStart;
}

/** Templates every string of a JSON value; `"{{x}}"` with a decimal value becomes a number. */
export function renderJson(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    const rendered = renderTemplate(value, vars);
    return PLACEHOLDER_ONLY_RE.test(value) && DECIMAL_RE.test(rendered) ? Number(rendered) : rendered;
  }
  if (Array.isArray(value)) return value.map((item) => renderJson(item, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderJson(item, vars)]));
  }
  return value;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name.toLowerCase());
}

/**
 * Templates the request and reads secret headers. Throws MissingVarError or HttpActionInputError
 * (the action fails without sending anything).
 */
export async function prepareRequest(
  spec: RawHttpSpec,
  vars: Readonly<Record<string, string>>,
  options: Pick<ActionRunOptions, 'cwd' | 'env'> = {},
): Promise<PreparedRequest> {
  const secrets: string[] = [];
  const url = renderUrl(spec.url, vars);
  const password = new URL(url).password;
  if (password) secrets.push(password, decodeSafely(password));

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    headers[name] = renderTemplate(value, vars);
    // Credentials belong in headersFromEnv/File; if one was written inline anyway, still keep it out of output.
    if (isSensitiveHeader(name)) secrets.push(headers[name]);
  }
  const env = { ...process.env, ...options.env };
  for (const [name, variable] of Object.entries(spec.headersFromEnv ?? {})) {
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new HttpActionInputError(`header ${name}: environment variable ${variable} is not set`);
    }
    headers[name] = value;
    secrets.push(value);
  }
  for (const [name, file] of Object.entries(spec.headersFromFile ?? {})) {
    const resolved = path.resolve(options.cwd ?? process.cwd(), file);
    let value: string;
    try {
      // Trimmed: secret files nearly always end with a newline that is not part of the secret.
      value = (await readFile(resolved, 'utf8')).trim();
    } catch (error) {
      throw new HttpActionInputError(`header ${name}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (value === '') throw new HttpActionInputError(`header ${name}: ${file} is empty`);
    headers[name] = value;
    secrets.push(value);
  }

  for (const [name, value] of Object.entries(headers)) {
    // axios would quietly strip line breaks; a value that needed them is wrong, so say so instead.
    if (/[\r\n\0]/.test(value)) throw new HttpActionInputError(`header ${name}: the value contains a line break or NUL`);
  }

  const request: PreparedRequest = { method: spec.method ?? 'POST', url, headers, secrets };
  if (spec.json !== undefined && spec.body !== undefined) {
    throw new HttpActionInputError('an http action takes either json or body, not both');
  }
  if (spec.json !== undefined) {
    request.data = JSON.stringify(renderJson(spec.json, vars));
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  } else if (spec.body !== undefined) {
    request.data = renderTemplate(spec.body, vars);
    // axios would label a string body as a form; say what it is unless the plan did.
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'text/plain; charset=utf-8';
  }
  if (spec.expectStatus !== undefined) request.expectStatus = spec.expectStatus;
  return request;
}

interface AttemptOutcome {
  status?: number;
  body: string;
  timedOut: boolean;
  aborted: boolean;
  /** Network or protocol error: no (complete) response. */
  error?: string;
  transient: boolean;
}

function statusAccepted(status: number, expect: number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status <= 299;
}

/** Sends a prepared request with timeout, abort and retries. */
export async function runHttp(request: PreparedRequest, options: ActionRunOptions): Promise<ActionResult> {
  const secrets = [...(options.secrets ?? []), ...request.secrets];
  const shownUrl = redactUrl(redactText(request.url, secrets));
  const started = Date.now();
  let attempts = 0;
  let last: AttemptOutcome | undefined;
  for (;;) {
    if (options.signal?.aborted) break;
    attempts += 1;
    last = await sendOnce(request, options, secrets);
    if (last.status !== undefined && statusAccepted(last.status, request.expectStatus)) break;
    // 4xx (and unexpected 1xx-3xx) mean the request itself is wrong: sending it again will not help.
    const retryable = !last.aborted && (last.timedOut || last.transient || (last.status !== undefined && last.status >= 500));
    if (!retryable || attempts > options.retries) break;
    if (!(await sleepUnlessAborted(retryDelayMs(attempts, options.retryDelayMs), options.signal))) break;
  }

  const result: ActionResult = {
    ok: false,
    kind: 'http',
    command: [request.method, shownUrl],
    stdout: last?.body ?? '',
    stderr: '',
    durationMs: Date.now() - started,
    attempts,
    timedOut: last?.timedOut ?? false,
  };
  if (last?.status !== undefined) result.status = last.status;
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const expected = request.expectStatus ? request.expectStatus.join(', ') : '2xx';
  if (last === undefined || last.aborted) {
    result.error = `aborted: ${abortReason(options.signal)}`;
  } else if (last.timedOut) {
    result.error = `${request.method} ${shownUrl}: no complete response within ${options.timeoutMs} ms${tries}`;
  } else if (last.error !== undefined) {
    result.error = `${request.method} ${shownUrl}: ${last.error}${tries}`;
  } else if (last.status !== undefined && !statusAccepted(last.status, request.expectStatus)) {
    result.error = `${request.method} ${shownUrl} answered ${last.status}, expected ${expected}${tries}`;
  } else {
    result.ok = true;
  }
  if (result.error !== undefined) result.error = redactText(result.error, secrets);
  return result;
}

async function sendOnce(request: PreparedRequest, options: ActionRunOptions, secrets: readonly string[]): Promise<AttemptOutcome> {
  // Loaded here, not at the top: `rollgate --help` must not pay for axios.
  const { default: axios } = await import('axios');
  const controller = new AbortController();
  let timedOut = false;
  let aborted = false;
  // One timer for the whole exchange, body included (axios' own timeout stops at the headers).
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    controller.abort();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const body = new OutputCapture();
  try {
    const response = await axios.request<Readable>({
      method: request.method,
      url: request.url,
      headers: request.headers,
      data: request.data,
      // The body is already a string; axios must send it as is.
      transformRequest: [(data: unknown) => data],
      responseType: 'stream',
      validateStatus: () => true,
      // A traffic change must hit the URL the plan names; a redirect is reported, not followed.
      maxRedirects: 0,
      signal: controller.signal,
    });
    await readBounded(response.data, body, controller.signal);
    return { status: response.status, body: body.text(secrets), timedOut, aborted, transient: false };
  } catch (error) {
    const { message, code } = describeError(error);
    const outcome: AttemptOutcome = {
      body: body.text(secrets),
      timedOut,
      aborted,
      transient: code !== undefined && TRANSIENT_CODES.has(code),
      error: boundedText(message, secrets, 1024),
    };
    const status = (error as { response?: { status?: unknown } }).response?.status;
    if (typeof status === 'number') outcome.status = status;
    return outcome;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function readBounded(stream: Readable, capture: OutputCapture, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => stream.destroy(new Error('aborted while reading the response'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => capture.push(chunk));
    stream.once('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    stream.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}

function describeError(error: unknown): { message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const found = typeof code === 'string' ? code : typeof cause === 'string' ? cause : undefined;
    const message = error.message || found || error.name;
    return found ? { message, code: found } : { message };
  }
  return { message: String(error) };
}
