import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, levenshtein } from '../../../src/lib/plan/did-you-mean.js';

describe('did you mean', () => {
  it('measures edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('suggests close names only', () => {
    expect(closestMatch('wieght', ['weight', 'bake', 'gates'])).toBe('weight');
    expect(closestMatch('Weight', ['weight', 'bake'])).toBe('weight');
    expect(closestMatch('xyz', ['weight', 'bake'])).toBeUndefined();
    expect(didYouMean('eror-rate', ['error-rate', 'p95'])).toBe(' (did you mean "error-rate"?)');
    expect(didYouMean('zzz', ['error-rate'])).toBe('');
  });
});
