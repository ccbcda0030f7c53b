/**
 * batch-run's curated day files (curate.ts writeCurated): one row per ind, the same rows on every
 * run (in no particular order: the engine's threads read the chunks side by side). When the day's
 * staged file is exactly the curated rows, the curated file is that file with its bookkeeping
 * columns dropped from its footer (src/engine/parquet/project.ts): then it must hold the same
 * values, row for row, as the engine's own copy of those columns. On the hand-made fixture (retries and re-posts, lines only
 * clean.ts cleans) and on a generated day of more pins than one row group.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { TOPICS, type RecordType } from '../../src/core/records.js';
import { generateRaw, rawSpec } from '../../src/bench/rawgen/run.js';
import { openEngine, sqlString, withInsertionOrder, type Engine } from '../../src/engine/duckdb.js';
import { CURATED_COLUMNS, TABLE_OF, columnList } from '../../src/engine/schema.js';
import { dedupTopic, dropStaged, writeCurated } from '../../src/pipeline/batch-run/curate.js';
import { dayTasks } from '../../src/pipeline/batch-run/day.js';
import { STAGED_PARQUET, loadTopic } from '../../src/pipeline/batch-run/load.js';
import { DAY1, DAY2, writeFixtureLake } from '../fixtures/batch-lake.js';
import { differingRows } from '../support/parquet-rows.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs('all');
let engine: Engine;
beforeAll(async () => {
  engine = await openEngine(loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-engine-') } }), { memoryLimit: '512MB' });
});
afterAll(() => engine.close());

interface Written {
  projected: boolean;
  file: string;
  inds: number[];
  /** rows of the engine's own copy of the staged day file's curated columns differing from the curated file (projected only) */
  differing: number;
}

/** rows in one Parquet file and not in the other, both ways (with their positions, or as multisets) */
const rowsDiffer = (topic: RecordType, a: string, b: string, positions: boolean) =>
  differingRows(engine, a, b, columnList(CURATED_COLUMNS[TABLE_OF[topic]]), positions);

/** load, de-duplicate and write one topic's curated file of the day */
async function curate(cfg: Config, topic: RecordType, day: string): Promise<Written> {
  const tasks = await dayTasks(new LocalLake(cfg), day, cfg.stream.joinWindow);
  const dir = temp.make('pinpipe-order-out-');
  const loaded = await loadTopic(engine, topic, tasks, dir, { workers: 0 });
  await dedupTopic(engine, topic);
  // the engine's own copy of the staged day file's curated columns, before the file may become the curated one
  const cols = columnList(CURATED_COLUMNS[TABLE_OF[topic]]);
  const copy = path.join(dir, 'copy.parquet');
  if (loaded.dayFile)
    await withInsertionOrder(engine, () =>
      engine.run(`COPY (SELECT ${cols} FROM read_parquet(${sqlString(loaded.dayFile!)})) TO ${sqlString(copy)} (${STAGED_PARQUET})`),
    );
  const f = await writeCurated(engine, topic, day, dir, loaded);
  const rows = await engine.all(`SELECT ind FROM read_parquet(${sqlString(f.file)})`);
  const differing = f.projected ? await rowsDiffer(topic, f.file, copy, true) : 0;
  await dropStaged(engine);
  return { projected: f.projected, file: f.file, inds: rows.map((r) => Number(r.ind)), differing };
}

describe('curated files: one row per ind, the same rows on every run', () => {
  test('the hand-made fixture: retries, re-posts, lines only clean.ts cleans', async () => {
    const cfg = loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-fixture-') } });
    writeFixtureLake(path.join(cfg.dataDir, 'lake'));
    const paths: string[] = [];
    for (const day of [DAY1, DAY2]) {
      for (const topic of TOPICS) {
        const first = await curate(cfg, topic, day);
        const again = await curate(cfg, topic, day);
        expect(await rowsDiffer(topic, first.file, again.file, false)).toBe(0);
        expect(new Set(first.inds).size).toBe(first.inds.length);
        expect(first.differing).toBe(0);
        paths.push(`${day} ${topic}: ${first.projected ? 'projected' : 'copied'} (${first.inds.length} rows)`);
      }
    }
    // both paths are exercised: day 1's pins have a retry and a re-post (rows left out: copied),
    // day 1's users a line only clean.ts cleans (a date-time with an offset)
    expect(paths).toEqual(expect.arrayContaining([`${DAY1} pin: copied (6 rows)`, `${DAY1} user: copied (6 rows)`]));
    expect(paths.some((p) => p.includes('projected'))).toBe(true);
  });

  test('a generated day of 400,000 raw records (133,334 pins: several row groups)', async () => {
    const day = '2026-11-26';
    const cfg = loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-gen-') } });
    await generateRaw(rawSpec({ records: 400_000, day, seed: 7 }), path.join(cfg.dataDir, 'lake'), { workers: 0 });
    const first = await curate(cfg, 'pin', day);
    const again = await curate(cfg, 'pin', day);
    expect([first.projected, first.inds.length, first.differing]).toEqual([true, 133_334, 0]);
    expect(await rowsDiffer('pin', first.file, again.file, false)).toBe(0);
    expect(new Set(first.inds).size).toBe(first.inds.length);
  }, 120_000);
});
