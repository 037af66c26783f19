/**
 * The append side of a chain without a reduced view (an SLA audit's evidence, store tests): the
 * shared ChainWriter, loaded and checked like a rollout's log (chain and recorded head), with the
 * head as a hash and the last seq.
 */
import type { RolloutEvent, StateStore } from '../state/types.js';
import { ChainWriter } from './chain-writer.js';

export class EventLog {
  private constructor(private readonly writer: ChainWriter) {}

  /**
   * Reads the existing log and checks it: the chain and the log against the head recorded with its
   * record (when there is one). A broken chain or a cut tail is never extended (TamperedError).
   */
  static async open(store: StateStore, rolloutId: string): Promise<EventLog> {
    return new EventLog(await ChainWriter.open(store, rolloutId, { requireRecord: false }));
  }

  get rolloutId(): string {
    return this.writer.rolloutId;
  }

  /** Hash of the last event (GENESIS_PREV before the first). */
  get head(): string {
    return this.writer.head.hash;
  }

  get lastSeq(): number {
    return this.writer.head.seq;
  }

  /** Appends one event durably and returns it (with seq, prev and hash). */
  append(type: string, data: Record<string, unknown>, at: Date = new Date()): Promise<RolloutEvent> {
    return this.writer.append(type, data, at);
  }
}
