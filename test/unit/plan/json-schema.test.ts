import { describe, expect, it } from 'vitest';
import { rolloutPlanJsonSchema } from '../../../src/lib/plan/json-schema.js';

describe('rolloutPlanJsonSchema', () => {
  const schema = rolloutPlanJsonSchema() as { $schema: string; required: string[]; properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };

  it('is a draft-07 schema generated from the zod schema', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'traffic', 'gates']));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['steps', 'canary', 'analysis', 'hooks', 'rollback', 'prometheus', 'vars']));
  });

  it('refuses unknown keys, as the loader does', () => {
    expect(schema.additionalProperties).toBe(false);
  });

  it('keeps fields with defaults optional (input side)', () => {
    const http = (schema.properties.traffic?.properties?.http ?? {}) as { required?: string[]; properties?: Record<string, unknown> };
    expect(Object.keys(http.properties ?? {})).toContain('method');
    expect(http.required).toEqual(['url']);
  });

  it('carries prometheus.onWarnings, prometheus.maxSampleAge and public: (issue 7)', () => {
    const prometheus = (schema.properties.prometheus?.properties ?? {}) as Record<string, { enum?: string[]; pattern?: string; description?: string }>;
    expect(prometheus.onWarnings?.enum).toEqual(['inconclusive', 'ignore']);
    expect(prometheus.onWarnings?.description).toMatch(/partial response/);
    expect(prometheus.maxSampleAge?.pattern).toBeDefined();
    expect(Object.keys(schema.properties)).toContain('public');
  });
});
