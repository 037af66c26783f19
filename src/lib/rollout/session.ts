/**
 * A runner session: everything around the engine that a process must hold while it drives a
 * rollout — the service lock and its heartbeat, the abort watch, the event log — and lets go of
 * when it ends, whatever happens. `rollout run`, `rollout resume` and `rollback` (taking over an
 * orphaned rollout) all go through here.
 */
import { hostname, userInfo } from 'node:os';
import { randomUUID } from 'node:crypto';
import { runAction } from '../actions/run-action.js';
import { sanitizeForEvidence } from '../log/chain.js';
import { RolloutLog } from '../log/rollout-log.js';
import { ExitCode, LockHeldError, StateError, UsageError } from '../errors.js';
import type { ResolvedPlan } from '../plan/types.js';
import { createPrometheusClient } from '../prometheus/client.js';
import { isLockDead } from '../state/lock-liveness.js';
import type { AbortSource, LockOwner, RolloutEvent, StateStore } from '../state/types.js';
import { redactDeep, planSecretValues } from '../redact.js';
import { loadPlan } from '../plan/load.js';
import { resolve as resolvePath } from 'node:path';
import { TOOL_VERSION } from '../version.js';
import { formatDuration } from '../duration.js';
import { driveRollout } from './engine.js';
import { EventType } from './events.js';
import type { RolloutOutcome } from './outcome.js';
import { isTerminal, reduceEvents } from './reduce.js';
import { recordRollbackIntent, rollBack } from './rollback.js';
import { newRolloutId } from './rollout-id.js';
import { record, requestStop, type Prompter, type RolloutRuntime, type RunnerOptions } from './runtime.js';
import { statusWords } from './status-words.js';

export const LOCK_TTL_MS = 15_000;
const HEARTBEAT_MS = 5_000;

export interface SessionOptions {
  store: StateStore;
  cwd: string;
  env: NodeJS.ProcessEnv;
  operator: string;
  /** --prometheus / ROLLGATE_PROMETHEUS_URL, beating the plan snapshot on resume. */
  prometheusUrl?: string;
  runner: Partial<RunnerOptions>;
  prompter?: Prompter;
  onEvent: (event: RolloutEvent) => void;
  /** The RolloutPolicy the rollout starts under (name, sha256, freeze override): recorded in rollout.started. */
  policy?: Record<string, unknown>;
}

export interface SessionResult extends RolloutOutcome {
  rolloutId: string;
  service: string;
  /** A dry run: no traffic was changed, whatever the status says. */
  dryRun: boolean;
}

const DEFAULT_RUNNER: RunnerOptions = { dryRun: false, onApproval: 'wait', approvalTimeoutMs: 24 * 3_600_000, pollMs: 250 };

/** Handle for the command: run it, and forward signals to it. */
export interface Session {
  readonly rolloutId: string;
  run(): Promise<SessionResult>;
  /** First call: stop going forward and roll back. Second call: stop now and record where traffic is. */
  interrupt(signalName: string): void;
}

function lockOwner(rolloutId: string): LockOwner {
  const now = new Date().toISOString();
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return { token: randomUUID(), rolloutId, pid: process.pid, host: hostname(), user, acquiredAt: now, heartbeatAt: now, ttlMs: LOCK_TTL_MS };
}

function describeHolder(holder: LockOwner): string {
  const age = Date.now() - Date.parse(holder.heartbeatAt);
  return `rollout ${holder.rolloutId} (pid ${holder.pid} on ${holder.host}, user ${holder.user}, heartbeat ${formatDuration(Math.max(0, age))} ago)`;
}

/** Promoted or rolled back (completely): nothing of it is left to finish, so its lock protects nothing. */
async function hasFinished(store: StateStore, rolloutId: string): Promise<boolean> {
  const view = reduceEvents(await store.readEvents(rolloutId).catch(() => []));
  return view.status === 'promoted' || (view.status === 'rolled_back' && (view.rollback?.incomplete.length ?? 0) === 0);
}

/** Records in the finished rollout's own log that its dead runner's lock was taken over, and by whom. */
async function recordLockTakeOver(store: StateStore, holder: LockOwner, by: string, forRollout: string): Promise<void> {
  const log = await RolloutLog.open(store, holder.rolloutId);
  await log.append(EventType.lockTakenOver, { by, for: forRollout, deadRunner: { pid: holder.pid, host: holder.host, user: holder.user, heartbeatAt: holder.heartbeatAt } });
}

/**
 * Takes the service lock for a rollout. A live holder is never displaced. A dead holder's lock is
 * taken over when it belongs to the rollout we are continuing (`mayTakeOver`), or to a rollout that
 * had finished when its runner died (after `promoted` was recorded, before the lock was released);
 * the latter is recorded in that rollout's log.
 */
async function acquireLock(store: StateStore, service: string, owner: LockOwner, mayTakeOver: (holder: LockOwner) => boolean, by: string): Promise<void> {
  const result = await store.acquireLock(service, owner);
  if (result.acquired) return;
  const holder = result.holder;
  const dead = isLockDead(holder, new Date());
  if (!dead) {
    throw new LockHeldError(`service ${service} is locked by ${describeHolder(holder)}`, `wait for it to finish, or stop it with: rollgate rollback ${holder.rolloutId} --reason "..."`);
  }
  if (!mayTakeOver(holder) && (await hasFinished(store, holder.rolloutId))) {
    if (!(await store.takeOverLock(service, holder.token, owner))) throw new LockHeldError(`service ${service}: another process took over the lock of ${holder.rolloutId} first`);
    await recordLockTakeOver(store, holder, by, owner.rolloutId);
    return;
  }
  if (!mayTakeOver(holder)) {
    throw new LockHeldError(
      `service ${service} is locked by ${describeHolder(holder)}, whose runner is gone`,
      `its traffic state is recorded; finish it first: rollgate rollout resume ${holder.rolloutId}  or  rollgate rollback ${holder.rolloutId} --reason "..."`,
    );
  }
  if (!(await store.takeOverLock(service, holder.token, owner))) {
    throw new LockHeldError(`service ${service}: another process took over ${holder.rolloutId} first`);
  }
}

function buildRuntime(options: SessionOptions, rolloutId: string, plan: ResolvedPlan, log: RolloutLog): RolloutRuntime {
  const prometheusConfig = options.prometheusUrl ? { ...plan.prometheus, url: options.prometheusUrl } : plan.prometheus;
  const rt: RolloutRuntime = {
    rolloutId,
    plan,
    store: options.store,
    log,
    prometheus: createPrometheusClient(prometheusConfig, { env: options.env }),
    runAction,
    operator: options.operator,
    options: { ...DEFAULT_RUNNER, approvalTimeoutMs: plan.approvalTimeoutMs, ...stripUndefined(options.runner) },
    cwd: options.cwd,
    env: options.env,
    secrets: planSecretValues(plan),
    stop: new AbortController(),
    stopRequest: undefined,
    pendingApproval: undefined,
    hardStop: new AbortController(),
    rollbackIntent: undefined,
    weightAtRisk: 0,
    lockToken: '',
    onEvent: options.onEvent,
    ...(options.prompter ? { prompter: options.prompter } : {}),
  };
  return rt;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Runs `work` while holding the lock: heartbeat, abort watch and signal forwarding around it,
 * all released in `finally`.
 */
async function holdWhile(rt: RolloutRuntime, owner: LockOwner, work: () => Promise<RolloutOutcome>): Promise<SessionResult> {
  const { store, plan } = rt;
  rt.lockToken = owner.token;
  const heartbeat = setInterval(() => {
    store.heartbeat(plan.service, owner.token).then(
      (still) => {
        if (!still) {
          // Someone judged us dead and took over: stop at once rather than write beside them.
          requestStop(rt, { trigger: 'takeover', reason: 'the service lock was lost', by: rt.operator });
          rt.hardStop.abort();
        }
      },
      () => undefined, // a missed heartbeat is retried on the next tick
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();
  // Record an abort request in the log before acting on it, so the evidence says who asked and why.
  // Listening first: a durable flag already set fires the watcher at once.
  const onStop = (): void => {
    const req = rt.stopRequest;
    // An ended rollout takes no more requests: a durable flag left from before (the rollback command
    // that took over a rollout its runner had just finished) must not be recorded after the end.
    if (req?.trigger === 'abort' && !isTerminal(rt.log.view.status)) void record(rt, EventType.abortRequested, { reason: req.reason, by: req.by, severity: req.severity ?? 'critical', ...(req.requestedAt ? { requestedAt: req.requestedAt } : {}), ...(req.source ? { source: req.source } : {}) }).catch(() => undefined);
  };
  rt.stop.signal.addEventListener('abort', onStop, { once: true });
  const unwatch = await store.watchAbort(rt.rolloutId, (request) => {
    requestStop(rt, { trigger: 'abort', reason: request.reason, by: request.by, severity: request.severity, requestedAt: request.at, ...(request.source ? { source: request.source } : {}) });
  });
  try {
    const outcome = await work();
    return { ...outcome, rolloutId: rt.rolloutId, service: plan.service, dryRun: rt.log.view.dryRun };
  } finally {
    clearInterval(heartbeat);
    await unwatch().catch(() => undefined);
    await store.releaseLock(plan.service, owner.token).catch(() => undefined);
  }
}

/**
 * One rollout per service, also when no runner holds the lock: a paused, aborted or failed rollout
 * (or one whose runner died) still owns the service's traffic until it is resumed or rolled back.
 */
async function refuseUnfinished(store: StateStore, service: string): Promise<void> {
  const candidates = (await store.listRollouts({ service, limit: 50 })).filter((r) => r.status !== 'promoted' && r.status !== 'rolled_back');
  let unfinished: (typeof candidates)[number] | undefined;
  for (const candidate of candidates) {
    // A dry run never moved traffic: it owns nothing. (Records written before `dryRun` was kept: ask the log.)
    const dryRun = candidate.dryRun ?? (candidate.head === undefined && (await store.readEvents(candidate.rolloutId))[0]?.data.dryRun === true);
    if (!dryRun) {
      unfinished = candidate;
      break;
    }
  }
  if (!unfinished) return;
  throw new LockHeldError(
    `service ${service} has an unfinished rollout: ${unfinished.rolloutId} is ${statusWords(unfinished.status)} at ${unfinished.weight}%`,
    `finish it first: rollgate rollout resume ${unfinished.rolloutId}  or  rollgate rollback ${unfinished.rolloutId} --reason "..."`,
  );
}

/** Starts a new rollout of a loaded plan. */
export async function startSession(plan: ResolvedPlan, options: SessionOptions): Promise<Session> {
  const { store } = options;
  const rolloutId = newRolloutId(plan.service);
  const owner = lockOwner(rolloutId);
  await acquireLock(store, plan.service, owner, () => false, options.operator);
  try {
    await refuseUnfinished(store, plan.service);
    const now = new Date().toISOString();
    const dryRun = options.runner.dryRun === true;
    const log = await RolloutLog.create(store, {
      rolloutId,
      kind: 'rollout',
      service: plan.service,
      planName: plan.name,
      planFile: plan.file,
      planSha256: plan.sha256,
      status: 'running',
      step: -1,
      weight: 0,
      createdAt: now,
      updatedAt: now,
      operator: options.operator,
      ...(dryRun ? { dryRun } : {}),
    });
    const rt = buildRuntime(options, rolloutId, plan, log);
    await record(rt, EventType.started, {
      service: plan.service,
      planName: plan.name,
      planFile: plan.file,
      planSha256: plan.sha256,
      planPath: resolvePath(options.cwd, plan.file),
      plan: sanitizeForEvidence(redactDeep(plan, rt.secrets)) as Record<string, unknown>,
      operator: options.operator,
      toolVersion: TOOL_VERSION,
      stateStore: store.url,
      prometheus: rt.prometheus.url,
      dryRun: rt.options.dryRun,
      ...(options.policy ? { policy: options.policy } : {}),
    });
    return sessionHandle(rt, owner, () => driveRollout(rt));
  } catch (error) {
    await store.releaseLock(plan.service, owner.token).catch(() => undefined);
    throw error;
  }
}

/** Loads a recorded rollout and takes its lock (taking over from a dead runner only). */
async function takeOver(target: string, options: SessionOptions, verb: string): Promise<{ rt: RolloutRuntime; owner: LockOwner }> {
  const { store } = options;
  // A look before the lock (which service, which plan); the session's log is loaded once we hold it.
  const events = await store.readEvents(target);
  const seen = reduceEvents(events);
  if (!seen.plan) throw new StateError(`rollout ${target} has no rollout.started event in ${store.url}; cannot ${verb} it`);
  const plan = await restorePlan(seen.plan, events[0]?.data.planPath, options);
  const owner = lockOwner(target);
  await acquireLock(store, plan.service, owner, (holder) => holder.rolloutId === target, options.operator);
  try {
    const log = await RolloutLog.open(store, target);
    const rt = buildRuntime(options, target, plan, log);
    rt.weightAtRisk = Math.max(log.view.weight, log.view.weightUncertain ?? 0);
    return { rt, owner };
  } catch (error) {
    await store.releaseLock(plan.service, owner.token).catch(() => undefined);
    throw error;
  }
}

/**
 * The evidence holds the plan with its secrets masked. To act again (resume, take over), the plan
 * is loaded again from its file — secrets re-read from the environment and files — and used only
 * if its sha256 is the one recorded; otherwise the recorded snapshot is used as it is.
 */
async function restorePlan(snapshot: ResolvedPlan, planPath: unknown, options: SessionOptions): Promise<ResolvedPlan> {
  if (!JSON.stringify(snapshot).includes('***') || typeof planPath !== 'string') return snapshot;
  const set = Object.fromEntries(Object.entries(snapshot.vars).filter(([name, value]) => !value.includes('***') && !['service', 'name'].includes(name)));
  try {
    const reloaded = await loadPlan(planPath, { set, env: options.env, cwd: options.cwd });
    if (reloaded.sha256 === snapshot.sha256) return { ...reloaded, file: snapshot.file };
  } catch {
    // the file is gone or no longer valid: fall back to the snapshot
  }
  return snapshot;
}

/** Continues a rollout whose runner died, paused for approval, or was aborted half way. */
export async function resumeSession(rolloutId: string, options: SessionOptions): Promise<Session> {
  const seen = reduceEvents(await options.store.readEvents(rolloutId));
  if (isTerminal(seen.status)) {
    const released = await releaseDeadLockOf(options.store, rolloutId, seen.service, options.operator);
    throw new UsageError(
      `rollout ${rolloutId} has already ended: ${statusWords(seen.status)}${seen.reason ? ` (${seen.reason})` : ''}${released ? '; the lock its dead runner left was taken over and released (recorded)' : ''}`,
      seen.status === 'failed' ? `finish its rollback with: rollgate rollback ${rolloutId} --reason "..."` : undefined,
    );
  }
  const { rt, owner } = await takeOver(rolloutId, options, 'resume');
  const view = rt.log.view;
  if (isTerminal(view.status)) {
    // Its runner finished between our look and taking the lock.
    await options.store.releaseLock(rt.plan.service, owner.token).catch(() => undefined);
    throw new UsageError(`rollout ${rolloutId} has already ended: ${statusWords(view.status)}${view.reason ? ` (${view.reason})` : ''}`);
  }
  await record(rt, EventType.resumed, { by: options.operator, fromStatus: view.status, step: view.step, weight: view.weight, weightUncertain: view.weightUncertain ?? null });
  return sessionHandle(rt, owner, () => driveRollout(rt));
}

/** Takes over an orphaned (or paused/aborted/failed) rollout and rolls it back in this process. */
export async function rollbackSession(rolloutId: string, request: { reason: string; severity: string; source?: AbortSource }, options: SessionOptions): Promise<Session> {
  const { rt, owner } = await takeOver(rolloutId, options, 'roll back');
  const view = rt.log.view;
  const incomplete = view.status === 'rolled_back' ? (view.rollback?.incomplete ?? []) : [];
  // Its runner may have finished between our look and taking the lock: nothing left to do then.
  if (view.status === 'promoted' || (view.status === 'rolled_back' && incomplete.length === 0)) {
    return sessionHandle(rt, owner, async () => ({ status: view.status, step: view.step, weight: view.weight, exitCode: view.status === 'rolled_back' ? ExitCode.failed : ExitCode.ok, ...(view.reason ? { reason: view.reason } : {}) }));
  }
  // A rollback that ended incomplete: retry what failed (compensations, onRollback hooks) and the verification.
  if (incomplete.length > 0) await record(rt, EventType.rollbackRetried, { reason: request.reason, by: options.operator, incomplete });
  else if (!view.rollback) await record(rt, EventType.abortRequested, { reason: request.reason, by: options.operator, severity: request.severity, takenOver: true, ...(request.source ? { source: request.source } : {}) });
  // This process is the one rolling back: the durable abort flag it set must not be recorded twice.
  rt.stopRequest = { trigger: 'abort', reason: request.reason, by: options.operator, severity: request.severity };
  return sessionHandle(rt, owner, () => rollBack(rt, { trigger: 'abort', reason: request.reason, by: options.operator, severity: request.severity }));
}

/**
 * A finished rollout (promoted, rolled back) whose runner died before releasing the service lock:
 * takes the lock over, records that in the rollout's log, and releases it. False when there is no
 * such lock (none, someone else's, or a live runner's).
 */
export async function releaseDeadLockOf(store: StateStore, rolloutId: string, service: string, by: string): Promise<boolean> {
  if (!service) return false;
  const holder = await store.getLock(service);
  if (!holder || holder.rolloutId !== rolloutId || !isLockDead(holder, new Date())) return false;
  if (!(await hasFinished(store, rolloutId))) return false;
  const owner = lockOwner(rolloutId);
  if (!(await store.takeOverLock(service, holder.token, owner))) return false;
  try {
    await recordLockTakeOver(store, holder, by, rolloutId);
  } finally {
    await store.releaseLock(service, owner.token).catch(() => undefined);
  }
  return true;
}

function sessionHandle(rt: RolloutRuntime, owner: LockOwner, work: () => Promise<RolloutOutcome>): Session {
  let interrupts = 0;
  return {
    rolloutId: rt.rolloutId,
    run: () => holdWhile(rt, owner, work),
    interrupt(signalName: string) {
      interrupts += 1;
      if (interrupts === 1) {
        const request = { trigger: 'signal' as const, reason: `${signalName} received`, by: rt.operator };
        // The intent is recorded now, before anything a second signal can lead to (`rollout.aborted`);
        // once promotion is recorded it stands, and nothing is recorded for it.
        if (!isTerminal(rt.log.view.status) && !rt.stopRequest) void recordRollbackIntent(rt, request).catch(() => undefined);
        requestStop(rt, request);
      } else rt.hardStop.abort();
    },
  };
}
