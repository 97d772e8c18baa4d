'use strict';
// Two projects: `unit` (pure domain logic, no I/O) and `integration` (real database, real
// HTTP/WebSocket peers). .ci/run runs `integration` a second time on FerretDB/PostgreSQL.
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};
const common = {
  transform,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Workspaces resolve to their TypeScript sources, so tests never run stale dist/ code.
  moduleNameMapper: { '^@exchange/platform$': '<rootDir>/platform/src/index.ts', '^@exchange/pricing$': '<rootDir>/pricing/src/index.ts' },
};
module.exports = {
  // A global option: inside a project entry jest ignores it (and falls back to 5 s).
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts', '<rootDir>/tests/claims/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.js',
      globalTeardown: '<rootDir>/tests/support/global-teardown.js',
    },
  ],
};
