/**
 * Exported evidence logs: read them back and verify them.
 *
 * Two forms are accepted:
 * - NDJSON: one event per line, each line exactly the event's canonical JSON (as `formatNdjson`
 *   writes it and as the file store keeps it). Checked byte for byte: a line that parses but is not
 *   canonical (an escape spelled differently, `1E+21` for `1e+21`, a space) is a break too, so any
 *   change to any byte is detected.
 * - A JSON document with an `events` array (the JSON report: `{schemaVersion, summary, events}`).
 *   Pretty-printed JSON has no single byte form, so events are checked by content; the summary is
 *   derived from the events and is not part of the chain.
 */
import fs from 'node:fs/promises';
import { canonicalJson, ChainChecker, isCanonicalJson, verifyChain, type ChainVerdict } from './chain.js';
import type { RolloutEvent } from '../state/types.js';

export interface EvidenceLog {
  format: 'ndjson' | 'json';
  /** Events read up to the first unreadable entry. */
  events: unknown[];
  /** The first entry that could not be read as an event (1-based position), if any. */
  problem?: { position: number; reason: string };
  /** Total number of entries (lines or array items), readable or not. */
  entries: number;
  /**
   * The chain checked over `events` while they were read (NDJSON: one pass, each line serialised
   * once); absent when the reader left it to `verifyEvidenceLog`.
   */
  chain?: ChainVerdict;
}

/** Writes events as canonical NDJSON: the byte-exact form `readEvidenceLog` verifies. */
export function formatNdjson(events: readonly RolloutEvent[]): string {
  return events.map((event) => `${canonicalJson(event)}\n`).join('');
}

/**
 * Reads an exported log from a file. NDJSON is read, parsed and verified a chunk at a time (the
 * file's bytes and text are never held whole: only the parsed events stay); a JSON document is
 * read whole, as it has to be parsed whole.
 */
export interface ReadOptions {
  /**
   * Called with each readable entry, in order, as it is read; for NDJSON with its line too
   * (checked to be exactly the entry's canonical JSON).
   */
  onEvent?: (event: unknown, canonicalText?: string) => void;
  /**
   * false: NDJSON events are handed to onEvent and not kept (`events` comes back empty), so a
   * reader that folds them in as they come never holds the log. Default true.
   */
  keep?: boolean;
}

export async function readEvidenceLog(file: string, options: ReadOptions = {}): Promise<EvidenceLog> {
  const handle = await fs.open(file, 'r');
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const buffer = Buffer.allocUnsafe(256 * 1024);
    let head = '';
    let reader: NdjsonReader | undefined;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      let text: string;
      try {
        // fatal: invalid UTF-8 is an error, not silently replaced by U+FFFD; stream: a character may straddle two reads.
        text = decoder.decode(buffer.subarray(0, bytesRead), { stream: bytesRead > 0 });
      } catch {
        return notUtf8();
      }
      if (reader) reader.push(text);
      else {
        head += text;
        // The form is known once the first line is whole (or the file ended).
        if ((bytesRead === 0 || head.includes('\n')) && !looksLikeJsonDocument(head)) {
          reader = new NdjsonReader(options);
          reader.push(head);
          head = '';
        }
      }
      if (bytesRead === 0) break;
    }
    if (reader) return reader.end();
    // A JSON document is parsed whole (and may turn out to be NDJSON with a broken first line).
    const log = parseJsonDocument(head, options);
    if (log.format === 'json') for (const event of log.events) options.onEvent?.(event);
    return log;
  } finally {
    await handle.close();
  }
}

/**
 * The first entry of an NDJSON log, parsed (undefined when the file does not start with a whole
 * JSON line of at most `limit` bytes): what a reader needs to know before it streams the rest
 * (whose plan it is, and so which secrets to mask).
 */
export async function readFirstEntry(file: string, limit = 16 * 1024 * 1024): Promise<unknown> {
  const handle = await fs.open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      const chunk = buffer.subarray(0, bytesRead);
      const newline = chunk.indexOf(0x0a);
      chunks.push(newline >= 0 ? chunk.subarray(0, newline) : chunk);
      size += bytesRead;
      if (newline >= 0) break;
      if (bytesRead === 0 || size > limit) return undefined;
    }
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks))) as unknown;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

function notUtf8(): EvidenceLog {
  return { format: 'ndjson', events: [], entries: 0, problem: { position: 1, reason: 'the file is not valid UTF-8' } };
}

/** Parses bytes of either form. Never throws: what cannot be read is reported as `problem`. */
export function parseEvidenceLog(bytes: Uint8Array | string): EvidenceLog {
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error, not silently replaced by U+FFFD.
    text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return notUtf8();
  }
  if (looksLikeJsonDocument(text)) return parseJsonDocument(text);
  return parseNdjson(text);
}

/** A JSON document starts with `{` and its first line is not a whole event (NDJSON's first line is). */
function looksLikeJsonDocument(text: string): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return false;
  const firstLine = text.split('\n', 1)[0] ?? '';
  try {
    const first = JSON.parse(firstLine) as unknown;
    return typeof first === 'object' && first !== null && 'events' in first && !('seq' in first);
  } catch {
    return true; // a multi-line document (pretty-printed), or a broken first NDJSON line: decided below
  }
}

function parseJsonDocument(text: string, options: ReadOptions = {}): EvidenceLog {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // Not a document after all: maybe NDJSON whose first line is broken; that reader names the line.
    if (text.includes('\n{')) return parseNdjson(text, options);
    return { format: 'json', events: [], entries: 0, problem: { position: 1, reason: `the file is not valid JSON (${(error as Error).message})` } };
  }
  const events = (doc as { events?: unknown }).events;
  if (!Array.isArray(events)) return { format: 'json', events: [], entries: 0, problem: { position: 1, reason: 'the JSON document has no "events" array' } };
  return { format: 'json', events, entries: events.length };
}

function parseNdjson(text: string, options: ReadOptions = {}): EvidenceLog {
  const reader = new NdjsonReader(options);
  reader.push(text);
  return reader.end();
}

/**
 * NDJSON fed in pieces of any size: each line is parsed, checked to be canonical (one
 * serialisation) and added to the chain check, hashed from its own bytes, in one pass. Lines
 * after the first unreadable one are only counted.
 */
class NdjsonReader {
  private readonly events: unknown[] = [];
  private readonly checker = new ChainChecker();
  /** The unfinished last line of what was pushed so far. */
  private pending = '';
  private lines = 0;
  private problem: { position: number; reason: string } | undefined;
  private chainAtProblem: ChainVerdict | undefined;
  /** Events read (kept or not). */
  private readable = 0;

  constructor(private readonly options: ReadOptions = {}) {}

  push(chunk: string): void {
    const text = this.pending === '' ? chunk : this.pending + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      this.line(text.slice(start, end));
      start = end + 1;
    }
    this.pending = text.slice(start);
  }

  /** One trailing newline ends the last line; nothing else may be empty. */
  end(): EvidenceLog {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
    const { events, lines: entries } = this;
    if (this.problem) return { format: 'ndjson', events, entries, problem: this.problem, chain: this.chainAtProblem! };
    return { format: 'ndjson', events, entries, chain: this.checker.verdict() };
  }

  private line(line: string): void {
    const position = ++this.lines;
    if (this.problem) return;
    const fail = (reason: string): void => {
      this.problem = { position, reason };
      this.chainAtProblem = this.checker.verdict(this.readable);
    };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return fail(line.trim() === '' ? `line ${position} is empty` : `line ${position} is not valid JSON`);
    }
    if (!isCanonicalJson(value, line)) return fail(`line ${position} is not in canonical form (its bytes were changed)`);
    this.readable += 1;
    if (this.options.keep !== false) this.events.push(value);
    this.checker.add(value, line);
    this.options.onEvent?.(value, line);
  }
}

/** Verifies a parsed log: the chain of the readable events, then the first unreadable entry. */
export function verifyEvidenceLog(log: EvidenceLog): ChainVerdict {
  const verdict = log.chain ?? verifyChain(log.events);
  if (!verdict.ok) return { ...verdict, count: log.entries };
  if (log.problem) return { ok: false, count: log.entries, brokenAt: log.problem.position, reason: log.problem.reason };
  if (log.entries === 0) return { ok: false, count: 0, brokenAt: 1, reason: 'the log holds no events' };
  return verdict;
}
