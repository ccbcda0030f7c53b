/**
 * DuckDB's Node API, loaded on first use. It is a CommonJS package: loaded with `require`, not
 * `import`, Node skips scanning each of its files for named exports (about 80 ms of CPU per process
 * here, in every CLI run that opens an engine; BENCHMARKS.md, 2026-12-05).
 */
import { createRequire } from 'node:module';

type DuckDBApi = typeof import('@duckdb/node-api');

let api: DuckDBApi | undefined;

export function duckdb(): DuckDBApi {
  api ??= createRequire(import.meta.url)('@duckdb/node-api') as DuckDBApi;
  return api;
}
