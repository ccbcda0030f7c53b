/**
 * `pinpipe query` and `pinpipe batch-run` as a DuckDB or psql user expects them (issue 11, items 3,
 * 6, 12 and 13), the built CLI over a hand-made raw zone: raw lines the engine cannot read are
 * reported, never dropped in silence (and batch-run counts them); SQL from -f FILE or standard
 * input; SHOW TABLES and --list; --limit says when rows were cut; CSV with \n line ends; booleans
 * the same with --store and --metric; the store's read-only check holds against a backslash;
 * batch-run over an empty or mistyped data dir says where it found no raw data.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRealtime } from '../../src/connectors/realtime/embedded.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { nonEmptyLines, referencedRawTopics, unreadableWarning } from '../../src/engine/unreadable.js';
import { gzipSync } from 'node:zlib';
import { DAY1, DAY2, markDay, pin, writeChunk, writeFixtureLake } from '../fixtures/batch-lake.js';
import { BIN, CWD, childEnv } from '../faults/lib/proc.js';
import { BUILTIN } from '../support/metrics.js';

const DAY3 = '2026-11-22';
let cfg: Config;
let odd: string;

function pinpipe(args: string[], opts: { stdin?: string; dataDir?: string } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args, '--data-dir', opts.dataDir ?? cfg.dataDir], { cwd: CWD, env: childEnv(), stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
    if (opts.stdin !== undefined) p.stdin!.end(opts.stdin);
  });
}

beforeAll(async () => {
  cfg = loadConfig({ env: {}, flags: { dataDir: mkdtempSync(path.join(os.tmpdir(), 'pinpipe-querycli-')) } });
  const lake = path.join(cfg.dataDir, 'lake');
  writeFixtureLake(lake);
  // day 3: a valid pin whose title is an unpaired surrogate (JSON.parse takes it, DuckDB cannot read
  // the line), a line that is not JSON, and a plain valid pin
  const surrogate = JSON.stringify({ ...pin('s1', `${DAY3}T10:00:00.000Z`, 301, 'art', '10', 'Sue', 'image'), _partition: 2, _offset: 1 }).replace('"title":"Pin 301"', '"title":"\\ud800"');
  writeChunk(lake, 'pin', DAY3, '10', 2, 0, [pin('s3', `${DAY3}T10:00:02.000Z`, 303, 'art', '10', 'Sam', 'image'), surrogate, '{"index": 302, "title": ']);
  odd = path.join(lake, 'raw', 'pin', `dt=${DAY3}`, 'hr=10', 'pin+2+0000000000.ndjson.gz');
  markDay(lake, 'pin', DAY3);
  const r = await pinpipe(['batch-run', '--from', DAY1, '--to', DAY2]);
  expect(r.code).toBe(0);
  const rt = new EmbeddedRealtime(cfg);
  await rt.connect(BUILTIN.realtime);
  await rt.commit('g', { offsets: {}, watermark: 0, counters: {} }, [
    { metric: 'R2', minute: `${DAY1}T10:00:00.000Z`, key: 'Chile', values: { postings: 3 }, final: true },
    { metric: 'R2', minute: `${DAY1}T10:01:00.000Z`, key: 'Peru', values: { postings: 1 }, final: false },
  ]);
  await rt.close();
}, 120_000);

afterAll(() => rmSync(cfg.dataDir, { recursive: true, force: true }));

describe('raw lines the engine cannot read (item 3)', () => {
  test('pure: the raw views a statement reads, and the warning', () => {
    expect(referencedRawTopics('SELECT * FROM RAW_PIN JOIN "raw_geo" USING (ind)')).toEqual(['pin', 'geo']);
    expect(referencedRawTopics('SELECT * FROM pins')).toEqual([]);
    expect(unreadableWarning([])).toBeNull();
    expect(unreadableWarning([{ file: '/a', topic: 'pin', lines: 2 }, { file: '/b', topic: 'geo', lines: 3 }, { file: '/c', topic: 'geo', lines: 0 }], 1)).toBe(
      '5 line(s) of 2 raw file(s) could not be read (not JSON the engine accepts, e.g. an unpaired surrogate) and are not in raw_geo, raw_pin: /b (3) and 1 more file(s)',
    );
  });

  test('pure: non-empty lines of a gzipped file, across chunk boundaries', async () => {
    const file = path.join(cfg.dataDir, 'lines.gz');
    for (const [text, n] of [['a\nb\n', 2], ['a\n\nb', 2], ['\n\n', 0], ['', 0], [`${'x'.repeat(100_000)}\n\n${'y'.repeat(70_000)}\nz`, 3]] as const) {
      writeFileSync(file, gzipSync(text));
      expect({ text: text.slice(0, 10), n: await nonEmptyLines(file) }).toEqual({ text: text.slice(0, 10), n });
    }
  });

  test('query over raw_pin warns on stderr, naming the file and how many lines (again from the cache); a query without raw views does not', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await pinpipe(['query', `SELECT index FROM raw_pin WHERE ingested_at >= '${DAY3}' ORDER BY index`]);
      expect({ code: r.code, rows: JSON.parse(r.out) }).toEqual({ code: 0, rows: [{ index: 303 }] });
      expect(r.err).toBe(`pinpipe: warning: 2 line(s) of 1 raw file(s) could not be read (not JSON the engine accepts, e.g. an unpaired surrogate) and are not in raw_pin: ${odd} (2)\n`);
    }
    expect(existsSync(path.join(cfg.dataDir, 'cache', 'raw-unreadable.json'))).toBe(true);
    const curated = await pinpipe(['query', 'SELECT count(*) AS n FROM pins']);
    expect(curated.err).toBe('');
  });

  test('batch-run counts both lines: the record with the surrogate is curated (U+FFFD), the broken line is dead', async () => {
    const r = await pinpipe(['batch-run', '--date', DAY3, '--json']);
    expect(r.code).toBe(0);
    const day = JSON.parse(r.out).days[0];
    expect(day).toMatchObject({ day: DAY3, status: 'done', raw_records: 3, dead: 1, dead_reasons: { 'line is not valid JSON': 1 } });
    const pins = await pinpipe(['query', 'SELECT ind, title FROM pins WHERE ind > 300 ORDER BY ind']);
    expect(JSON.parse(pins.out)).toEqual([{ ind: 301, title: '\ufffd' }, { ind: 303, title: 'Pin 303' }]);
  }, 60_000);
});

describe('the store read-only check (item 6)', () => {
  test("SELECT '\\'; DELETE FROM batch_runs; --' is refused and deletes nothing", async () => {
    const before = await pinpipe(['query', '--store', 'SELECT count(*) AS n FROM batch_runs']);
    const n = JSON.parse(before.out)[0].n;
    expect(n).toBeGreaterThan(0);
    const r = await pinpipe(['query', '--store', "SELECT '\\'; DELETE FROM batch_runs; --'"]);
    expect({ code: r.code, out: r.out }).toEqual({ code: 1, out: '' });
    expect(r.err).toMatch(/^pinpipe: QUERY_INVALID: only one read-only query is allowed.*syntax error/);
    expect(JSON.parse((await pinpipe(['query', '--store', 'SELECT count(*) AS n FROM batch_runs'])).out)[0].n).toBe(n);
  });
});

describe('query as a DuckDB or psql user expects (item 13)', () => {
  const SQL = 'SELECT ind, user_name FROM users ORDER BY ind LIMIT 2';
  const ROWS = [{ ind: 1, user_name: 'Ann Lee' }, { ind: 2, user_name: 'Bob Ray' }];

  test('SQL from -f FILE, -f -, "-" and piped standard input', async () => {
    const file = path.join(cfg.dataDir, 'q.sql');
    writeFileSync(file, `-- a report\n${SQL};\n`);
    expect(JSON.parse((await pinpipe(['query', '-f', file])).out)).toEqual(ROWS);
    expect(JSON.parse((await pinpipe(['query', '-f', '-'], { stdin: SQL })).out)).toEqual(ROWS);
    expect(JSON.parse((await pinpipe(['query', '-'], { stdin: SQL })).out)).toEqual(ROWS);
    expect(JSON.parse((await pinpipe(['query', '--store'], { stdin: `SELECT count(*) AS n FROM batch_runs WHERE day <= '${DAY2}'` })).out)).toEqual([{ n: 2 }]);
    const missing = await pinpipe(['query', '-f', path.join(cfg.dataDir, 'nope.sql')]);
    expect({ code: missing.code, err: missing.err }).toEqual({ code: 2, err: `pinpipe: USAGE: -f ${path.join(cfg.dataDir, 'nope.sql')}: cannot read the file (ENOENT)\n` });
    const both = await pinpipe(['query', '-f', file, 'SELECT 1']);
    expect(both.code).toBe(2);
  });

  test('--store "SHOW TABLES", and --list: the lake views and the store tables with their columns', async () => {
    const tables = JSON.parse((await pinpipe(['query', '--store', 'SHOW TABLES'])).out).map((r: { table_name: string }) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining(['batch_runs', 'q1_category_by_country', 'rt_r2_postings_by_country']));
    const list = await pinpipe(['query', '--list', '--json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.out) as { source: string; name: string; columns: string }[];
    expect(rows.filter((r) => r.source === 'lake').map((r) => r.name)).toEqual(['raw_pin', 'raw_geo', 'raw_user', 'pins', 'geo', 'users', 'postings']);
    expect(rows.find((r) => r.name === 'users')!.columns).toBe('ind BIGINT, user_name VARCHAR, age INTEGER, age_group VARCHAR, date_joined TIMESTAMP, event_id VARCHAR, ingested_at TIMESTAMP');
    expect(rows.find((r) => r.name === 'batch_runs')).toEqual({ source: 'store', name: 'batch_runs', columns: 'day TEXT, status TEXT, started_at TEXT, finished_at TEXT, raw_records INTEGER, curated_rows INTEGER, message TEXT, reason TEXT, complete INTEGER, raw_objects INTEGER, raw_fingerprint TEXT' });
    expect(list.err).toContain('pinpipe metrics list, then pinpipe query --metric ID');
  });

  test('--limit says on stderr when rows were cut (lake: without reading them all; store and metrics: of how many)', async () => {
    const lake = await pinpipe(['query', '--limit', '1', 'SELECT ind FROM users ORDER BY ind']);
    expect({ rows: JSON.parse(lake.out), err: lake.err }).toEqual({ rows: [{ ind: 1 }], err: 'pinpipe: showing the first 1 rows; there are more (--limit 1)\n' });
    const exact = await pinpipe(['query', '--limit', '2', SQL]);
    expect(exact.err).toBe('');
    const store = await pinpipe(['query', '--store', '--limit', '1', `SELECT day FROM batch_runs WHERE day <= '${DAY2}' ORDER BY day`]);
    expect({ rows: JSON.parse(store.out), err: store.err }).toEqual({ rows: [{ day: DAY1 }], err: 'pinpipe: showing 1 of 2 rows (--limit 1)\n' });
    const metric = await pinpipe(['query', '--metric', 'R2', '--limit', '1']);
    expect(metric.err).toBe('pinpipe: showing 1 of 2 rows (--limit 1)\n');
  });

  test('CSV has \\n line ends, as the DuckDB CLI writes it', async () => {
    expect((await pinpipe(['query', '--csv', SQL])).out).toBe('ind,user_name\n1,Ann Lee\n2,Bob Ray\n');
  });

  test('booleans render the same with --store and --metric', async () => {
    const metric = await pinpipe(['query', '--metric', 'R2', '--csv']);
    const store = await pinpipe(['query', '--store', '--csv', 'SELECT minute, country, postings, final FROM rt_r2_postings_by_country ORDER BY minute']);
    expect(store.out).toBe(metric.out);
    expect(store.out).toBe(`minute,country,postings,final\n${DAY1}T10:00:00.000Z,Chile,3,true\n${DAY1}T10:01:00.000Z,Peru,1,false\n`);
  });
});

describe('batch-run over an empty or mistyped data dir (item 12)', () => {
  test('says where no raw data was found, exits 0 and creates nothing', async () => {
    const missing = path.join(cfg.dataDir, 'typo', '.pinpipe');
    const r = await pinpipe(['batch-run'], { dataDir: missing });
    expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: `no raw data found at ${path.join(missing, 'lake', 'raw')}: nothing to do (is the data dir right? it is ${missing}: --data-dir, PINPIPE_DATA_DIR)\n` });
    expect(existsSync(path.join(cfg.dataDir, 'typo'))).toBe(false);
    const json = await pinpipe(['batch-run', '--json'], { dataDir: missing });
    expect(JSON.parse(json.out)).toMatchObject({ days: [], failed: 0, message: expect.stringMatching(/^no raw data found at /) });
    const empty = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-empty-'));
    const e = await pinpipe(['batch-run', '--from', DAY1, '--to', DAY2], { dataDir: empty });
    expect(e.out).toMatch(/^no raw data found at /);
    rmSync(empty, { recursive: true, force: true });
  });
});
