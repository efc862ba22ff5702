// ESLint, type-aware: the rules that catch real bugs (a promise nobody awaits or handles, a value nobody
// uses, an `any` that slips past the type checker), not style; formatting is not linted.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.output/**',
      '.wxt/**',
      'node_modules/**',
      'tests/.artifacts/**',
      'tests/screenshots/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  svelte.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Rethrowing or rejecting with what came in (an AbortSignal's reason, a caught value) is right; a literal is not.
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Objects here are closures whose methods never use `this` (method shorthand, which this rule cannot tell
      // from a class's); the shim detaches the page's originals on purpose. It found no bug in 35 reports.
      '@typescript-eslint/unbound-method': 'off',
      // An async function without await is how a throw becomes a rejection: intended, not a bug.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      // A `let` read by a callback before its one assignment stays a `let` (const would be in its dead zone).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.svelte'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    // Vitest types its asymmetric matchers (expect.any, expect.stringMatching, ...) as any, and they sit in the
    // expected objects; an any that is then used (a member, a call, an argument) is still reported.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['src/server/**', 'tests/**', 'scripts/**', '*.config.*'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // @keyport/testing runs in Node.
    files: ['src/testing/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // examples/tsconfig.json is the one a user copies (checked against the published .d.ts); in the repository
    // the examples and the pack script belong to this one.
    files: ['src/testing/examples/**', 'src/testing/scripts/**'],
    languageOptions: { parserOptions: { projectService: false, project: './src/testing/tsconfig.examples.json' } },
  },
  {
    // The functions these files send into Keyport's background (evalBackground, worker.evaluate) name that
    // context's globals; src/testing/background.d.ts types them for tsc.
    files: ['src/testing/authenticator.js'],
    languageOptions: { globals: { passkeyVault: 'readonly' } },
  },
  {
    files: ['src/testing/chromium.js'],
    languageOptions: { globals: { chrome: 'readonly' } },
  },
  {
    // Playwright Test reads a fixture's dependencies from its first parameter, which must be a destructuring
    // pattern even when there are none: `async ({}, use) => ...`.
    files: ['src/testing/playwright.js', 'src/testing/examples/**', 'tests/playwright/**'],
    rules: { 'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }] },
  },
  {
    // The JavaScript examples are what a user copies: plain JavaScript without JSDoc types, which
    // tsconfig.examples.json does not check, so to these rules every value is any.
    files: ['src/testing/examples/*.mjs'],
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // The JavaScript suites: tsc checks them (tests/tsconfig.json, checkJs) with implicit any allowed, so
    // the no-unsafe-* rules would flag every value, and tsc already reports undefined names.
    files: ['tests/**/*.mjs', 'tests/**/*.js', 'tests/types/*.d.ts'],
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      'no-undef': 'off',
      // tests/types declares what the pages hold as JavaScript sees it.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
