/**
 * The Prometheus HTTP API client (also Thanos, Mimir, VictoriaMetrics): instant and range queries,
 * sent as form-encoded POSTs so long queries never hit URL length limits.
 *
 * It knows HTTP, not thresholds. Every failure becomes a ProviderError that names the server
 * (never a credential): unreachable, timeout, 5xx, a body that is not the API's JSON, or the API's
 * own `errorType: error`, passed on verbatim. axios is imported on the first request, so merely
 * importing this module costs nothing at start-up.
 */
import { readFileSync } from 'node:fs';
import type { Agent as HttpsAgent } from 'node:https';
import type { AxiosError, AxiosInstance, AxiosResponse } from 'axios';
import { formatDuration } from '../duration.js';
import { ProviderError } from '../errors.js';
import type { PrometheusConfig } from '../plan/types.js';
import { requestHeaders } from './auth.js';
import { Envelope, QueryData, describeZodError, toRangeSeries, toSamples } from './response.js';
import { sleep } from '../sleep.js';
import { graphPageUrl } from './graph-url.js';
import type { PrometheusApi, RangeResult, Samples } from './types.js';

export interface PrometheusClientOptions {
  env?: NodeJS.ProcessEnv;
  /** First retry delay; doubled per attempt, with jitter (tests shorten it). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Network errors worth another attempt: the server may be restarting or a connection was dropped. */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENOTFOUND', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** Splits user:pass@ out of the URL: the address in messages and links must never carry them. */
function splitUrl(raw: string): { base: string; userinfo?: { username: string; password: string } } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ProviderError(`"${raw.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL`, raw, 'config');
  }
  const userinfo = parsed.username ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  return { base: parsed.href.replace(/\/+$/, ''), userinfo };
}

const unixSeconds = (date: Date): string => String(date.getTime() / 1_000);

class HttpPrometheusClient implements PrometheusApi {
  readonly url: string;
  /** How the server is named in messages: the base URL with a trailing slash. */
  private readonly address: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly userinfo?: { username: string; password: string };
  private http?: Promise<AxiosInstance>;

  constructor(
    private readonly config: PrometheusConfig,
    private readonly options: PrometheusClientOptions,
  ) {
    const { base, userinfo } = splitUrl(config.url);
    this.url = base;
    this.address = `${base}/`;
    this.userinfo = userinfo;
    this.env = options.env ?? process.env;
  }

  async instant(query: string, at?: Date, signal?: AbortSignal): Promise<Samples> {
    const params: Record<string, string> = { query };
    if (at) params.time = unixSeconds(at);
    const answer = await this.post('/api/v1/query', params, signal);
    const samples = toSamples(answer.data);
    if (typeof samples === 'string') throw new ProviderError(samples, this.address, 'unsupported_result');
    return withWarnings(samples, answer.warnings);
  }

  async range(query: string, start: Date, end: Date, stepMs: number, signal?: AbortSignal): Promise<RangeResult> {
    const params = { query, start: unixSeconds(start), end: unixSeconds(end), step: String(Math.max(stepMs, 1) / 1_000) };
    const answer = await this.post('/api/v1/query_range', params, signal);
    const series = toRangeSeries(answer.data);
    if (typeof series === 'string') throw new ProviderError(series, this.address, 'invalid_response');
    return withWarnings(series, answer.warnings);
  }

  graphUrl(query: string, start: Date, end: Date): string {
    return graphPageUrl(this.url, query, start, end);
  }

  /** One API call with retries on network errors and 5xx (never on 4xx, bad_data or timeouts). */
  private async post(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<Answer> {
    const attempts = Math.max(0, this.config.retries) + 1;
    const base = this.options.backoffBaseMs ?? 200;
    const cap = this.options.backoffMaxMs ?? 5_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.postOnce(path, params, signal);
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= attempts || signal?.aborted) {
          throw error instanceof RetryableError ? error.providerError : error;
        }
        // Exponential backoff with "equal jitter": half fixed, half random, so clients do not retry in lockstep.
        const delay = Math.min(cap, base * 2 ** (attempt - 1));
        await sleep(delay / 2 + Math.random() * (delay / 2), signal);
      }
    }
  }

  private async postOnce(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<Answer> {
    const http = await this.axios();
    const headers = await requestHeaders(this.config, this.env, this.address);
    if (!headers.Authorization && this.userinfo) {
      headers.Authorization = `Basic ${Buffer.from(`${this.userinfo.username}:${this.userinfo.password}`).toString('base64')}`;
    }
    let response: AxiosResponse<string>;
    try {
      response = await http.post<string>(`${this.url}${path}`, new URLSearchParams(params).toString(), {
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        signal,
      });
    } catch (error) {
      throw this.transportError(error as AxiosError);
    }
    return this.readResponse(response);
  }

  private readResponse(response: AxiosResponse<string>): Answer {
    const status = response.status;
    const body = typeof response.data === 'string' ? response.data : String(response.data ?? '');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const envelope = json === undefined ? undefined : Envelope.safeParse(json);
    if (envelope?.success && envelope.data.status === 'error') {
      // Prometheus' own words, verbatim: "bad_data: 1:5: parse error: ...". 5xx API errors (timeout,
      // unavailable) may pass on a retry; 4xx ones (bad_data, execution) never will.
      const failure = new ProviderError(`${envelope.data.errorType}: ${envelope.data.error}`, this.address, envelope.data.errorType);
      if (status >= 500) throw new RetryableError(failure);
      throw failure;
    }
    if (status >= 500) throw new RetryableError(new ProviderError(`Prometheus at ${this.address} answered HTTP ${status}${statusText(response)}`, this.address, 'http'));
    if (status >= 300) throw new ProviderError(`Prometheus at ${this.address} answered HTTP ${status}${statusText(response)}`, this.address, 'http', { hint: hintForStatus(status) });
    if (json === undefined) throw new ProviderError(`Prometheus at ${this.address} sent a response that is not JSON`, this.address, 'invalid_response');
    if (!envelope?.success) {
      throw new ProviderError(`Prometheus at ${this.address} sent an unexpected response: ${envelope ? describeZodError(envelope.error) : 'not an API envelope'}`, this.address, 'invalid_response');
    }
    const data = QueryData.safeParse(envelope.data.status === 'success' ? envelope.data.data : undefined);
    if (!data.success) throw new ProviderError(`Prometheus at ${this.address} sent an unexpected response: data.${describeZodError(data.error)}`, this.address, 'invalid_response');
    // Warnings ride along with a success (Thanos/Mimir partial responses): kept, never dropped,
    // so evaluation can refuse to pass on an answer that may be missing series.
    const warnings = envelope.data.status === 'success' ? (envelope.data.warnings ?? []) : [];
    return { data: data.data, warnings };
  }

  private transportError(error: AxiosError): ProviderError | RetryableError {
    if (error instanceof ProviderError) return error;
    const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_CANCELED') return new ProviderError(`the query to Prometheus at ${this.address} was cancelled`, this.address, 'cancelled', { cause: error });
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
      // Not retried: a query that used the whole timeout would most likely use it again, and the
      // caller's time (a bake interval, a CI step) is better spent reporting the error now.
      return new ProviderError(
        `Prometheus at ${this.address} did not answer within the ${formatDuration(this.config.timeoutMs)} timeout (prometheus.timeout)`,
        this.address,
        'timeout',
        { cause: error },
      );
    }
    const tls = code !== undefined && /CERT|SELF_SIGNED|TLS|SSL/.test(code);
    const failure = new ProviderError(`cannot reach Prometheus at ${this.address} (${code ?? error.message})`, this.address, 'unreachable', {
      cause: error,
      hint: tls ? "set prometheus.caFile to the server's CA certificate (or, knowingly, insecureSkipVerify: true)" : undefined,
    });
    return code !== undefined && RETRYABLE_NETWORK_CODES.has(code) ? new RetryableError(failure) : failure;
  }

  private axios(): Promise<AxiosInstance> {
    this.http ??= (async () => {
      const { default: axios } = await import('axios');
      return axios.create({
        timeout: this.config.timeoutMs,
        // Timeouts as ETIMEDOUT rather than the ambiguous ECONNABORTED.
        transitional: { clarifyTimeoutError: true },
        // Status handling and JSON parsing are ours, so a garbage body gets a precise message.
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        maxRedirects: 0,
        proxy: false,
        httpsAgent: await this.httpsAgent(),
      });
    })();
    return this.http;
  }

  private async httpsAgent(): Promise<HttpsAgent | undefined> {
    if (!this.config.caFile && !this.config.insecureSkipVerify) return undefined;
    const { Agent } = await import('node:https');
    let ca: Buffer | undefined;
    if (this.config.caFile) {
      try {
        ca = readFileSync(this.config.caFile);
      } catch (error) {
        throw new ProviderError(`cannot read the CA file ${this.config.caFile} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, this.address, 'config');
      }
    }
    // insecureSkipVerify is explicit in the plan; nothing else ever turns verification off.
    return new Agent({ ca, rejectUnauthorized: !this.config.insecureSkipVerify, keepAlive: true });
  }
}

/** What one API call answered: the data, and the server's warnings (empty when none). */
interface Answer {
  data: QueryData;
  warnings: string[];
}

/** Attaches the server's warnings to a result array; only when there are some, as types.ts promises. */
function withWarnings<T extends object>(result: T[], warnings: readonly string[]): T[] & { warnings?: string[] } {
  const attached = result as T[] & { warnings?: string[] };
  if (warnings.length > 0) attached.warnings = [...warnings];
  return attached;
}

/** Wraps a ProviderError that may succeed on another attempt. */
class RetryableError extends Error {
  constructor(readonly providerError: ProviderError) {
    super(providerError.message);
  }
}

function statusText(response: AxiosResponse): string {
  return response.statusText ? ` ${response.statusText}` : '';
}

function hintForStatus(status: number): string | undefined {
  if (status === 401 || status === 403) return 'check the credentials: prometheus.bearerTokenFile, bearerTokenEnv, basicAuth or ROLLGATE_PROMETHEUS_TOKEN_FILE';
  if (status === 404) return 'the URL should be the server root (as in http://host:9090), without /api/v1';
  return undefined;
}

/** Creates a client for one server. Nothing is sent (and axios is not loaded) until the first query. */
export function createPrometheusClient(config: PrometheusConfig, options: PrometheusClientOptions = {}): PrometheusApi {
  return new HttpPrometheusClient(config, options);
}
