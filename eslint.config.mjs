// Lint: recommended rules for JS and TypeScript. The type-aware rules that catch promises nobody
// awaits (a lost revocation or audit record) and awaits of things that are not promises
// (no-floating-promises, no-misused-promises, await-thenable) run in oxlint (.oxlintrc.json), whose
// typescript-go checker builds the program in a fraction of the time. Type checking itself is
// `npm run build`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**', 'artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
