import { UsageError } from './errors.js';

/** Parses `--at`/`--from`/`--to` values: RFC 3339, unix seconds (with fraction), or `now`. */
export function parseTimeArg(text: string, flag: string): Date {
  const trimmed = text.trim();
  if (trimmed === 'now') return new Date();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return new Date(Number(trimmed) * 1_000);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const date = new Date(trimmed);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(`${flag}: "${text}" is not a time`, 'use RFC 3339 (2026-11-23T10:00:00Z) or unix seconds (1795000000)');
}
