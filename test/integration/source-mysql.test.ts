/**
 * The seed's MySQL tables as a source, against real MariaDB (TEST_MYSQL_URL): --load-source fills
 * them with the generated data set (idempotently), MysqlSource reads the same postings back, and
 * the emulator posts them through the real API into the log.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { MysqlSource } from '../../src/connectors/source/mysql.js';
import { loadGeneratedData } from '../../src/emulate/load-source.js';
import { generatePosting } from '../../src/connectors/source/generator.js';
import { Emulator, rowForStep } from '../../src/emulate/runner.js';
import { startApi } from '../unit/api-harness.js';
import { need, privateDatabase, type PrivateDatabase } from '../support/services.js';

let private_: PrivateDatabase;
let db: string;
let url: string;
let admin: mysql.Connection;

beforeAll(async () => {
  private_ = await privateDatabase('pinpipe_src');
  ({ name: db, url } = private_);
  admin = await mysql.createConnection({ uri: need('TEST_MYSQL_URL'), dateStrings: true });
});
afterAll(async () => {
  await admin.end();
  await private_.drop();
});

const countRows = async () => {
  const out: number[] = [];
  for (const t of ['pinterest_data', 'geolocation_data', 'user_data']) {
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``);
    out.push(Number(rows[0]!.n));
  }
  return out;
};

test('a missing table is a clear SOURCE_UNAVAILABLE; a bad URL is a usage error; no password in messages', async () => {
  const s = new MysqlSource(url);
  await expect(s.connect()).rejects.toMatchObject({
    code: 'SOURCE_UNAVAILABLE',
    message: expect.stringMatching(/tables .* are missing \(load them with pinpipe emulate --load-source <url>\)/),
  });
  await s.connect().catch((e: Error) => expect(e.message).not.toContain(':pinpipe@'));
  expect(() => new MysqlSource('postgres://x/y')).toThrow(/--source must be a mysql:\/\/user:password@host:port\/database URL/);
});

test('--load-source creates the tables and loads the data set; loading again replaces it', async () => {
  await loadGeneratedData(url, { seed: 5, rows: 300 });
  expect(await countRows()).toEqual([300, 300, 300]);
  // the seed's column types, checked with an independent query
  const [cols] = await admin.query<mysql.RowDataPacket[]>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, DATA_TYPE AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME IN ('index', 'timestamp', 'latitude', 'date_joined') ORDER BY t, c`,
    [db],
  );
  expect(cols.map((r) => `${r.t}.${r.c}:${r.d}`)).toEqual([
    'geolocation_data.latitude:double',
    'geolocation_data.timestamp:datetime',
    'pinterest_data.index:int',
    'user_data.date_joined:datetime',
  ]);
  const [row] = await admin.query<mysql.RowDataPacket[]>(`SELECT * FROM \`${db}\`.geolocation_data WHERE ind = 17`);
  expect(row[0]!.timestamp).toBe(generatePosting(5, 17, 300).geo.timestamp);
  await loadGeneratedData(url, { seed: 5, rows: 300 });
  expect(await countRows()).toEqual([300, 300, 300]);
  await loadGeneratedData(url, { seed: 6, rows: 120 });
  expect(await countRows()).toEqual([120, 120, 120]);
  const [pin] = await admin.query<mysql.RowDataPacket[]>(`SELECT unique_id FROM \`${db}\`.pinterest_data WHERE \`index\` = 3`);
  expect(pin[0]!.unique_id).toBe(generatePosting(6, 3, 120).pin.unique_id);
});

test('MysqlSource reads back exactly the generated postings (DATETIME as "YYYY-MM-DD HH:MM:SS")', async () => {
  await loadGeneratedData(url, { seed: 9, rows: 200 });
  const s = new MysqlSource(url);
  await s.connect();
  try {
    expect(await s.size()).toBe(200);
    for (let i = 0; i < 200; i++) expect(await s.row(i)).toEqual(generatePosting(9, i, 200));
    await expect(s.row(200)).rejects.toThrow(RangeError);
  } finally {
    await s.close();
  }
});

test('emulate --source: postings from MySQL through the real API into the log (3N records)', async () => {
  await loadGeneratedData(url, { seed: 9, rows: 200 });
  const h = await startApi();
  const source = new MysqlSource(url);
  await source.connect();
  try {
    const s = await new Emulator({
      api: h.url,
      source,
      count: 20,
      rate: 0,
      seed: 4,
      runId: 'my',
      concurrency: 4,
      bulk: 0,
      signal: new AbortController().signal,
    }).run();
    expect(s).toMatchObject({ postings: 20, accepted: 60, rejected: 0, failed: 0 });
    expect([await h.count('pin'), await h.count('geo'), await h.count('user')]).toEqual([20, 20, 20]);
    const users = await h.read('user', 20);
    const u0 = users.find((u) => u.event_id === 'emu-4-my-0-user')!;
    expect(u0).toMatchObject(generatePosting(9, rowForStep(4, 0, 200), 200).user as unknown as Record<string, unknown>);
  } finally {
    await source.close();
    await h.close();
  }
});

test('pinpipe emulate --load-source (CLI) loads and exits 0', async () => {
  const child = spawn(process.execPath, [path.resolve('bin/pinpipe'), 'emulate', '--load-source', url, '--rows', '50', '--seed', '2', '--json'], {
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PINPIPE_'))),
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(JSON.parse(out)).toMatchObject({ loaded: 50, seed: 2 });
  expect(await countRows()).toEqual([50, 50, 50]);
});
