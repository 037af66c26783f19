import { describe, expect, it } from 'vitest';
import { OutputCapture } from '../../../src/lib/actions/output.js';
import { retryDelayMs } from '../../../src/lib/actions/retry.js';

describe('OutputCapture', () => {
  it('keeps small output whole, without its final newline', () => {
    const capture = new OutputCapture(16);
    capture.push('hello\n');
    expect(capture.text([])).toBe('hello');
  });
  it('keeps the head and the tail of large output, with a marker', () => {
    const capture = new OutputCapture(8);
    for (const chunk of ['abcd', 'efgh', 'ijkl', 'mnop']) capture.push(chunk);
    expect(capture.text([])).toBe('abcd\n[... 8 of 16 bytes not captured ...]\nmnop');
  });
  it('never shows half a secret where the output was cut', () => {
    const capture = new OutputCapture(16);
    capture.push('aaaaaaaSECRET-VALUE-123' + 'x'.repeat(50) + 'SECRET-VALUE-123bbbbbbb');
    const text = capture.text(['SECRET-VALUE-123']);
    expect(text).not.toMatch(/SECR|-123/);
    expect(text.startsWith('aaaaaaa')).toBe(true);
    expect(text.endsWith('bbbbbbb')).toBe(true);
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base up to 2 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n))).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });
});
