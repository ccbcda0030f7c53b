/**
 * Child process for the cross-process tests of the embedded store (run with `node --import tsx`).
 *   upsert <dataDir> <tag> <n>   n single-row upsert transactions into batch_r1 (category = tag)
 *   commit-crash <dataDir>       commit a transaction with the store's pragmas, SIGKILL before close
 *   crash <dataDir>              in the store's write transaction, write a lot, then SIGKILL itself
 *   replace-kill <dataDir> <n>   replace batch_r1 with n rows (postings 2); SIGKILL itself at the first turn of the
 *                                event loop that finds the store's lock held (the write under way)
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pkg from 'node-sqlite3-wasm';
import { EmbeddedStore } from '../../src/connectors/store/embedded.js';
import { OPEN_PRAGMAS } from '../../src/connectors/sqlite/file.js';
import { tryLock } from '../../src/core/lockfile.js';
import { loadConfig } from '../../src/core/config.js';
import { realtimeMetric } from '../support/metrics.js';

const [mode, dataDir, tag, n] = process.argv.slice(2);
const base = Date.parse('2026-11-27T00:00:00Z');

if (mode === 'upsert') {
  const store = new EmbeddedStore(loadConfig({ env: {}, flags: { dataDir: dataDir! } }));
  await store.connect();
  for (let i = 0; i < Number(n); i++) {
    await store.upsert(realtimeMetric('R1').batchSpec, [
      { minute: new Date(base + i * 60_000).toISOString(), category: tag!, postings: i, final: false },
      { minute: new Date(base).toISOString(), category: 'shared', postings: i, final: tag === 'a' },
    ]);
  }
  await store.close();
} else if (mode === 'crash') {
  // the store's own write path, killed in the middle of its transaction
  const store = new EmbeddedStore(loadConfig({ env: {}, flags: { dataDir: dataDir! } }));
  await store.file.run('crash', 'write', (db) => {
    db.exec('PRAGMA cache_size = 5');
    db.run('DELETE FROM batch_r1_postings_by_category');
    for (let i = 0; i < 3000; i++) {
      db.run('INSERT INTO batch_r1_postings_by_category (minute, category, postings, final) VALUES (?, ?, ?, 0)', [
        new Date(base + i * 60_000).toISOString(),
        'crash-' + 'x'.repeat(200),
        i,
      ]);
    }
    process.stdout.write(`written ${readdirSync(dataDir!).sort().join(' ')}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
} else if (mode === 'replace-kill') {
  // a long replace yields to the event loop between its slices: killed in the middle of it
  const store = new EmbeddedStore(loadConfig({ env: {}, flags: { dataDir: dataDir! } }));
  await store.connect();
  const tick = () =>
    setImmediate(() => {
      if (existsSync(path.join(dataDir!, 'store.lock'))) {
        process.stdout.write('killed in the write\n');
        process.kill(process.pid, 'SIGKILL');
      }
      tick();
    });
  tick();
  const t0 = Date.parse('2026-11-27T00:00:00Z');
  await store.replace(
    realtimeMetric('R1').batchSpec,
    Array.from({ length: Number(tag) }, (_, i) => ({ minute: new Date(t0 + i * 60_000).toISOString(), category: 'art', postings: 2, final: true })),
  );
  process.stdout.write('replaced\n', () => process.exit(0));
} else if (mode === 'commit-crash') {
  if (!tryLock(path.join(dataDir!, 'store.lock'))) throw new Error('lock busy');
  const db = new pkg.Database(path.join(dataDir!, 'store.db'));
  db.exec(OPEN_PRAGMAS);
  db.exec('BEGIN IMMEDIATE');
  db.run('UPDATE batch_r1_postings_by_category SET postings = 42');
  db.exec('COMMIT');
  process.stdout.write(`committed ${readdirSync(dataDir!).sort().join(' ')}\n`);
  process.kill(process.pid, 'SIGKILL');
}
