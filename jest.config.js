/**
 * Two projects: `unit` (test/unit: pure code, in-process, no services) and `services` (the rest:
 * real services, the built CLI as child processes, the browser). Both run with parallel workers
 * (scripts/test.sh bounds them): every services test works on resources of its own (a temp data
 * dir, random topic prefix, consumer groups, database, bucket and Redis key prefix, ports chosen
 * free or 0), so none sees another's data. `npm run test:unit` selects the unit project.
 */
const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['<rootDir>/test/support/transform.mjs', { useESM: true, tsconfig: 'tsconfig.test.json' }] },
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 60000,
  // longest first, from the durations of a full run when jest has none cached (a fresh clone)
  testSequencer: '<rootDir>/test/support/sequencer.mjs',
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    { ...shared, displayName: 'services', roots: ['<rootDir>/test'], testMatch: ['<rootDir>/test/{cli,conformance,integration,faults,browser}/**/*.test.ts'] },
  ],
};
