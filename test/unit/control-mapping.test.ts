// The control mapping compliance people edit (policy/control-mapping.csv):
// the shipped one covers the frameworks issue 20 names; RFC 4180 quoting;
// mistakes are refused with the row named; the HTML page escapes what it shows.
import { describe, expect, it } from 'vitest';
import type { ClusterEvidence, TaskEvidence } from '../../src/evidence/collect-evidence.js';
import { parseControlMapping, readControlMapping } from '../../src/evidence/control-mapping.js';
import { evidenceHtml } from '../../src/evidence/evidence-html.js';
import { DriverError } from '../../src/errors.js';

function refused(text: string): string {
  try {
    parseControlMapping(text, 'mapping.csv');
  } catch (err) {
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('CONTROL_MAPPING_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the mapping to be refused');
}

describe('policy/control-mapping.csv', () => {
  it('maps evidence to SOC 2 CC6.1/CC6.6/CC7.2, HIPAA 164.312(a)(1)/(c)(1)/(e)(1) and ISO 27001:2022 Annex A 8.x', () => {
    const rows = readControlMapping();
    const controls = new Set(rows.map((r) => `${r.framework} ${r.control}`));
    for (const c of [
      'SOC 2 CC6.1',
      'SOC 2 CC6.6',
      'SOC 2 CC7.2',
      'HIPAA 164.312(a)(1)',
      'HIPAA 164.312(c)(1)',
      'HIPAA 164.312(e)(1)',
    ])
      expect(controls).toContain(c);
    expect(rows.filter((r) => r.framework === 'ISO 27001:2022').every((r) => r.control.startsWith('A.8.'))).toBe(true);
    expect(rows.every((r) => r.why.length > 20)).toBe(true);
  });

  it('reads quoted fields with commas, quotes and line breaks', () => {
    const rows = parseControlMapping(
      'evidence,framework,control,title,why\r\nsbom,"Acme, Inc. policy",AC-1,"The ""SBOM"" rule","line one\nline two"\n',
      'mapping.csv',
    );
    expect(rows).toEqual([
      {
        evidence: 'sbom',
        framework: 'Acme, Inc. policy',
        control: 'AC-1',
        title: 'The "SBOM" rule',
        why: 'line one\nline two',
      },
    ]);
  });

  it('refuses a missing header, an unknown evidence kind, a row without a control and an unclosed quote', () => {
    expect(refused('sbom,SOC 2,CC1,t,w\n')).toContain(
      'the first row must be the header evidence,framework,control,title,why',
    );
    expect(refused('evidence,framework,control,title,why\nsboms,SOC 2,CC1,t,w\n')).toContain(
      'row 2: evidence "sboms" is not one of',
    );
    expect(refused('evidence,framework,control,title,why\nsbom,SOC 2,,t,w\n')).toContain(
      'row 2: framework and control are required',
    );
    expect(refused('evidence,framework,control,title,why\nsbom,"SOC 2,CC1,t,w\n')).toContain(
      'a quoted field is never closed',
    );
  });
});

describe('the evidence page', () => {
  it('escapes every value it shows', () => {
    const task = {
      namespace: 'default',
      job: '<script>alert(1)</script>',
      job_version: 0,
      group: 'g',
      task: 't',
      alloc_id: 'a',
      node: 'n',
      component: 'local/a.wasm"><img src=x>',
      digest: null,
      grants: {
        env: [],
        mounts: [],
        allow_http: ['<b>h</b>'],
        allow_services: [],
        key_value_stores: [{ label: '<i>kv</i>', consul_prefix: 'apps/kv' }],
        secrets: [],
        config_keys: [],
        config_values: [],
        secret_env: [],
        sockets: false,
        isolation: 'process',
        memory_max_mb: null,
        http_instance: 'shared',
        port: null,
        args: [],
      },
      signer: null,
      provenance: [],
      sbom: [],
      policy: null,
      drift: { previous_version: null, added: {}, removed: {} },
      controls: [],
    } satisfies TaskEvidence;
    const html = evidenceHtml({ generated_at: 'now', nomad: 'http://n', tasks: [task] } satisfies ClusterEvidence);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>h</b>');
    expect(html).not.toContain('<i>kv</i>');
    expect(html).toContain('apps/kv/');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });
});
