// The lab format published as JSON Schema (schema/lab.schema.json), generated from the zod schema
// so that editors complete and check lab files with exactly the rules the loader applies.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SCHEMA_FILE } from './paths.js';
import { Lab } from './schema.js';

export const LAB_SCHEMA_ID = 'urn:netdojo:schema:lab:v1';

/** The JSON Schema of a lab file as written by instructors (defaults are optional). */
export function labJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(Lab, { io: 'input', target: 'draft-2020-12', reused: 'ref' }) as Record<string, unknown>;
  return {
    $schema,
    $id: LAB_SCHEMA_ID,
    title: 'netdojo lab',
    description:
      'A hands-on lab for netdojo: labs/<track>/<id>/lab.yaml. Text fields take a string or {en, ko}. ' +
      '`netdojo validate` checks what a schema cannot (ids, hosts, regexes, addresses, assets).',
    ...rest,
  };
}

/** The committed file's exact content. */
export function renderLabJsonSchema(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}

/** Write the schema file; returns whether its content changed. */
export async function writeLabJsonSchema(file = SCHEMA_FILE): Promise<boolean> {
  const text = renderLabJsonSchema();
  const old = await readFile(file, 'utf8').catch(() => undefined);
  if (old === text) return false;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return true;
}

/** Whether the file on disk matches what the zod schema generates now. */
export async function labJsonSchemaIsCurrent(file = SCHEMA_FILE): Promise<boolean> {
  return (await readFile(file, 'utf8').catch(() => undefined)) === renderLabJsonSchema();
}
