/**
 * The HTTP side of `rollgate serve`, on fastify: routes, Bearer auth, body limits, one-line error
 * answers (never a stack trace) and one log record per request. Handlers are in webhook.ts and
 * metrics.ts; this file only wires them.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { StateError } from '../errors.js';
import type { StateStore } from '../state/types.js';
import { describePayloadError, webhookPayloadSchema } from './alertmanager.js';
import { bearerMatches } from './auth.js';
import type { ServeConfig } from './config.js';
import { createServeMetrics } from './metrics.js';
import { createWebhookHandler, requestOutcome, type AlertResult } from './webhook.js';

export const WEBHOOK_PATH = '/v1/alertmanager';
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** How long /healthz and /metrics wait for the store before calling it unreachable. */
const STORE_TIMEOUT_MS = 3_000;

/** One record per answered request (the command renders it as a plain or a JSON line). */
export interface RequestRecord {
  at: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  remote: string;
  /** Webhook outcome word (requested, duplicate, unauthorized, ...). */
  outcome?: string;
  alerts?: AlertResult[];
  error?: string;
}

export interface ServerOptions {
  store: StateStore;
  config: ServeConfig;
  /** The expected Bearer token; undefined only with --insecure-no-auth on a loopback address. */
  token: string | undefined;
  /** Who asks for the rollback, per Alertmanager receiver name. */
  by: (receiver: string) => string;
  log: (record: RequestRecord) => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    rollgateOutcome?: string;
    rollgateAlerts?: AlertResult[];
    rollgateError?: string;
  }
}

class HttpAnswer extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly outcome: string,
  ) {
    super(message);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StateError(`${what}: no answer within ${ms}ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 500);

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { store } = options;
  const metrics = createServeMetrics();
  const handleAlerts = createWebhookHandler({ store, config: options.config, by: options.by });
  // Our own request log: fastify's logger would write two lines per request and include headers.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true, forceCloseConnections: 'idle' });

  app.addHook('onResponse', async (request, reply) => {
    const isWebhook = request.routeOptions.url === WEBHOOK_PATH;
    if (isWebhook && request.rollgateOutcome) metrics.countWebhook(request.rollgateOutcome);
    options.log({
      at: new Date().toISOString(),
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      remote: request.ip,
      ...(request.rollgateOutcome ? { outcome: request.rollgateOutcome } : {}),
      ...(request.rollgateAlerts ? { alerts: request.rollgateAlerts } : {}),
      ...(request.rollgateError ? { error: request.rollgateError } : {}),
    });
  });

  app.setErrorHandler((error: FastifyError | HttpAnswer, request, reply) => {
    const answer = classify(error);
    request.rollgateOutcome ??= answer.outcome;
    // A 500 answers "internal error"; the log keeps the one-line cause (never the stack).
    request.rollgateError = answer.status === 500 ? oneLine(error.message) : answer.message;
    void reply.code(answer.status).send({ error: answer.message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` });
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (options.token === undefined) return;
    if (!bearerMatches(request.headers.authorization, options.token)) {
      request.rollgateOutcome = 'unauthorized';
      request.rollgateError = request.headers.authorization ? 'wrong bearer token' : 'missing bearer token';
      // Before the body is read: an unauthenticated client cannot make us parse anything.
      return reply.code(401).header('www-authenticate', 'Bearer realm="rollgate"').send({ error: 'unauthorized: Authorization: Bearer <token> required' });
    }
  };

  app.post(WEBHOOK_PATH, { onRequest: authenticate }, async (request, reply) => {
    const parsed = webhookPayloadSchema.safeParse(request.body);
    if (!parsed.success) throw new HttpAnswer(400, describePayloadError(parsed.error), 'malformed');
    let results: AlertResult[];
    try {
      results = await withTimeout(handleAlerts(parsed.data), STORE_TIMEOUT_MS * 3, `state store ${store.url}`);
    } catch (error) {
      // Alertmanager retries a 5xx: the alert is not lost while the store is down.
      throw new HttpAnswer(503, `state store unavailable: ${oneLine(error instanceof Error ? error.message : String(error))}`, 'error');
    }
    request.rollgateOutcome = requestOutcome(results);
    request.rollgateAlerts = results;
    return reply.code(200).send({ status: 'ok', receiver: parsed.data.receiver, alerts: results });
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await withTimeout(store.listRollouts({ limit: 1 }), STORE_TIMEOUT_MS, `state store ${store.url}`);
      return reply.code(200).send({ status: 'ok', store: store.url });
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', store: store.url, error: oneLine(error instanceof Error ? error.message : String(error)) });
    }
  });

  app.get('/metrics', async (request, reply) => {
    let text: string;
    try {
      text = await withTimeout(metrics.render(store), STORE_TIMEOUT_MS * 2, `state store ${store.url}`);
    } catch (error) {
      // No partial exposition: a scrape that cannot read the store fails (up == 0), never shows stale rollouts.
      throw new HttpAnswer(503, `state store unavailable: ${oneLine(error instanceof Error ? error.message : String(error))}`, 'error');
    }
    request.rollgateOutcome = undefined;
    return reply.code(200).header('content-type', metrics.contentType).send(text);
  });

  await app.ready();
  return app;
}

function classify(error: FastifyError | HttpAnswer): { status: number; message: string; outcome: string } {
  if (error instanceof HttpAnswer) return { status: error.statusCode, message: oneLine(error.message), outcome: error.outcome };
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `request body larger than ${BODY_LIMIT_BYTES} bytes (1 MiB)`, outcome: 'too_large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, message: 'content-type must be application/json', outcome: 'malformed' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'empty body: expected an Alertmanager webhook payload (JSON)', outcome: 'malformed' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return { status: 400, message: 'body is not valid JSON', outcome: 'malformed' };
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  return { status, message: status === 500 ? 'internal error' : oneLine(error.message), outcome: status === 500 ? 'error' : 'malformed' };
}
