// ESLint (flat config): typescript-eslint's recommended rules for lib/, ESLint's for the Node
// scripts, and the 120-column limit. `npm run lint` runs it; CI runs `npm run lint`. It covers
// lib/ and scripts/ today; the tests, benches and examples follow once their long lines are cut.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'build-*/', 'docs/api/', 'prebuilds/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.node } },
    rules: {
      // Long string and template literals (error messages) may run past; code may not.
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
      // `_`-prefixed names are deliberately unused (a key dropped by destructuring, callback arity).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // lib/layout.ts is generated from native/core/layout.json, where two names for one value are
      // deliberate (State.Queued is the tag mask; QueueWord.State is the descriptor line's first word).
      '@typescript-eslint/no-duplicate-enum-values': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
