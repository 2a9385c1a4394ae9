// Where the installed jco lives and which version it is (its package.json
// is not exported, so it is read from disk). No relative imports: build
// scripts import this file directly.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** node_modules/@bytecodealliance/jco (its main entry is dist/api.js). */
export const JCO_DIR: string = dirname(dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco')));

export const JCO_VERSION: string = (
  JSON.parse(readFileSync(join(JCO_DIR, 'package.json'), 'utf8')) as { version: string }
).version;
