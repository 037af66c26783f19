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
import { canonicalJson, isCanonicalJson, verifyChain, type ChainVerdict } from './chain.js';
import type { RolloutEvent } from '../state/types.js';

export interface EvidenceLog {
  format: 'ndjson' | 'json';
  /** Events read up to the first unreadable entry. */
  events: unknown[];
  /** The first entry that could not be read as an event (1-based position), if any. */
  problem?: { position: number; reason: string };
  /** Total number of entries (lines or array items), readable or not. */
  entries: number;
}

/** Writes events as canonical NDJSON: the byte-exact form `readEvidenceLog` verifies. */
export function formatNdjson(events: readonly RolloutEvent[]): string {
  return events.map((event) => `${canonicalJson(event)}\n`).join('');
}

export async function readEvidenceLog(file: string): Promise<EvidenceLog> {
  return parseEvidenceLog(await fs.readFile(file));
}

/** Parses bytes of either form. Never throws: what cannot be read is reported as `problem`. */
export function parseEvidenceLog(bytes: Uint8Array | string): EvidenceLog {
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error, not silently replaced by U+FFFD.
    text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { format: 'ndjson', events: [], entries: 0, problem: { position: 1, reason: 'the file is not valid UTF-8' } };
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

function parseJsonDocument(text: string): EvidenceLog {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // Not a document after all: maybe NDJSON whose first line is broken; that reader names the line.
    if (text.includes('\n{')) return parseNdjson(text);
    return { format: 'json', events: [], entries: 0, problem: { position: 1, reason: `the file is not valid JSON (${(error as Error).message})` } };
  }
  const events = (doc as { events?: unknown }).events;
  if (!Array.isArray(events)) return { format: 'json', events: [], entries: 0, problem: { position: 1, reason: 'the JSON document has no "events" array' } };
  return { format: 'json', events, entries: events.length };
}

function parseNdjson(text: string): EvidenceLog {
  const lines = text.split('\n');
  // One trailing newline ends the last line; nothing else may be empty.
  if (lines.at(-1) === '') lines.pop();
  const events: unknown[] = [];
  for (const [index, line] of lines.entries()) {
    const position = index + 1;
    const problem = (reason: string): EvidenceLog => ({ format: 'ndjson', events, entries: lines.length, problem: { position, reason } });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return problem(line.trim() === '' ? `line ${position} is empty` : `line ${position} is not valid JSON`);
    }
    if (!isCanonicalJson(value, line)) return problem(`line ${position} is not in canonical form (its bytes were changed)`);
    events.push(value);
  }
  return { format: 'ndjson', events, entries: lines.length };
}

/** Verifies a parsed log: the chain of the readable events, then the first unreadable entry. */
export function verifyEvidenceLog(log: EvidenceLog): ChainVerdict {
  const verdict = verifyChain(log.events);
  if (!verdict.ok) return { ...verdict, count: log.entries };
  if (log.problem) return { ok: false, count: log.entries, brokenAt: log.problem.position, reason: log.problem.reason };
  if (log.entries === 0) return { ok: false, count: 0, brokenAt: 1, reason: 'the log holds no events' };
  return verdict;
}
