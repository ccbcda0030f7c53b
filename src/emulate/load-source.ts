/**
 * `pinpipe emulate --load-source mysql://...`: create the seed's tables if missing and fill them
 * with the generated data set (seed, rows), replacing what they held, in one transaction
 * (multi-row inserts). Running it twice gives the same tables.
 */
import { PinpipeError, errorMessage } from '../core/errors.js';
import { TOPICS } from '../core/records.js';
import { generatePosting } from '../connectors/source/generator.js';
import { COLUMNS, CREATE_TABLES, rowValues, TABLES } from '../connectors/source/mysql-schema.js';
import { checkMysqlUrl, describeMysqlUrl, openPool } from '../connectors/source/mysql.js';

const CHUNK = 500;

export async function loadGeneratedData(url: string, opts: { seed: number; rows: number }, onProgress?: (done: number) => void): Promise<{ rows: number }> {
  checkMysqlUrl(url, '--load-source');
  const pool = await openPool(url, 1);
  const where = describeMysqlUrl(url);
  try {
    const conn = await pool.getConnection().catch((e: unknown) => {
      throw new PinpipeError('SOURCE_UNAVAILABLE', `cannot connect to MySQL at ${where}: ${errorMessage(e)}`, { retriable: true, cause: e });
    });
    try {
      for (const ddl of CREATE_TABLES) await conn.query(ddl);
      await conn.beginTransaction();
      try {
        for (const t of Object.values(TABLES)) await conn.query(`DELETE FROM \`${t}\``);
        for (let start = 0; start < opts.rows; start += CHUNK) {
          const end = Math.min(opts.rows, start + CHUNK);
          const batch = { pin: [] as unknown[][], geo: [] as unknown[][], user: [] as unknown[][] };
          for (let i = start; i < end; i++) {
            const p = generatePosting(opts.seed, i, opts.rows);
            batch.pin.push(rowValues('pin', p.pin));
            batch.geo.push(rowValues('geo', p.geo));
            batch.user.push(rowValues('user', p.user));
          }
          for (const type of TOPICS) {
            const cols = COLUMNS[type].map((c) => `\`${c}\``).join(', ');
            await conn.query(`INSERT INTO \`${TABLES[type]}\` (${cols}) VALUES ?`, [batch[type]]);
          }
          onProgress?.(end);
        }
        await conn.commit();
      } catch (e) {
        await conn.rollback().catch(() => {});
        throw e;
      }
    } finally {
      conn.release();
    }
  } catch (e) {
    if (e instanceof PinpipeError) throw e;
    throw new PinpipeError('SOURCE_UNAVAILABLE', `loading the data set into MySQL at ${where} failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    await pool.end();
  }
  return { rows: opts.rows };
}
