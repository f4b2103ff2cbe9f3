/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Middy (and aws-local-stepfunctions' ESM build) ship ES modules only: let swc turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  setupFiles: ['<rootDir>/tests/setup-env.ts'],
  testTimeout: 60_000,
  // The reliability suites' counts (provisionings, faults, leftovers, duplicates, 5xx), added up and printed at the end.
  reporters: ['default', '<rootDir>/tests/reliability/counts-reporter.js'],
  maxWorkers: 2,
};
