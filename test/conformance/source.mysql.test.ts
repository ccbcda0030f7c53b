import { expect, test } from '@jest/globals';
import { MysqlSource, openPool } from '../../src/connectors/source/mysql.js';
import { loadGeneratedData } from '../../src/emulate/load-source.js';
import { privateDatabase } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { sourceConformance } from './source.conformance.js';

sourceConformance('mysql', async () => {
  const db = await privateDatabase('pinpipe_src');
  await loadGeneratedData(db.url, { seed: 7, rows: 120 });
  return { source: new MysqlSource(db.url), seed: 7, rows: 120, cleanup: db.drop };
});

test('connect() again keeps its one pool: after close() no connection of the source is left on the server', async () => {
  const db = await privateDatabase('pinpipe_src');
  await loadGeneratedData(db.url, { seed: 7, rows: 10 });
  const source = new MysqlSource(db.url);
  const probe = await openPool(db.url, 1);
  try {
    await source.connect();
    await source.row(0);
    await source.connect();
    await source.row(1);
    await source.close();
    // the probe's own connection is the only one left on the database
    const connections = async () =>
      Number(((await probe.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [db.name]))[0] as { n: number }[])[0]!.n);
    await waitFor(async () => (await connections()) === 1, 'the source’s connections closed', 5_000, 50);
    expect(await connections()).toBe(1);
  } finally {
    await probe.end();
    await db.drop();
  }
});
