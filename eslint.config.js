// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const driverImports = {
  patterns: [
    {
      group: ['pg', 'pg/*', '@electric-sql/pglite', '@electric-sql/pglite/*'],
      message: 'Only src/data may talk to the database driver: go through the data layer (src/data).',
    },
  ],
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'tmp/**', 'src/web/assets/**', 'bench/results/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', driverImports],
      // parameterised SQL only: sql.raw / sql.lit / sql.id only in the data layer's reviewed helpers
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='sql'][property.name=/^(raw|lit)$/]", message: 'sql.raw/sql.lit splice text into SQL: use parameters (sql`${value}`).' },
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Only src/platform/config.ts reads process.env.' },
      ],
    },
  },
  {
    files: ['src/data/**/*.ts', 'migrations/**/*.ts', 'test/support/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/web/public/**/*.js'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
  {
    // command-line tests build the environment of the process they run
    files: ['src/platform/config.ts', 'scripts/test.ts', 'test/support/reporter.ts', 'bench/**/*.ts', 'test/cli/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
)
