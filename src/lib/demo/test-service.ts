/**
 * A small live service for rollout tests and `rollgate demo`: a weighted router in front of a
 * stable and a canary version, with its own synthetic traffic, exposing Prometheus metrics.
 *
 * - GET  /metrics                 http_requests_total{service,track,code} and
 *                                 http_request_duration_seconds{service,track} histograms
 * - PUT  /weights/:service        {"canary": 0..100}  (answers 500 while the router is "broken")
 * - POST /admin/inject            {"errorRate"?: 0..1, "latencyMs"?: number, "track"?: "canary"|"stable"}
 * - POST /admin/traffic           {"rps": number}     (0 = no traffic: for inconclusive tests)
 * - POST /admin/router            {"broken": boolean}  (a router that answers 500)
 * - GET  /admin/state             weights, faults, rps, counters
 *
 * Traffic is generated every tick (100 ms): rps × tick requests per service, split between the
 * tracks by the canary weight, errors and latencies per track set by the injected faults. Counts
 * carry their fractions over between ticks, so rates are exact on average (an error rate of 0.1
 * gives exactly one error in ten requests), which keeps test assertions tight.
 *
 * Runnable on its own: `node dist/lib/demo/test-service.js --port 8080 --rps 50 --service checkout`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export type Track = 'stable' | 'canary';

export interface Fault {
  /** Fraction of requests answered 500 (0..1). */
  errorRate: number;
  /** Added to every request's latency. */
  latencyMs: number;
}

export interface TestServiceOptions {
  /** Default 0: a free port. */
  port?: number;
  host?: string;
  /** Services routed, each with its own weight (default ["checkout"]). */
  services?: string[];
  /** Requests per second per service (default 50). */
  rps?: number;
  tickMs?: number;
  /** Initial canary weight of every service (default 0). */
  canaryWeight?: number;
  /** Latency of a healthy request, before jitter (default 20 ms; jitter adds up to 50% more). */
  baseLatencyMs?: number;
}

export interface TestServiceState {
  rps: number;
  routerBroken: boolean;
  weights: Record<string, number>;
  faults: Record<Track, Fault>;
  /** Requests served so far per service, track and code. */
  requests: Record<string, Record<Track, { ok: number; errors: number }>>;
  /** Successful weight changes in order, so tests can check what the router was told. */
  weightHistory: Array<{ service: string; canary: number; at: string }>;
}

export interface TestService {
  url: string;
  port: number;
  /** Sets the canary weight as `PUT /weights/:service` would (ignores the broken-router switch). */
  setWeight(service: string, canary: number): void;
  inject(fault: Partial<Fault> & { track?: Track }): void;
  setTraffic(rps: number): void;
  setRouterBroken(broken: boolean): void;
  state(): TestServiceState;
  stop(): Promise<void>;
}

// Prometheus' default buckets, in seconds.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface TrackCounters {
  ok: number;
  errors: number;
  /** Cumulative bucket counts (index i counts latencies <= BUCKETS[i]); +Inf is ok+errors. */
  buckets: number[];
  sumSeconds: number;
}

interface ServiceCounters {
  weight: number;
  /** Fractional requests carried to the next tick, per track. */
  carry: Record<Track, number>;
  errorCarry: Record<Track, number>;
  tracks: Record<Track, TrackCounters>;
}

const TRACKS: Track[] = ['stable', 'canary'];

function newTrack(): TrackCounters {
  return { ok: 0, errors: 0, buckets: BUCKETS.map(() => 0), sumSeconds: 0 };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Starts the service and its traffic generator. */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const tickMs = options.tickMs ?? 100;
  const baseLatencyMs = options.baseLatencyMs ?? 20;
  let rps = options.rps ?? 50;
  let routerBroken = false;
  const faults: Record<Track, Fault> = { stable: { errorRate: 0, latencyMs: 0 }, canary: { errorRate: 0, latencyMs: 0 } };
  const services = new Map<string, ServiceCounters>();
  const weightHistory: TestServiceState['weightHistory'] = [];

  const service = (name: string): ServiceCounters => {
    let counters = services.get(name);
    if (!counters) {
      counters = {
        weight: clamp(options.canaryWeight ?? 0, 0, 100),
        carry: { stable: 0, canary: 0 },
        errorCarry: { stable: 0, canary: 0 },
        tracks: { stable: newTrack(), canary: newTrack() },
      };
      services.set(name, counters);
    }
    return counters;
  };
  for (const name of options.services ?? ['checkout']) service(name);

  const serve = (counters: TrackCounters, fault: Fault, isError: boolean): void => {
    const latency = (baseLatencyMs * (1 + Math.random() * 0.5) + fault.latencyMs) / 1_000;
    if (isError) counters.errors += 1;
    else counters.ok += 1;
    counters.sumSeconds += latency;
    BUCKETS.forEach((le, i) => {
      if (latency <= le) counters.buckets[i]! += 1;
    });
  };

  const tick = (): void => {
    if (rps <= 0) return;
    for (const counters of services.values()) {
      const perTick = (rps * tickMs) / 1_000;
      const share: Record<Track, number> = { canary: (perTick * counters.weight) / 100, stable: (perTick * (100 - counters.weight)) / 100 };
      for (const track of TRACKS) {
        const wanted = share[track] + counters.carry[track];
        const count = Math.floor(wanted);
        counters.carry[track] = wanted - count;
        const errorsWanted = count * faults[track].errorRate + counters.errorCarry[track];
        const errors = Math.min(count, Math.floor(errorsWanted));
        counters.errorCarry[track] = errorsWanted - errors;
        for (let i = 0; i < count; i++) serve(counters.tracks[track], faults[track], i < errors);
      }
    }
  };
  const timer = setInterval(tick, tickMs);

  const metrics = (): string => {
    const lines = [
      '# HELP http_requests_total Requests served, by track and status code.',
      '# TYPE http_requests_total counter',
    ];
    for (const [name, counters] of services) {
      for (const track of TRACKS) {
        const t = counters.tracks[track];
        const base = `service="${labelValue(name)}",track="${track}"`;
        lines.push(`http_requests_total{${base},code="200"} ${t.ok}`);
        lines.push(`http_requests_total{${base},code="500"} ${t.errors}`);
      }
    }
    lines.push('# HELP http_request_duration_seconds Request latency.', '# TYPE http_request_duration_seconds histogram');
    for (const [name, counters] of services) {
      for (const track of TRACKS) {
        const t = counters.tracks[track];
        const base = `service="${labelValue(name)}",track="${track}"`;
        BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{${base},le="${le}"} ${t.buckets[i]}`));
        lines.push(`http_request_duration_seconds_bucket{${base},le="+Inf"} ${t.ok + t.errors}`);
        lines.push(`http_request_duration_seconds_sum{${base}} ${t.sumSeconds}`);
        lines.push(`http_request_duration_seconds_count{${base}} ${t.ok + t.errors}`);
      }
    }
    lines.push('# HELP test_service_canary_weight Current canary weight in percent.', '# TYPE test_service_canary_weight gauge');
    for (const [name, counters] of services) lines.push(`test_service_canary_weight{service="${labelValue(name)}"} ${counters.weight}`);
    return `${lines.join('\n')}\n`;
  };

  const setWeight = (name: string, canary: number): void => {
    service(name).weight = canary;
    weightHistory.push({ service: name, canary, at: new Date().toISOString() });
  };
  const inject = (fault: Partial<Fault> & { track?: Track }): void => {
    const target = faults[fault.track ?? 'canary'];
    if (fault.errorRate !== undefined) target.errorRate = clamp(fault.errorRate, 0, 1);
    if (fault.latencyMs !== undefined) target.latencyMs = Math.max(0, fault.latencyMs);
  };
  const state = (): TestServiceState => ({
    rps,
    routerBroken,
    weights: Object.fromEntries([...services].map(([name, c]) => [name, c.weight])),
    faults: { stable: { ...faults.stable }, canary: { ...faults.canary } },
    requests: Object.fromEntries(
      [...services].map(([name, c]) => [name, { stable: { ok: c.tracks.stable.ok, errors: c.tracks.stable.errors }, canary: { ok: c.tracks.canary.ok, errors: c.tracks.canary.errors } }]),
    ),
    weightHistory: [...weightHistory],
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(metrics());
      return;
    }
    if (req.method === 'GET' && (path === '/healthz' || path === '/')) return send(res, 200, { ok: true });
    if (req.method === 'GET' && path === '/admin/state') return send(res, 200, state());
    const weightMatch = /^\/weights\/([^/]+)$/.exec(path);
    if (weightMatch && (req.method === 'PUT' || req.method === 'POST')) {
      const body = await readJson(req);
      if (routerBroken) return send(res, 500, { error: 'router is broken (POST /admin/router {"broken": false} to fix)' });
      const canary = Number((body as { canary?: unknown }).canary);
      if (!Number.isFinite(canary) || canary < 0 || canary > 100) return send(res, 400, { error: 'canary must be a number in 0..100' });
      const name = decodeURIComponent(weightMatch[1]!);
      setWeight(name, canary);
      return send(res, 200, { service: name, canary });
    }
    if (req.method === 'POST' && path === '/admin/inject') {
      const body = (await readJson(req)) as { errorRate?: unknown; latencyMs?: unknown; track?: unknown };
      const track = body.track === 'stable' ? 'stable' : 'canary';
      inject({
        track,
        ...(typeof body.errorRate === 'number' ? { errorRate: body.errorRate } : {}),
        ...(typeof body.latencyMs === 'number' ? { latencyMs: body.latencyMs } : {}),
      });
      return send(res, 200, state());
    }
    if (req.method === 'POST' && path === '/admin/traffic') {
      const body = (await readJson(req)) as { rps?: unknown };
      if (typeof body.rps !== 'number' || body.rps < 0) return send(res, 400, { error: 'rps must be a number >= 0' });
      rps = body.rps;
      return send(res, 200, state());
    }
    if (req.method === 'POST' && path === '/admin/router') {
      routerBroken = Boolean((await readJson(req) as { broken?: unknown }).broken);
      return send(res, 200, state());
    }
    send(res, 404, { error: `no route ${req.method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    setWeight,
    inject,
    setTraffic: (value) => {
      rps = Math.max(0, value);
    },
    setRouterBroken: (broken) => {
      routerBroken = broken;
    },
    state,
    stop: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** `node dist/lib/demo/test-service.js [--port N] [--rps N] [--service NAME]...`: runs until SIGINT/SIGTERM. */
async function runAsScript(argv: string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const services = argv.flatMap((arg, i) => (arg === '--service' && argv[i + 1] ? [argv[i + 1]!] : []));
  const svc = await startTestService({
    port: Number(value('--port') ?? 0),
    rps: value('--rps') !== undefined ? Number(value('--rps')) : undefined,
    services: services.length > 0 ? services : undefined,
  });
  process.stdout.write(`${svc.url}\n`);
  // Once the timer and the server are gone the event loop empties and the process ends by itself.
  const shutdown = (): void => void svc.stop();
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runAsScript(process.argv.slice(2));
}
