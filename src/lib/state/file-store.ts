/**
 * The embedded state store: plain files under one root directory, safe against crashes.
 *
 *   <root>/rollouts/<id>/record.json          index record with the chain head (atomic replace)
 *   <root>/rollouts/<id>/events.ndjson        hash-chained event log, one canonical JSON per line (append + fsync)
 *
 * An append is two durable writes in a fixed order: the log line (fsync), then record.json with the
 * new head. A crash between them leaves the log one event ahead of the head, never behind it, so
 * `evidence verify` tells that apart from a cut tail (the log behind its head).
 *   <root>/rollouts/<id>/abort.json           durable abort request
 *   <root>/rollouts/<id>/approvals/<step>.json
 *   <root>/locks/<service>.json               lock owner (created exclusively)
 *   <root>/locks/<service>.json.cas/          short-lived guard around compare-and-swap on that lock
 *
 * Durability: a replaced file is written to a temp file, fsynced, renamed over the old one, and the
 * directory is fsynced, so a crash leaves either the old or the new content, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalEventText, hashEvent, isCanonicalJson } from '../log/chain.js';
import { StateError, UsageError } from '../errors.js';
import { crashPoint } from '../log/crash-point.js';
import { CorruptEventLogError } from './event-log-error.js';
import { isLockDead, pidExists } from './lock-liveness.js';
import { abortRequestSchema, approvalDecisionSchema, isSafeName, lockOwnerSchema, parseStored, rolloutRecordSchema, storedEventSchema } from './schemas.js';
import type { AbortRequest, AcquireResult, ApprovalDecision, LockOwner, ReadEventsOptions, RecordPatch, RolloutEvent, RolloutRecord, StateStore } from './types.js';

/** How often watchAbort re-reads the durable abort file (fs.watch speeds it up where it works). */
const ABORT_POLL_MS = 200;
/** A CAS guard older than this belongs to a process that died inside a millisecond-long section. */
const GUARD_STALE_MS = 10_000;
const GUARD_WAIT_MS = 5_000;

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class FileStateStore implements StateStore {
  readonly url: string;
  /** Last seq and file size per log, so an append does not re-read the log; the size detects other writers. */
  private readonly logTail = new Map<string, { lastSeq: number; size: number }>();
  private readonly appendQueue = new Map<string, Promise<unknown>>();
  private readonly watchers = new Set<() => void>();

  constructor(readonly root: string) {
    this.url = `file:${root}`;
  }

  // ---- paths -------------------------------------------------------------------------------

  private rolloutDir(rolloutId: string): string {
    return path.join(this.root, 'rollouts', rolloutId);
  }

  private lockPath(service: string): string {
    return path.join(this.root, 'locks', `${service}.json`);
  }

  private checkName(kind: 'rollout ID' | 'service', name: string): void {
    if (!isSafeName(name)) throw new UsageError(`invalid ${kind} "${name}": use letters, digits, ".", "_" and "-"`);
  }

  /** Our own errors pass through; anything from the file system becomes a StateError naming the store. */
  private fail(action: string, error: unknown): Error {
    if (error instanceof StateError || error instanceof UsageError) return error;
    return new StateError(`state store at ${this.url}: cannot ${action} (${errnoCode(error) ?? (error as Error).message})`, undefined, { cause: error });
  }

  // ---- file primitives ---------------------------------------------------------------------

  private async readText(file: string): Promise<string | undefined> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw this.fail(`read ${file}`, error);
    }
  }

  private tempName(file: string): string {
    return `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  }

  /** Writes a complete, fsynced temp file next to `file` and returns its name. */
  private async writeTemp(file: string, text: string): Promise<string> {
    const temp = this.tempName(file);
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return temp;
  }

  /** Temp file + fsync + rename + fsync of the directory: readers see the old or the new content. */
  private async writeAtomic(file: string, text: string): Promise<void> {
    const temp = await this.writeTemp(file, text);
    try {
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    await syncDir(path.dirname(file));
  }

  // ---- rollout records ---------------------------------------------------------------------

  async createRollout(record: RolloutRecord): Promise<void> {
    this.checkName('rollout ID', record.rolloutId);
    this.checkName('service', record.service);
    const dir = this.rolloutDir(record.rolloutId);
    try {
      await fs.mkdir(path.dirname(dir), { recursive: true });
      try {
        await fs.mkdir(dir);
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') throw new StateError(`rollout ${record.rolloutId} already exists in ${this.url}`);
        throw error;
      }
      await this.writeAtomic(path.join(dir, 'record.json'), `${JSON.stringify(record, null, 2)}\n`);
      await syncDir(path.dirname(dir));
    } catch (error) {
      throw this.fail(`create rollout ${record.rolloutId}`, error);
    }
  }

  async getRollout(rolloutId: string): Promise<RolloutRecord | undefined> {
    if (!isSafeName(rolloutId)) return undefined;
    const file = path.join(this.rolloutDir(rolloutId), 'record.json');
    const text = await this.readText(file);
    return text === undefined ? undefined : parseStored(rolloutRecordSchema, text, file);
  }

  async updateRollout(rolloutId: string, patch: Partial<Omit<RolloutRecord, 'rolloutId' | 'service'>>): Promise<void> {
    const current = await this.getRollout(rolloutId);
    if (!current) throw new StateError(`cannot update rollout ${rolloutId}: it is not in ${this.url}`);
    // Never let a patch rename the record (callers pass spreads of wider objects).
    const next: RolloutRecord = { ...current, ...patch, rolloutId: current.rolloutId, service: current.service, updatedAt: patch.updatedAt ?? new Date().toISOString() };
    try {
      await this.writeAtomic(path.join(this.rolloutDir(rolloutId), 'record.json'), `${JSON.stringify(next, null, 2)}\n`);
    } catch (error) {
      throw this.fail(`update rollout ${rolloutId}`, error);
    }
  }

  async listRollouts(filter: { service?: string; limit?: number; kinds?: ReadonlyArray<'rollout' | 'audit'> } = {}): Promise<RolloutRecord[]> {
    const kinds = filter.kinds ?? ['rollout'];
    let ids: string[];
    try {
      ids = await fs.readdir(path.join(this.root, 'rollouts'));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw this.fail('list rollouts', error);
    }
    const records: RolloutRecord[] = [];
    for (const id of ids) {
      // A folder without record.json is a rollout whose creation crashed half way: not listed.
      const record = await this.getRollout(id);
      if (record && (filter.service === undefined || record.service === filter.service) && kinds.includes(record.kind ?? 'rollout')) records.push(record);
    }
    records.sort(newestFirst);
    return filter.limit === undefined ? records : records.slice(0, filter.limit);
  }

  // ---- event log ---------------------------------------------------------------------------

  async appendEvent(event: RolloutEvent, patch: RecordPatch = {}): Promise<void> {
    this.checkName('rollout ID', event.rolloutId);
    const line = `${canonicalEventText(event)}\n`;
    // Appends to one log run in order within this process; across processes the service lock keeps one writer.
    const previous = this.appendQueue.get(event.rolloutId) ?? Promise.resolve();
    const next = previous.then(async () => {
      await this.appendLine(event, line);
      crashPoint('line', event);
      await this.writeHead(event, patch);
    });
    const settled = next.catch(() => undefined);
    this.appendQueue.set(event.rolloutId, settled);
    void settled.then(() => {
      if (this.appendQueue.get(event.rolloutId) === settled) this.appendQueue.delete(event.rolloutId);
    });
    return next;
  }

  private async appendLine(event: RolloutEvent, line: string): Promise<void> {
    const dir = this.rolloutDir(event.rolloutId);
    const file = path.join(dir, 'events.ndjson');
    // A log we appended to already belongs to an existing rollout; otherwise check once.
    if (!this.logTail.has(event.rolloutId) && (await this.readText(path.join(dir, 'record.json'))) === undefined) {
      throw new StateError(`cannot append to rollout ${event.rolloutId}: it is not in ${this.url}`);
    }
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'a');
    } catch (error) {
      throw this.fail(`open ${file}`, error);
    }
    try {
      const size = (await handle.stat()).size;
      const cached = this.logTail.get(event.rolloutId);
      // A size we did not write ourselves (another process, a crash, a restart): read the log again.
      const lastSeq = cached && cached.size === size ? cached.lastSeq : await this.scanLastSeq(event.rolloutId);
      if (event.seq !== lastSeq + 1) {
        throw new StateError(`event #${event.seq} rejected: the log of rollout ${event.rolloutId} ends at #${lastSeq} (expected #${lastSeq + 1})`);
      }
      const bytes = Buffer.from(line, 'utf8');
      await handle.write(bytes);
      await handle.sync();
      if (size === 0) await syncDir(dir);
      this.logTail.set(event.rolloutId, { lastSeq: event.seq, size: size + bytes.length });
    } catch (error) {
      // Whatever happened, the cached tail may be wrong now.
      this.logTail.delete(event.rolloutId);
      throw this.fail(`append to ${file}`, error);
    } finally {
      await handle.close();
    }
  }

  /** The second write of an append: the record with the new head (and the fields derived with it). */
  private async writeHead(event: RolloutEvent, patch: RecordPatch): Promise<void> {
    const file = path.join(this.rolloutDir(event.rolloutId), 'record.json');
    try {
      const text = await this.readText(file);
      if (text === undefined) throw new StateError(`cannot append to rollout ${event.rolloutId}: it is not in ${this.url}`);
      const current = parseStored(rolloutRecordSchema, text, file);
      const next: RolloutRecord = { ...current, ...patch, rolloutId: current.rolloutId, service: current.service, updatedAt: patch.updatedAt ?? current.updatedAt, head: { seq: event.seq, hash: event.hash ?? hashEvent(event) } };
      await this.writeAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
    } catch (error) {
      throw this.fail(`record the head of ${event.rolloutId}`, error);
    }
  }

  private async scanLastSeq(rolloutId: string): Promise<number> {
    const events = await this.readEvents(rolloutId);
    return events.at(-1)?.seq ?? 0;
  }

  /**
   * Reads the whole log, a chunk at a time (each line handed on as it is read: the file's text is
   * never held whole). Tolerates nothing: a line that is not JSON, not canonical, or torn (the file
   * does not end with a newline: a write cut short by a crash or a full disk) is a CorruptEventLogError.
   */
  async readEvents(rolloutId: string, options: ReadEventsOptions = {}): Promise<RolloutEvent[]> {
    if (!isSafeName(rolloutId)) return [];
    const file = path.join(this.rolloutDir(rolloutId), 'events.ndjson');
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw this.fail(`read ${file}`, error);
    }
    const events: RolloutEvent[] = [];
    /** Complete lines seen, and the first that could not be read (the rest are only counted, for the hint). */
    let lines = 0;
    let bytes = 0;
    let problem: { position: number; reason: string } | undefined;
    const line = (text: string): void => {
      const position = ++lines;
      bytes += Buffer.byteLength(text) + 1;
      if (problem) return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        problem = { position, reason: `line ${position} is not valid JSON` };
        return;
      }
      if (!storedEventSchema.safeParse(value).success) problem = { position, reason: `line ${position} is not an event` };
      else if (!isCanonicalJson(value, text)) problem = { position, reason: `line ${position} is not in the canonical form rollgate writes (edited?)` };
      if (problem) return;
      options.onEvent?.(value as RolloutEvent, text);
      if (options.keep === false) return;
      events.push(value as RolloutEvent);
      options.texts?.push(text);
    };
    let pending = '';
    try {
      // Not fatal, as readFile(file, 'utf8') was: a bad byte becomes U+FFFD, and the line then fails its checks.
      const decoder = new TextDecoder('utf-8');
      const buffer = Buffer.allocUnsafe(256 * 1024);
      for (;;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
        } catch (error) {
          throw this.fail(`read ${file}`, error);
        }
        const text = pending + decoder.decode(buffer.subarray(0, bytesRead), { stream: bytesRead > 0 });
        let start = 0;
        for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
          line(text.slice(start, end));
          start = end + 1;
        }
        pending = text.slice(start);
        if (bytesRead === 0) break;
      }
    } finally {
      await handle.close();
    }
    const torn = pending !== '';
    const hint = `inspect ${file}; the events before entry #${lines + (torn ? 1 : 0)} are intact`;
    if (problem) throw new CorruptEventLogError(rolloutId, problem.position, problem.reason, hint);
    if (torn) throw new CorruptEventLogError(rolloutId, lines + 1, `the last line is incomplete (a write was cut short at byte ${bytes})`, hint);
    return events;
  }

  // ---- locks -------------------------------------------------------------------------------

  async acquireLock(service: string, owner: LockOwner): Promise<AcquireResult> {
    this.checkName('service', service);
    const file = this.lockPath(service);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      for (let attempt = 0; attempt < 5; attempt += 1) {
        if (await this.createLockFile(file, owner)) return { acquired: true };
        const holder = await this.readLock(file);
        if (holder) return { acquired: false, holder };
        // Released between our attempt and our read: try again.
      }
      throw new StateError(`cannot acquire the lock of ${service}: it changes hands too fast`);
    } catch (error) {
      throw this.fail(`acquire the lock of ${service}`, error);
    }
  }

  /**
   * Creates the lock file only if absent. link(2) of a complete temp file is the O_EXCL create
   * (EEXIST when present) without the window in which `wx` + write shows readers an empty file.
   */
  private async createLockFile(file: string, owner: LockOwner): Promise<boolean> {
    const temp = await this.writeTemp(file, `${JSON.stringify(owner, null, 2)}\n`);
    try {
      await fs.link(temp, file);
      await syncDir(path.dirname(file));
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }
  }

  private async readLock(file: string): Promise<LockOwner | undefined> {
    const text = await this.readText(file);
    return text === undefined ? undefined : parseStored(lockOwnerSchema, text, file);
  }

  async getLock(service: string): Promise<LockOwner | undefined> {
    if (!isSafeName(service)) return undefined;
    return this.readLock(this.lockPath(service));
  }

  async heartbeat(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    const file = this.lockPath(service);
    return this.withGuard(file, async () => {
      const holder = await this.readLock(file);
      if (!holder || holder.token !== token) return false;
      await this.writeAtomic(file, `${JSON.stringify({ ...holder, heartbeatAt: new Date().toISOString() }, null, 2)}\n`);
      return true;
    });
  }

  async releaseLock(service: string, token: string): Promise<boolean> {
    this.checkName('service', service);
    const file = this.lockPath(service);
    return this.withGuard(file, async () => {
      const holder = await this.readLock(file);
      if (!holder || holder.token !== token) return false;
      await fs.unlink(file);
      await syncDir(path.dirname(file));
      return true;
    });
  }

  /**
   * Replaces the lock of a dead holder. Runs under the CAS guard, so between reading the holder and
   * replacing the file nobody else can heartbeat, release or take over: of two takers one finds the
   * dead token and wins, the other then finds the winner's token and gets false. A holder that is
   * alive (isLockDead false) is refused even when the caller names its token. A lock that is gone
   * already is created afresh (the dead holder's lock vanished; first come, first served).
   */
  async takeOverLock(service: string, deadToken: string, owner: LockOwner): Promise<boolean> {
    this.checkName('service', service);
    const file = this.lockPath(service);
    await fs.mkdir(path.dirname(file), { recursive: true }).catch((error: unknown) => {
      throw this.fail(`create ${path.dirname(file)}`, error);
    });
    return this.withGuard(file, async () => {
      const holder = await this.readLock(file);
      if (!holder) return this.createLockFile(file, owner);
      if (holder.token !== deadToken || !isLockDead(holder, new Date())) return false;
      await this.writeAtomic(file, `${JSON.stringify(owner, null, 2)}\n`);
      return true;
    });
  }

  /**
   * Runs fn while holding `<lock>.cas`, a directory: mkdir is atomic, so only one process at a time
   * reads-compares-replaces a lock file. A guard left by a process that died inside the section is
   * removed once it is GUARD_STALE_MS old (the section itself lasts milliseconds).
   */
  private async withGuard<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
    const guard = `${lockFile}.cas`;
    const deadline = Date.now() + GUARD_WAIT_MS;
    try {
      for (;;) {
        try {
          await fs.mkdir(guard);
          // Who holds it, so a holder killed inside the section (SIGKILL during a heartbeat) is seen
          // dead at once instead of blocking a take-over until the guard goes stale.
          await fs.writeFile(path.join(guard, 'holder'), `${hostname()} ${process.pid}`).catch(() => undefined);
          break;
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') {
            await fs.mkdir(path.dirname(guard), { recursive: true });
            continue;
          }
          if (errnoCode(error) !== 'EEXIST') throw error;
        }
        const stat = await fs.stat(guard).catch(() => undefined);
        if (stat && (Date.now() - stat.mtimeMs > GUARD_STALE_MS || (await guardHolderDead(guard)))) {
          // Rename first: of several processes clearing the same stale guard only one succeeds.
          const aside = `${guard}.stale.${randomBytes(4).toString('hex')}`;
          if (await fs.rename(guard, aside).then(() => true, () => false)) await fs.rm(aside, { recursive: true, force: true });
          continue;
        }
        if (Date.now() > deadline) throw new StateError(`the lock ${lockFile} is busy (guard ${guard} held for over ${GUARD_WAIT_MS / 1000}s)`);
        await sleep(2 + Math.random() * 8);
      }
    } catch (error) {
      throw this.fail(`lock ${lockFile}`, error);
    }
    try {
      return await fn();
    } catch (error) {
      throw this.fail(`update ${lockFile}`, error);
    } finally {
      await fs.rm(guard, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  // ---- abort requests ----------------------------------------------------------------------

  private async requireRollout(rolloutId: string): Promise<string> {
    if (!(await this.getRollout(rolloutId))) throw new UsageError(`no rollout ${rolloutId} in ${this.url}`, 'list rollouts with: rollgate rollout status');
    return this.rolloutDir(rolloutId);
  }

  async requestAbort(rolloutId: string, request: AbortRequest): Promise<void> {
    const dir = await this.requireRollout(rolloutId);
    try {
      await this.writeAtomic(path.join(dir, 'abort.json'), `${JSON.stringify(request, null, 2)}\n`);
    } catch (error) {
      throw this.fail(`request an abort of ${rolloutId}`, error);
    }
  }

  async getAbortRequest(rolloutId: string): Promise<AbortRequest | undefined> {
    if (!isSafeName(rolloutId)) return undefined;
    const file = path.join(this.rolloutDir(rolloutId), 'abort.json');
    const text = await this.readText(file);
    return text === undefined ? undefined : parseStored(abortRequestSchema, text, file);
  }

  /** Polls the durable file every ABORT_POLL_MS, and also checks on fs.watch events (instant on Linux/macOS). */
  async watchAbort(rolloutId: string, onAbort: (request: AbortRequest) => void): Promise<() => Promise<void>> {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    const stop = (): void => {
      done = true;
      if (timer) clearInterval(timer);
      watcher?.close();
      this.watchers.delete(stop);
    };
    this.watchers.add(stop);
    let checking = false;
    const check = async (): Promise<void> => {
      if (done || checking) return;
      checking = true;
      try {
        // A read error (file mid-replace on some platforms) is retried at the next tick.
        const request = await this.getAbortRequest(rolloutId).catch(() => undefined);
        if (request && !done) {
          stop();
          onAbort(request);
        }
      } finally {
        checking = false;
      }
    };
    timer = setInterval(() => void check(), ABORT_POLL_MS);
    try {
      watcher = watch(this.rolloutDir(rolloutId), () => void check());
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined; // no fs.watch here (or no folder yet): polling alone meets the 1 s bound
    }
    await check();
    return async () => stop();
  }

  // ---- approvals ---------------------------------------------------------------------------

  async setApproval(rolloutId: string, decision: ApprovalDecision): Promise<void> {
    const dir = path.join(await this.requireRollout(rolloutId), 'approvals');
    try {
      await fs.mkdir(dir, { recursive: true });
      await this.writeAtomic(path.join(dir, `${decision.step}.json`), `${JSON.stringify(decision, null, 2)}\n`);
    } catch (error) {
      throw this.fail(`record the approval of ${rolloutId}`, error);
    }
  }

  async getApproval(rolloutId: string, step: number): Promise<ApprovalDecision | undefined> {
    if (!isSafeName(rolloutId) || !Number.isInteger(step)) return undefined;
    const file = path.join(this.rolloutDir(rolloutId), 'approvals', `${step}.json`);
    const text = await this.readText(file);
    return text === undefined ? undefined : parseStored(approvalDecisionSchema, text, file);
  }

  async close(): Promise<void> {
    for (const stop of [...this.watchers]) stop();
    await Promise.all([...this.appendQueue.values()]);
  }
}

/** Newest first; equal times ordered by ID (descending) so both backends list identically. */
export function newestFirst(a: RolloutRecord, b: RolloutRecord): number {
  const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return a.rolloutId < b.rolloutId ? 1 : a.rolloutId > b.rolloutId ? -1 : 0;
}

/** The guard's holder (written right after the guard was made) is a process of this host that is gone. */
async function guardHolderDead(guard: string): Promise<boolean> {
  const text = await fs.readFile(path.join(guard, 'holder'), 'utf8').catch(() => undefined);
  const [host, pid] = text?.split(' ') ?? [];
  return host === hostname() && pid !== undefined && !pidExists(Number(pid));
}

/** fsync of a directory makes a create/rename/unlink in it durable; some platforms cannot, and that is fine. */
async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errnoCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}
