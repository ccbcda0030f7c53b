/**
 * A team adds metrics as files and batch-run backfills them without re-cleaning curated days;
 * a changed definition is recomputed; `--metric ID` recomputes one; and the ledger cannot lock
 * in a wrong day: a day processed before its completion markers, or before late raw chunks
 * arrived, is processed again, with the reason recorded. Local lake, embedded store, in-process;
 * expected values worked out by hand from the raw zone written here.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { BATCH_HISTORY, LEDGER, METRIC_RUNS } from '../../src/core/tables.js';
import { loadMetrics, type MetricSet, type RealtimeMetric } from '../../src/metrics/registry.js';
import { runBatch, type BatchOptions } from '../../src/pipeline/batch-run/runner.js';
import { DAY1, DAY2, markDay, pin, writeChunk, writeFixtureLake } from '../fixtures/batch-lake.js';

const FIXTURE_METRICS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/metrics');
const DAY = '2026-11-25';
const t = (hms: string) => `${DAY}T${hms}Z`;
const m = (hm: string) => `${DAY}T${hm}:00.000Z`;

let cfg: Config;
let lake: LocalLake;
let store: EmbeddedStore;
let dir: string;
let lakeRoot: string;

beforeEach(() => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-backfill-'));
  cfg = loadConfig({ env: {}, flags: { dataDir: path.join(root, 'data') } });
  dir = path.join(root, 'metrics');
  mkdirSync(dir);
  lakeRoot = path.join(cfg.dataDir, 'lake');
  lake = new LocalLake(cfg);
  store = new EmbeddedStore(cfg);
});

afterEach(async () => {
  await store.close();
  rmSync(path.dirname(cfg.dataDir), { recursive: true, force: true });
});

const metrics = () => loadMetrics(cfg, { dir });
const batch = async (opts: BatchOptions = {}, set?: MetricSet) =>
  runBatch({ cfg, lake, store, logger: silentLogger, metrics: set ?? (await metrics()) }, { workers: 0, ...opts });
const tagged = (id: string, at: string, ind: number, category: string, tags: string, media: string) => ({
  ...pin(id, at, ind, category, '1k', 'P', media),
  tag_list: tags,
});

/** one complete day of pins with chosen tags and media (no geo or user records) */
function writeTaggedDay(): void {
  writeChunk(lakeRoot, 'pin', DAY, '10', 0, 0, [
    tagged('a1', t('10:00:05.000'), 1, 'art', 'sun, sea', 'image'),
    tagged('a2', t('10:00:10.000'), 2, 'art', 'sea', 'video'),
    tagged('a3', t('10:00:20.000'), 3, 'art', 'sky,sea,  ,', 'image'),
    tagged('a1', t('10:00:30.000'), 1, 'art', 'sun, sea', 'image'), // a retry of a1: counts once
    tagged('d4', t('10:00:40.000'), 4, 'diy', 'wood', 'multi-video(story page format)'),
    tagged('d5', t('10:01:00.000'), 5, 'diy', 'wood, glue', 'image'),
    tagged('d6', t('10:01:10.000'), 6, 'diy', 'glue', 'gif'), // media_type null
  ]);
  for (const topic of ['pin', 'geo', 'user']) markDay(lakeRoot, topic, DAY);
}

// by hand: art pins 1, 2, 3 carry sea (3), sun (1), sky (1); diy pins 4, 5, 6: wood 2, glue 2 → glue (alphabetical)
const TAGS = [
  { category: 'art', tag: 'sea', n: 3 },
  { category: 'diy', tag: 'glue', n: 2 },
];
// by hand: 10:00 a1, a3 image, a2 video, d4 story; 10:01 d5 image, d6 no media type ('')
const MEDIA = [
  { minute: m('10:00'), media_type: 'image', postings: 2, final: true },
  { minute: m('10:00'), media_type: 'story', postings: 1, final: true },
  { minute: m('10:00'), media_type: 'video', postings: 1, final: true },
  { minute: m('10:01'), media_type: '', postings: 1, final: true },
  { minute: m('10:01'), media_type: 'image', postings: 1, final: true },
];

const curatedBytes = () =>
  ['pins', 'geo', 'users'].map((tb) => readFileSync(path.join(lakeRoot, 'curated', tb, `dt=${DAY}`, 'part-0.parquet')).toString('base64'));

describe('metric files: added, backfilled, changed, recomputed', () => {
  test('new metrics are computed on the next run without re-cleaning the curated day', async () => {
    writeTaggedDay();
    const first = await batch();
    expect(first.days.map((d) => [d.day, d.status, d.reason])).toEqual([[DAY, 'done', 'new']]);
    const ledger = await store.select(LEDGER);
    const files = curatedBytes();

    for (const f of ['tag_by_category.sql', 'media_per_minute.sql']) copyFileSync(path.join(FIXTURE_METRICS, f), path.join(dir, f));
    const set = await metrics();
    const plan = await batch({ dryRun: true }, set);
    expect(plan.days).toEqual([]);
    expect(plan.metrics).toEqual([
      { id: 'media_per_minute', kind: 'realtime', reason: 'new metric', days: [DAY] },
      { id: 'tag_by_category', kind: 'historical', reason: 'new metric' },
    ]);
    expect(await store.select(METRIC_RUNS, { metric: 'tag_by_category' })).toEqual([]); // a dry run changes nothing

    const s = await batch({}, set);
    expect(s.days).toEqual([]);
    expect(s.metrics).toEqual([
      { id: 'media_per_minute', kind: 'realtime', reason: 'new metric', days: [DAY], rows: 5 },
      { id: 'tag_by_category', kind: 'historical', reason: 'new metric', rows: 2 },
    ]);
    expect(s.historical).toEqual({ tag_by_category: 2 });
    expect(await store.select(set.get('tag_by_category').spec)).toEqual(TAGS);
    expect(await store.select((set.get('media_per_minute') as RealtimeMetric).batchSpec)).toEqual(MEDIA);
    // the day was not cleaned or curated again: same files, same ledger
    expect(curatedBytes()).toEqual(files);
    expect(await store.select(LEDGER)).toEqual(ledger);
    expect((await store.select(METRIC_RUNS)).map((r) => [r.metric, r.day, r.hash, r.rows])).toEqual(
      expect.arrayContaining([
        ['media_per_minute', DAY, set.get('media_per_minute').hash, 5],
        ['tag_by_category', '', set.get('tag_by_category').hash, 2],
      ]),
    );

    const again = await batch({}, set);
    expect([again.days, again.metrics, again.historical]).toEqual([[], [], {}]);
  });

  test('a changed definition is recomputed (its table rebuilt); --metric ID recomputes one metric', async () => {
    writeTaggedDay();
    copyFileSync(path.join(FIXTURE_METRICS, 'media_per_minute.sql'), path.join(dir, 'media_per_minute.sql'));
    await batch();
    writeFileSync(
      path.join(dir, 'media_per_minute.sql'),
      "-- kind: realtime\n-- keys: media_type\nSELECT media_type, count(*) AS postings, sum(follower_count) AS followers\nFROM pins\nWHERE category = 'diy'\nGROUP BY media_type\n",
    );
    const set = await metrics();
    const s = await batch({}, set);
    expect(s.metrics).toEqual([{ id: 'media_per_minute', kind: 'realtime', reason: 'changed definition', days: [DAY], rows: 3 }]);
    expect(await store.select((set.get('media_per_minute') as RealtimeMetric).batchSpec)).toEqual([
      { minute: m('10:00'), media_type: 'story', postings: 1, followers: 1000, final: true },
      { minute: m('10:01'), media_type: '', postings: 1, followers: 1000, final: true },
      { minute: m('10:01'), media_type: 'image', postings: 1, followers: 1000, final: true },
    ]);
    const forced = await batch({ metric: 'MEDIA_PER_MINUTE' }, set);
    expect(forced.metrics).toEqual([{ id: 'media_per_minute', kind: 'realtime', reason: 'forced', days: [DAY], rows: 3 }]);
    const q1 = await batch({ metric: 'q1' }, set);
    expect(q1.metrics).toEqual([{ id: 'Q1', kind: 'historical', reason: 'forced', rows: 0 }]);
    await expect(batch({ metric: 'nope' }, set)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('unknown metric "nope"') });
  });
});

describe('the ledger cannot lock in a wrong day', () => {
  beforeEach(() => writeFixtureLake(lakeRoot));

  test('a day processed before its markers is processed again once they appear (completed)', async () => {
    const forced = await batch({ date: DAY2 });
    expect(forced.days.map((d) => [d.day, d.reason])).toEqual([[DAY2, 'forced']]);
    expect(await store.select(LEDGER, { day: DAY2 })).toMatchObject([{ status: 'done', complete: false, reason: 'forced' }]);
    // the default run: day 1 is new, day 2 still lacks the user marker
    const s = await batch();
    expect(s.days.map((d) => [d.day, d.reason])).toEqual([[DAY1, 'new']]);
    expect(s.skipped).toEqual([{ day: DAY2, reason: 'incomplete: no _SUCCESS marker for user (processed as partial)' }]);
    markDay(lakeRoot, 'user', DAY2);
    const plan = await batch({ dryRun: true });
    expect(plan.days.map((d) => [d.day, d.reason])).toEqual([[DAY2, 'completed']]);
    expect(plan.skipped).toEqual([{ day: DAY1, reason: 'done' }]);
    const done = await batch();
    expect(done.days.map((d) => [d.day, d.status, d.reason])).toEqual([[DAY2, 'done', 'completed']]);
    expect(await store.select(LEDGER, { day: DAY2 })).toMatchObject([{ status: 'done', complete: true, reason: 'completed' }]);
    expect((await batch()).days).toEqual([]);
    const history = (await store.select(BATCH_HISTORY)).map((r) => [r.day, r.reason, r.status]);
    expect(history).toEqual([
      [DAY2, 'forced', 'done'],
      [DAY1, 'new', 'done'],
      [DAY2, 'completed', 'done'],
    ]);
  });

  test('raw chunks that land after a day was processed (late data) make it run again', async () => {
    await batch();
    expect((await batch()).days).toEqual([]);
    // a late pin of day 1, written by consume-batch after the day was curated
    writeChunk(lakeRoot, 'pin', DAY1, '10', 1, 1, [pin('late1', `${DAY1}T10:05:00.000Z`, 42, 'late', '7', 'Lu', 'video')]);
    const plan = await batch({ dryRun: true });
    expect(plan.days.map((d) => [d.day, d.reason])).toEqual([[DAY1, 'late data']]);
    const s = await batch();
    expect(s.days.map((d) => [d.day, d.status, d.reason, d.raw_records])).toEqual([[DAY1, 'done', 'late data', 27]]);
    const r1 = (await metrics()).get('R1') as RealtimeMetric;
    expect(await store.select(r1.batchSpec, { minute: `${DAY1}T10:05:00.000Z` })).toEqual([
      { minute: `${DAY1}T10:05:00.000Z`, category: 'late', postings: 1, final: true },
    ]);
    expect((await batch()).days).toEqual([]);
  });
});
