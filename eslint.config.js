// @ts-check
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // packages/contract/src/generated: written by its generator, checked by its drift test.
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.data/**',
      'bench/results/**',
      'packages/contract/src/generated/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'packages/console/vite.config.ts',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A dropped promise in a delivery worker loses a notification.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      // fastify hooks and handlers are async functions by contract, with or without an await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The console is a browser app with its own compiler settings (DOM, JSX for Preact).
    files: ['packages/console/src/**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: {
        project: './packages/console/tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Time decides through the injected clock (core/clock.ts, issue 10): the gateway's code never
    // reads the real time itself, so tests can move it by hand.
    files: ['packages/gateway/src/**/*.ts'],
    ignores: ['packages/gateway/src/core/clock.ts', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Ask the injected Clock (core/clock.ts) for the time, not Date.now().',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Ask the injected Clock (core/clock.ts) for the time, not new Date().',
        },
      ],
    },
  },
  {
    // Tests poke at untyped JSON bodies; node:test's describe/it return promises the runner tracks.
    files: ['**/test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
)
