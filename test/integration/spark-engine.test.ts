/**
 * batch-run --engine spark: on the same raw zone, Spark and DuckDB give the same curated day files
 * (rows and column types), the same rows of every historical metric in the store, the same quality
 * counts and ledger figures. The raw zones: a generated one (postings of the source generator with
 * re-posts, retries, dirty values and lines that are no JSON) and the hand-made dirty fixture of
 * test/fixtures. The worker and its executor killed during a job (this test restarts the worker of
 * scripts/services.sh): the job fails, leaving the lake, the store and the ledger as they were, and
 * a rerun succeeds. On an S3 lake (the S3 server of the services, TEST_S3_ENDPOINT) the job reads
 * and writes the curated zone through S3A, with the same results.
 *
 * The tests of this file use the standalone master of scripts/services.sh (spark://127.0.0.1:7077:
 * driver and executor JVMs), one at a time: the killed-worker test, whose rerun is the end-to-end
 * comparison on the dirty fixture (with Spark's default execution: whole-stage code generation,
 * adaptive plans), and the S3 run of the generated zone with the records staged in the lake (the
 * executor reads and writes through S3A). The local-lake run of the generated zone is in local mode
 * (local[2]: one JVM) with the settings for tiny days. spark-refusals.test.ts has the other three
 * spark-submits (local mode), so that the two files run in parallel workers.
 */
import { describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { isPinpipeError } from '../../src/core/errors.js';
import { BATCH_HISTORY, LEDGER } from '../../src/core/tables.js';
import { CURATED_TABLES } from '../../src/engine/schema.js';
import { BUILTIN, HISTORICAL_IDS, historical } from '../support/metrics.js';
import { DAY1, DAY2, markDay, writeChunk, writeFixtureLake } from '../fixtures/batch-lake.js';
import { bucketKeys, CLUSTER, expectSame, ledger, run, s3Side, sides, SMALL } from './spark-engine.helpers.js';

jest.setTimeout(600_000);

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
        env: { ...process.env, PINPIPE_SERVICES_DIR: path.dirname(state), PINPIPE_SERVICES_JIT: process.env.TEST_SERVICES_JIT ?? 'default' },
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
