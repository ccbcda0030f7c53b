/**
 * batch-run and metrics check on Spark refusing what Spark refuses: a metric Spark's ANSI mode
 * refuses at run time fails the job on an S3 lake, leaving the lake, the store and the ledger as
 * they were and saying why; a rerun with the metric fixed succeeds, reading the lake through S3A,
 * with a realtime backfill, and gives DuckDB's results. `metrics check --engine spark` names the
 * files only DuckDB runs. Local mode (local[2]) with the settings for tiny days: three spark-submits,
 * apart from spark-engine.test.ts's (the standalone master's), so the files run in parallel workers.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPinpipeError } from '../../src/core/errors.js';
import { BATCH_HISTORY, LEDGER, QUALITY } from '../../src/core/tables.js';
import { CURRENT_KEY, POSTINGS_KEY } from '../../src/engine/current.js';
import { CURATED_TABLES } from '../../src/engine/schema.js';
import { loadMetrics } from '../../src/metrics/registry.js';
import { BUILTIN, historical } from '../support/metrics.js';
import { DAY1, DAY2, markDay, writeFixtureLake } from '../fixtures/batch-lake.js';
import { requireBuild, runCli, tmpDir } from './consume-stream.helpers.js';
import { bucketKeys, ledger, LOCAL, run, s3Side, side, SMALL, sorted, tmpLake } from './spark-engine.helpers.js';

jest.setTimeout(600_000);

describe('batch-run --engine spark', () => {
  test('on S3, a failing job changes nothing and says why; a rerun succeeds, reading the lake through S3A, with a realtime backfill', async () => {
    const template = tmpLake();
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
