import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {Buffer: 'readonly', console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', AbortController: 'readonly', URL: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', NodeJS: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
    },
  },
  {
    // CommonJS: bin/code-cache.cjs runs before any ES module of evt's.
    files: ['**/*.cjs'],
    languageOptions: {globals: {module: 'writable', require: 'readonly'}, sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    // The domain never prints and knows nothing of oclif or ink (conventions: layout).
    files: ['src/lib/**/*.ts'],
    rules: {
      'no-console': 'error',
      // Errors leave lib with a stable code (src/lib/errors.ts): scripts match on codes, not on text.
      'no-restricted-syntax': [
        'error',
        {selector: "NewExpression[callee.name='Error'], CallExpression[callee.name='Error']", message: 'throw an EvtError subclass with a code (src/lib/errors.ts)'},
        {selector: "MemberExpression[object.name='process'][property.name='exit']", message: 'only the CLI layer ends the process'},
      ],
      'no-restricted-imports': ['error', {patterns: [{group: ['@oclif/*', 'ink', 'ink-*', 'react'], message: 'src/lib is the domain: no CLI or UI imports'}, {group: ['**/cli/*', '**/ui/*', '**/commands/*'], message: 'src/lib must not depend on the CLI or UI layers'}]}],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {patterns: [{group: ['kafkajs', 'better-sqlite3', '@kafkajs/*', '@oclif/*'], message: 'src/ui renders; it does not talk to backends or oclif'}]}],
    },
  },
  {
    files: ['src/**/*.ts'],
    // src/lib has its own list above, which includes this rule.
    ignores: ['src/cli/**', 'src/commands/**', 'src/lib/**'],
    rules: {
      'no-restricted-syntax': ['error', {selector: "MemberExpression[object.name='process'][property.name='exit']", message: 'only the CLI layer ends the process'}],
    },
  },
)
