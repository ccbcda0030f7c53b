/**
 * `pinpipe batch-run` and `pinpipe query` as a user runs them (the built CLI in a child process,
 * staging in worker threads) over the hand-made raw zone of test/fixtures/batch-lake.ts.
 * Needs `npx tsc -p tsconfig.json` first (npm test builds).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { BUILTIN, HISTORICAL_IDS, historical, realtimeMetric } from '../support/metrics.js';
import { DAY1, DAY2, writeFixtureLake } from '../fixtures/batch-lake.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pinpipe');
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_')));

let cfg: Config;

function pinpipe(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args, '--data-dir', cfg.dataDir], { cwd: cfg.dataDir, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

const Q1 = [
  { country: 'Chile', category: 'diy', category_count: 1 },
  { country: 'Chile', category: 'travel', category_count: 1 },
  { country: 'Peru', category: 'travel', category_count: 2 },
];

beforeAll(() => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-batchcli-')) } });
  writeFixtureLake(path.join(cfg.dataDir, 'lake'));
});

afterAll(() => rmSync(cfg.dataDir, { recursive: true, force: true }));

describe('pinpipe batch-run and query (CLI)', () => {
  test('usage errors exit 2 and name the flag', async () => {
    const bad = await pinpipe('batch-run', '--date', '2026-02-30');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--date must be a calendar day YYYY-MM-DD, got "2026-02-30"');
    const backwards = await pinpipe('batch-run', '--from', DAY2, '--to', DAY1);
    expect(backwards.code).toBe(2);
    expect(backwards.err).toContain(`--from ${DAY2} is after --to ${DAY1}`);
  });

  test('a backfill with --json prints the summary; the store holds the results', async () => {
    const r = await pinpipe('batch-run', '--from', DAY1, '--to', DAY2, '--json');
    expect([r.code, r.err.includes('"level":"error"')]).toEqual([0, false]);
    const s = JSON.parse(r.out);
    expect(s).toMatchObject({ raw_records: 32, curated_rows: 22, dead: 2, failed: 0, seconds: expect.any(Number) });
    expect(s.days.map((d: { day: string; status: string }) => [d.day, d.status])).toEqual([[DAY1, 'done'], [DAY2, 'done']]);
    expect(Object.keys(s.historical)).toEqual(HISTORICAL_IDS);
    const store = new EmbeddedStore(cfg);
    try {
      expect(await store.select(historical('Q1').spec)).toEqual(Q1);
      expect(await store.select(realtimeMetric('R2').batchSpec)).toEqual([
        { minute: `${DAY1}T10:00:00.000Z`, country: 'Chile', postings: 3, final: true },
        { minute: `${DAY1}T10:00:00.000Z`, country: 'Peru', postings: 1, final: true },
        { minute: `${DAY1}T10:01:00.000Z`, country: 'Chile', postings: 1, final: true },
        { minute: `${DAY2}T00:00:00.000Z`, country: 'Peru', postings: 1, final: true },
      ]);
    } finally {
      await store.close();
    }
    const again = await pinpipe('batch-run');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^nothing to do/);
  });

  test('query: JSON when not a terminal, --csv, --limit, --metric, --store', async () => {
    const j = await pinpipe('query', 'SELECT ind, category, tag_list FROM pins WHERE ind <= 2 ORDER BY ind');
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toEqual([
      { ind: 1, category: 'travel', tag_list: ['red', 'blue', 'green'] },
      { ind: 2, category: 'diy', tag_list: ['red', 'blue', 'green'] },
    ]);
    const c = await pinpipe('query', '--csv', '--limit', '2', 'SELECT ind, user_name FROM users ORDER BY ind');
    expect(c.out).toBe('ind,user_name\n1,Ann Lee\n2,Bob Ray\n');
    const m = await pinpipe('query', '--metric', 'q1');
    expect(JSON.parse(m.out)).toEqual(Q1);
    const lake = await pinpipe('query', '--metric', 'Q1', '--source', 'lake', '--json');
    expect(JSON.parse(lake.out)).toEqual(Q1);
    const r4 = await pinpipe('query', '--metric', 'R4', '--source', 'lake', '--csv');
    expect(r4.out).toBe(`minute,distinct_posters,final\n${DAY1}T10:00:00.000Z,4,true\n${DAY1}T10:01:00.000Z,2,true\n${DAY2}T00:00:00.000Z,1,true\n`);
    const st = await pinpipe('query', '--store', 'SELECT day, status, raw_records FROM batch_runs ORDER BY day');
    expect(JSON.parse(st.out)).toEqual([{ day: DAY1, status: 'done', raw_records: 26 }, { day: DAY2, status: 'done', raw_records: 6 }]);
  });

  test('query --metric R2 prints the stored view of the stream (the realtime store)', async () => {
    const rt = new EmbeddedRealtime(cfg);
    await rt.connect(BUILTIN.realtime);
    await rt.commit('g', { offsets: {}, watermark: 0, counters: {} }, [
      { metric: 'R2', minute: `${DAY1}T10:00:00.000Z`, key: 'Chile', values: { postings: 3 }, final: true },
      { metric: 'R2', minute: `${DAY1}T10:01:00.000Z`, key: '', values: { postings: 1 }, final: false },
      { metric: 'R5', minute: `${DAY1}T10:00:00.000Z`, key: '', values: { images: 2, videos: 1, stories: 1, mean_follower_count: 500725 }, final: true },
    ]);
    await rt.close();
    const r2 = await pinpipe('query', '--metric', 'R2');
    expect(JSON.parse(r2.out)).toEqual([
      { minute: `${DAY1}T10:00:00.000Z`, country: 'Chile', postings: 3, final: true },
      { minute: `${DAY1}T10:01:00.000Z`, country: null, postings: 1, final: false }, // stored as '' (a null key): shown as null, as in Q1
    ]);
    const r5 = await pinpipe('query', '--metric', 'R5', '--csv');
    expect(r5.out).toBe(`minute,images,videos,stories,mean_follower_count,final\n${DAY1}T10:00:00.000Z,2,1,1,500725,true\n`);
  });

  test('query refuses anything but one read-only statement (exit 1, QUERY_INVALID)', async () => {
    for (const sql of ['INSERT INTO pins SELECT * FROM pins', "COPY pins TO 'x.csv'", "ATTACH 'x.db'", 'SELECT 1; SELECT 2']) {
      const r = await pinpipe('query', sql);
      expect([r.code, r.out]).toEqual([1, '']);
      expect(r.err).toMatch(/^pinpipe: QUERY_INVALID: .*only one read-only statement is allowed/);
    }
    const unknown = await pinpipe('query', '--metric', 'R9');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('pinpipe: USAGE: unknown metric "R9": defined are Q1, Q2, Q3a, Q3b, Q4, Q5, Q6, Q7, Q8, R1, R2, R3, R4, R5');
  });

  test('a failing day exits 1 and the ledger says failed', async () => {
    writeFileSync(path.join(cfg.dataDir, 'lake', 'raw', 'geo', `dt=${DAY2}`, 'hr=09', 'geo+0+0000000009.ndjson.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    const r = await pinpipe('batch-run', '--date', DAY2, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ failed: 1, days: [{ day: DAY2, status: 'failed', message: expect.any(String) }] });
    const st = await pinpipe('query', '--store', `SELECT status FROM batch_runs WHERE day = '${DAY2}'`);
    expect(JSON.parse(st.out)).toEqual([{ status: 'failed' }]);
    const q = await pinpipe('query', '--metric', 'Q1');
    expect(JSON.parse(q.out)).toEqual(Q1); // previous results untouched
  });
});
