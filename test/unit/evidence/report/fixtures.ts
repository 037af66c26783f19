/** The recorded evidence fixtures (test/fixtures/evidence/, see test/support/record-evidence-fixtures.ts). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseEvidenceLog } from '../../../../src/lib/evidence/log-file.js';
import type { RolloutEvent } from '../../../../src/lib/state/types.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../fixtures/evidence/', import.meta.url));

export const FIXTURES = {
  promoted: 'promoted.ndjson',
  'rolled back by a gate': 'rolled-back-gate.ndjson',
  approved: 'approved.ndjson',
  'emergency rollback': 'rolled-back-emergency.ndjson',
} as const;
export type FixtureName = keyof typeof FIXTURES;
export const FIXTURE_NAMES = Object.keys(FIXTURES) as FixtureName[];

export function fixtureBytes(name: FixtureName): Buffer {
  return readFileSync(`${FIXTURE_DIR}${FIXTURES[name]}`);
}

export function fixtureEvents(name: FixtureName): RolloutEvent[] {
  const log = parseEvidenceLog(fixtureBytes(name));
  if (log.problem) throw new Error(`${name}: ${log.problem.reason}`);
  return log.events as RolloutEvent[];
}

/** Pairs (step number, gate) of every critical gate that failed in a step's bake. */
export function failedGates(events: RolloutEvent[]): Array<{ step: number; gate: string }> {
  const seen = new Set<string>();
  const out: Array<{ step: number; gate: string }> = [];
  for (const e of events) {
    if (e.type !== 'measurement' || e.data.verdict !== 'fail' || e.data.phase !== 'bake' || e.data.severity === 'warning') continue;
    const key = `${String(e.data.step)}:${String(e.data.gate)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ step: (e.data.step as number) + 1, gate: e.data.gate as string });
  }
  return out;
}
