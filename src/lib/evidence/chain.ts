/**
 * The hash chain lives below the stores (src/lib/log/chain.ts); this re-export keeps the evidence
 * side (report renderers, exported-log reader) importing it from where evidence code looks.
 */
export * from '../log/chain.js';
export { EventLog } from '../log/event-log.js';
