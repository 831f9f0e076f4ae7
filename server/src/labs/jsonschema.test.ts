import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LAB_SCHEMA_ID, labJsonSchema, renderLabJsonSchema } from './jsonschema.js';
import { SCHEMA_FILE } from './paths.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const validLab = parse(readFileSync(join(FIXTURES, 'valid', 'multi-host', 'lab.yaml'), 'utf8')) as Record<string, unknown>;

describe('schema/lab.schema.json', () => {
  it('is up to date with the zod schema (run `netdojo schema --write`)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderLabJsonSchema());
  });

  it('has an id, a title and a description', () => {
    const schema = labJsonSchema();
    expect(schema).toMatchObject({ $id: LAB_SCHEMA_ID, title: 'netdojo lab', $schema: 'https://json-schema.org/draft/2020-12/schema' });
    expect(String(schema.description)).toContain('lab.yaml');
  });

  describe('editors see the same rules as the loader', () => {
    const ajv = new Ajv2020({ allErrors: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);

    it('accepts the valid multi-host lab', () => {
      expect(validate(validLab), JSON.stringify(validate.errors)).toBe(true);
    });

    it('accepts a lab relying on defaults (input, not output, types)', () => {
      const minimal = { ...validLab, environment: { hosts: [{ name: 'node1' }] }, setup: undefined, requires: undefined };
      delete minimal.setup;
      delete minimal.requires;
      expect(validate(minimal), JSON.stringify(validate.errors)).toBe(true);
    });

    it('rejects unknown fields, unknown check kinds and bad enums', () => {
      expect(validate({ ...validLab, environment: { hots: [] } })).toBe(false);
      expect(validate.errors?.some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'hots')).toBe(true);
      const steps = structuredClone(validLab.steps) as Array<{ checks: Array<Record<string, unknown>> }>;
      steps[0]!.checks[0] = { id: 'x', pingg: { to: '10.0.0.1' } };
      expect(validate({ ...validLab, steps })).toBe(false);
      expect(validate({ ...validLab, level: 'expert' })).toBe(false);
    });
  });
});
