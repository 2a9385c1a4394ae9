import { describe, expect, it } from 'vitest';
import { parseComponentSource } from '../../src/source/component-source.js';
import { DriverError } from '../../src/errors.js';

const SUM = `sha256:${'a'.repeat(64)}`;

describe('parseComponentSource', () => {
  it('tells files, OCI references and URLs apart', () => {
    expect(parseComponentSource('local/app.wasm', undefined)).toEqual({
      kind: 'file',
      path: 'local/app.wasm',
      checksum: undefined,
    });
    expect(parseComponentSource('oci://ghcr.io/acme/app:1.0', SUM)).toEqual({
      kind: 'oci',
      reference: 'oci://ghcr.io/acme/app:1.0',
      checksum: SUM,
    });
    const https = parseComponentSource('https://example.com/app.wasm', SUM);
    expect(https.kind).toBe('https');
    expect(https.kind === 'https' && https.url.href).toBe('https://example.com/app.wasm');
  });

  it('requires a checksum for URLs, naming the field', () => {
    expect(() => parseComponentSource('https://example.com/app.wasm', undefined)).toThrow(
      /config field "checksum": required when the component is a URL/,
    );
  });

  it('refuses plain http except on loopback', () => {
    expect(() => parseComponentSource('http://example.com/app.wasm', SUM)).toThrow(/plain http:\/\/ is refused/);
    expect(parseComponentSource('http://127.0.0.1:8080/app.wasm', SUM).kind).toBe('https');
  });

  it('refuses other schemes with TASK_CONFIG_INVALID', () => {
    let caught: unknown;
    try {
      parseComponentSource('s3://bucket/app.wasm', undefined);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DriverError);
    expect((caught as DriverError).code).toBe('TASK_CONFIG_INVALID');
    expect((caught as DriverError).message).toMatch(/unsupported scheme in "s3:\/\/bucket\/app.wasm"/);
  });
});
