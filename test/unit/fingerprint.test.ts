import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/plugin/fingerprint.ts';

const attr = (version: string, name: string): string | undefined =>
  fingerprint(version).attributes?.[`driver.wasm.${name}`]?.string_val ?? undefined;

describe('fingerprint', () => {
  it('is unhealthy below Node.js 22.15, naming the version found and the one needed', () => {
    for (const version of ['20.20.2', '22.14.0']) {
      const answer = fingerprint(version);
      expect(answer.health).toBe('UNHEALTHY');
      expect(answer.health_description).toContain(`Node.js ${version} is too old`);
      expect(answer.health_description).toContain('22.15 or newer');
    }
  });

  it('offers WASI 0.2 only on Node.js 22 (no JSPI for 0.3 task hosts), and 0.3 as well from Node.js 24', () => {
    expect(fingerprint('22.15.0').health).toBe('HEALTHY');
    expect(attr('22.15.0', 'wasi')).toBe('0.2');
    expect(attr('22.15.0', 'worlds')).not.toContain('@0.3');
    expect(attr('24.9.0', 'wasi')).toBe('0.2,0.3');
    expect(attr('24.9.0', 'worlds')).toContain('wasi:http/service@0.3');
  });

  it('names what else a node runs: preview1 commands and Spin HTTP apps, and the Node.js it runs on', () => {
    expect(attr('24.9.0', 'preview1')).toBe('command');
    expect(attr('24.9.0', 'spin')).toBe('http');
    expect(attr('24.9.0', 'node_version')).toBe('24.9.0');
  });
});
