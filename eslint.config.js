// ESLint (flat config), run by `npm run lint` beside the layering check (.dependency-cruiser.cjs).
// typescript-eslint's recommended rules everywhere; its type-aware ones on src/, typed by tsconfig.json
// (the tests type against the built dist/, so they get the syntactic rules only). Formatting is
// Prettier's (`npm run format`), never a lint rule.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Whether an expression statement does something: a call, an assignment, or a comma / ternary / && of those. */
const acts = (e) =>
  /^(Assignment|Await|Call|Import|New|Update|Yield)Expression$/.test(e.type) ||
  (e.type === 'UnaryExpression' && (e.operator === 'void' || e.operator === 'delete')) ||
  (e.type === 'ChainExpression' && acts(e.expression)) ||
  (e.type === 'SequenceExpression' && e.expressions.every(acts)) ||
  (e.type === 'ConditionalExpression' && acts(e.consequent) && acts(e.alternate)) ||
  (e.type === 'LogicalExpression' && acts(e.right));

/**
 * no-unused-expressions as this code base writes: `if (c) (a.push(x), b.push(y));` is two calls, not an
 * unused value (the stock rule flags every comma sequence); `a === b;` or `x.y;` is still an error.
 */
const local = {
  rules: {
    'no-unused-expressions': {
      meta: { type: 'problem', messages: { unused: 'This expression does nothing: expected a call or an assignment.' }, schema: [] },
      create: (context) => ({
        ExpressionStatement(node) {
          if (!node.directive && !acts(node.expression)) context.report({ node, messageId: 'unused' });
        },
      }),
    },
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'bench/out/', 'test/fixtures/office/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { local },
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      'local/no-unused-expressions': 'error',
      // `catch {}` is how the code says "this failure is expected and changes nothing".
      'no-empty': ['error', { allowEmptyCatch: true }],
      // `const { recipients: _omit, ...echo } = req` drops a key on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Fastify's handlers are `async (req) => value` whether or not they await: the idiom, not a slip.
      '@typescript-eslint/require-await': 'off',
      // Decoded input (JSON content bags, zod-parsed rows, PDU fields) is `unknown` narrowed to `{}`, which
      // these read as an object; String() / a template of it is meant. Worth turning on once job content
      // is typed (issue 13, item 1).
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      // It calls a cast into an `unknown` slot "unnecessary", where the cast says what the value is.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Passing on what a catch caught (unknown) is not making a non-Error rejection.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // The tests read response bodies as `any`: their assertions are the type check.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
