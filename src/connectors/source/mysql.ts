/**
 * The seed's MySQL tables as a source: pinterest_data, geolocation_data and user_data, read one
 * row at a time by position like the seed's emulator (`SELECT * FROM pinterest_data LIMIT ?, 1`,
 * parameterized, ordered by the row key so that the three tables line up).
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { PinpipeError, errorMessage } from '../../core/errors.js';
import { SharedAttempt } from '../../core/serial.js';
import type { Posting, Source } from './types.js';
import { geoFromRow, KEY_COLUMN, pinFromRow, TABLES, userFromRow } from './mysql-schema.js';

/** host:port/database of a mysql:// URL, never its credentials (for messages). */
export function describeMysqlUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 3306}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

export function checkMysqlUrl(url: string, flag: string): void {
  let ok: boolean;
  try {
    const u = new URL(url);
    ok = u.protocol === 'mysql:' && u.hostname !== '' && u.pathname.length > 1;
  } catch {
    ok = false;
  }
  if (!ok) throw new PinpipeError('USAGE', `${flag} must be a mysql://user:password@host:port/database URL`);
}

export async function openPool(url: string, size = 4): Promise<Pool> {
  const mysql = await import('mysql2/promise');
  return mysql.createPool({ uri: url, dateStrings: true, connectionLimit: size, supportBigNumbers: true, charset: 'utf8mb4' });
}

export class MysqlSource implements Source {
  readonly kind = 'mysql' as const;
  private pool: Pool | null = null;
  private rows = -1;
  private readonly connecting = new SharedAttempt();

  constructor(private readonly url: string) {
    checkMysqlUrl(url, '--source');
  }

  private fail(what: string, e: unknown): PinpipeError {
    return new PinpipeError('SOURCE_UNAVAILABLE', `MySQL source ${describeMysqlUrl(this.url)}: ${what}: ${errorMessage(e)}`, { retriable: true, cause: e });
  }

  /** count the rows on a pool (health()'s, if it made one); again once connected: nothing more (no second pool) */
  connect(): Promise<void> {
    return this.connecting.run(() => this.open());
  }

  private async open(): Promise<void> {
    this.pool ??= await openPool(this.url);
    try {
      const counts = await Promise.all(
        Object.values(TABLES).map(async (t) => {
          const [rows] = await this.pool!.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${t}\``);
          return Number(rows[0]!.n);
        }),
      );
      this.rows = Math.min(...counts);
    } catch (e) {
      await this.close().catch(() => undefined); // ending a pool that never connected rejects with the same error
      const missing = (e as { code?: string }).code === 'ER_NO_SUCH_TABLE';
      throw this.fail(
        missing ? 'the tables pinterest_data, geolocation_data and user_data are missing (load them with pinpipe emulate --load-source <url>)' : 'cannot read',
        e,
      );
    }
    if (this.rows === 0) {
      await this.close();
      throw new PinpipeError(
        'SOURCE_UNAVAILABLE',
        `MySQL source ${describeMysqlUrl(this.url)}: the tables are empty (load them with pinpipe emulate --load-source <url>)`,
      );
    }
  }

  /** the database answers SELECT 1 (on a pool of its own before connect()) */
  async health(): Promise<void> {
    this.pool ??= await openPool(this.url);
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw this.fail('health check', e);
    }
  }

  async size(): Promise<number> {
    if (this.rows < 0) throw new PinpipeError('INTERNAL', 'MysqlSource.size() before connect()');
    return this.rows;
  }

  async row(i: number): Promise<Posting> {
    if (!this.pool) throw new PinpipeError('INTERNAL', 'MysqlSource.row() before connect()');
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.rows) throw new RangeError(`row must be in [0, ${this.rows}), got ${i}`);
    const one = async (type: keyof typeof TABLES) => {
      const [rows] = await this.pool!.query<RowDataPacket[]>(`SELECT * FROM \`${TABLES[type]}\` ORDER BY \`${KEY_COLUMN[type]}\` LIMIT ?, 1`, [i]);
      if (!rows[0]) throw new PinpipeError('SOURCE_UNAVAILABLE', `MySQL source ${describeMysqlUrl(this.url)}: ${TABLES[type]} has no row at position ${i}`);
      return rows[0] as Record<string, unknown>;
    };
    try {
      const [pin, geo, user] = await Promise.all([one('pin'), one('geo'), one('user')]);
      return { pin: pinFromRow(pin), geo: geoFromRow(geo), user: userFromRow(user) };
    } catch (e) {
      throw e instanceof PinpipeError ? e : this.fail(`cannot read row ${i}`, e);
    }
  }

  async close(): Promise<void> {
    this.connecting.reset();
    const p = this.pool;
    this.pool = null;
    await p?.end();
  }
}
