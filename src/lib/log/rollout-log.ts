/**
 * One rollout's log, held in memory by the one process that writes it (the lock holder).
 *
 * It loads and verifies the stored log once (chain and recorded head), then every append goes to
 * the store together with the new chain head and the record fields derived from the view, and the
 * reduced view (status, step, weight, reason, per-step limit counters, ...) is brought up to date
 * with the same event. Code that decides reads `view`; it never asks the store where it is.
 */
import { StateError, TamperedError } from '../errors.js';
import { applyEvent, createView, reduceEvents, type RolloutView } from '../rollout/reduce.js';
import type { ChainHead, RecordPatch, RolloutEvent, RolloutRecord, StateStore } from '../state/types.js';
import { chainedEvent, GENESIS_PREV, verifyChain } from './chain.js';
import { crashPoint } from './crash-point.js';
import { checkAgainstHead } from './head.js';

/** The record fields that follow from the view: the record is derived, never kept by hand. */
export function recordPatchOf(view: RolloutView, at: string): RecordPatch {
  return { status: view.status, step: view.step, weight: view.weight, reason: view.reason ?? '', updatedAt: at, ...(view.dryRun ? { dryRun: true } : {}) };
}

export class RolloutLog {
  private entries: RolloutEvent[];
  private current: RolloutView;
  /** Appends run one after another, in the order they were asked for. */
  private tail: Promise<unknown> = Promise.resolve();
  /** An append failed: the store may or may not have kept it, so load again before the next one. */
  private stale = false;

  private constructor(
    private readonly store: StateStore,
    readonly rolloutId: string,
    events: RolloutEvent[],
  ) {
    this.entries = events;
    this.current = reduceEvents(events);
    if (events.length === 0) this.current = createView(rolloutId);
  }

  /** Creates the record (head at genesis) and an empty log for a new rollout. */
  static async create(store: StateStore, record: Omit<RolloutRecord, 'head'>): Promise<RolloutLog> {
    await store.createRollout({ ...record, head: { seq: 0, hash: GENESIS_PREV } });
    return new RolloutLog(store, record.rolloutId, []);
  }

  /**
   * Loads a stored log: the chain must verify and the log must reach its recorded head. A log one
   * event ahead of its head (a crash between the file store's two writes) is accepted and the head
   * moved to it; a broken chain or a cut tail is never extended (TamperedError).
   */
  static async open(store: StateStore, rolloutId: string): Promise<RolloutLog> {
    return new RolloutLog(store, rolloutId, await RolloutLog.load(store, rolloutId));
  }

  private static async load(store: StateStore, rolloutId: string): Promise<RolloutEvent[]> {
    const [record, events] = await Promise.all([store.getRollout(rolloutId), store.readEvents(rolloutId)]);
    if (!record) throw new StateError(`rollout ${rolloutId} is not in ${store.url}`);
    const hint = `run: rollgate evidence verify ${rolloutId}`;
    const verdict = verifyChain(events);
    if (!verdict.ok) throw new TamperedError(`evidence of rollout ${rolloutId} is broken at event #${verdict.brokenAt}: ${verdict.reason}`, hint);
    const head = checkAgainstHead(events, record.head);
    if (!head.ok) throw new TamperedError(`evidence of rollout ${rolloutId} is broken at event #${head.brokenAt}: ${head.reason}`, hint);
    const last = events.at(-1);
    if (record.head && last && record.head.seq !== last.seq) {
      // One event ahead: the line was durable, the head write was not. Finish that write now.
      const view = reduceEvents(events);
      await store.updateRollout(rolloutId, { ...recordPatchOf(view, last.at), head: { seq: last.seq, hash: last.hash! } });
    }
    return events;
  }

  /** What the log means now. Kept current by every append; read it, never the store. */
  get view(): RolloutView {
    return this.current;
  }

  get events(): readonly RolloutEvent[] {
    return this.entries;
  }

  get head(): ChainHead {
    const last = this.entries.at(-1);
    return last ? { seq: last.seq, hash: last.hash! } : { seq: 0, hash: GENESIS_PREV };
  }

  /** Appends one event durably (with the chain head and the derived record) and returns it. */
  append(type: string, data: Record<string, unknown>, at: Date = new Date()): Promise<RolloutEvent> {
    const next = this.tail.then(() => this.appendNow(type, data, at));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async appendNow(type: string, data: Record<string, unknown>, at: Date): Promise<RolloutEvent> {
    if (this.stale) {
      this.entries = await RolloutLog.load(this.store, this.rolloutId);
      this.current = reduceEvents(this.entries);
      this.stale = false;
    }
    const event = chainedEvent(this.rolloutId, this.head, type, data, at);
    // The view moves first so the record written with the head is the one the event leads to.
    applyEvent(this.current, event);
    try {
      await this.store.appendEvent(event, recordPatchOf(this.current, event.at));
    } catch (error) {
      this.stale = true;
      this.current = reduceEvents(this.entries);
      throw error;
    }
    this.entries.push(event);
    crashPoint('event', event);
    return event;
  }
}
