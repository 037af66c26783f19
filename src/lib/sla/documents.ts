/** The YAML documents of a policy file, each with the source that positions its issues. */
import { LineCounter, parseAllDocuments } from 'yaml';
import type { PlanIssue } from '../errors.js';
import { PlanSource } from '../plan/positions.js';

/** One YAML document of a file, with what positions its issues. */
export interface ParsedDocument {
  source: PlanSource;
  data: unknown;
}

/**
 * Parses every YAML document of a text (OpenSLO files hold several); syntax errors become
 * positioned issues. Documents are not converted to data here (`data` is undefined).
 */
export function parseDocuments(content: string, file: string): { documents: ParsedDocument[]; issues: PlanIssue[] } {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(content, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true, logLevel: 'error' });
  const raw = Array.isArray(parsed) ? parsed : [];
  const issues: PlanIssue[] = [];
  const documents: ParsedDocument[] = [];
  for (const doc of raw) {
    // Every document shares the text and the line counter: ranges are offsets into the whole file.
    const source = new PlanSource(file, content, doc, lineCounter);
    if (doc.errors.length > 0) {
      issues.push(...doc.errors.map((error) => source.issueAt(error.pos[0], `YAML syntax error: ${error.message}`)));
      continue;
    }
    if (doc.contents === null) continue;
    documents.push({ source, data: undefined });
  }
  issues.sort((a, b) => a.line - b.line || a.col - b.col);
  return { documents, issues };
}
