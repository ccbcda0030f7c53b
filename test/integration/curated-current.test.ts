/**
 * The curated zone's current state (src/engine/current.ts): batch-run publishes the manifest and
 * the superseded rows; the views use them only while the day files are exactly the listed ones,
 * and otherwise rank every ind themselves. Either way the views hold the same rows: the latest
 * row per ind across days (ind 1's pin is p1c of day 2, see test/integration/batch-run.test.ts).
 * The last test runs the built CLI (staging in worker threads; needs `npx tsc -p tsconfig.json`).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalLake } from '../../src/connectors/lake/local.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/logger.js';
import { BUILTIN } from '../support/metrics.js';
import { currentPostingsFile, readCurrent } from '../../src/engine/current.js';
import { openLakeEngine, runReadOnly } from '../../src/engine/query.js';
import { currentTableSql } from '../../src/engine/views.js';
import { metricFromLake } from '../../src/pipeline/batch-run/metric.js';
import { runBatch } from '../../src/pipeline/batch-run/runner.js';
import { DAY1, DAY2, writeFixtureLake } from '../fixtures/batch-lake.js';
import { rowsOfFiles } from '../support/parquet-rows.js';

let cfg: Config;
let lake: LocalLake;
let store: EmbeddedStore;
let curated: string;

beforeEach(() => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-current-')) } });
  writeFixtureLake(path.join(cfg.dataDir, 'lake'));
  lake = new LocalLake(cfg);
  store = new EmbeddedStore(cfg);
  curated = path.join(cfg.dataDir, 'lake', 'curated');
});

afterEach(async () => {
  await store.close();
  rmSync(cfg.dataDir, { recursive: true, force: true });
});

const batch = (opts = {}) => runBatch({ cfg, lake, store, logger: silentLogger, metrics: BUILTIN }, { workers: 0, ...opts });

/** every row of the three views, in ind order */
async function views(): Promise<Record<string, unknown[]>> {
  const engine = await openLakeEngine(cfg, lake);
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of ['pins', 'geo', 'users']) out[t] = (await runReadOnly(engine, `SELECT * FROM ${t} ORDER BY ind`)).rows;
    return out;
  } finally {
    engine.close();
  }
}

describe('curated current state', () => {
  test('batch-run publishes the manifest and the superseded rows; the views read them', async () => {
    await batch({ from: DAY1, to: DAY2 });
    const m = readCurrent(curated)!;
    expect(m.tables.pins.files.map((f) => f.name)).toEqual([`dt=${DAY1}/part-0.parquet`, `dt=${DAY2}/part-0.parquet`]);
    // ind 1 (p1 of day 1 → p1c of day 2) is superseded in pins; geo and users have no ind in both days
    expect([m.tables.pins.superseded, m.tables.geo.superseded, m.tables.users.superseded]).toEqual([1, 0, 0]);
    expect(currentTableSql(curated, 'pins', m)).toMatch(/ANTI JOIN read_parquet\('[^']*_superseded\.parquet'/);
    expect(currentTableSql(curated, 'geo', m)).not.toMatch(/QUALIFY|_superseded/);
    const v = await views();
    expect(v.pins!.map((r) => [(r as { ind: number }).ind, (r as { event_id: string }).event_id])).toEqual([
      [1, 'p1c'],
      [2, 'p2b'],
      [3, 'p3'],
      [4, 'p4'],
      [5, 'p5'],
      [6, 'p6'],
      [7, 'p7'],
      [10, 'p10'],
    ]);

    // without its superseded rows, without the manifest, or with a day file the manifest does not
    // list as it is, every ind is ranked: same rows
    const sup = readFileSync(path.join(curated, 'pins', '_superseded.parquet'));
    rmSync(path.join(curated, 'pins', '_superseded.parquet'));
    expect(currentTableSql(curated, 'pins', m)).toMatch(/QUALIFY row_number/);
    expect(await views()).toEqual(v);
    writeFileSync(path.join(curated, 'pins', '_superseded.parquet'), sup);
    rmSync(path.join(curated, '_current.json'));
    expect(currentTableSql(curated, 'pins', readCurrent(curated))).toMatch(/QUALIFY row_number/);
    expect(await views()).toEqual(v);
    writeFileSync(
      path.join(curated, '_current.json'),
      JSON.stringify({ ...m, tables: { ...m.tables, pins: { ...m.tables.pins, files: [{ ...m.tables.pins.files[0]!, size: 1 }, m.tables.pins.files[1]] } } }),
    );
    expect(currentTableSql(curated, 'pins', readCurrent(curated))).toMatch(/QUALIFY row_number/);
    expect(currentTableSql(curated, 'geo', readCurrent(curated))).not.toMatch(/QUALIFY/);
    expect(await views()).toEqual(v);
  });

  test('Q1–Q8 from the lake read the published postings while they hold, else join the views: same rows as stored', async () => {
    await batch({ from: DAY1, to: DAY2 });
    const m = readCurrent(curated)!;
    expect(m.postings).toBe(6); // inds 1, 2, 3, 4, 5, 7 have a pin, a geo and a user
    expect(currentPostingsFile(curated, m)).toBe(path.join(curated, '_postings.parquet'));
    const stored = Object.fromEntries(await Promise.all(BUILTIN.historical.map(async (m) => [m.id, await store.select(m.spec)])));
    const fromLake = async () => Object.fromEntries(await Promise.all(BUILTIN.historical.map(async (m) => [m.id, (await metricFromLake(cfg, lake, m)).rows])));
    expect(await fromLake()).toEqual(stored);
    rmSync(path.join(curated, '_postings.parquet'));
    expect(currentPostingsFile(curated, m)).toBeNull();
    expect(await fromLake()).toEqual(stored);
    rmSync(path.join(curated, '_current.json'));
    expect(currentPostingsFile(curated, readCurrent(curated))).toBeNull();
    expect(await fromLake()).toEqual(stored);
  });

  test('re-running one day publishes the state again; a day alone has nothing superseded', async () => {
    await batch({ date: DAY1 });
    const one = readCurrent(curated)!;
    expect(one.tables.pins).toEqual({ files: [{ name: `dt=${DAY1}/part-0.parquet`, size: expect.any(Number) }], superseded: 0 });
    await batch({ date: DAY2 });
    expect(readCurrent(curated)!.tables.pins.superseded).toBe(1);
    // the same manifest but for the day files' sizes (their rows are in no particular order)
    const manifest = () => JSON.parse(readFileSync(path.join(curated, '_current.json'), 'utf8').replace(/"size":\d+/g, '"size":0')) as unknown;
    const before = manifest();
    await batch({ date: DAY2 });
    expect(manifest()).toEqual(before);
    expect(readCurrent(curated)!.tables.pins.superseded).toBe(1);
  });
});

describe('curated files from worker threads', () => {
  test('the built CLI writes the same curated rows on every run (one row per ind, in no particular order)', async () => {
    const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pinpipe');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));
    const files = ['pins', 'geo', 'users'].flatMap((t) => [DAY1, DAY2].map((d) => path.join(curated, t, `dt=${d}`, 'part-0.parquet')));
    const rows = () => rowsOfFiles(cfg, files);
    const run = () => {
      const r = spawnSync(process.execPath, [BIN, 'batch-run', '--from', DAY1, '--to', DAY2, '--json', '--data-dir', cfg.dataDir], {
        cwd: cfg.dataDir,
        env,
        encoding: 'utf8',
        timeout: 50_000,
      });
      expect([r.status, JSON.parse(r.stdout).failed]).toEqual([0, 0]);
    };
    run();
    const first = await rows();
    expect(first.map((f) => f.length)).toEqual([6, 3, 6, 0, 6, 1]);
    for (let i = 0; i < 2; i++) {
      run();
      expect(await rows()).toEqual(first);
    }
  }, 60_000);
});
