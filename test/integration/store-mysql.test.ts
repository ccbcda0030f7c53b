/** The MySQL serving store beyond the shared store conformance suite, against the MariaDB of the services (TEST_MYSQL_URL). */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createConnection, type Connection } from 'mysql2/promise';
import { MysqlStore } from '../../src/connectors/store/mysql.js';
import { loadConfig } from '../../src/core/config.js';
import { realtimeMetric } from '../support/metrics.js';
import { mysqlConfig, need } from '../support/services.js';

let admin: Connection;
beforeAll(async () => {
  admin = await createConnection(need('TEST_MYSQL_URL'));
});
afterAll(async () => {
  await admin?.end();
});
const cfgFor = (url: string) => loadConfig({ env: {}, flags: { 'store.mysql.url': url, 'store.mysql.poolSize': 3 } });

test('mysql store: schema as designed, checked with an independent connection', async () => {
  const m = await mysqlConfig();
  const { db } = m;
  const store = new MysqlStore(m.cfg);
  try {
    await store.connect();
    await store.upsert(realtimeMetric('R1').batchSpec, [
      { minute: '2026-11-27T10:00:00.123Z', category: 'Art', postings: 3, final: true },
      { minute: '2026-11-27T10:00:00.123Z', category: 'art', postings: 4, final: false },
    ]);
    const name = new URL(db.url).pathname.slice(1);
    const [cols] = await admin.query(
      'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t, IS_NULLABLE AS n, COLUMN_KEY AS k, COLLATION_NAME AS coll FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [name, 'batch_r1_postings_by_category'],
    );
    expect(cols).toEqual([
      { c: 'minute', t: 'datetime(3)', n: 'NO', k: 'PRI', coll: null },
      { c: 'category', t: 'varchar(191)', n: 'NO', k: 'PRI', coll: 'utf8mb4_bin' },
      { c: 'postings', t: 'bigint(20)', n: 'YES', k: '', coll: null },
      { c: 'final', t: 'tinyint(1)', n: 'YES', k: '', coll: null },
    ]);
    // UTC wall-clock time stored, keys case-sensitive
    const [rows] = await admin.query(
      `SELECT DATE_FORMAT(minute, '%Y-%m-%d %H:%i:%s.%f') AS m, category, postings, final FROM \`${name}\`.batch_r1_postings_by_category ORDER BY category`,
    );
    expect(rows).toEqual([
      { m: '2026-11-27 10:00:00.123000', category: 'Art', postings: 3, final: 1 },
      { m: '2026-11-27 10:00:00.123000', category: 'art', postings: 4, final: 0 },
    ]);
  } finally {
    await store.close();
    await db.drop();
  }
});

test('mysql store: a bad password or unreachable server is STORE_UNAVAILABLE without the password', async () => {
  const u = new URL(need('TEST_MYSQL_URL'));
  u.password = 'wrong-s3cret-pw';
  const bad = new MysqlStore(cfgFor(u.toString()));
  const e1 = await bad.connect().then(
    () => null,
    (e: unknown) => e,
  );
  await bad.close();
  expect(e1).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  expect((e1 as Error).message).not.toContain('wrong-s3cret-pw');
  expect((e1 as Error).message).toContain(`${u.hostname}:${u.port}`);
  const down = new MysqlStore(cfgFor('mysql://pinpipe:top-s3cret@127.0.0.1:1/pinpipe'));
  const e2 = await down.connect().then(
    () => null,
    (e: unknown) => e,
  );
  await down.close();
  expect(e2).toMatchObject({ code: 'STORE_UNAVAILABLE', retriable: true });
  expect((e2 as Error).message).not.toContain('top-s3cret');
});
