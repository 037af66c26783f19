import { readFileSync } from 'node:fs';

/** The tool version from package.json (recorded in evidence and printed by --version). */
export const TOOL_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
