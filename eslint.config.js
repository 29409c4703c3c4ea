import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'reports/', '.stryker-tmp/', '.test-bundles/', '.bench/'] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off', // typed-array reads under noUncheckedIndexedAccess
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The dashboard's rule (README, "Layout"): the SDK, the contract, money and pure domain modules only.
    files: ['web/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/*/**', '!**/src/sdk/**', '!**/src/contract/**', '!**/src/money/**', '!**/src/domain/**'],
              message: 'The dashboard imports only src/sdk, src/contract, src/money and pure src/domain modules.',
            },
          ],
        },
      ],
    },
  },
);
