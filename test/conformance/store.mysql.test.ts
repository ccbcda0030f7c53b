import { MysqlStore } from '../../src/connectors/store/mysql.js';
import { mysqlConfig } from '../support/services.js';
import { storeConformance } from './store.conformance.js';

storeConformance('mysql', async () => {
  const m = await mysqlConfig();
  return { store: new MysqlStore(m.cfg), reopen: () => new MysqlStore(m.cfg), cleanup: m.drop };
});
