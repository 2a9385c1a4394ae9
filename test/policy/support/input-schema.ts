// policy/input.schema.json as a validator, for the tests that hold real
// policy inputs (captured from admissions) to the documented shape.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../policy/input.schema.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

/** The schema's complaints about `input`, as readable lines; empty when it conforms. */
export function schemaErrors(input: unknown): string[] {
  if (validate(input)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
