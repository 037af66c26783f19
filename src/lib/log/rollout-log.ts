/**
 * One rollout's log, held in memory by the one process that writes it (the lock holder).
 *
 * It loads and verifies the stored log once (chain and recorded head), then every append goes to
 * the store together with the new chain head and the record fields derived from the view, and the
 * reduced view (status, step, weight, reason, per-step limit counters, ...) is brought up to date
 * with the same event. Code that decides reads `view`; it never asks the store where it is.
 */
import { applyEvent, createView, reduceEvents, type RolloutView } from '../rollout/reduce.js';
import type { ChainHead, RecordPatch, RolloutEvent, RolloutRecord, StateStore } from '../state/types.js';
import { GENESIS_PREV } from './chain.js';
import { ChainWriter, loadChain, type LoadOptions } from './chain-writer.js';
import { crashPoint } from './crash-point.js';

/** The record fields that follow from the view: the record is derived, never kept by hand. */
export function recordPatchOf(view: RolloutView, at: string): RecordPatch {
  return { status: view.status, step: view.step, weight: view.weight, reason: view.reason ?? '', updatedAt: at, ...(view.dryRun ? { dryRun: true } : {}) };
}

export class RolloutLog {
  private current: RolloutView;
  private readonly writer: ChainWriter;

  private constructor(store: StateStore, rolloutId: string, events: RolloutEvent[]) {
    this.current = events.length === 0 ? createView(rolloutId) : reduceEvents(events);
    // The shared append path; the view rides along: it moves first, so the record written with
    // the head is the one the event leads to, and is derived again when a write fails or reloads.
    this.writer = new ChainWriter(store, rolloutId, events, LOAD, {
      recordFor: (event) => {
        applyEvent(this.current, event);
        return recordPatchOf(this.current, event.at);
      },
      failed: () => {
        this.current = reduceEvents(this.writer.events);
      },
      reloaded: (reloaded) => {
        this.current = reduceEvents(reloaded);
      },
      appended: (event) => crashPoint('event', event),
    });
  }

  get rolloutId(): string {
    return this.writer.rolloutId;
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
    return new RolloutLog(store, rolloutId, await loadChain(store, rolloutId, LOAD));
  }

  /** What the log means now. Kept current by every append; read it, never the store. */
  get view(): RolloutView {
    return this.current;
  }

  get events(): readonly RolloutEvent[] {
    return this.writer.events;
  }

  get head(): ChainHead {
    return this.writer.head;
  }

  /** Appends one event durably (with the chain head and the derived record) and returns it. */
  append(type: string, data: Record<string, unknown>, at: Date = new Date()): Promise<RolloutEvent> {
    return this.writer.append(type, data, at);
  }
}

/** A rollout's log needs its record; one event ahead of the head, the record follows the view. */
const LOAD: LoadOptions = {
  requireRecord: true,
  aheadPatch: (events, last) => recordPatchOf(reduceEvents(events), last.at),
};
