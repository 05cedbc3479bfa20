// Two projects: `unit` (fast, every run) and `slow` (multi-thread and multi-process stress,
// lifetime checks in child processes). `npm test` runs both; `npm run test:slow` only the slow.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }];

module.exports = {
  // Builds dist/ once per run when it is older than lib/ (the slow tests' fixtures load dist/).
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/slow/'],
      transform: { '^.+\\.ts$': tsJest },
      setupFiles: ['<rootDir>/test/setup/symbol-dispose.js'],
    },
    {
      displayName: 'slow',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/slow/**/*.test.ts'],
      transform: { '^.+\\.ts$': tsJest },
      setupFiles: ['<rootDir>/test/setup/symbol-dispose.js'],
    },
  ],
};
