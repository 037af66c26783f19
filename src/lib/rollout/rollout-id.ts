import { randomBytes } from 'node:crypto';

/** Sortable, readable and unique enough to type: `checkout-20261123t161500-3fa2c1`. */
export function newRolloutId(service: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
  return `${service}-${stamp}-${randomBytes(3).toString('hex')}`;
}
