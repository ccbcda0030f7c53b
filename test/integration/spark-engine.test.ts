/**
 * batch-run --engine spark: on the same raw zone, Spark and DuckDB give the same curated day files
 * (rows and column types), the same rows of every historical metric in the store, the same quality
 * counts and ledger figures. The raw zones: the hand-made dirty fixture of test/fixtures and a
 * generated one (postings of the source generator with re-posts, retries, dirty values and lines
 * that are no JSON). A failing job (a metric Spark refuses at run time; the worker and its executor
 * killed: this test restarts the worker of scripts/services.sh) leaves the lake, the store and the
 * ledger as they were, and a rerun succeeds. On an S3 lake (the S3 server of the services,
 * TEST_S3_ENDPOINT) the job reads and writes the curated zone through S3A, with the same results;
 * its staging prefix is gone afterwards.
 *
 * Spark starts slowly: few, small runs (seven spark-submits), with settings for tiny days. On the
 * standalone master of scripts/services.sh (spark://127.0.0.1:7077: driver and executor JVMs): the
 * killed-worker test, whose rerun is the end-to-end comparison on the dirty fixture (with Spark's
 * default execution: whole-stage code generation, adaptive plans), and the S3 run of the generated
 * zone with the records staged in the lake (the executor reads and writes through S3A). The rest in
 * local mode (local[2]: one JVM) without whole-stage code generation nor adaptive plans, with
 * expressions interpreted.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { S3Lake } from '../../src/connectors/lake/s3.js';
import type { Lake } from '../../src/connectors/lake/types.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { isPinpipeError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { BATCH_HISTORY, LEDGER, QUALITY, type Row } from '../../src/core/tables.js';
import { CURRENT_KEY, POSTINGS_KEY } from '../../src/engine/current.js';
import { CURATED_TABLES } from '../../src/engine/schema.js';
import { loadMetrics, type MetricSet } from '../../src/metrics/registry.js';
import { runBatch } from '../../src/pipeline/batch-run/runner.js';
import { BUILTIN, HISTORICAL_IDS, historical } from '../support/metrics.js';
import { DAY1, DAY2, markDay, writeChunk, writeFixtureLake } from '../fixtures/batch-lake.js';
import { requireBuild, runCli, tmpDir } from './consume-stream.helpers.js';
import { s3LakeConfig } from '../support/services.js';

jest.setTimeout(600_000);

/** the standalone master of scripts/services.sh (the worker the killed-worker test kills and restarts; scripts/test.sh exports it) */
const CLUSTER = process.env.TEST_SPARK_MASTER ?? 'spark://127.0.0.1:7077';
/** the other runs: no executor JVM of their own (a run on S3 about 10 to 14 s shorter here) */
const LOCAL = 'local[2]';
/** small jobs: the JVMs' start-up and JIT dominate; C1 only halves a tiny day's run; no web UI; as many shuffle partitions as cores */
const C1 = '-XX:TieredStopAtLevel=1';
const SMALL: Record<string, string> = {
  'spark.driver.extraJavaOptions': C1,
  'spark.executor.extraJavaOptions': C1,
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

interface Side {
  cfg: Config;
  lake: Lake;
  store: EmbeddedStore;
}

const dirs: string[] = [];
const stores: EmbeddedStore[] = [];
const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of drops) await d();
});

/** the same raw zone for both engines: written once (the fixture's ids are not repeatable), copied */
function sides(write: (lakeRoot: string) => void): { duck: Side; spark: Side; template: string } {
  const template = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-lake-'));
  dirs.push(template);
  write(template);
  const copy = (root: string) => cpSync(template, root, { recursive: true });
  return { duck: side('duckdb', copy), spark: side('spark', copy), template };
}

function sparkSettings(cfg: Config, engine: 'duckdb' | 'spark', master = LOCAL): void {
  cfg.batch.engine = engine;
  cfg.batch.spark.master = master;
  cfg.batch.spark.conf = { ...TINY };
}

function side(engine: 'duckdb' | 'spark', write: (lakeRoot: string) => void): Side {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `pinpipe-${engine}-`));
  dirs.push(dataDir);
  const cfg = loadConfig({ env: {}, flags: { dataDir } });
  sparkSettings(cfg, engine);
  write(path.join(dataDir, 'lake'));
  const store = new EmbeddedStore(cfg);
  stores.push(store);
  return { cfg, lake: new LocalLake(cfg), store };
}

/** Spark on an S3 lake of its own (a private bucket of the S3 server), holding the raw zone of a local template */
async function s3Side(template: string, master = LOCAL): Promise<Side> {
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

const run = (s: Side, metrics: MetricSet = BUILTIN, opts: { from?: string; to?: string; metric?: string } = {}) =>
  runBatch({ cfg: s.cfg, lake: s.lake, store: s.store, logger: silentLogger, metrics }, { workers: 0, ...opts });

/** the keys of an S3 side's bucket besides the raw zone (S3A's directory markers included) */
async function bucketKeys(s: Side): Promise<string[]> {
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

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();
const ledger = async (s: Side) =>
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
async function expectSame(duck: Side, spark: Side, days: string[], metrics: MetricSet = BUILTIN): Promise<number> {
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

describe('batch-run --engine spark', () => {
  test('a generated raw zone, on a local lake and on S3: the same curated rows and metric results as DuckDB', async () => {
    const write = (root: string) => writeGeneratedLake(root, 20261203);
    const { duck, spark, template } = sides(write);
    await run(duck);
    const b = await run(spark);
    expect(b.failed).toBe(0);
    expect(b.days.map((d) => d.day)).toEqual([GEN_DAYS[0], GEN_DAYS[1]]);
    expect(b.raw_records).toBeGreaterThan(500);
    expect(b.dead).toBeGreaterThan(0);
    const rows = await expectSame(duck, spark, GEN_DAYS);
    expect(rows).toBeGreaterThan(200);

    // the same raw zone on S3, on the cluster: the job writes the curated files through S3A (the
    // failing-job test below reads them so), and reads the cleaned records there too (stageInLake:
    // the local staged files are removed once uploaded, so the executor can only have read them through S3A)
    const s3 = await s3Side(template, CLUSTER);
    s3.cfg.batch.spark.stageInLake = true;
    const c = await run(s3);
    expect(c.days.map((d) => [d.day, d.status])).toEqual([
      [GEN_DAYS[0], 'done'],
      [GEN_DAYS[1], 'done'],
    ]);
    expect(c.historical).toEqual(b.historical);
    expect(await expectSame(duck, s3, GEN_DAYS)).toBe(rows);
    expect(await bucketKeys(s3)).toEqual(CURATED_TABLES.flatMap((t) => GEN_DAYS.map((d) => `curated/${t}/dt=${d}/part-0.parquet`)).sort());
  });

  test('on S3, a failing job changes nothing and says why; a rerun succeeds, reading the lake through S3A, with a realtime backfill', async () => {
    const template = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-lake-'));
    dirs.push(template);
    writeFixtureLake(template);
    markDay(template, 'user', DAY2); // the second day complete: the rerun below plans it by itself
    const spark = await s3Side(template);
    // the first day by DuckDB (the rerun below reads its curated files through S3A); without the
    // files of DuckDB's current state, which a Spark run neither writes nor keeps (the manifest)
    spark.cfg.batch.engine = 'duckdb';
    await run(spark, BUILTIN, { from: DAY1, to: DAY1 });
    spark.cfg.batch.engine = 'spark';
    await spark.lake.delete([CURRENT_KEY, POSTINGS_KEY]);
    const day1 = CURATED_TABLES.map((t) => `curated/${t}/dt=${DAY1}/part-0.parquet`).sort();
    expect(await bucketKeys(spark)).toEqual(day1);
    const before = {
      ledger: await spark.store.select(LEDGER),
      history: await spark.store.select(BATCH_HISTORY),
      q1: sorted(await spark.store.select(historical('Q1').spec)),
      quality: sorted(await spark.store.select(QUALITY)),
    };
    // a metric that DuckDB computes (1/0 is null there) and Spark's ANSI mode refuses at run time
    const dir = path.join(spark.cfg.dataDir, 'metrics');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'zero.sql'), '-- keys: category\nSELECT category, count(*) / 0 AS n FROM postings GROUP BY category\n');
    const withBad = await loadMetrics(spark.cfg, { dir });
    const err = await run(spark, withBad, { from: DAY2, to: DAY2 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isPinpipeError(err) && err.code).toBe('SPARK_FAILED');
    expect(String((err as Error).message)).toMatch(/DIVIDE_BY_ZERO/);
    expect(await spark.store.select(LEDGER)).toEqual(before.ledger);
    expect(await spark.store.select(BATCH_HISTORY)).toEqual(before.history);
    expect(sorted(await spark.store.select(historical('Q1').spec))).toEqual(before.q1);
    expect(sorted(await spark.store.select(QUALITY))).toEqual(before.quality);
    // in the bucket: the first day's files only (the job's staging is gone)
    expect(await bucketKeys(spark)).toEqual(day1);
    // the rerun (the metric fixed, and a new realtime metric: R3 under another table) does the
    // second day, the new metric's windows of the first (a backfill: no curating) and the historical
    // metrics over both days (the first day's files read through S3A)
    writeFileSync(path.join(dir, 'zero.sql'), '-- keys: category\nSELECT category, count(*) AS n FROM postings GROUP BY category\n');
    const r3 = readFileSync(path.resolve('src/metrics/builtin/R3.sql'), 'utf8');
    writeFileSync(path.join(dir, 'r3copy.sql'), r3.replace(/^-- table: .*$/m, '-- table: r3_copy'));
    // and one with what Spark's dialect prints differently: a quote and a backslash in a literal, a division, avg
    writeFileSync(path.join(dir, 'quotes.sql'), QUOTES_SQL);
    const fixed = await loadMetrics(spark.cfg, { dir });
    const ok = await run(spark, fixed);
    expect(ok.failed).toBe(0);
    expect(ok.days.map((d) => [d.day, d.status])).toEqual([[DAY2, 'done']]);
    expect(ok.metrics.filter((m) => m.kind === 'realtime').map((m) => [m.id, m.days])).toEqual([
      ['quotes', [DAY1]],
      ['r3copy', [DAY1]],
    ]);
    expect(ok.historical.zero).toBeGreaterThan(0);
    expect(ok.historical.Q1).toBeGreaterThan(0);
    expect((await ledger(spark)).map((l) => [l.day, l.status])).toEqual([
      [DAY1, 'done'],
      [DAY2, 'done'],
    ]);
    expect(await bucketKeys(spark)).toEqual(CURATED_TABLES.flatMap((t) => [DAY1, DAY2].map((d) => `curated/${t}/dt=${d}/part-0.parquet`)).sort());
    // the copy's windows (the first day's from the backfill, the second's from the day's run) are R3's
    const copy = fixed.realtime.find((m) => m.id === 'r3copy')!;
    const want = sorted(await spark.store.select(BUILTIN.realtime.find((m) => m.id === 'R3')!.batchSpec));
    expect(want.length).toBeGreaterThan(2);
    expect(sorted(await spark.store.select(copy.batchSpec))).toEqual(want);
    // and the historical metrics over both days, the new realtime ones' windows, are DuckDB's
    const duck = side('duckdb', (root) => cpSync(template, root, { recursive: true }));
    await run(duck, fixed);
    for (const m of fixed.historical)
      expect({ id: m.id, rows: sorted(await spark.store.select(m.spec)) }).toEqual({ id: m.id, rows: sorted(await duck.store.select(m.spec)) });
    const quotes = fixed.realtime.find((m) => m.id === 'quotes')!;
    const wantQuotes = sorted(await duck.store.select(quotes.batchSpec));
    expect(wantQuotes.length).toBeGreaterThan(2);
    expect(sorted(await spark.store.select(quotes.batchSpec))).toEqual(wantQuotes);
  });
});

describe('a worker killed during the job', () => {
  test('SPARK_FAILED once no executor is left, nothing changed; with the worker back, a rerun succeeds, with the same curated rows and metric results as DuckDB', async () => {
    // the worker of scripts/services.sh (scripts/test.sh exports where its state is)
    const state = path.join(process.env.TEST_SERVICES_DIR ?? '/var/tmp/pinpipe-services', 'spark');
    expect(existsSync(path.join(state, 'worker.pid'))).toBe(true);
    const { duck, spark } = sides(writeFixtureLake);
    spark.cfg.batch.spark.master = CLUSTER;
    spark.cfg.batch.spark.conf = { ...SMALL, 'spark.pinpipe.executorWaitSeconds': '15' };
    const running = run(spark, BUILTIN, { from: DAY1, to: DAY2 }).then(
      () => null,
      (e: unknown) => e,
    );
    // once the application has its executor, the worker's machine is lost: the worker and its executors killed
    const apps = async () => {
      try {
        return ((await (await fetch('http://127.0.0.1:8480/json/')).json()) as { activeapps: unknown[] }).activeapps.length;
      } catch {
        return 0;
      }
    };
    const worker = Number(readFileSync(path.join(state, 'worker.pid'), 'utf8').trim());
    const executors = () =>
      spawnSync('ps', ['--ppid', String(worker), '-o', 'pid='], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => Number(l.trim()))
        .filter((n) => n > 0);
    const deadline = Date.now() + 240_000;
    while (((await apps()) === 0 || executors().length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const children = executors();
    expect(children.length).toBeGreaterThan(0);
    for (const pid of [...children, worker]) process.kill(pid, 'SIGKILL');
    try {
      const err = await running;
      expect(isPinpipeError(err) ? err.code : String(err)).toBe('SPARK_FAILED');
      expect(String((err as Error).message)).toMatch(/no Spark executor for 15 s on spark:\/\/127\.0\.0\.1:7077/);
      expect(await spark.store.select(LEDGER)).toEqual([]);
      expect(await spark.store.select(BATCH_HISTORY)).toEqual([]);
      expect(await spark.store.select(historical('Q1').spec)).toEqual([]);
      expect(existsSync(path.join(spark.cfg.dataDir, 'lake', 'curated', 'pins'))).toBe(false);
    } finally {
      // the worker back (services.sh start is idempotent), whatever happened
      const up = spawnSync('bash', [path.resolve('scripts/services.sh'), 'start', 'spark'], {
        env: { ...process.env, PINPIPE_SERVICES_DIR: path.dirname(state) },
        encoding: 'utf8',
      });
      expect(up.status).toBe(0);
    }
    const ok = await run(spark, BUILTIN, { from: DAY1, to: DAY2 });
    expect(ok.failed).toBe(0);
    expect((await ledger(spark)).map((l) => [l.day, l.status])).toEqual([
      [DAY1, 'done'],
      [DAY2, 'done'],
    ]);
    // the fixture's figures (test/integration/batch-run.test.ts works them out by hand)
    expect(ok.historical.Q1).toBeGreaterThan(0);

    // the rerun on the cluster, compared end to end: the same curated rows and metric results as DuckDB
    const a = await run(duck, BUILTIN, { from: DAY1, to: DAY2 });
    expect(ok.days.map((d) => [d.day, d.status, d.raw_records, d.curated_rows, d.dead])).toEqual(
      a.days.map((d) => [d.day, d.status, d.raw_records, d.curated_rows, d.dead]),
    );
    expect(Object.keys(ok.historical).sort()).toEqual([...HISTORICAL_IDS].sort());
    expect(ok.historical).toEqual(a.historical);
    expect(await expectSame(duck, spark, [DAY1, DAY2])).toBeGreaterThan(10);
    // the realtime windows (expectSame compared them): the fixture has some for every metric
    for (const m of BUILTIN.realtime) expect({ id: m.id, n: (await spark.store.select(m.batchSpec)).length > 0 }).toEqual({ id: m.id, n: true });
  });
});

describe('metrics check --engine spark', () => {
  test('refuses the files only DuckDB runs, naming the file and the construct or Spark’s reason; the rest pass', async () => {
    requireBuild();
    const { dir, cleanup } = tmpDir();
    try {
      const metrics = path.join(dir, 'metrics');
      mkdirSync(metrics);
      writeFileSync(
        path.join(metrics, 'ranked.sql'),
        '-- keys: country\nSELECT country, category\nFROM postings\nQUALIFY rank() OVER (PARTITION BY country ORDER BY ind) = 1\n',
      );
      writeFileSync(path.join(metrics, 'similar.sql'), "-- keys: ind\nSELECT ind, jaro_winkler_similarity(title, 'x') AS s FROM postings\n");
      writeFileSync(path.join(metrics, 'portable.sql'), '-- keys: category\nSELECT category, count(*) AS n FROM postings GROUP BY category\n');
      // a realtime file: its SQL in Spark's dialect, analysed by Spark too (it passes)
      writeFileSync(path.join(metrics, 'quotes.sql'), QUOTES_SQL);
      // the small jobs' settings (C1 only: the check's CPU about halved)
      const config = path.join(dir, 'spark.json');
      writeFileSync(config, JSON.stringify({ batch: { spark: { conf: SMALL } } }));
      const args = ['metrics', 'check', '--engine', 'spark', '--spark-master', LOCAL, '--metrics-dir', metrics, '--config', config];
      const res = await runCli(dir, args, 300_000, {
        HOME: os.homedir(),
      });
      expect(res.code).toBe(2);
      const refused = res.stdout.split('\n').filter((l) => l.startsWith('REFUSED'));
      expect(refused).toHaveLength(2);
      expect(refused[0]).toMatch(/^REFUSED .*metrics\/ranked\.sql:4: not in the portable SQL subset \(runs on DuckDB only\): QUALIFY; instead: /);
      expect(refused[1]).toMatch(/^REFUSED .*metrics\/similar\.sql:2: Spark SQL refuses it \(runs on DuckDB only\): .*jaro_winkler_similarity/);
      expect(res.stdout).not.toMatch(/portable\.sql|quotes\.sql/);
    } finally {
      cleanup();
    }
  });
});

/** a realtime metric with what Spark's dialect prints differently from DuckDB's: a literal with a quote and a backslash, a division, avg */
const QUOTES_SQL = [
  '-- kind: realtime',
  '-- keys: category',
  '-- table: rt_quotes',
  "SELECT category, count(*) FILTER (WHERE title <> 'it''s \\ a \\n title') / 2 AS half, avg(follower_count) AS followers",
  'FROM pins',
  'GROUP BY category',
  '',
].join('\n');

// ---- a generated raw zone -----------------------------------------------------------------------

const GEN_DAYS = ['2026-10-05', '2026-10-06'];

/** dirty edits of a generated record (the cleaning rules' edges: placeholders, counts, blanks, bad dates) */
const EDITS: ((r: Record<string, unknown>) => void)[] = [
  (r) => ('follower_count' in r ? (r.follower_count = '12k') : undefined),
  (r) => ('follower_count' in r ? (r.follower_count = 'User Info Error') : undefined),
  (r) => ('category' in r ? (r.category = '  ') : undefined),
  (r) => ('tag_list' in r ? (r.tag_list = 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e') : undefined),
  (r) => ('timestamp' in r ? (r.timestamp = 'not a date') : undefined),
  (r) => ('date_joined' in r ? (r.date_joined = '2019-02-03T04:05:06+05:30') : undefined),
  (r) => ('country' in r ? (r.country = ' Peru\t') : undefined),
  (r) => ('age' in r ? (r.age = '41') : undefined),
  (r) => ('is_image_or_video' in r ? (r.is_image_or_video = 'multi-video(story page format)') : undefined),
  (r) => ('first_name' in r ? (r.first_name = null) : undefined),
  // date-times far off: year 99, the Julian/Gregorian switch, year 9999 (both engines are proleptic Gregorian)
  (r) => ('timestamp' in r ? (r.timestamp = '0099-03-01 00:00:00') : 'date_joined' in r ? (r.date_joined = '9999-12-31T23:59:59.999Z') : undefined),
  (r) => ('timestamp' in r ? (r.timestamp = '1582-10-10 12:00:00') : 'date_joined' in r ? (r.date_joined = '1582-10-04T00:00:00+14:00') : undefined),
  // a lone surrogate (U+FFFD in the curated zone), a character beyond the BMP, quotes and line breaks
  (r) => ('title' in r ? (r.title = 'A\ud800B \u{1F600} "q" \\ x\ny') : 'country' in r ? (r.country = 'Pe\udc00ru') : undefined),
];

/**
 * Two complete days of postings from the source generator: 120 inds posted about 300 times (re-posts
 * of an ind within and across days), some records retried with the same event_id, dirty edits, lines
 * that are no JSON, and records near midnight (the neighbour margins).
 */
function writeGeneratedLake(root: string, seed: number): void {
  const plan = fc.sample(
    fc.array(
      fc.record({
        ind: fc.integer({ min: 0, max: 119 }),
        day: fc.integer({ min: 0, max: 1 }),
        second: fc.oneof(fc.integer({ min: 0, max: 86_397 }), fc.integer({ min: 86_340, max: 86_397 })),
        retry: fc.integer({ min: 0, max: 9 }),
        edit: fc.integer({ min: 0, max: EDITS.length * 3 }),
        broken: fc.integer({ min: 0, max: 40 }),
      }),
      { minLength: 300, maxLength: 300 },
    ),
    { seed, numRuns: 1 },
  )[0]!;
  const lines: Record<string, Record<string, (Record<string, unknown> | string)[]>> = {};
  plan.forEach((p, n) => {
    const posting = generatePosting(seed, p.ind) as unknown as Record<string, Record<string, unknown>>;
    const day = GEN_DAYS[p.day]!;
    const at = new Date(Date.parse(`${day}T00:00:00Z`) + p.second * 1000 + (n % 997)).toISOString();
    for (const topic of ['pin', 'geo', 'user']) {
      const rec: Record<string, unknown> = { ...posting[topic], event_id: `e${n}-${topic}`, ingested_at: at };
      if (topic === 'pin') rec.index = p.ind;
      else rec.ind = p.ind;
      if (p.edit < EDITS.length) EDITS[p.edit]!(rec);
      const list = ((lines[day] ??= {})[topic] ??= []);
      list.push(rec);
      if (p.retry === 0) list.push({ ...rec, ingested_at: new Date(Date.parse(at) + 1500).toISOString() });
      if (p.broken === 0) list.push('{"ind": 3, "title": ');
    }
  });
  for (const day of GEN_DAYS)
    for (const topic of ['pin', 'geo', 'user']) {
      const all = lines[day]?.[topic] ?? [];
      const half = Math.ceil(all.length / 2);
      writeChunk(root, topic, day, '00', 0, 0, all.slice(0, half));
      writeChunk(root, topic, day, '12', 1, 0, all.slice(half));
      markDay(root, topic, day);
    }
}
