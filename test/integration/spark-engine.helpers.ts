/**
 * The Spark tests' sides (spark-engine.test.ts, spark-refusals.test.ts): the same raw zone for
 * batch-run on DuckDB and on Spark, a local or an S3 lake, an embedded store each; Spark's settings
 * for tiny days; the comparison of everything both engines wrote.
 */
import { afterAll, expect } from '@jest/globals';
import { cpSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { S3Lake } from '../../src/connectors/lake/s3.js';
import type { Lake } from '../../src/connectors/lake/types.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { LEDGER, QUALITY, type Row } from '../../src/core/tables.js';
import { CURATED_TABLES } from '../../src/engine/schema.js';
import { type MetricSet } from '../../src/metrics/registry.js';
import { runBatch } from '../../src/pipeline/batch-run/runner.js';
import { BUILTIN } from '../support/metrics.js';
import { s3LakeConfig } from '../support/services.js';
import { tempDirs } from '../support/tmp.js';

/** the standalone master of scripts/services.sh (the worker the killed-worker test kills and restarts; scripts/test.sh exports it) */
export const CLUSTER = process.env.TEST_SPARK_MASTER ?? 'spark://127.0.0.1:7077';
/** the other runs: no executor JVM of their own (a run on S3 about 10 to 14 s shorter here) */
export const LOCAL = 'local[2]';
/**
 * small jobs: the JVMs' start-up and JIT dominate; C1 only halves a tiny day's run; Spark's own jars
 * not verified again at each start (a tiny day: 13 CPU-s instead of 14-15); the parallel collector
 * with a young generation of 384 MB (12.1-12.5 CPU-s instead of 13.3-14.4 with G1's defaults);
 * no web UI; as many shuffle partitions as cores
 */
const JVM = '-XX:TieredStopAtLevel=1 -XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote -XX:+UseParallelGC -Xms768m -Xmn384m';
export const SMALL: Record<string, string> = {
  'spark.driver.extraJavaOptions': JVM,
  'spark.executor.extraJavaOptions': JVM,
  'spark.ui.enabled': 'false',
  'spark.sql.shuffle.partitions': '2',
};
/**
 * and, besides the end-to-end comparison on the cluster: no whole-stage code generation nor adaptive
 * plans (compiling and re-planning ~200 tiny jobs: about 12 s of a 45 s run), and expressions
 * interpreted rather than compiled (a tiny day: 14 CPU-s instead of 18; Spark's own tests run both
 * ways; the comparison on the cluster keeps Spark's default execution)
 */
const TINY: Record<string, string> = {
  ...SMALL,
  'spark.sql.codegen.wholeStage': 'false',
  'spark.sql.adaptive.enabled': 'false',
  'spark.sql.codegen.factoryMode': 'NO_CODEGEN',
};

export interface Side {
  cfg: Config;
  lake: Lake;
  store: EmbeddedStore;
}

// Imported at a test file's top level, this module registers that file's hooks: after its last
// test, the sides' stores closed and their buckets dropped, then their directories removed.
const stores: EmbeddedStore[] = [];
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of drops.splice(0)) await d();
});
const temp = tempDirs('all');
/** a directory removed after the test file's tests */
export const tmpLake = (): string => temp.make('pinpipe-lake-');

/** the same raw zone for both engines: written once (the fixture's ids are not repeatable), copied */
export function sides(write: (lakeRoot: string) => void): { duck: Side; spark: Side; template: string } {
  const template = tmpLake();
  write(template);
  const copy = (root: string) => cpSync(template, root, { recursive: true });
  return { duck: side('duckdb', copy), spark: side('spark', copy), template };
}

function sparkSettings(cfg: Config, engine: 'duckdb' | 'spark', master = LOCAL): void {
  cfg.batch.engine = engine;
  cfg.batch.spark.master = master;
  cfg.batch.spark.conf = { ...TINY };
}

export function side(engine: 'duckdb' | 'spark', write: (lakeRoot: string) => void): Side {
  const dataDir = temp.make(`pinpipe-${engine}-`);
  const cfg = loadConfig({ env: {}, flags: { dataDir } });
  sparkSettings(cfg, engine);
  write(path.join(dataDir, 'lake'));
  const store = new EmbeddedStore(cfg);
  stores.push(store);
  return { cfg, lake: new LocalLake(cfg), store };
}

/** Spark on an S3 lake of its own (a private bucket of the S3 server), holding the raw zone of a local template */
export async function s3Side(template: string, master = LOCAL): Promise<Side> {
  const s = s3LakeConfig();
  drops.push(s.drop);
  sparkSettings(s.cfg, 'spark', master);
  const lake = new S3Lake(s.cfg);
  drops.unshift(() => lake.close());
  const walk = (dir: string, rel: string): string[] =>
    readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n), `${rel}${n}/`) : [`${rel}${n}`]));
  for (const key of walk(template, '')) await lake.put(key, readFileSync(path.join(template, key)));
  const store = new EmbeddedStore(s.cfg);
  stores.push(store);
  return { cfg: s.cfg, lake, store };
}

export const run = (s: Side, metrics: MetricSet = BUILTIN, opts: { from?: string; to?: string; metric?: string } = {}) =>
  runBatch({ cfg: s.cfg, lake: s.lake, store: s.store, logger: silentLogger, metrics }, { workers: 0, ...opts });

/** the keys of an S3 side's bucket besides the raw zone (S3A's directory markers included) */
export async function bucketKeys(s: Side): Promise<string[]> {
  const client = new S3Client({ region: 'us-east-1', endpoint: s.cfg.lake.s3.endpoint, forcePathStyle: true });
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s.cfg.lake.s3.bucket }));
    return (page.Contents ?? []).map((o) => o.Key!).filter((k) => !k.startsWith('raw/'));
  } finally {
    client.destroy();
  }
}

/** rows and column types of a curated day file, read with DuckDB */
async function curated(s: Side, table: string, day: string): Promise<{ types: string[]; rows: unknown[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    // through the lake: its directory, or the S3 lake's local copy
    const file = `read_parquet('${path.join(await s.lake.localDir('curated/'), table, `dt=${day}`, 'part-0.parquet')}', hive_partitioning = false)`;
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${file}`))
      .getRowObjectsJS()
      .map((o) => `${String(o.column_name)} ${String(o.column_type)}`);
    const rows = (await conn.runAndReadAll(`SELECT * FROM ${file} ORDER BY ind`))
      .getRowObjectsJS()
      .map((o) => JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v)));
    return { types, rows };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();
export const ledger = async (s: Side) =>
  (await s.store.select(LEDGER)).map((r) => ({
    day: r.day,
    status: r.status,
    raw_records: r.raw_records,
    curated_rows: r.curated_rows,
    fingerprint: r.raw_fingerprint,
    // dead records by reason, unmatched pins
    message: r.message,
  }));

/** Spark and DuckDB agree on everything batch-run wrote for these days */
export async function expectSame(duck: Side, spark: Side, days: string[], metrics: MetricSet = BUILTIN): Promise<number> {
  let rows = 0;
  for (const table of CURATED_TABLES)
    for (const day of days) {
      const [a, b] = [await curated(duck, table, day), await curated(spark, table, day)];
      expect(b.types).toEqual(a.types);
      expect(b.rows).toEqual(a.rows);
      rows += a.rows.length;
    }
  for (const m of metrics.historical) {
    const [a, b] = [await duck.store.select(m.spec), await spark.store.select(m.spec)];
    expect({ id: m.id, rows: sorted(b) }).toEqual({ id: m.id, rows: sorted(a) });
  }
  // the realtime metrics' windows of the days, computed by the job as DuckDB computes them
  for (const m of metrics.realtime) {
    const [a, b] = [await duck.store.select(m.batchSpec), await spark.store.select(m.batchSpec)];
    expect({ id: m.id, rows: sorted(b) }).toEqual({ id: m.id, rows: sorted(a) });
  }
  expect(sorted(await spark.store.select(QUALITY))).toEqual(sorted(await duck.store.select(QUALITY)));
  expect(await ledger(spark)).toEqual(await ledger(duck));
  return rows;
}
