// Reference parsing: what users may write, what they get, and what is refused.
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../src/errors.js';
import { formatOciReference, parseOciReference, type OciReference } from '../../src/oci/reference.js';

const HEX = 'a'.repeat(64);

const valid: [string, OciReference, string][] = [
  [
    'oci://ghcr.io/acme/app:1.2.3',
    { registry: 'ghcr.io', repository: 'acme/app', tag: '1.2.3' },
    'oci://ghcr.io/acme/app:1.2.3',
  ],
  ['ghcr.io/acme/app', { registry: 'ghcr.io', repository: 'acme/app', tag: 'latest' }, 'oci://ghcr.io/acme/app:latest'],
  [
    'oci://127.0.0.1:5000/app:v1',
    { registry: '127.0.0.1:5000', repository: 'app', tag: 'v1' },
    'oci://127.0.0.1:5000/app:v1',
  ],
  [
    'localhost/a/b/c:x_y-z.1',
    { registry: 'localhost', repository: 'a/b/c', tag: 'x_y-z.1' },
    'oci://localhost/a/b/c:x_y-z.1',
  ],
  [
    `oci://reg.example:443/app@sha256:${HEX}`,
    { registry: 'reg.example:443', repository: 'app', digest: `sha256:${HEX}` },
    `oci://reg.example:443/app@sha256:${HEX}`,
  ],
  [
    `reg.example/app:1@sha256:${HEX}`,
    { registry: 'reg.example', repository: 'app', tag: '1', digest: `sha256:${HEX}` },
    `oci://reg.example/app:1@sha256:${HEX}`,
  ],
  [
    '[::1]:5000/my-app.x__y:t',
    { registry: '[::1]:5000', repository: 'my-app.x__y', tag: 't' },
    'oci://[::1]:5000/my-app.x__y:t',
  ],
];

const invalid: [string, RegExp][] = [
  ['', /expected host\/repository/],
  ['oci://', /expected host\/repository/],
  ['app:1', /expected host\/repository/],
  ['library/app:1', /must start with a registry host/],
  ['ghcr.io/', /repository is empty/],
  ['ghcr.io/Acme/app', /repository component "Acme"/],
  ['ghcr.io/acme//app', /repository component ""/],
  ['ghcr.io/acme/app:', /tag "" is not valid/],
  ['ghcr.io/acme/app:-bad', /tag "-bad" is not valid/],
  [`ghcr.io/acme/app:${'t'.repeat(129)}`, /is not valid/],
  ['ghcr.io/acme/app@sha256:abc', /digest must be sha256/],
  [`ghcr.io/acme/app@sha512:${HEX}`, /digest must be sha256/],
  [`ghcr.io/acme/app@sha256:${'A'.repeat(64)}`, /digest must be sha256/],
  ['ghcr.io:99999/app', /port 99999 is out of range/],
  ['bad_host.io/app', /is not a host name/],
  [`ghcr.io/${'a'.repeat(256)}`, /longer than 255/],
];

describe('parseOciReference', () => {
  it.each(valid)('%s', (text, expected, formatted) => {
    const ref = parseOciReference(text);
    expect(ref).toEqual(expected);
    expect(formatOciReference(ref)).toBe(formatted);
    // Formatting is a fixed point: parsing the formatted form gives the same reference.
    expect(parseOciReference(formatOciReference(ref))).toEqual(expected);
  });

  it.each(invalid)('refuses %j', (text, message) => {
    let caught: unknown;
    try {
      parseOciReference(text);
    } catch (err) {
      caught = err;
    }
    expect(isDriverError(caught, 'OCI_REFERENCE_INVALID')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
