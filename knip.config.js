/**
 * knip: unused files, exports and dependencies (npm run lint). Entries are the CLI (bin/pinpipe:
 * cli.ts and exit.ts), the benchmarks, the worker threads, the tests and the scripts.
 */
export default {
  entry: [
    'src/cli.ts',
    'src/exit.ts',
    'src/bench/index.ts',
    'src/bench/hwm-probe.ts',
    'src/api/bulk-worker.ts',
    'src/bench/rawgen/worker.ts',
    'src/pipeline/batch-run/stage-worker.ts',
    'test/**/*.test.ts',
    'test/**/*.child.ts',
    'scripts/*.mjs',
  ],
  project: ['src/**/*.ts', 'test/**/*.ts', 'scripts/*.mjs'],
  // tsx runs the tests' child processes (node --import tsx)
  ignoreDependencies: ['tsx'],
  // system tools some tests and benchmarks run
  ignoreBinaries: ['wrk', 'java', 'kcat', 'mariadb', 'redis-cli', 'openssl'],
  ignoreExportsUsedInFile: true,
  // owned by the batch branch (issue 12 was done beside it); to be settled when the two merge
  ignore: ['src/engine/metrics/index.ts'],
};
