/**
 * The one append path of a chained log (a rollout's RolloutLog, an audit's EventLog): the log is
 * loaded and checked once (chain, and the log against the head its store recorded), then every
 * append builds seq, prev and hash on the head in memory and goes to the store, one after another
 * in the order asked. A failed append leaves the log stale (the store may or may not have kept the
 * event), so the next one loads and checks it again first.
 */
import { StateError, TamperedError } from '../errors.js';
import type { ChainHead, RecordPatch, RolloutEvent, RolloutRecord, StateStore } from '../state/types.js';
import { chainedEvent, GENESIS_PREV, verifyChain } from './chain.js';
import { checkAgainstHead } from './head.js';

export interface LoadOptions {
  /** A log without a record is refused (StateError) rather than started. */
  requireRecord: boolean;
  /**
   * The log is one event ahead of its recorded head (the file store fsyncs the line before it
   * moves the head: a crash in between): the record fields to write with the head moved to it.
   */
  aheadPatch?: (events: readonly RolloutEvent[], last: RolloutEvent) => RecordPatch;
}

/**
 * Loads a stored log for writing: the chain must verify (each event hashed from the bytes the
 * store holds) and the log must reach its recorded head. A log one event ahead of its head is
 * accepted and the head moved to it; a broken chain or a cut tail is never extended (TamperedError).
 */
export async function loadChain(store: StateStore, rolloutId: string, options: LoadOptions): Promise<RolloutEvent[]> {
  const texts: string[] = [];
  const [record, events] = await Promise.all([store.getRollout(rolloutId), store.readEvents(rolloutId, { texts })]);
  if (!record && options.requireRecord) throw new StateError(`rollout ${rolloutId} is not in ${store.url}`);
  const hint = `run: rollgate evidence verify ${rolloutId}`;
  const verdict = verifyChain(events, texts.length === events.length ? texts : undefined);
  if (!verdict.ok) throw new TamperedError(`evidence of rollout ${rolloutId} is broken at event #${verdict.brokenAt}: ${verdict.reason}`, hint);
  const head = checkAgainstHead(events, record?.head);
  if (!head.ok) throw new TamperedError(`evidence of rollout ${rolloutId} is broken at event #${head.brokenAt}: ${head.reason}`, hint);
  await finishHeadWrite(store, record, events, options);
  return events;
}

/** One event ahead: the line was durable, the head write was not. Finish that write now. */
async function finishHeadWrite(store: StateStore, record: RolloutRecord | undefined, events: readonly RolloutEvent[], options: LoadOptions): Promise<void> {
  const last = events.at(-1);
  if (!record?.head || !last || record.head.seq === last.seq) return;
  await store.updateRollout(record.rolloutId, { ...options.aheadPatch?.(events, last), head: { seq: last.seq, hash: last.hash! } });
}

export interface WriterHooks {
  /** The record fields derived with this event, written together with its head. */
  recordFor?: (event: RolloutEvent) => RecordPatch | undefined;
  /** The store refused or failed the write of this event. */
  failed?: (event: RolloutEvent) => void;
  /** The log was loaded again (after a failed append). */
  reloaded?: (events: readonly RolloutEvent[]) => void;
  /** The event is durable. */
  appended?: (event: RolloutEvent) => void;
}

export class ChainWriter {
  private entries: RolloutEvent[];
  /** Appends run one after another, in the order they were asked for. */
  private tail: Promise<unknown> = Promise.resolve();
  /** An append failed: the store may or may not have kept it, so load again before the next one. */
  private stale = false;

  constructor(
    private readonly store: StateStore,
    readonly rolloutId: string,
    events: RolloutEvent[],
    private readonly options: LoadOptions,
    private readonly hooks: WriterHooks = {},
  ) {
    this.entries = events;
  }

  /** Loads and checks a stored log (see loadChain) and returns its writer. */
  static async open(store: StateStore, rolloutId: string, options: LoadOptions, hooks: WriterHooks = {}): Promise<ChainWriter> {
    return new ChainWriter(store, rolloutId, await loadChain(store, rolloutId, options), options, hooks);
  }

  get events(): readonly RolloutEvent[] {
    return this.entries;
  }

  get head(): ChainHead {
    const last = this.entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash! } : { seq: 0, hash: GENESIS_PREV };
  }

  /** Appends one event durably (with the chain head and the hooks' record fields) and returns it. */
  append(type: string, data: Record<string, unknown>, at: Date = new Date()): Promise<RolloutEvent> {
    const next = this.tail.then(() => this.appendNow(type, data, at));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(type: string, data: Record<string, unknown>, at: Date): Promise<RolloutEvent> {
    if (this.stale) {
      this.entries = await loadChain(this.store, this.rolloutId, this.options);
      this.stale = false;
      this.hooks.reloaded?.(this.entries);
    }
    const event = chainedEvent(this.rolloutId, this.head, type, data, at);
    try {
      await this.store.appendEvent(event, this.hooks.recordFor?.(event));
    } catch (error) {
      this.stale = true;
      this.hooks.failed?.(event);
      throw error;
    }
    this.entries.push(event);
    this.hooks.appended?.(event);
    return event;
  }
}
