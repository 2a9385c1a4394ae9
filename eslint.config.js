// ESLint: typescript-eslint's type-checked recommended rules over the
// driver, its tests and scripts (`npm run lint`; the test command runs it).
// Formatting is Prettier's job (`npm run format`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'src/generated/', 'terraform/', 'test/components/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a parameter or binding kept for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // A function the next engineer reads in one sitting (the project's rule:
    // no 80-line functions). Tests are exempt: a describe block groups cases.
    files: ['src/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // jco's host convention: a WASI function reports a guest-visible error by
    // throwing the WIT error value itself (a string enum case or `{ tag }`),
    // which the glue turns into the result's `err` payload.
    // WASI 0.3's async host functions (src/wasi-p3) reject with it instead.
    files: ['src/wasi/**/*.ts', 'src/wasi-p3/**/*.ts'],
    rules: { '@typescript-eslint/only-throw-error': 'off', '@typescript-eslint/prefer-promise-reject-errors': 'off' },
  },
  {
    // Test doubles implement async interfaces without awaiting anything.
    files: ['test/**/*.ts', 'scripts/bench/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Plain JavaScript (this file, helper programs the tests run) is not in
    // the TypeScript project: lint it without type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node, parserOptions: { project: null } },
  },
);
