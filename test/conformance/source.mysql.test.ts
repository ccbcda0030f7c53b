import { MysqlSource } from '../../src/connectors/source/mysql.js';
import { loadGeneratedData } from '../../src/emulate/load-source.js';
import { privateDatabase } from '../support/services.js';
import { sourceConformance } from './source.conformance.js';

sourceConformance('mysql', async () => {
  const db = await privateDatabase('pinpipe_src');
  await loadGeneratedData(db.url, { seed: 7, rows: 120 });
  return { source: new MysqlSource(db.url), seed: 7, rows: 120, cleanup: db.drop };
});
