/**
 * batch-run writes a topic's curated day file from a table loaded in ind order when it can
 * (load.ts `sorted`: one INSERT … ORDER BY ind keeping insertion order; curate.ts copies it in
 * table order) and sorts in the copy otherwise (clean.ts rows added, or a chunk the engine cannot
 * read). Both give the same bytes: on the hand-made fixture (retries and re-posts, so rows deleted
 * and flagged superseded in the ordered table; lines only clean.ts cleans) and on a generated
 * day of more pins than one of the engine's row groups (122,880 rows) or of the file's.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { TOPICS, type RecordType } from '../../src/core/records.js';
import { generateRaw, rawSpec } from '../../src/bench/rawgen/run.js';
import { openEngine, type Engine } from '../../src/engine/duckdb.js';
import { dedupTopic, dropStaged, writeCurated } from '../../src/pipeline/batch-run/curate.js';
import { dayTasks } from '../../src/pipeline/batch-run/day.js';
import { loadTopic } from '../../src/pipeline/batch-run/load.js';
import { DAY1, DAY2, writeFixtureLake } from '../fixtures/batch-lake.js';
import { tempDirs } from '../support/tmp.js';

const temp = tempDirs('all');
let engine: Engine;
beforeAll(async () => {
  engine = await openEngine(loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-engine-') } }), { memoryLimit: '512MB' });
});
afterAll(() => engine.close());

interface Written {
  ordered: boolean;
  jsLines: number;
  bytes: Buffer;
  inds: number[];
}

/** load (sorted or not), de-duplicate and write one topic's curated file of the day */
async function curate(cfg: Config, topic: RecordType, day: string, sorted: boolean): Promise<Written> {
  const tasks = await dayTasks(new LocalLake(cfg), day, cfg.stream.joinWindow);
  const dir = temp.make('pinpipe-order-out-');
  const loaded = await loadTopic(engine, topic, tasks, dir, { workers: 0, sorted });
  await dedupTopic(engine, topic);
  const f = await writeCurated(engine, topic, day, dir, loaded.ordered);
  const inds = (await engine.all(`SELECT ind FROM read_parquet('${f.file}', file_row_number = true) ORDER BY file_row_number`)).map((r) => Number(r.ind));
  await dropStaged(engine);
  return { ordered: loaded.ordered, jsLines: loaded.js.lines, bytes: readFileSync(f.file), inds };
}

describe('curated files: the ordered load and the sort in the copy give the same bytes', () => {
  test('the hand-made fixture: retries, re-posts, lines only clean.ts cleans', async () => {
    const cfg = loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-fixture-') } });
    writeFixtureLake(path.join(cfg.dataDir, 'lake'));
    const paths: string[] = [];
    for (const day of [DAY1, DAY2]) {
      for (const topic of TOPICS) {
        const fast = await curate(cfg, topic, day, true);
        const sorted = await curate(cfg, topic, day, false);
        expect(sorted.ordered).toBe(false);
        expect(fast.ordered).toBe(fast.jsLines === 0);
        expect(fast.bytes.equals(sorted.bytes)).toBe(true);
        expect(fast.inds).toEqual([...fast.inds].sort((a, b) => a - b));
        paths.push(`${day} ${topic}: ${fast.ordered ? 'ordered' : 'sorted'} (${fast.inds.length} rows)`);
      }
    }
    // both paths are exercised: day 1's pins are loaded in order (a retry deleted, a re-post
    // superseded), day 1's users have a line only clean.ts cleans (a date-time with an offset)
    expect(paths).toEqual(expect.arrayContaining([`${DAY1} pin: ordered (6 rows)`, `${DAY1} user: sorted (6 rows)`, `${DAY2} pin: ordered (3 rows)`]));
  });

  test('a generated day of 400,000 raw records (133,334 pins: several row groups)', async () => {
    const day = '2026-11-26';
    const cfg = loadConfig({ env: {}, flags: { dataDir: temp.make('pinpipe-order-gen-') } });
    await generateRaw(rawSpec({ records: 400_000, day, seed: 7 }), path.join(cfg.dataDir, 'lake'), { workers: 0 });
    const fast = await curate(cfg, 'pin', day, true);
    const sorted = await curate(cfg, 'pin', day, false);
    expect([fast.ordered, fast.inds.length]).toEqual([true, 133_334]);
    expect(fast.bytes.equals(sorted.bytes)).toBe(true);
    expect(fast.inds.every((x, i) => i === 0 || x > fast.inds[i - 1]!)).toBe(true);
  }, 120_000);
});
