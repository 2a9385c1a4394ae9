// The input document's JSON Schema (policy/input.schema.json) agrees with
// what the driver builds: the sample in policy/testdata, and the inputs the
// admission tests capture from real starts (attestations.test.ts), conform;
// and the schema is strict enough to notice a field the docs do not know.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INPUT_VERSION } from '../../src/policy/input-document.js';
import { schemaErrors } from './support/input-schema.js';

const sample = JSON.parse(
  readFileSync(new URL('../../policy/testdata/prod-input.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('policy/input.schema.json', () => {
  it('the sample input conforms, and has the version the driver writes', () => {
    expect(schemaErrors(sample)).toEqual([]);
    expect(sample['version']).toBe(INPUT_VERSION);
  });

  it('refuses a field it does not document, a wrong version, a malformed digest and a socket grant', () => {
    expect(schemaErrors({ ...sample, extra: 1 }).join('\n')).toContain('must NOT have additional properties');
    expect(schemaErrors({ ...sample, version: 'nomad-wasm.admission/v2' }).join('\n')).toContain(
      '/version must be equal to constant',
    );
    const component = { ...(sample['component'] as object), digest: 'sha256:abc' };
    expect(schemaErrors({ ...sample, component }).join('\n')).toContain('/component/digest must match pattern');
    const grants = { ...(sample['grants'] as object), sockets: true };
    expect(schemaErrors({ ...sample, grants }).join('\n')).toContain('/grants/sockets must be equal to constant');
  });
});
