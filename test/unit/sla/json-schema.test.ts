/** The SLAPolicy JSON Schema (`rollgate schema policy`) agrees with the loader on the fixtures. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { slaPolicyJsonSchema } from '../../../src/lib/sla/json-schema.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/sla');
const schema = slaPolicyJsonSchema() as { $schema: string; title: string; required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
// Formats (date-time) are the loader's to check; the schema's shape is what editors use.
const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
const policies = (dir: string) =>
  readdirSync(join(FIXTURES, dir))
    .filter((name) => /^kind: SLAPolicy$/m.test(readFileSync(join(FIXTURES, dir, name), 'utf8')))
    .map((name) => [name, parse(readFileSync(join(FIXTURES, dir, name), 'utf8').replace(/\$\{PROMETHEUS_URL:-([^}]*)\}/, '$1')) as unknown] as const);

describe('slaPolicyJsonSchema', () => {
  it('is a draft-07 schema of SLAPolicy v1 that refuses unknown keys', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('rollgate SLAPolicy v1');
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'slos']));
    expect(schema.additionalProperties).toBe(false);
  });

  it.each(policies('valid'))('accepts the valid policy %s', (_name, data) => {
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(policies('invalid').filter(([name]) => ['unknown-slo-key.yaml', 'objective-not-percent.yaml', 'bad-calendar-unit.yaml', 'no-slos.yaml'].includes(name)))('refuses %s, as the loader does', (_name, data) => {
    expect(validate(data)).toBe(false);
  });
});
