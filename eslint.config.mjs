// ESLint (flat config) over every TypeScript and JavaScript file in the tree, chosen by glob so a
// file lands covered wherever it is added (.ts, .mts, .cts, .js, .cjs, .mjs): typescript-eslint's
// recommended rules everywhere, relaxed only where a folder's job needs it. Layout (line width,
// quotes, commas) is Prettier's (.prettierrc.json); eslint-config-prettier, last, turns off every
// rule that would disagree with it. `npm run lint` runs ESLint, `prettier --check` and the
// clang-format check; CI runs `npm run lint`.
import js from '@eslint/js';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'build-*/',
      'docs/api/',
      'prebuilds/',
      'node_modules/',
      'native/test/fuzz/corpus-work/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (a key dropped by destructuring, callback arity).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // lib/layout.ts is generated from native/core/layout.json, where two names for one value are
      // deliberate (State.Queued is the tag mask; QueueWord.State is the descriptor line's first word).
      '@typescript-eslint/no-duplicate-enum-values': 'off',
      // `const { performance } = require('node:perf_hooks')` names a module's export that Node
      // also offers as a global: explicit, not a mistake. Redeclaring our own names still fails.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Jest runs the tests as CommonJS: they require() the JS fixtures and helpers that child
    // processes and workers also load, and modules they must load late (after a skip check, or
    // after jest.resetModules()).
    files: ['test/**'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // A benchmark's sink is written so the engine must keep the work being timed; it is never read.
    files: ['bench/**'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_|^sink$', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  eslintConfigPrettier,
);
