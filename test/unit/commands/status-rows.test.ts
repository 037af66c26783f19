/** `status --watch` on a terminal moves the cursor up over every row its last block took, wrapped lines included. */
import { describe, expect, it } from 'vitest';
import { rowsOnScreen } from '../../../src/commands/rollout-status.js';

describe('rowsOnScreen', () => {
  it('counts a line wider than the terminal as the rows it wraps onto', () => {
    const block = ['field     value', 'x'.repeat(80), 'y'.repeat(81), 'z'.repeat(170)].join('\n');
    expect(rowsOnScreen(block, 80)).toBe(1 + 1 + 2 + 3);
    expect(rowsOnScreen(block, 200)).toBe(4);
  });

  it('colour escapes take no room; an empty line is still a row; unknown width: one row per line', () => {
    expect(rowsOnScreen(`\u001b[1m${'a'.repeat(80)}\u001b[22m\n\nb`, 80)).toBe(3);
    expect(rowsOnScreen('a'.repeat(500), undefined)).toBe(1);
  });
});
