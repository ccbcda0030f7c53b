/**
 * One SQLite file shared by several processes. Every operation takes the cross-process lock
 * `<dataDir>/store.lock`, opens the database, runs (in one transaction when it writes), and closes
 * it, so no stale page cache survives between processes.
 *
 * Crash safety: node-sqlite3-wasm's VFS "locks" by creating a directory `<db>.lock` for any lock
 * level and reports a RESERVED lock whenever that directory exists, including its own. SQLite
 * therefore never sees a rollback journal as hot, so journal_mode DELETE/TRUNCATE would NOT roll
 * back a transaction cut by SIGKILL. We use WAL with locking_mode EXCLUSIVE instead (no shared
 * memory needed; one connection at a time is what our lock gives anyway): uncommitted frames in
 * the WAL are discarded by SQLite's recovery on the next open, committed ones are kept, and the
 * WAL is checkpointed and removed on close. synchronous FULL: a commit is durable when it returns.
 * A killed process also leaves `<db>.lock` behind; seen while we hold our lock (which detects dead
 * holders), it is stale and removed before opening.
 */
export const OPEN_PRAGMAS = 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;';
import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pkg from 'node-sqlite3-wasm';
import { PinpipeError, isPinpipeError, type ErrorCode } from '../../core/errors.js';
import { withLock } from '../../core/lockfile.js';

const { Database } = pkg;
export type SqliteDb = InstanceType<typeof Database>;

/** read: no transaction; write: one IMMEDIATE transaction (read-only SQL runs on a snapshot) */
export type Mode = 'read' | 'write';

export class SqliteFile {
  readonly dbPath: string;
  readonly lockPath: string;

  constructor(
    dataDir: string,
    private readonly errorCode: ErrorCode = 'STORE_UNAVAILABLE',
  ) {
    this.dbPath = path.join(dataDir, 'store.db');
    this.lockPath = path.join(dataDir, 'store.lock');
  }

  /** `fn` may be async (e.g. a long write that yields to the event loop); the lock and the transaction are held until it settles */
  async run<T>(what: string, mode: Mode, fn: (db: SqliteDb) => T | Promise<T>): Promise<T> {
    try {
      mkdirSync(path.dirname(this.dbPath), { recursive: true });
    } catch (e) {
      throw this.fail(what, e);
    }
    return withLock(this.lockPath, async () => this.runLocked(what, mode, fn), 60_000);
  }

  /** the database file opens and answers a statement (a file not created yet is healthy: nothing is created here) */
  async health(): Promise<void> {
    if (existsSync(this.dbPath)) await this.run('health check', 'read', (db) => db.all('SELECT 1'));
  }

  /**
   * Run a read-only statement on a private copy of the database, taken under the lock: the lock
   * is held only for the copy (about 1 ms per MB of a cached file), never while the statement
   * runs, so a long query does not hold writers up. The copy is removed afterwards (copies left by
   * a killed process are removed by the next snapshot).
   */
  async snapshot<T>(fn: (db: SqliteDb) => T): Promise<T> {
    const dir = path.dirname(this.dbPath);
    const copy = path.join(dir, `.store-snapshot-${process.pid}-${randomBytes(4).toString('hex')}.db`);
    removeStaleSnapshots(dir);
    try {
      await withLock(
        this.lockPath,
        async () => {
          // open and close the database first when a killed writer left its WAL: that recovers it
          if (existsSync(`${this.dbPath}-wal`)) await this.runLocked('recover', 'read', () => undefined);
          copyFileSync(this.dbPath, copy, constants.COPYFILE_FICLONE);
        },
        60_000,
      );
    } catch (e) {
      rmSync(copy, { force: true });
      throw this.fail('snapshot', e);
    }
    let db: SqliteDb | undefined;
    try {
      db = new Database(copy);
      db.exec(`${OPEN_PRAGMAS} PRAGMA query_only = ON;`);
      return fn(db);
    } catch (e) {
      if (!isPinpipeError(e)) throw new PinpipeError('QUERY_INVALID', `query failed: ${(e as Error).message}`);
      throw e;
    } finally {
      if (db?.isOpen) db.close();
      for (const f of [copy, `${copy}-wal`, `${copy}-journal`, `${copy}.lock`]) rmSync(f, { recursive: true, force: true });
    }
  }

  private async runLocked<T>(what: string, mode: Mode, fn: (db: SqliteDb) => T | Promise<T>): Promise<T> {
    let db: SqliteDb | undefined;
    try {
      rmSync(`${this.dbPath}.lock`, { recursive: true, force: true });
      db = new Database(this.dbPath);
      db.exec(OPEN_PRAGMAS);
      if (mode === 'write') db.exec('BEGIN IMMEDIATE');
      const out = await fn(db);
      if (mode === 'write') db.exec('COMMIT');
      return out;
    } catch (e) {
      if (db?.isOpen && db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // the next opener rolls back from the journal
        }
      }
      throw this.fail(what, e);
    } finally {
      if (db?.isOpen) db.close();
    }
  }

  private fail(what: string, e: unknown): PinpipeError {
    if (isPinpipeError(e)) return e;
    return new PinpipeError(this.errorCode, `embedded store ${this.dbPath}: ${what} failed: ${(e as Error)?.message ?? String(e)}`, {
      retriable: true,
      cause: e,
    });
  }
}

/** copies of the database left by processes that are gone (killed during a query) */
function removeStaleSnapshots(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.store-snapshot-(\d+)-[0-9a-f]+\.db/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
}
