import { describe, expect, it } from 'vitest';
import { globMatches, globNarrows } from '../../src/verify/identity-pattern.js';

describe('identity globs', () => {
  it.each([
    ['alice@example.com', 'alice@example.com', true],
    ['alice@example.com', 'alice@example.org', false],
    ['*@example.com', 'bob@example.com', true],
    ['*@example.com', 'bob@example.com.evil.org', false],
    ['*@example.com', 'bob@evil-example.com', false],
    ['https://github.com/acme/*', 'https://github.com/acme/app/.github/workflows/r.yml@refs/heads/main', true],
    ['https://github.com/acme/*', 'https://github.com/acmecorp/app', false],
    ['https://github.com/*/app/*@refs/tags/*', 'https://github.com/acme/app/.github/w.yml@refs/tags/v1', true],
    ['https://github.com/*/app/*@refs/tags/*', 'https://github.com/acme/app/.github/w.yml@refs/heads/main', false],
    ['a.c', 'abc', false],
    ['*', '', true],
    ['a*a', 'a', false],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it('knows when one pattern is inside another', () => {
    expect(globNarrows('https://github.com/acme/app/*', 'https://github.com/acme/*')).toBe(true);
    expect(globNarrows('https://github.com/acme/*', 'https://github.com/acme/app/*')).toBe(false);
    expect(globNarrows('*@example.com', '*')).toBe(true);
    expect(globNarrows('*', '*@example.com')).toBe(false);
  });
});
